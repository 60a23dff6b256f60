"""The Home tab: what needs me, gathered from every feature.

My open actions (with the same update buttons as reminders), the next review of each of
my channels, the open post-mortems I am in, and recent lessons I may read.
https://api.slack.com/surfaces/app-home
"""

from __future__ import annotations

from handlers.slack.deps import Deps
from handlers.slack.lesson_blocks import HomeSection, LessonBlocks, home_view
from handlers.slack.okr_blocks import OkrBlocks
from handlers.slack.review_blocks import Intro, ReviewBlocks
from models.core.privacy import Viewer
from models.followup.views import Scope, ScopeKind


class HomeTab:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._lesson_blocks = LessonBlocks(deps.blocks.templates)
        self._review_blocks = ReviewBlocks(deps.blocks)
        self._okr_blocks = OkrBlocks(deps.blocks.templates)

    def publish(self, *, team_id: str, user_id: str) -> None:
        """Publish with the workspace's own client (SlackClients), whichever request or
        delivery asked for it."""
        services, client = self._deps.services, self._deps.clients.for_workspace(team_id)
        member_of = self._deps.membership.private_channels(client, team_id=team_id, user_id=user_id)
        home = services.lessons.home(team_id=team_id, user_id=user_id, member_of=member_of)
        actions = services.updates.listing(
            team_id=team_id, scope=Scope(ScopeKind.OWNER, user_id), today=self._deps.today(team_id)
        )
        my_channels = {a.channel_id for a in actions.actions} | {
            p.channel_id for p in home.postmortems
        }
        schedules = services.meetings.schedules_of(team_id=team_id, channel_ids=my_channels)
        listing = self._review_blocks.action_list(actions, intro=Intro.LISTING, viewer=user_id)
        okrs = services.okrs.owned_by(
            viewer=Viewer(team_id, user_id, member_of), today=self._deps.today(team_id)
        )
        sections = [
            HomeSection("My open actions", "", blocks=tuple(listing["blocks"])),
            self._review_blocks.next_reviews(schedules),
            self._okr_blocks.home_section(okrs, user_id=user_id),
            *self._lesson_blocks.home_sections(home, user_id=user_id),
        ]
        client.views_publish(user_id=user_id, view=home_view(sections))
