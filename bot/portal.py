"""The national portal's daily fetch: the aiohttp client and the job that stores what it got.

`PortalClient` asks the portal's older report service for a province's list, page by page,
politely: one request at a time (a lock), a timeout, a User-Agent naming the bot, a few
retries with growing pauses when the failure may pass (timeout, 5xx, network, an error page);
a firewall's refusal is not retried. Every failure is a `PortalFailure` with a reason code
(ingest.portal.REASONS: html, waf, timeout, empty, fields, server, network, ...).

`PortalJob` runs once per slot: the slot of a ward is the local date, due from its `fetch_at`
(ward.toml [portal], default 06:30 Asia/Ho_Chi_Minh). APScheduler wakes it every minute like
the reminder tick; a slot that has a finished run (worked or failed) is not run again, so a
process that was down at 06:30 fetches once when it comes back that day, and a failing portal
is asked again at the next day's slot. Several wards of one province share one fetch per run.

What a run stores (not in a dry run): the province list (store/portal.py), and the ward's
snapshot of each period only when its figures (groups, total, rank) differ from the latest
snapshot of that period (source "portal", as of the fetch's date, created at the fetch time).
When that latest one was typed by an admin and differs, the portal's is stored (it becomes the
latest) and the admins are told what differed. The admins are told once per failure streak
(the key names the streak's first run) and once when it works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from handlers.labels import group_name, period_label
from ingest.portal import (
    PATH,
    REASONS,
    REFERER_PATH,
    Change,
    Figures,
    PortalPeriod,
    PortalShapeError,
    ProvinceList,
    changes,
    check_page,
    current_periods,
    find_ward_row,
    form_body,
    parse_rows,
    request_params,
    ward_draft,
)
from ingest.snapshot_draft import SnapshotDraft
from locales import Translator, translator
from reminders.addressing import person_targets
from reminders.clock import VN_TZ, Clock
from store.keys import portal_alert_key, portal_differs_key
from store.leases import PORTAL, PORTAL_TTL, Leases, singleton
from store.outbox import OutboxItem, OutboxStore
from store.portal import STALE_RUN, PortalStore
from store.records import SnapshotRec, WardRec
from store.repo import Repo

log = logging.getLogger(__name__)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chiso-bot")
    except PackageNotFoundError:
        return "0"


USER_AGENT = f"ChiSoBot/{_version()} (+ward assistant)"
PORTAL_BY = "portal"  # Snapshot.created_by of what the fetch stores
TRANSIENT = frozenset({"timeout", "server", "network", "html"})  # worth asking again soon
# what a firewall's challenge or refusal page says (F5 "The requested URL was rejected", ...)
CHALLENGE = re.compile(
    r"requested url was rejected|support id|captcha|challenge|access denied|cf-chl|"
    r"attention required|just a moment",
    re.IGNORECASE,
)
TAGS = re.compile(r"<[^>]*>|\s+")
DEFAULT_FETCH_AT = time(6, 30)
ADMIN_ROLE = "admin"


class PortalFailure(Exception):
    """The portal gave no usable list: `reason` is a code of ingest.portal.REASONS,
    `detail` the raw words for admins and logs."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _snippet(body: str, size: int = 160) -> str:
    return TAGS.sub(" ", body).strip()[:size]


