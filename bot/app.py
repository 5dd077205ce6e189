"""Wires the bot: settings -> database (migrated) -> store -> handlers -> channels."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.charts import ChartService
from bot.config import Settings
from handlers.context import Services
from handlers.reading import ReadingPool
from handlers.router import Router
from ingest.criteria import load_criteria_file
from reminders.clock import Clock, OffsetClock, SystemClock
from store.broadcasts import BroadcastStore
from store.db import create_engine, session_factory
from store.migrate import upgrade
from store.outbox import OutboxStore
from store.repo import Repo
from store.tasks import TaskStore

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    engine: AsyncEngine
    repo: Repo
    services: Services
    router: Router

    @classmethod
    async def open(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        migrate: bool = True,
        charts: bool = True,
    ) -> App:
        engine = create_engine(settings.database_url)
        if migrate:
            await upgrade(engine)
        sessions = session_factory(engine)
        repo = Repo(sessions, cache_ttl=settings.cache_ttl)
        if clock is None and settings.start_at:
            clock = OffsetClock(datetime.fromisoformat(settings.start_at))
        services = Services(
            repo=repo,
            clock=clock or SystemClock(),
            tasks=TaskStore(sessions),
            outbox=OutboxStore(sessions),
            broadcasts=BroadcastStore(sessions),
            reader=ReadingPool(settings.read_limits()),  # workers start at the first document
            criteria=load_criteria_file(settings.criteria_file),  # checked by load_settings
        )
        if charts:
            services.charts = ChartService(repo)
        return cls(settings, engine, repo, services, Router(services))

    async def close(self) -> None:
        if self.services.reader is not None:
            self.services.reader.close()
        await self.engine.dispose()
