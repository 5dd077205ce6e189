"""Cross-replica cache invalidation: PostgreSQL LISTEN/NOTIFY on the channel `chiso_cache`.

Every process keeps a few reads in memory (store/repo.py's cache: people, wards, chats,
snapshots, pending questions; store/missed.py's index of missed replies) and drops them
when it writes them itself. With several replicas (or `chiso setup` and `chiso import
scores` beside a running bot) the others must drop them too:

* **Sending.** `track_writes()` (installed by `store.db.session_factory`) watches every ORM
  session: a transaction on PostgreSQL that wrote a table those caches read (ORM objects
  flushed, or left for the commit's own flush, or INSERT/UPDATE/DELETE statements run
  through the session) sends, in the same transaction, `NOTIFY chiso_cache,
  '<origin>|<table>,<table>'`. PostgreSQL delivers it at
  commit, and only if the transaction commits. Writes of other tables (the outbox, task
  events, leases) send nothing. Any process that writes through a session is covered,
  whichever store module does it.
* **Receiving.** `CacheListener` (started by bot/runner.py) LISTENs on its own asyncpg
  connection and hands each notification's tables to its subscribers (`Repo.forget`: a
  pending question drops the cached questions, a chat the cached chats, anything else the
  whole cache; `MissedReplies.forget`). Its own process's notifications are skipped (that
  process already dropped what it wrote).
* **Down.** While the listener is not connected (before it first is, after its connection
  dropped, until it reconnected) its subscribers are told (`Repo.cache_shared(False)`: the
  cache keeps nothing, every read goes to the database); once it listens again the caches
  are emptied (notifications may have been missed) and used again. It reconnects with
  back-off, and a quiet connection is checked every CHECK_EVERY seconds, so a half-open one
  is found out.

A write is seen by another replica as soon as the notification arrives (milliseconds); a
read that started before it arrived is not kept. On SQLite (one process) nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

log = logging.getLogger(__name__)

CHANNEL = "chiso_cache"
ORIGIN = uuid.uuid4().hex[:12]  # this process: its own notifications are not for it
# a sessionmaker's `info` may name another origin (two apps in one process, in tests)
ORIGIN_KEY = "chiso_origin"
# the tables whose rows the in-process caches hold; a new cached read adds its tables here
WATCHED = frozenset(
    {
        "wards",
        "departments",
        "people",
        "person_departments",
        "chats",
        "snapshots",
        "snapshot_groups",
        "pending_actions",
        "missed_replies",
        "metric_figures",
        "province_rows",
        "ward_choices",
    }
)
EVERYTHING = frozenset({"*"})  # told to subscribers when notifications may have been missed
SYNC = "sync:"  # a barrier: `CacheListener.sync`
CHECK_EVERY = 15.0  # seconds between checks of a quiet listening connection
CONNECT_TIMEOUT = 5.0
RETRY_FIRST, RETRY_MAX = 0.5, 30.0
_TOUCHED = "chiso_touched"  # Session.info: the watched tables this transaction wrote


# --- sending -------------------------------------------------------------------------------
def _touch(session: Session, table: str | None) -> None:
    if table in WATCHED:
        session.info.setdefault(_TOUCHED, set()).add(table)


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        _touch(session, getattr(obj, "__tablename__", None))


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _touch(state.session, getattr(table, "name", None))


def _before_commit(session: Session) -> None:
    # what commit is about to flush: before_commit runs before the commit's own flush, so
    # objects added or changed since the last flush are not in after_flush's count yet
    for obj in itertools.chain(session.new, session.dirty, session.deleted):
        _touch(session, getattr(obj, "__tablename__", None))
    touched = session.info.get(_TOUCHED)
    if not touched:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.info.pop(_TOUCHED, None)
        return
    origin = session.info.get(ORIGIN_KEY, ORIGIN)
    payload = f"{origin}|{','.join(sorted(touched))}"
    session.info.pop(_TOUCHED, None)
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
    )


def _forget_touched(session: Session, *_args: Any) -> None:
    session.info.pop(_TOUCHED, None)


def track_writes() -> None:
    """Installs the session hooks that announce writes of the watched tables (idempotent)."""
    if event.contains(Session, "before_commit", _before_commit):
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_rollback", _forget_touched)


def parse(payload: str) -> tuple[str, frozenset[str]]:
    """(origin, tables) of a notification's payload."""
    origin, _, tables = payload.partition("|")
    return origin, frozenset(t for t in tables.split(",") if t)