class PortalClient:
    """Fetches a province's list from the portal, one request at a time."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        page_size: int = 100,
        retries: int = 2,
        backoff: float = 5.0,
        loaichitieu: str = "0",
        max_pages: int = 100,
        user_agent: str = USER_AGENT,
        sleep: Callable[[float], Any] = asyncio.sleep,
    ):
        """`retries`: further tries of a page after a failure that may pass, after
        `backoff`, 3 × `backoff`, 9 × `backoff` ... seconds."""
        self.timeout, self.page_size, self.retries = timeout, page_size, retries
        self.backoff, self.loaichitieu, self.max_pages = backoff, loaichitieu, max_pages
        self.user_agent, self._sleep = user_agent, sleep
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0  # requests sent (for logs and tests)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _headers(self, base_url: str) -> dict[str, str]:
        return {
            "User-Agent": self.user_agent,
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-Requested-With": "XMLHttpRequest",
            "Accept": "application/json, text/javascript, */*; q=0.01",
            "Origin": base_url,
            "Referer": base_url + REFERER_PATH,
        }

    async def fetch(
        self, base_url: str, province_id: str, unit_level: str, period: PortalPeriod
    ) -> list[dict[str, Any]]:
        """Every row of the list, all pages; PortalFailure when there is no usable list."""
        async with self._lock:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            rows: list[dict[str, Any]] = []
            seen: set[str] = set()
            for page in range(1, self.max_pages + 1):
                params = request_params(
                    period, province_id, unit_level, page, self.page_size, self.loaichitieu
                )
                try:
                    found = check_page(await self._page(base_url, params))
                except PortalShapeError as exc:
                    raise PortalFailure(exc.reason, exc.detail) from exc
                new = [r for r in found if str(r.get("ID")) not in seen]
                if found and not new:
                    break  # the portal gave the same page again: it ignores paging
                rows += new
                seen.update(str(r.get("ID")) for r in new)
                if len(found) < self.page_size:
                    break
            if not rows:
                raise PortalFailure("empty", f"no rows for {period.label}")
            return rows

    async def _page(self, base_url: str, params: dict[str, Any]) -> Any:
        """One page, tried again after a pause when the failure may pass."""
        attempt = 0
        while True:
            try:
                return await self._post(base_url, params)
            except PortalFailure as exc:
                if exc.reason not in TRANSIENT or attempt >= self.retries:
                    raise
                pause = self.backoff * 3**attempt
                attempt += 1
                log.warning(
                    "portal: page %s failed (%s); trying again in %.0f s",
                    params.get("pageIndex"),
                    exc,
                    pause,
                )
                await self._sleep(pause)

    async def _post(self, base_url: str, params: dict[str, Any]) -> Any:
        assert self._session is not None
        self.requests += 1
        try:
            async with self._session.post(
                base_url + PATH,
                data=form_body(params),
                headers=self._headers(base_url),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,
            ) as resp:
                body = await resp.text(errors="replace")
                status, kind = resp.status, resp.content_type
        except TimeoutError as exc:
            raise PortalFailure("timeout", f"no answer within {self.timeout:g} s") from exc
        except aiohttp.ClientError as exc:
            raise PortalFailure("network", f"{type(exc).__name__}: {exc}"[:300]) from exc
        return _decode(status, kind, body)


def _decode(status: int, kind: str, body: str) -> Any:
    """The page's JSON, or the failure its answer shows."""
    words = f"HTTP {status} {kind}: {_snippet(body)}"
    if status in (403, 429) or (status == 200 and "html" in kind and CHALLENGE.search(body)):
        raise PortalFailure("waf", words)
    if status >= 500:
        raise PortalFailure("server", words)
    if status != 200:
        raise PortalFailure("html", words)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise PortalFailure("html", words) from exc


# --- the job -------------------------------------------------------------------------------


@dataclass
class PeriodResult:
    """What one period of a run got and did."""

    period: PortalPeriod
    rows: int = 0
    skipped: int = 0  # rows left out by the checks
    reason: str | None = None
    detail: str = ""
    draft: SnapshotDraft | None = None  # the ward's figures from the list
    previous: SnapshotRec | None = None  # the latest snapshot of the period before
    changes: list[Change] = field(default_factory=list)
    stored: SnapshotRec | None = None  # the new snapshot (None: unchanged, or a dry run)

    @property
    def replaces_typed(self) -> bool:
        return bool(self.changes) and self.previous is not None and self.previous.source != "portal"


