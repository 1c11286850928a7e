"""The clock role's scheduler: APScheduler 3.11 with its jobs stored in our database."""

from __future__ import annotations

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.config import Settings

# APScheduler's default grace is one second: a restart at the wrong moment would skip a digest silently.
MISFIRE_GRACE_S = 6 * 3600


def build_scheduler(settings: Settings) -> AsyncIOScheduler:
    jobstore = SQLAlchemyJobStore(url=settings.sync_database_url, tablename="apscheduler_jobs")
    return AsyncIOScheduler(
        jobstores={"default": jobstore},
        job_defaults={"misfire_grace_time": MISFIRE_GRACE_S, "coalesce": True, "max_instances": 1},
        timezone="UTC",
    )
