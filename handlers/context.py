"""What every handler gets besides the Inbound: the store, the clock, charts, the person."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from handlers.protocol import Image, Inbound
from handlers.reading import ReadingPool, shared_pool
from ingest.criteria import CriteriaTable, default_table
from locales import DEFAULT_LANGUAGE, Translator, translator
from reminders.calendar import WorkCalendar
from reminders.clock import Clock
from store.broadcasts import BroadcastStore
from store.outbox import OutboxStore
from store.records import PersonRec, SnapshotRec, WardRec
from store.repo import Repo
from store.tasks import TaskStore

QUESTION_TTL = timedelta(hours=24)  # how long a question waits for its answer by default


class ChartSource(Protocol):
    def image(self, ward: WardRec, snapshot: SnapshotRec, language: str) -> Image:
        """The chart of one snapshot (groups against max, total over the last snapshots)."""
        ...

    def six_month_image(
        self, ward: WardRec, snapshots: Sequence[SnapshotRec], language: str, caption: str = ""
    ) -> Image | None:
        """The six-month chart of `snapshots` (reports.trend.six_month_set); None for none."""
        ...

    async def image_of_key(self, ward: WardRec, key: str, language: str) -> Image | None:
        """The six-month chart a briefing names by its `chart_key`; None when there is none."""
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
    # the sub-criteria table (ingest/criteria.py): CHISO_CRITERIA_FILE's, else the shipped one
    criteria: CriteriaTable = field(default_factory=default_table)


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

    async def ask(
        self,
        kind: str,
        payload: Mapping[str, Any],
        choices: Sequence[str] = (),
        ttl: timedelta = QUESTION_TTL,
    ) -> int:
        """Asks the person a question of `kind` (the router sends the answer to the handler
        `handlers.router.ANSWERS[kind]`) and returns its id, for buttons (`p<id>:<choice>`).
        It replaces any question this person had open in this chat."""
        assert self.person is not None
        now = self.clock.now()
        inbound = self.inbound
        pending = await self.repo.set_pending(
            self.person.ward_id,
            inbound.channel,
            inbound.chat_id,
            inbound.user_id,
            kind,
            dict(payload),
            list(choices),
            now,
            now + ttl,
        )
        return pending.id