@dataclass
class WardResult:
    ward: WardRec
    at: datetime
    periods: list[PeriodResult]
    run_id: int | None = None  # None in a dry run
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return all(p.reason is None for p in self.periods)

    @property
    def reason(self) -> str | None:
        return next((p.reason for p in self.periods if p.reason), None)

    @property
    def detail(self) -> str:
        return "; ".join(f"{p.period.label}: {p.detail}" for p in self.periods if p.reason)


def portal_enabled(ward: WardRec) -> bool:
    cfg = ward.portal or {}
    return bool(cfg.get("province_id")) and cfg.get("enabled", True) is not False


def fetch_at(ward: WardRec) -> time:
    text = str((ward.portal or {}).get("fetch_at") or "")
    try:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return DEFAULT_FETCH_AT


def ward_periods(ward: WardRec, now: datetime) -> list[PortalPeriod]:
    """The periods a fetch at `now` asks for (ward.toml `periods`, default this month and the
    year-to-date). The portal's figures run to the day before, so "this month" is the month of
    yesterday: on 1 December the fetch still asks for November (December has no figures yet),
    on 1 January for the whole past year."""
    kinds = list((ward.portal or {}).get("periods") or ["month", "year"])
    return current_periods(kinds, now.astimezone(VN_TZ).date() - timedelta(days=1))


def _figures(snap: SnapshotRec | None) -> Figures | None:
    if snap is None:
        return None
    return Figures(snap.total, snap.rank, snap.rank_of, {g.code: g.score for g in snap.groups})


