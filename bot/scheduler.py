"""The in-process ticker. What is due lives in the database; the scheduler only ticks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from handlers.slack.deliveries import Courier
from handlers.slack.inbox import InboxWorkers
from models.core.clock import Clock

if TYPE_CHECKING:
    from bot.app import Lessonloop

log = logging.getLogger(__name__)

DELIVERY_INTERVAL_SECONDS = 30
# How often Jira is asked for changes its webhooks may have missed (README: "Jira").
JIRA_RECONCILE_MINUTES = 5


def tick(
    courier: Courier,
    plan: Callable[[], object] | None = None,
    inbox: InboxWorkers | None = None,
    purge: Callable[[], object] | None = None,
) -> None:
    """One tick: process events left by a crash, owe what is due now (review reminders,
    agendas, nudges), then send it; then delete the workspaces whose retention period
    after uninstalling is over (`purge`)."""
    if inbox is not None:
        try:
            inbox.drain()
            inbox.purge()
        except Exception:  # a stuck event must not stop reminders
            log.exception("processing stored events failed")
    if plan is not None:
        try:
            plan()
        except Exception:  # a planning failure must not stop sending what is owed already
            log.exception("planning due reminders failed; sending what is already owed")
    courier.deliver_due()
    if purge is not None:
        try:
            purge()
        except Exception:  # deleting old data can wait for the next tick
            log.exception("deleting uninstalled workspaces' data failed")


def build_scheduler(
    courier: Courier,
    clock: Clock,
    *,
    plan: Callable[[], object] | None = None,
    inbox: InboxWorkers | None = None,
    purge: Callable[[], object] | None = None,
    reconcile: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone=UTC,
        # A late tick is still worth running: due work is read from the database.
        job_defaults={"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1},
    )
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=DELIVERY_INTERVAL_SECONDS, timezone=UTC),
        args=(courier, plan, inbox, purge),
        id="deliver-due",
        replace_existing=True,
        # At once on start: what fell due while the process was down goes out now.
        next_run_time=clock.now(),
    )
    if reconcile is not None:
        scheduler.add_job(
            reconcile,
            IntervalTrigger(minutes=JIRA_RECONCILE_MINUTES, timezone=UTC),
            id="jira-reconcile",
            replace_existing=True,
            next_run_time=clock.now(),
        )
    return scheduler


def scheduler_for(lessonloop: Lessonloop) -> BackgroundScheduler:
    """Every job the app runs on a schedule, built the one way for `serve`'s worker process
    and for `lessonloop scheduler`."""
    return build_scheduler(
        lessonloop.courier,
        lessonloop.services.clock,
        plan=lessonloop.services.plan_due,
        inbox=lessonloop.inbox,
        purge=lessonloop.services.lifecycle.purge_expired,
        reconcile=lessonloop.jira.reconciliation.run if lessonloop.jira else None,
    )
