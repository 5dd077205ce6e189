"""The queries the rest of the bot needs. One short transaction per call.

Reads that every question needs (who is asking, the ward, the latest snapshots) are cached in
memory for a few seconds and dropped at once when this process writes them; on PostgreSQL
another process's writes (a replica, `chiso setup`, `chiso import scores`) drop them too, as
soon as its notification arrives (store/notify.py: `forget`, and no caching while the
listener is down: `cache_shared`); without a listener they are seen within `cache_ttl`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ingest.index_groups import BY_CODE, GROUP_CODES
from ingest.snapshot_draft import SnapshotDraft
from store import models as m
from store.records import (
    ChatRec,
    DepartmentRec,
    GroupRec,
    PendingRec,
    PersonRec,
    SnapshotRec,
    WardRec,
)

WARDS_PER_QUERY = 5_000  # ward ids in one IN (...): asyncpg takes at most 32,767 parameters


def _ward_rec(ward: m.Ward, departments: Iterable[m.Department]) -> WardRec:
    return WardRec(
        id=ward.id,
        name=ward.name,
        province=ward.province,
        timezone=ward.timezone,
        group_owners=dict(ward.group_owners or {}),
        reminder_policy=dict(ward.reminder_policy or {}),
        templates=tuple((t["title"], t["text"]) for t in ward.templates or []),
        briefing=dict(ward.briefing or {}),
        portal=dict(ward.portal or {}),
        departments=tuple(
            DepartmentRec(d.code, d.name, tuple(d.aliases or ()), d.professional)
            for d in sorted(departments, key=lambda d: d.code)
        ),
    )


def _person_rec(p: m.Person) -> PersonRec:
    return PersonRec(
        id=p.id,
        ward_id=p.ward_id,
        name=p.name,
        role=p.role,
        departments=tuple(d.code for d in p.departments),
        language=p.language,
        telegram_id=p.telegram_id,
        zalo_id=p.zalo_id,
        zalo_oa_id=p.zalo_oa_id,
    )


def _snapshot_rec(s: m.Snapshot) -> SnapshotRec:
    return SnapshotRec(
        id=s.id,
        ward_id=s.ward_id,
        period_kind=s.period_kind,
        year=s.year,
        period=s.period,
        as_of=s.as_of,
        total=Decimal(s.total),
        rank=s.rank,
        rank_of=s.rank_of,
        groups=tuple(
            GroupRec(g.code, Decimal(g.score), Decimal(g.max_score), g.rank) for g in s.groups
        ),
        source=s.source,
        created_by=s.created_by,
    )


class _TTLCache:
    def __init__(self, ttl: float, now: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self._now = now
        self._data: dict[Any, tuple[float, Any]] = {}
        self.generation = 0  # bumped by every invalidation
        self.sweep_at = 1024

    def get(self, key: Any) -> tuple[bool, Any]:
        hit = self._data.get(key)
        if hit is None or self._now() - hit[0] > self.ttl:
            return False, None
        return True, hit[1]

    def put(self, key: Any, value: Any) -> None:
        now = self._now()
        self._data[key] = (now, value)
        if len(self._data) > self.sweep_at:  # drop what expired, so memory stays bounded
            self._data = {k: v for k, v in self._data.items() if now - v[0] <= self.ttl}
            self.sweep_at = max(1024, 2 * len(self._data))

    def clear(self) -> None:
        self._data.clear()
        self.generation += 1

    def drop_prefix(self, prefix: str) -> None:
        self.generation += 1
        for key in [k for k in self._data if isinstance(k, tuple) and k[0] == prefix]:
            del self._data[key]


# the tables behind the cached reads (a write of another table elsewhere changes nothing here)
_CACHED_TABLES = frozenset(
    {"wards", "departments", "people", "person_departments", "chats", "snapshots"}
    | {"snapshot_groups", "pending_actions", "ward_choices"}
)


class Repo:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], cache_ttl: float = 5.0):
        self.sessions = sessions
        self._cache = _TTLCache(cache_ttl)
        self._configured_ttl = cache_ttl
        self._inflight: dict[Any, asyncio.Future[Any]] = {}

    def invalidate(self) -> None:
        self._cache.clear()

    @property
    def cache_ttl(self) -> float:
        """How long cached reads live (other stores of this database cache as long)."""
        return self._cache.ttl

    def forget(self, tables: frozenset[str]) -> None:
        """Another process wrote these tables (store/notify.py): what is kept of them goes
        (a pending question: the cached questions; a chat: the cached chats; else all)."""
        if tables <= {"pending_actions"}:
            self._cache.drop_prefix("pending")
        elif tables <= {"chats"}:
            self._cache.drop_prefix("chat")
        elif tables <= {"pending_actions", "chats"}:
            self._cache.drop_prefix("pending")
            self._cache.drop_prefix("chat")
        elif tables & _CACHED_TABLES or "*" in tables:
            self._cache.clear()

    def cache_shared(self, live: bool) -> None:
        """Whether other processes' writes reach this cache (store/notify.py's listener is
        up): while they do not, nothing is kept; when they do again, it starts empty."""
        self._cache.clear()
        self._cache.ttl = self._configured_ttl if live else 0.0

    async def _cached(self, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        """A cached read. Concurrent misses of one key share a single query (no stampede when
        an entry expires under load); a write in between makes the result uncacheable."""
        hit, value = self._cache.get(key)
        if hit:
            return value
        flight = self._inflight.get(key)
        if flight is not None:
            return await asyncio.shield(flight)
        generation = self._cache.generation
        flight = asyncio.ensure_future(load())
        self._inflight[key] = flight
        try:
            value = await flight
        finally:
            self._inflight.pop(key, None)
        if generation == self._cache.generation:
            self._cache.put(key, value)
        return value

    # --- wards and people -------------------------------------------------------------
    async def wards(self) -> list[WardRec]:
        async with self.sessions() as s:
            wards = (await s.scalars(select(m.Ward).order_by(m.Ward.id))).all()
            by_ward: dict[int, list[m.Department]] = {}
            for dept in await s.scalars(select(m.Department)):
                by_ward.setdefault(dept.ward_id, []).append(dept)
        # grouped once: a scan of every department per ward took 70 s for 3,321 wards
        return [_ward_rec(w, by_ward.get(w.id, ())) for w in wards]

    async def ward(self, ward_id: int) -> WardRec | None:
        async def load() -> WardRec | None:
            async with self.sessions() as s:
                ward = await s.get(m.Ward, ward_id)
                if ward is None:
                    return None
                depts = (
                    await s.scalars(select(m.Department).where(m.Department.ward_id == ward_id))
                ).all()
                return _ward_rec(ward, depts)

        result: WardRec | None = await self._cached(("ward", ward_id), load)
        return result

    async def person_by_channel(self, channel: str, user_id: str) -> PersonRec | None:
        """The person a channel's user is; someone in several wards: their row in the first
        ward by name (the router picks the ward: `people_by_channel`, `person_in_ward`)."""
        people = await self.people_by_channel(channel, user_id)
        return people[0] if people else None

    async def people_by_channel(self, channel: str, user_id: str) -> tuple[PersonRec, ...]:
        """Every ward's row of a channel's user, by ward name (most people have one)."""
        if channel == "console":  # the console speaks as a person chosen by id
            person = await self.person_by_id(int(user_id.removeprefix("person:")))
            return (person,) if person else ()
        column = {"telegram": m.Person.telegram_id, "zalo": m.Person.zalo_id}.get(channel)
        if column is None:
            return ()

        async def load() -> tuple[PersonRec, ...]:
            async with self.sessions() as s:
                rows = await s.scalars(
                    select(m.Person)
                    .join(m.Ward, m.Ward.id == m.Person.ward_id)
                    .where(column == user_id)
                    .order_by(m.Ward.name, m.Ward.id)
                )
                return tuple(_person_rec(p) for p in rows)

        result: tuple[PersonRec, ...] = await self._cached(("person", channel, user_id), load)
        return result

    async def person_in_ward(self, channel: str, user_id: str, ward_id: int) -> PersonRec | None:
        """A channel's user as one ward knows them (a registered group's ward), or None."""
        people = await self.people_by_channel(channel, user_id)
        return next((p for p in people if p.ward_id == ward_id), None)

    async def ward_choice(self, channel: str, user_id: str) -> int | None:
        """The ward a person in several wards chose for their private chats (/phuong)."""

        async def load() -> int | None:
            async with self.sessions() as s:
                row = await s.get(m.WardChoice, (channel, user_id))
                return row.ward_id if row else None

        result: int | None = await self._cached(("ward_choice", channel, user_id), load)
        return result

    async def choose_ward(self, channel: str, user_id: str, ward_id: int, at: datetime) -> None:
        async with self.sessions.begin() as s:
            insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            statement = insert(m.WardChoice).values(
                channel=channel, user_id=user_id, ward_id=ward_id, chosen_at=at
            )
            await s.execute(
                statement.on_conflict_do_update(
                    index_elements=["channel", "user_id"],
                    set_={"ward_id": ward_id, "chosen_at": at},
                )
            )
        self._cache.put(("ward_choice", channel, user_id), ward_id)

    async def person_by_id(self, person_id: int) -> PersonRec | None:
        async def load() -> PersonRec | None:
            async with self.sessions() as s:
                person = await s.get(m.Person, person_id)
                return _person_rec(person) if person else None

        result: PersonRec | None = await self._cached(("person_id", person_id), load)
        return result

    async def find_person(self, name_or_role: str) -> PersonRec | None:
        """For the console: a person by exact name, else the first with that role."""
        async with self.sessions() as s:
            person = await s.scalar(select(m.Person).where(m.Person.name == name_or_role))
            if person is None:
                person = await s.scalar(
                    select(m.Person).where(m.Person.role == name_or_role).order_by(m.Person.id)
                )
            if person is None:
                needle = name_or_role.casefold()
                for candidate in (await s.scalars(select(m.Person))).all():
                    if needle in candidate.name.casefold():
                        person = candidate
                        break
            return _person_rec(person) if person else None

    async def people(self, ward_id: int) -> list[PersonRec]:
        async with self.sessions() as s:
            rows = await s.scalars(
                select(m.Person).where(m.Person.ward_id == ward_id).order_by(m.Person.name)
            )
            return [_person_rec(p) for p in rows]

    # --- chats ------------------------------------------------------------------------
    @staticmethod
    def _chat_rec(chat: m.Chat, dept_code: str | None) -> ChatRec:
        return ChatRec(
            id=chat.id,
            channel=chat.channel,
            chat_id=chat.chat_id,
            title=chat.title,
            is_group=chat.is_group,
            ward_id=chat.ward_id,
            kind=chat.kind,
            department=dept_code,
            tags=tuple(chat.tags or ()),
            source=chat.source,
            active=chat.active,
            first_seen=chat.first_seen,
            last_seen=chat.last_seen,
        )

    async def _dept_code(self, s: AsyncSession, dept_id: int | None) -> str | None:
        if dept_id is None:
            return None
        dept = await s.get(m.Department, dept_id)
        return dept.code if dept else None

    async def chat(self, channel: str, chat_id: str) -> ChatRec | None:
        async def load() -> ChatRec | None:
            async with self.sessions() as s:
                chat = await s.scalar(
                    select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == chat_id)
                )
                if chat is None:
                    return None
                return self._chat_rec(chat, await self._dept_code(s, chat.department_id))

        result: ChatRec | None = await self._cached(("chat", channel, chat_id), load)
        return result

    async def see_chat(
        self, channel: str, chat_id: str, title: str, is_group: bool, at: datetime
    ) -> ChatRec:
        """Records that the bot is in a chat (first sight or again); returns the chat."""
        await self._ensure_chat(channel, chat_id, title, is_group, at)
        async with self.sessions.begin() as s:
            chat = await s.scalar(
                select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == chat_id)
            )
            assert chat is not None
            chat.last_seen = at
            chat.active = True
            if title:
                chat.title = title
            await s.flush()
            rec = self._chat_rec(chat, await self._dept_code(s, chat.department_id))
        self._cache.put(("chat", channel, chat_id), rec)
        return rec

    async def _ensure_chat(
        self, channel: str, chat_id: str, title: str, is_group: bool, at: datetime
    ) -> None:
        """Inserts the chat unless it exists; safe when two messages race to do it."""
        async with self.sessions.begin() as s:
            insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            await s.execute(
                insert(m.Chat)
                .values(
                    channel=channel,
                    chat_id=chat_id,
                    title=title,
                    is_group=is_group,
                    first_seen=at,
                    last_seen=at,
                    source="seen",
                    tags=[],
                    active=True,
                )
                .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
            )

    async def register_chat(
        self,
        channel: str,
        chat_id: str,
        ward_id: int,
        kind: str,
        department: str | None,
        title: str,
        at: datetime,
    ) -> ChatRec:
        await self._ensure_chat(channel, chat_id, title, True, at)
        async with self.sessions.begin() as s:
            chat = await s.scalar(
                select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == chat_id)
            )
            assert chat is not None
            dept_id = None
            if department:
                dept_id = await s.scalar(
                    select(m.Department.id).where(
                        m.Department.ward_id == ward_id, m.Department.code == department
                    )
                )
            chat.title = title or chat.title or ""
            chat.ward_id, chat.kind, chat.department_id = ward_id, kind, dept_id
            chat.source, chat.active, chat.last_seen = "chat", True, at
            await s.flush()
            rec = self._chat_rec(chat, department)
        self._cache.put(("chat", channel, chat_id), rec)
        return rec

    async def unregister_chat(self, channel: str, chat_id: str) -> bool:
        async with self.sessions.begin() as s:
            chat = await s.scalar(
                select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == chat_id)
            )
            if chat is None or chat.kind is None:
                return False
            chat.ward_id, chat.kind, chat.department_id, chat.source = None, None, None, "seen"
        self._cache.clear()
        return True

    async def move_chat(self, channel: str, old: str, new: str) -> None:
        """Telegram gave a group a new id (upgraded to a supergroup): keep its registration."""
        async with self.sessions.begin() as s:
            taken = await s.scalar(
                select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == new)
            )
            chat = await s.scalar(
                select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == old)
            )
            if chat is not None and taken is None:
                chat.chat_id = new
        self._cache.clear()

    async def set_chat_active(self, channel: str, chat_id: str, active: bool) -> None:
        async with self.sessions.begin() as s:
            chat = await s.scalar(
                select(m.Chat).where(m.Chat.channel == channel, m.Chat.chat_id == chat_id)
            )
            if chat is not None:
                chat.active = active
        self._cache.clear()

    async def ward_chats(self, ward_id: int, kind: str | None = None) -> list[ChatRec]:
        """The registered, active chats of a ward (of one kind)."""
        return (await self.chats_of_wards([ward_id], kind)).get(ward_id, [])

    async def chats_of_wards(
        self, ward_ids: Iterable[int], kind: str | None = None
    ) -> dict[int, list[ChatRec]]:
        """The registered, active chats of several wards (of one kind), by ward, each with
        its department's code: one query for many wards (the reminder tick reads every
        ward's chats at once; reading them ward by ward took minutes for 3,321 wards)."""
        ids = sorted(set(ward_ids))
        result: dict[int, list[ChatRec]] = {}
        async with self.sessions() as s:
            for start in range(0, len(ids), WARDS_PER_QUERY):
                c = m.Chat
                query = (
                    select(
                        c.id,
                        c.channel,
                        c.chat_id,
                        c.title,
                        c.is_group,
                        c.ward_id,
                        c.kind,
                        m.Department.code,
                        c.tags,
                        c.source,
                        c.active,
                        c.first_seen,
                        c.last_seen,
                    )
                    .outerjoin(m.Department, m.Department.id == c.department_id)
                    .where(c.ward_id.in_(ids[start : start + WARDS_PER_QUERY]), c.active.is_(True))
                )
                if kind is not None:
                    query = query.where(c.kind == kind)
                for row in (await s.execute(query.order_by(c.id))).all():
                    rec = ChatRec(  # from plain columns: no ORM objects for 30,000 chats
                        id=row[0],
                        channel=row[1],
                        chat_id=row[2],
                        title=row[3],
                        is_group=row[4],
                        ward_id=row[5],
                        kind=row[6],
                        department=row[7],
                        tags=tuple(row[8] or ()),
                        source=row[9],
                        active=row[10],
                        first_seen=row[11],
                        last_seen=row[12],
                    )
                    result.setdefault(row.ward_id, []).append(rec)
        return result

    async def people_of_wards(self, ward_ids: Iterable[int]) -> dict[int, list[PersonRec]]:
        """The people of several wards, by ward (ordered by name as `people`): one query
        for many wards."""
        ids = sorted(set(ward_ids))
        result: dict[int, list[PersonRec]] = {}
        async with self.sessions() as s:
            for start in range(0, len(ids), WARDS_PER_QUERY):
                rows = await s.scalars(
                    select(m.Person)
                    .where(m.Person.ward_id.in_(ids[start : start + WARDS_PER_QUERY]))
                    .order_by(m.Person.name)
                )
                for person in rows:
                    result.setdefault(person.ward_id, []).append(_person_rec(person))
        return result

    async def chats(self) -> list[ChatRec]:
        async with self.sessions() as s:
            chats = (await s.scalars(select(m.Chat).order_by(m.Chat.channel, m.Chat.id))).all()
            rows = (await s.execute(select(m.Department.id, m.Department.code))).all()
            codes = {row[0]: row[1] for row in rows}
        return [self._chat_rec(c, codes.get(c.department_id or -1)) for c in chats]

    # --- snapshots --------------------------------------------------------------------
    async def save_snapshot(
        self, ward_id: int, draft: SnapshotDraft, by: str, at: datetime
    ) -> tuple[SnapshotRec, bool]:
        """Stores a checked draft; the same ward, period and as-of date replaces the old one.

        Returns the snapshot and whether it replaced an earlier one.
        """
        return (await self.save_snapshots(ward_id, [draft], by, at))[0]

    async def save_snapshots(
        self, ward_id: int, drafts: list[SnapshotDraft], by: str, at: datetime
    ) -> list[tuple[SnapshotRec, bool]]:
        """Stores checked drafts in one transaction (a file's figures are all stored or none
        are); each replaces an earlier one of the same ward, period and as-of date. A draft
        repeated in the list replaces its earlier copy. Returns (snapshot, replaced) each."""
        saved: list[tuple[SnapshotRec, bool]] = []
        async with self.sessions.begin() as s:
            for draft in drafts:
                saved.append(await self._save_snapshot(s, ward_id, draft, by, at))
        self._cache.clear()
        return saved

    @staticmethod
    async def _save_snapshot(
        s: AsyncSession, ward_id: int, draft: SnapshotDraft, by: str, at: datetime
    ) -> tuple[SnapshotRec, bool]:
        assert draft.as_of is not None and draft.total is not None
        period = draft.period or 0
        old = await s.scalar(
            select(m.Snapshot).where(
                m.Snapshot.ward_id == ward_id,
                m.Snapshot.period_kind == draft.period_kind,
                m.Snapshot.year == draft.year,
                m.Snapshot.period == period,
                m.Snapshot.as_of == draft.as_of,
            )
        )
        replaced = old is not None
        if old is not None:
            await s.delete(old)
            await s.flush()
        snap = m.Snapshot(
            ward_id=ward_id,
            period_kind=draft.period_kind,
            year=draft.year,
            period=period,
            as_of=draft.as_of,
            total=draft.total,
            rank=draft.rank,
            rank_of=draft.rank_of,
            source=draft.source,
            created_at=at,
            created_by=by,
            groups=[
                m.SnapshotGroup(
                    code=code,
                    position=GROUP_CODES.index(code),
                    score=g.score,
                    max_score=g.max_score,
                    rank=g.rank,
                )
                for code, g in draft.groups.items()
                if code in BY_CODE
            ],
        )
        s.add(snap)
        await s.flush()
        await s.refresh(snap, ["groups"])
        return _snapshot_rec(snap), replaced

    async def snapshot_history(
        self, ward_id: int, period_kind: str, limit: int = 13
    ) -> tuple[SnapshotRec, ...]:
        """The newest snapshots of one kind, newest first: one per period (its latest as-of)."""

        async def load() -> tuple[SnapshotRec, ...]:
            # plain columns, and the groups of the chosen snapshots only: loading every
            # snapshot with its groups as ORM objects was most of "điểm hiện tại?" for a
            # ward with two years of figures (bench/scale.py)
            snap, group = m.Snapshot, m.SnapshotGroup
            async with self.sessions() as s:
                rows = (
                    await s.execute(
                        select(
                            snap.id,
                            snap.ward_id,
                            snap.period_kind,
                            snap.year,
                            snap.period,
                            snap.as_of,
                            snap.total,
                            snap.rank,
                            snap.rank_of,
                            snap.source,
                            snap.created_by,
                        )
                        .where(snap.ward_id == ward_id, snap.period_kind == period_kind)
                        .order_by(snap.year.desc(), snap.period.desc(), snap.as_of.desc())
                        .limit(limit * 4)
                    )
                ).all()
                seen: set[tuple[int, int]] = set()
                chosen = []
                for row in rows:
                    if (row.year, row.period) in seen and period_kind != "year":
                        continue
                    seen.add((row.year, row.period))
                    chosen.append(row)
                    if len(chosen) == limit:
                        break
                groups: dict[int, list[GroupRec]] = {}
                if chosen:
                    group_rows = await s.execute(
                        select(
                            group.snapshot_id, group.code, group.score, group.max_score, group.rank
                        )
                        .where(group.snapshot_id.in_([row.id for row in chosen]))
                        .order_by(group.snapshot_id, group.position)
                    )
                    for snapshot_id, code, score, max_score, rank in group_rows.all():
                        groups.setdefault(snapshot_id, []).append(
                            GroupRec(code, Decimal(score), Decimal(max_score), rank)
                        )
            return tuple(
                SnapshotRec(
                    id=row.id,
                    ward_id=row.ward_id,
                    period_kind=row.period_kind,
                    year=row.year,
                    period=row.period,
                    as_of=row.as_of,
                    total=Decimal(row.total),
                    rank=row.rank,
                    rank_of=row.rank_of,
                    groups=tuple(groups.get(row.id, ())),
                    source=row.source,
                    created_by=row.created_by,
                )
                for row in chosen
            )

        result: tuple[SnapshotRec, ...] = await self._cached(
            ("history", ward_id, period_kind, limit), load
        )
        return result

    async def snapshot(self, snapshot_id: int) -> SnapshotRec | None:
        async with self.sessions() as s:
            snap = await s.get(m.Snapshot, snapshot_id)
            return _snapshot_rec(snap) if snap else None

    async def has_snapshots(self, ward_id: int) -> bool:
        async with self.sessions() as s:
            return (
                await s.scalar(select(m.Snapshot.id).where(m.Snapshot.ward_id == ward_id).limit(1))
            ) is not None

    # --- charts -----------------------------------------------------------------------
    async def chart(self, snapshot_id: int, language: str) -> tuple[bytes, dict[str, str]] | None:
        async with self.sessions() as s:
            row = await s.get(m.ChartImage, (snapshot_id, language))
            return (row.png, dict(row.channel_ids or {})) if row else None

    async def save_chart(self, snapshot_id: int, language: str, png: bytes) -> None:
        async with self.sessions.begin() as s:
            row = await s.get(m.ChartImage, (snapshot_id, language))
            if row is None:
                s.add(
                    m.ChartImage(
                        snapshot_id=snapshot_id, language=language, png=png, channel_ids={}
                    )
                )

    async def save_chart_channel_id(
        self, snapshot_id: int, language: str, channel: str, file_id: str
    ) -> None:
        async with self.sessions.begin() as s:
            row = await s.get(m.ChartImage, (snapshot_id, language))
            if row is not None:
                row.channel_ids = {**(row.channel_ids or {}), channel: file_id}

    # --- pending questions ------------------------------------------------------------
    async def set_pending(
        self,
        ward_id: int,
        channel: str,
        chat_id: str,
        user_id: str,
        kind: str,
        payload: dict[str, Any],
        choices: list[str],
        at: datetime,
        expires_at: datetime,
    ) -> PendingRec:
        async with self.sessions.begin() as s:
            await s.execute(
                delete(m.PendingAction).where(
                    m.PendingAction.channel == channel,
                    m.PendingAction.chat_id == chat_id,
                    m.PendingAction.user_id == user_id,
                )
            )
            row = m.PendingAction(
                ward_id=ward_id,
                channel=channel,
                chat_id=chat_id,
                user_id=user_id,
                kind=kind,
                payload=payload,
                choices=choices,
                created_at=at,
                expires_at=expires_at,
            )
            s.add(row)
            await s.flush()
            rec = PendingRec(row.id, ward_id, kind, payload, tuple(choices), expires_at)
        self._cache.put(("pending", channel, chat_id, user_id), rec)
        return rec

    async def pending(self, channel: str, chat_id: str, user_id: str) -> PendingRec | None:
        """The question this user was asked in this chat, if any.

        Cached like the other hot reads: every message asks for it, almost none has one.
        """

        async def load() -> PendingRec | None:
            async with self.sessions() as s:
                row = await s.scalar(
                    select(m.PendingAction).where(
                        m.PendingAction.channel == channel,
                        m.PendingAction.chat_id == chat_id,
                        m.PendingAction.user_id == user_id,
                    )
                )
                if row is None:
                    return None
                return PendingRec(
                    row.id,
                    row.ward_id,
                    row.kind,
                    dict(row.payload),
                    tuple(row.choices or ()),
                    row.expires_at,
                )

        result: PendingRec | None = await self._cached(("pending", channel, chat_id, user_id), load)
        return result

    async def clear_pending(self, pending_id: int) -> bool:
        self._cache.drop_prefix("pending")
        async with self.sessions.begin() as s:
            result = await s.execute(
                delete(m.PendingAction).where(m.PendingAction.id == pending_id)
            )
            return bool(getattr(result, "rowcount", 0))