class PortalJob:
    """The daily fetch for every ward with [portal]; `run_once(now)` is one wake-up."""

    def __init__(
        self,
        repo: Repo,
        outbox: OutboxStore,
        clock: Clock,
        client: PortalClient | None = None,
        *,
        channels: Collection[str] | None = None,
        on_outbox: Callable[[], None] | None = None,
    ):
        """`channels`: the channels the admins are told on (None: every one they have)."""
        self.repo, self.outbox, self.clock = repo, outbox, clock
        self.store = PortalStore(repo.sessions)
        self.client = client or PortalClient()
        self.channels = frozenset(channels) if channels is not None else None
        self.on_outbox = on_outbox
        self._scheduler: AsyncIOScheduler | None = None
        self._own_scheduler = False
        # set (bot/runner.py): a wake-up fetches only in the replica that holds the
        # "portal-fetch" lease (store/leases.py), so replicas never fetch at once
        self.leases: Leases | None = None

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        repo: Repo,
        outbox: OutboxStore,
        clock: Clock,
        *,
        channels: Collection[str] | None = None,
        on_outbox: Callable[[], None] | None = None,
    ) -> PortalJob:
        client = PortalClient(
            timeout=settings.portal_timeout, loaichitieu=settings.portal_loaichitieu
        )
        return cls(repo, outbox, clock, client, channels=channels, on_outbox=on_outbox)

    # --- the schedule ---------------------------------------------------------------------
    async def run_once(self, now: datetime | None = None) -> list[WardResult]:
        """Fetches for each ward whose slot (today, from its fetch_at) is due and not run."""
        now = now or self.clock.now()
        local = now.astimezone(VN_TZ)
        due = [
            w for w in await self.repo.wards() if portal_enabled(w) and local.time() >= fetch_at(w)
        ]
        if not due:
            return []
        slot = local.date().isoformat()
        taken = await self.store.slots_taken(slot, now - STALE_RUN)
        lists: dict[tuple[str, str, str, PortalPeriod], ProvinceList | PortalFailure] = {}
        results = []
        for ward in due:
            if ward.id not in taken:
                results.append(await self.fetch_ward(ward, now, slot=slot, lists=lists))
        return results

    async def _safe_run(self) -> None:
        try:
            if not any(portal_enabled(w) for w in await self.repo.wards()):
                return  # no ward fetches: no lease taken, nothing written
            if self.leases is None:
                await self.run_once(self.clock.now())
                return
            async with singleton(self.leases, PORTAL, PORTAL_TTL) as leader:
                if leader:  # else another replica is fetching
                    await self.run_once(self.clock.now())
        except Exception:
            log.exception("portal fetch failed; the next wake-up tries again")

    def start(self, scheduler: AsyncIOScheduler | None = None) -> None:
        """Every minute from now, on `scheduler` (or one of its own)."""
        self._own_scheduler = scheduler is None
        scheduler = scheduler or AsyncIOScheduler(timezone="Asia/Ho_Chi_Minh")
        scheduler.add_job(
            self._safe_run,
            "interval",
            minutes=1,
            id="portal-fetch",
            next_run_time=datetime.now(self.clock.now().tzinfo),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        if self._own_scheduler:
            scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        if self._scheduler is None:
            return
        if self._own_scheduler:
            self._scheduler.shutdown(wait=False)
        else:
            with contextlib.suppress(Exception):
                self._scheduler.remove_job("portal-fetch")
        self._scheduler = None

    async def close(self) -> None:
        self.stop()
        await self.client.close()

    # --- one ward -------------------------------------------------------------------------
    async def fetch_ward(
        self,
        ward: WardRec,
        now: datetime,
        *,
        periods: list[PortalPeriod] | None = None,
        dry_run: bool = False,
        slot: str = "",
        lists: dict[tuple[str, str, str, PortalPeriod], ProvinceList | PortalFailure] | None = None,
    ) -> WardResult:
        """Fetches the ward's periods (its configured ones by default), stores what changed
        and tells the admins (nothing stored or told in a dry run). `slot` is "" for a run
        asked for from the console."""
        if periods is None:
            periods = ward_periods(ward, now)
        lists = {} if lists is None else lists
        result = WardResult(ward, now, [], dry_run=dry_run)
        if not dry_run:
            result.run_id = await self.store.start_run(ward.id, slot, now)
        for period in periods:
            try:
                found = await self._period(ward, period, now, dry_run, lists)
            except Exception as exc:  # a bug of ours: recorded, so the run is not left open
                log.exception("portal fetch for %s %s failed", ward.name, period.label)
                found = PeriodResult(period, reason="error", detail=repr(exc)[:300])
            result.periods.append(found)
        if dry_run or result.run_id is None:
            return result
        await self.store.finish_run(
            result.run_id,
            max(now, self.clock.now()),
            result.ok,
            result.reason,
            result.detail,
            _summary(result),
        )
        await self._tell_admins(result)
        return result

    async def _list(
        self,
        cfg: dict[str, Any],
        period: PortalPeriod,
        now: datetime,
        dry_run: bool,
        lists: dict[tuple[str, str, str, PortalPeriod], ProvinceList | PortalFailure],
    ) -> ProvinceList:
        base = str(cfg.get("base_url") or "").rstrip("/")
        province, level = str(cfg["province_id"]), str(cfg.get("unit_level") or "2")
        key = (base, province, level, period)
        if key not in lists:
            try:
                raw = await self.client.fetch(base, province, level, period)
                plist = parse_rows(raw, province, level, period)
            except PortalShapeError as exc:
                lists[key] = PortalFailure(exc.reason, exc.detail)
            except PortalFailure as exc:
                lists[key] = exc
            else:
                for p in plist.problems:
                    log.warning(
                        "portal %s %s: row %s “%s” left out (%s: %s); values %s",
                        province,
                        period.label,
                        p.unit_id,
                        p.name,
                        p.code,
                        p.detail,
                        p.values,
                    )
                if not dry_run:
                    await self.store.save_list(plist, now)
                lists[key] = plist
        found = lists[key]
        if isinstance(found, PortalFailure):
            raise found
        return found

    async def _period(
        self,
        ward: WardRec,
        period: PortalPeriod,
        now: datetime,
        dry_run: bool,
        lists: dict[tuple[str, str, str, PortalPeriod], ProvinceList | PortalFailure],
    ) -> PeriodResult:
        result = PeriodResult(period)
        cfg = ward.portal
        try:
            plist = await self._list(cfg, period, now, dry_run, lists)
        except PortalFailure as exc:
            log.warning("portal %s %s: %s", ward.name, period.label, exc)
            result.reason, result.detail = exc.reason, exc.detail
            return result
        result.rows, result.skipped = len(plist.rows), len(plist.problems)
        row = find_ward_row(plist.rows, cfg.get("unit_id"), cfg.get("unit_name"))
        if row is None:
            result.reason = "ward_missing"
            result.detail = f"unit_id={cfg.get('unit_id')!r} unit_name={cfg.get('unit_name')!r}"
            log.warning("portal %s %s: %s not in the list", ward.name, period.label, result.detail)
            return result
        result.draft = ward_draft(plist, row, now.astimezone(VN_TZ).date())
        old_id = await self.store.latest_snapshot_id(
            ward.id, period.kind, period.year, period.period
        )
        result.previous = await self.repo.snapshot(old_id) if old_id is not None else None
        result.changes = changes(_figures(result.previous), Figures.of_draft(result.draft))
        if result.changes and not dry_run:
            result.stored, _ = await self.repo.save_snapshot(ward.id, result.draft, PORTAL_BY, now)
            log.info("portal %s %s: new figures stored", ward.name, period.label)
            if result.replaces_typed:
                await self._tell_differs(ward, result)
        return result

    # --- telling the admins ---------------------------------------------------------------
    async def _admin_items(
        self, ward: WardRec, text_for: Callable[[Translator], str], key_for: Callable[..., str]
    ) -> list[OutboxItem]:
        items = []
        for person in await self.repo.people(ward.id):
            if person.role != ADMIN_ROLE:
                continue
            text = text_for(translator(person.language))
            for channel, chat in person_targets(person, self.channels):
                items.append(
                    OutboxItem(
                        key=key_for(channel, chat),
                        channel=channel,
                        chat_id=chat,
                        payload={"text": text, "buttons": []},
                        ward_id=ward.id,
                        lane="notice",
                    )
                )
        return items

    async def _enqueue(self, items: list[OutboxItem]) -> None:
        if items and await self.outbox.enqueue(items, self.clock.now()) and self.on_outbox:
            self.on_outbox()

    async def _tell_admins(self, result: WardResult) -> None:
        ward = result.ward
        if not result.ok:
            streak = await self.store.streak(ward.id)
            if streak is None:
                return
            first = streak.first

            def failed(_: Translator) -> str:
                return failure_text(ward, first.reason or "error", _)

            await self._enqueue(
                await self._admin_items(
                    ward,
                    failed,
                    lambda ch, chat: portal_alert_key(ward.id, first.id, "failed", ch, chat),
                )
            )
            return
        assert result.run_id is not None
        before = await self.store.streak(ward.id, before=result.run_id)
        if before is None:
            return
        since = before.first

        def recovered(_: Translator) -> str:
            return _(
                "✅ {ward}: the national portal works again; the figures were fetched at "
                "{time} (fetching had failed {n} time(s) since {since}).",
                ward=ward.name,
                time=_.datetime(result.at),
                n=before.runs,
                since=_.datetime(since.started_at),
            )

        await self._enqueue(
            await self._admin_items(
                ward,
                recovered,
                lambda ch, chat: portal_alert_key(ward.id, since.id, "recovered", ch, chat),
            )
        )

    async def _tell_differs(self, ward: WardRec, result: PeriodResult) -> None:
        stored, previous = result.stored, result.previous
        assert stored is not None and previous is not None

        def text(_: Translator) -> str:
            head = _(
                "ℹ {ward}: the national portal's figures for {period} differ from those typed "
                "in (as of {date}); the portal's figures are used from now on:",
                ward=ward.name,
                period=period_label(stored.period_kind, stored.year, stored.period, _),
                date=_.date(previous.as_of),
            )
            return "\n".join([head, *change_lines(result.changes, _)])

        await self._enqueue(
            await self._admin_items(
                ward, text, lambda ch, chat: portal_differs_key(stored.id, ch, chat)
            )
        )


def _summary(result: WardResult) -> dict[str, Any]:
    return {
        "periods": {
            p.period.label: {
                "rows": p.rows,
                "skipped": p.skipped,
                "changes": len(p.changes),
                "snapshot": p.stored.id if p.stored else None,
                "reason": p.reason,
            }
            for p in result.periods
        }
    }


# --- wording ---------------------------------------------------------------------------------


def reason_text(reason: str | None, _: Translator) -> str:
    return _(REASONS.get(reason or "error", REASONS["error"]))


def failure_text(ward: WardRec, reason: str, _: Translator) -> str:
    return _(
        "⚠ {ward}: the index figures could not be fetched from the national portal: {reason}. "
        "The last figures stay as they are; the next try is the next daily fetch, at {time}. "
        "`chiso portal status` on the server says more.",
        ward=ward.name,
        reason=reason_text(reason, _),
        time=fetch_at(ward).strftime("%H:%M"),
    )


def _value(change_what: str, value: Any, of: int | None, _: Translator) -> str:
    if value is None:
        return "—"
    if change_what == "rank":
        return f"{value}/{of}" if of else str(value)
    return _.number(value)


def change_lines(found: list[Change], _: Translator) -> list[str]:
    """One line per figure that changed: "• Tiến độ giải quyết: 19,8 → 19,93"."""
    lines = []
    for c in found:
        if c.what == "total":
            name = _("Total")
        elif c.what == "rank":
            name = _("Rank")
        else:
            name = group_name(c.what, _)
        old = _value(c.what, c.old, c.old_of, _)
        new = _value(c.what, c.new, c.new_of, _)
        lines.append(f"• {name}: {old} → {new}")
    return lines


def describe_period(p: PeriodResult, dry_run: bool, _: Translator) -> list[str]:
    """What `chiso portal fetch` prints for one period."""
    label = period_label(p.period.kind, p.period.year, p.period.period or None, _)
    if p.reason is not None:
        return [_("• {period}: failed — {reason}", period=label, reason=reason_text(p.reason, _))]
    assert p.draft is not None and p.draft.total is not None
    figures = _(
        "total {total}, rank {rank}",
        total=_.number(p.draft.total),
        rank=f"{p.draft.rank}/{p.draft.rank_of}",
    )
    if not p.changes:
        return [_("• {period}: unchanged ({figures})", period=label, figures=figures)]
    if p.previous is None:
        head = (
            _(
                "• {period}: first figures, not stored (dry run) — {figures}",
                period=label,
                figures=figures,
            )
            if dry_run
            else _("• {period}: first figures stored — {figures}", period=label, figures=figures)
        )
        return [head]
    if p.replaces_typed:
        head = _(
            "• {period}: the portal's figures differ from those typed in (as of {date}); {what}:",
            period=label,
            date=_.date(p.previous.as_of),
            what=_("not stored (dry run)") if dry_run else _("the portal's are stored"),
        )
    elif dry_run:
        head = _("• {period}: new figures, not stored (dry run):", period=label)
    else:
        head = _("• {period}: new figures stored:", period=label)
    return [head, *("    " + line for line in change_lines(p.changes, _))]


__all__ = [
    "PORTAL_BY",
    "USER_AGENT",
    "PeriodResult",
    "PortalClient",
    "PortalFailure",
    "PortalJob",
    "WardResult",
    "change_lines",
    "describe_period",
    "failure_text",
    "fetch_at",
    "portal_enabled",
    "reason_text",
    "ward_periods",
]
