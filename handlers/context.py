"""What every handler gets besides the Inbound: the store, the clock, charts, the person."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from handlers.protocol import Image, Inbound
from handlers.reading import ReadingPool, shared_pool
from locales import DEFAULT_LANGUAGE, Translator, translator
from reminders.calendar import WorkCalendar
from reminders.clock import Clock
from store.broadcasts import BroadcastStore
from store.outbox import OutboxStore
from store.records import PersonRec, SnapshotRec, WardRec
from store.repo import Repo
from store.tasks import TaskStore


class ChartSource(Protocol):
    def image(self, ward: WardRec, snapshot: SnapshotRec, language: str) -> Image:
        """The chart of one snapshot (groups against max, total over the last snapshots)."""
        ...


@dataclass
class Services:
    """Long-lived collaborators, built once by the app."""

    repo: Repo
    clock: Clock
    tasks: TaskStore
    outbox: OutboxStore
    broadcasts: BroadcastStore
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    charts: ChartSource | None = None
    on_outbox: Callable[[], None] | None = None  # wakes the delivery loop after an enqueue
    channels: frozenset[str] | None = None  # what this process sends on (None: not known)
    reader: ReadingPool | None = None  # reads documents in worker processes (None: shared)


@dataclass
class Ctx:
    """One inbound message being handled."""

    services: Services
    inbound: Inbound
    person: PersonRec | None = None
    ward: WardRec | None = None

    @property
    def repo(self) -> Repo:
        return self.services.repo

    @property
    def clock(self) -> Clock:
        return self.services.clock

    @property
    def tasks(self) -> TaskStore:
        return self.services.tasks

    @property
    def reader(self) -> ReadingPool:
        return self.services.reader or shared_pool()

    @property
    def language(self) -> str:
        # Telegram has no Vietnamese interface, so most staff's clients say "en": the client's
        # language is not a choice. Vietnamese unless ward.toml gives the person a language.
        if self.person and self.person.language:
            return self.person.language
        return DEFAULT_LANGUAGE

    @property
    def _(self) -> Translator:
        return translator(self.language)