# --- receiving -----------------------------------------------------------------------------
def asyncpg_dsn(url: str) -> str:
    """The database URL as asyncpg takes it (postgresql://user:password@host:port/db?...)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


OnChange = Callable[[frozenset[str]], None]
OnState = Callable[[bool], None]


class CacheListener:
    """LISTENs on `chiso_cache` on its own connection; see the module doc."""

    def __init__(
        self,
        url: str,
        *,
        origin: str = ORIGIN,
        check_every: float = CHECK_EVERY,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
    ):
        self.dsn = asyncpg_dsn(url)
        self.origin = origin  # whose notifications are skipped (this process's own)
        self.check_every, self.retry_first, self.retry_max = check_every, retry_first, retry_max
        self.up = False
        self.connects = 0  # how many times it has started listening
        self.received = 0  # notifications from other processes handed to the subscribers
        self._on_change: list[OnChange] = []
        self._on_state: list[OnState] = []
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._changed = asyncio.Condition()
        self._conn: Any = None
        self._syncs: dict[str, asyncio.Future[None]] = {}

    def subscribe(self, on_change: OnChange, on_state: OnState | None = None) -> None:
        """`on_change(tables)` for each notification of another process (EVERYTHING after
        notifications may have been missed); `on_state(up)` when listening starts or
        stops, and at once with the current state."""
        self._on_change.append(on_change)
        if on_state is not None:
            self._on_state.append(on_state)
            on_state(self.up)

    async def start(self, wait: float = CONNECT_TIMEOUT) -> None:
        """Starts listening in the background; waits up to `wait` seconds for the first
        connection (the caches stay off until it is there)."""
        if self._task is not None:
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._run())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wait_state(True), wait)

    async def stop(self) -> None:
        self._stopping.set()
        task, self._task = self._task, None
        if task is not None:
            await task

    async def wait_state(self, up: bool) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.up == up)

    async def sync(self, timeout: float = 10.0) -> None:
        """Returns once every notification committed before this call has been handed to
        the subscribers (PostgreSQL delivers them in commit order: a notification of our
        own sent now arrives after them)."""
        conn = self._conn
        if conn is None or not self.up:
            raise ConnectionError("the cache listener is not connected")
        token = uuid.uuid4().hex
        arrived: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._syncs[token] = arrived
        try:
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, f"{self.origin}|{SYNC}{token}")
            await asyncio.wait_for(arrived, timeout)
        finally:
            self._syncs.pop(token, None)

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        origin, tables = parse(payload)
        for table in tables:
            if table.startswith(SYNC):
                waiting = self._syncs.get(table.removeprefix(SYNC))
                if waiting is not None and not waiting.done():
                    waiting.set_result(None)
                return
        if origin == self.origin or not tables:
            return
        self.received += 1
        self._tell(tables)

    def _tell(self, tables: frozenset[str]) -> None:
        for on_change in self._on_change:
            try:
                on_change(tables)
            except Exception:
                log.exception("cache listener: a subscriber failed")

    async def _set_state(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        for on_state in self._on_state:
            try:
                on_state(up)
            except Exception:
                log.exception("cache listener: a subscriber failed")
        async with self._changed:
            self._changed.notify_all()

    async def _run(self) -> None:
        import asyncpg

        delay = self.retry_first
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            conn = None
            lost = asyncio.Event()
            up_since: float | None = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=CONNECT_TIMEOUT)
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                self._conn = conn
                self.connects += 1
                # listening from here on: what was kept may have missed notifications
                self._tell(EVERYTHING)
                await self._set_state(True)
                if self.connects > 1:
                    log.info("cache listener: listening again")
                up_since = loop.time()
                while not self._stopping.is_set() and not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            _first(self._stopping, lost), timeout=self.check_every
                        )
                    if not self._stopping.is_set() and not lost.is_set():
                        await asyncio.wait_for(conn.fetchval("SELECT 1"), CONNECT_TIMEOUT)
            except Exception as exc:
                if not self._stopping.is_set():
                    log.warning(
                        "cache listener: not listening (%s: %s); the cache is off until it "
                        "is back, trying again in %.1fs",
                        type(exc).__name__,
                        exc,
                        delay,
                    )
            finally:
                self._conn = None
                await self._set_state(False)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), 2.0)
            if self._stopping.is_set():
                break
            # the back-off starts over only after a connection that lasted: one that drops
            # as soon as it is made (a server refusing listeners) is not retried in a loop
            if up_since is not None and loop.time() - up_since >= self.check_every:
                delay = self.retry_first
            if lost.is_set():
                log.warning("cache listener: its connection dropped; the cache is off meanwhile")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            delay = min(self.retry_max, delay * 2)


async def _first(*events: asyncio.Event) -> None:
    """Returns when any of the events is set."""
    waits = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
