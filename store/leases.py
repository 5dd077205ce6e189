"""Jobs that one process runs at a time: named leases in the `leases` table.

The reminder tick, the portal's daily fetch and Telegram's (or the Zalo Bot's) long polling
must run in one replica at a time. Each holds a lease: a row (name, holder, until) that its
holder renews well before `until`; another process takes it only once `until` has passed
(its holder died, or lost the database for longer than the lease), or at once when its
holder let it go (a graceful stop) or is a process of this host that no longer exists (a
restart after a crash).

A row rather than PostgreSQL's `pg_try_advisory_lock`: it works the same on SQLite (one
code path, tested on both); it needs no connection held open per job; and the holder knows
when its lease ends, where an advisory lock stays held by a connection PostgreSQL has not
yet seen die (a half-open TCP connection can keep it for many minutes) and is lost without
the holder noticing when its connection drops. Lease times come from the injected clock,
like the outbox's: the replicas' clocks must agree (NTP) to well within a lease.

Two processes racing for a lapsed lease: the conditional UPDATE (or the INSERT of a new
name, `ON CONFLICT DO NOTHING`) lets exactly one of them change the row.

    async with singleton(leases, "tick", TICK_TTL, keep=True) as leader:
        if leader:
            await scheduler.tick()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminders.clock import Clock
from store import models as m

log = logging.getLogger(__name__)

# this process, as a lease holder: "host:pid:token" (the token tells apart two processes
# that got the same pid, e.g. after a container restarted)
HOLDER = f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

TICK = "tick"  # the reminder scheduler's tick (reminders/scheduler.py)
PORTAL = "portal-fetch"  # the portal's daily fetch (bot/portal.py)
TELEGRAM_POLLING = "telegram-polling"  # Telegram admits one getUpdates consumer per token
ZALO_POLLING = "zalo-polling"  # so does the Zalo Bot platform
# a lease held for as long as a process runs (polling): short, renewed often, so that a
# crashed holder's lease lapses within a minute
RUNNING_TTL = timedelta(seconds=60)
RUNNING_RENEW = 20.0  # seconds
# the tick runs every minute; its holder keeps the lease between ticks (renewed by each),
# so the tick stays in one replica; another takes over within this long after it died
TICK_TTL = timedelta(minutes=3)
# a fetch pages through the portal within minutes; renewed every third of this meanwhile
PORTAL_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class LeaseRec:
    name: str
    holder: str
    until: datetime
    acquired_at: datetime


class LeaseHeld(Exception):
    """Another process holds the lease."""

    def __init__(self, lease: LeaseRec | None):
        super().__init__(lease.holder if lease else "")
        self.lease = lease


def _gone_from_this_host(holder: str, me: str) -> bool:
    """A holder that is a process of this host which no longer exists (it crashed and we
    are its restart): its lease need not be waited out. A pid in use (perhaps by another
    program now) or another host's holder is waited out."""
    host, _, rest = holder.partition(":")
    pid_text, _, token = rest.partition(":")
    my_host, _, my_rest = me.partition(":")
    if not token or host != my_host or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid <= 0 or str(pid) == my_rest.partition(":")[0]:
        return False  # our own pid: only the token tells, and a container restart is rare
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


