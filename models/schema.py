"""Every feature's tables, imported once so that `Base.metadata` holds the whole schema
(Alembic's autogenerate and the tests' `create_all` read it)."""

from models.actions import tables as actions
from models.coach import tables as coach
from models.core import installations as installations
from models.core import tables as core
from models.core.base import Base
from models.followup import tables as followup
from models.jira import tables as jira
from models.lessons import tables as lessons
from models.okrs import tables as okrs
from models.postmortems import tables as postmortems
from models.reports import tables as reports

FEATURE_TABLES = (core, postmortems, lessons, actions, followup, reports, coach, jira, okrs)
metadata = Base.metadata