class Leases:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        holder: str = HOLDER,
    ):
        self.sessions, self.clock, self.holder = sessions, clock, holder

    async def acquire(self, name: str, ttl: timedelta) -> bool:
        """Takes the lease if it is free or lapsed (or its holder died on this host), or
        renews it if this process holds it; True if this process holds it now until
        now + ttl."""
        now = self.clock.now()
        until = now + ttl
        async with self.sessions.begin() as s:
            row = m.Lease
            result = await s.execute(
                update(row)
                .where(row.name == name, or_(row.holder == self.holder, row.until < now))
                .values(
                    until=until,
                    acquired_at=case(
                        (row.holder == self.holder, row.acquired_at),
                        else_=literal(now, row.acquired_at.type),
                    ),
                    holder=self.holder,
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0):
                return True
            insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            result = await s.execute(
                insert(row)
                .values(name=name, holder=self.holder, until=until, acquired_at=now)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            if getattr(result, "rowcount", 0):
                return True
            current = await s.scalar(select(row.holder).where(row.name == name))
            if current is None or not _gone_from_this_host(current, self.holder):
                return False
            log.info("lease %s: its holder %s is gone from this host; taking it", name, current)
            result = await s.execute(
                update(row)
                .where(row.name == name, row.holder == current)
                .values(holder=self.holder, until=until, acquired_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    async def release(self, name: str) -> None:
        """Lets the lease go (if this process holds it): another process may take it at once."""
        async with self.sessions.begin() as s:
            await s.execute(
                delete(m.Lease).where(m.Lease.name == name, m.Lease.holder == self.holder)
            )

    async def current(self, name: str) -> LeaseRec | None:
        """The lease's row, lapsed or not (None: nobody ever held it, or it was let go)."""
        async with self.sessions() as s:
            row = await s.get(m.Lease, name)
            if row is None:
                return None
            return LeaseRec(row.name, row.holder, row.until, row.acquired_at)


class LeaseLost(Exception):
    """The job was stopped: its lease was taken by another process, or could not be renewed
    before it lapsed (another process may take it then and must not run beside it)."""


async def _keep(
    leases: Leases,
    name: str,
    ttl: timedelta,
    every: float,
    until: datetime,
    on_lost: Callable[[], None],
    stop_before_lapse: bool,
) -> None:
    """Renews the lease every `every` seconds while the job runs. It is lost (`on_lost`,
    then this returns) when a renewal finds it taken by another process, or, with
    `stop_before_lapse`, when renewals fail (database unreachable) until the next one would
    come after the lease lapses: the job stops before another process may start it."""
    while True:
        await asyncio.sleep(every)
        asked = leases.clock.now()
        try:
            held = await asyncio.wait_for(leases.acquire(name, ttl), timeout=max(every, 1.0))
        except Exception:
            if not stop_before_lapse or leases.clock.now() + timedelta(seconds=every) < until:
                log.exception("lease %s: could not renew it; trying again", name)
                continue
            log.exception("lease %s: could not renew it before it lapses; stopping", name)
            on_lost()
            return
        if not held:
            log.error("lease %s: another process took it", name)
            on_lost()
            return
        until = asked + ttl


@asynccontextmanager
async def singleton(
    leases: Leases,
    name: str,
    ttl: timedelta,
    *,
    keep: bool = False,
    renew_every: float | None = None,
    on_lost: Callable[[], None] | None = None,
) -> AsyncIterator[bool]:
    """Yields whether this process holds the lease `name`; while it does, the lease is
    renewed (every ttl/3) until the block ends, and then let go, unless `keep` (the holder
    stays the one that runs the job next time, e.g. the tick).

    A lease lost while the block runs (see `_keep`) stops the job: `on_lost` is called when
    given (the caller stops it itself, e.g. `chiso run` ends its polling); otherwise the
    block is cancelled and `LeaseLost` raised in its place."""
    asked = leases.clock.now()
    if not await leases.acquire(name, ttl):
        yield False
        return
    every = renew_every if renew_every is not None else ttl.total_seconds() / 3
    job = asyncio.current_task()
    lost = False

    def stop() -> None:
        nonlocal lost
        lost = True
        if on_lost is not None:
            on_lost()
        elif job is not None:
            job.cancel()

    # a job stopped by cancelling it stops before its lease lapses too; one that stops
    # itself (polling: Telegram refuses a second poller anyway) only when it is taken
    keeper = asyncio.create_task(
        _keep(leases, name, ttl, every, asked + ttl, stop, stop_before_lapse=on_lost is None)
    )
    try:
        yield True
    except asyncio.CancelledError:
        if lost and on_lost is None and job is not None and job.uncancel() == 0:
            raise LeaseLost(name) from None  # our own cancellation: the job was stopped
        raise
    finally:
        keeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeper
        if not keep and not lost:
            try:
                await leases.release(name)
            except Exception:  # it lapses by itself
                log.exception("lease %s: could not let it go", name)
    if lost and on_lost is None and job is not None:
        # the job ended before the cancellation reached it: take the cancellation back
        log.warning("lease %s: lost as the job ended", name)
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0)
        if job.cancelling():
            job.uncancel()


@asynccontextmanager
async def holding(
    leases: Leases,
    name: str,
    ttl: timedelta = RUNNING_TTL,
    renew_every: float = RUNNING_RENEW,
    on_lost: Callable[[], None] | None = None,
) -> AsyncIterator[None]:
    """Holds the lease for the whole block, or raises `LeaseHeld` (naming its holder) when
    another process has it: for a job that only one process may run at all (polling)."""
    async with singleton(leases, name, ttl, renew_every=renew_every, on_lost=on_lost) as held:
        if not held:
            raise LeaseHeld(await leases.current(name))
        yield
