"""The province view, for provincial staff (role `province`, in every ward of their
province): the wards side by side ("tình hình các phường", /cacphuong), the slowest wards
("phường nào chậm nhất", /phuongcham), and one message to the leadership chat of every ward
(/phatthanhtinh).

Figures come from the wards' own snapshots (each ward's latest monthly figures, ranked among
the province's wards here), and from the national portal's province list instead where the
daily fetch stored one for a ward (its rank is then in the whole province); every answer says
which. Tasks: each ward's open tasks, the overdue ones, and how many working days late they
are. Answered in private chats only, so a ward's group never shows the other wards' data.

A broadcast is one `broadcasts` row (one id to follow with /tinhtrang and stop with
/huyphat) whose outbox rows carry each chat's own ward, so each ward's sending hours apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from handlers import broadcast_service as service
from handlers.broadcast import PENDING_TTL, PROVINCE_AUDIENCE
from handlers.context import Ctx
from handlers.labels import band_name, period_label
from handlers.pages import (
    page_buttons,
    page_choices,
    page_count,
    page_heading,
    page_hint,
    page_items,
)
from handlers.permissions import check
from handlers.protocol import Button, Reply, literal
from locales import Translator
from reminders.calendar import WorkCalendar
from store.province import ProvinceStore, ward_index, ward_source
from store.records import PROVINCE_ROLE, ChatRec, PendingRec, WardRec
from store.wards import OpenTask, WardFigure, WardStore

PAGE_KIND = "province_page"
MESSAGE_KIND, CONFIRM_KIND = "pbc_message", "pbc_confirm"
BROADCAST_KINDS = (MESSAGE_KIND, CONFIRM_KIND)
AUDIENCE = PROVINCE_AUDIENCE  # a broadcast's audience: every ward's leadership chats
PAGE_SIZE = 20
OVERVIEW, SLOWEST = "overview", "slowest"


@dataclass(frozen=True)
class WardLine:
    """One ward in the province view."""

    ward: WardRec
    total: Decimal | None = None
    period: str | None = None  # its figures' period, when not the view's
    rank: int | None = None
    rank_of: int | None = None
    portal: bool = False  # the figures are the portal's (rank in the whole province)
    open: int = 0
    overdue: int = 0
    days_late: int = 0  # working days late, over its overdue tasks
    longest: int = 0  # the most working days one task is late


@dataclass(frozen=True)
class View:
    lines: tuple[WardLine, ...]
    province: str
    source: str  # one sentence: where the figures come from


async def province_wards(ctx: Ctx) -> list[WardRec]:
    """The wards the asker is provincial staff of, by name."""
    assert ctx.person is not None
    store = WardStore(ctx.repo.sessions)
    rows = await store.memberships(ctx.person)
    return await store.wards([p.ward_id for p in rows if p.role == PROVINCE_ROLE])


def _task_counts(
    tasks: Sequence[OpenTask], today: date, calendar: WorkCalendar
) -> dict[int, tuple[int, int, int, int]]:
    """ward id -> (open, overdue, working days late in all, the longest)."""
    counts: dict[int, list[int]] = {}
    late_since: dict[date, int] = {}  # a province's tasks share few deadlines: counted once
    for task in tasks:
        c = counts.setdefault(task.ward_id, [0, 0, 0, 0])
        c[0] += 1
        if task.deadline is not None and task.deadline < today:
            late = late_since.get(task.deadline)
            if late is None:
                late = max(1, calendar.working_days_until(task.deadline, today))
                late_since[task.deadline] = late
            c[1] += 1
            c[2] += late
            c[3] = max(c[3], late)
    return {ward_id: (c[0], c[1], c[2], c[3]) for ward_id, c in counts.items()}


def _own_ranks(figures: dict[int, WardFigure]) -> tuple[tuple[int, int] | None, dict[int, int]]:
    """The newest (year, month) any ward has, and each ward's rank among the wards with
    figures for that month (equal totals share a rank)."""
    if not figures:
        return None, {}
    newest = max((f.year, f.period) for f in figures.values())
    same = sorted(
        (f for f in figures.values() if (f.year, f.period) == newest), key=lambda f: -f.total
    )
    ranks: dict[int, int] = {}
    for i, f in enumerate(same):
        previous = same[i - 1] if i else None
        ranks[f.ward_id] = (
            ranks[previous.ward_id] if previous and previous.total == f.total else i + 1
        )
    return newest, ranks


async def build_view(ctx: Ctx, wards: list[WardRec]) -> View:
    _ = ctx._
    today = ctx.clock.now().date()
    ids = [w.id for w in wards]
    store = WardStore(ctx.repo.sessions)
    figures = await store.latest_figures(ids)
    counts = _task_counts(await store.open_tasks(ids), today, ctx.services.calendar)
    newest, ranks = _own_ranks(figures)
    portal_store = ProvinceStore.for_sessions(ctx.repo.sessions)
    lines: list[WardLine] = []
    listed: list[str] = []  # the portal lists' periods and fetch times
    for ward in wards:
        n_open, overdue, late, longest = counts.get(ward.id, (0, 0, 0, 0))
        line = WardLine(ward, open=n_open, overdue=overdue, days_late=late, longest=longest)
        plist = await portal_store.ward_list(ward, ("month",)) if ward_source(ward) else None
        index = ward_index(plist, ward) if plist is not None else None
        if plist is not None and index is not None:
            commune = plist.communes[index]
            line = replace(
                line,
                total=commune.total,
                rank=commune.rank,
                rank_of=plist.size,
                portal=True,
                period=period_label(plist.period_kind, plist.year, plist.period, _),
            )
            listed.append(
                _(
                    "{period}, fetched {time}",
                    period=period_label(plist.period_kind, plist.year, plist.period, _),
                    time=_.datetime(plist.fetched_at),
                )
            )
        elif ward.id in figures:
            f = figures[ward.id]
            current = (f.year, f.period) == newest
            line = replace(
                line,
                total=f.total,
                rank=ranks.get(ward.id),
                rank_of=len(ranks) if current else None,
                period=None if current else period_label("month", f.year, f.period, _),
            )
        lines.append(line)
    by_portal = sum(1 for line in lines if line.portal)
    own = sum(1 for line in lines if not line.portal and line.total is not None)
    month = period_label("month", newest[0], newest[1], _) if newest else ""
    if by_portal and not own:
        source = _(
            "Figures: the province list on the national portal ({lists}); the rank is in the "
            "whole province.",
            lists="; ".join(dict.fromkeys(listed)),
        )
    elif by_portal:
        source = _(
            "Figures: the province list on the national portal for {n} wards ({lists}; rank in "
            "the whole province), the wards' own figures for the others ({month}; rank among "
            "them).",
            n=by_portal,
            lists="; ".join(dict.fromkeys(listed)),
            month=month,
        )
    elif own:
        source = _(
            "Figures: each ward's own latest monthly figures ({month}); the rank is among "
            "these wards. The portal's province list is not stored for them.",
            month=month,
        )
    else:
        source = _("No ward of the province has score figures yet.")
    lines.sort(key=lambda w: (w.total is None, -(w.total or 0), w.ward.name))
    province = next((w.province for w in wards if w.province), "")
    return View(tuple(lines), province, source)


def _overview_line(number: int, line: WardLine, _: Translator) -> str:
    parts = []
    if line.total is None:
        parts.append(_("no figures"))
    else:
        band = band_name(line.total, _)
        if line.period and not line.portal:
            band = f"{band}, {line.period}"
        parts.append(f"**{_.number(line.total)}** ({band})")
        if line.rank is not None and line.rank_of:
            parts.append(_("rank {rank}/{of}", rank=line.rank, of=line.rank_of))
    parts.append(
        _("🔴 {overdue} overdue / {open} open tasks", overdue=line.overdue, open=line.open)
    )
    return f"{number}. **{literal(line.ward.name)}**: " + " · ".join(parts)


def _slow_line(number: int, line: WardLine, _: Translator) -> str:
    return _(
        "{number}. **{ward}**: {overdue} overdue of {open} open tasks, {days} working days "
        "late in all (the longest {longest})",
        number=number,
        ward=literal(line.ward.name),
        overdue=line.overdue,
        open=line.open,
        days=line.days_late,
        longest=line.longest,
    )


async def _render(ctx: Ctx, view_name: str, page: int) -> tuple[list[str], int, int]:
    """The lines of one page of a view, the page shown and the number of pages."""
    _ = ctx._
    wards = await province_wards(ctx)
    if not wards:
        return [_("You are provincial staff of no ward yet.")], 1, 1
    view = await build_view(ctx, wards)
    today = ctx.clock.now().date()
    province = literal(view.province) if view.province else _("the province")
    if view_name == SLOWEST:
        items = sorted(
            (w for w in view.lines if w.overdue),
            key=lambda w: (-w.overdue, -w.days_late, w.ward.name),
        )
        title = _(
            "🐢 **Slowest wards of {province}**, {date}", province=province, date=_.date(today)
        )
        if not items:
            return [title, "", _("No ward has overdue tasks.")], 1, 1
        render = _slow_line
        footer = [
            _(
                "{n} of {total} wards have overdue tasks.",
                n=len(items),
                total=len(view.lines),
            )
        ]
    else:
        items = list(view.lines)
        title = _("📊 **Wards of {province}**, {date}", province=province, date=_.date(today))
        render = _overview_line
        footer = [view.source]
    pages = page_count(len(items), PAGE_SIZE)
    page = min(max(1, page), pages)
    shown = page_items(items, page, PAGE_SIZE)
    lines = [title]
    if pages > 1:
        lines.append(page_heading(page, pages, shown[0][0], shown[-1][0], _))
    lines.append("")
    lines += [render(number, line, _) for number, line in shown]
    lines += ["", *footer]
    if pages > 1:
        lines.append(page_hint(pages, _))
    return lines, page, pages


async def _answer(ctx: Ctx, view_name: str, page: int = 1) -> Reply:
    refusal = check(ctx, "see_province")
    if refusal is not None:
        return refusal
    if ctx.inbound.chat_kind == "group":
        return Reply(
            ctx._(
                "I show the wards of the province in a private chat only, so each ward's "
                "figures stay in its own chats."
            )
        )
    lines, page, pages = await _render(ctx, view_name, page)
    if pages == 1:
        return Reply("\n".join(lines))
    payload = {"view": view_name, "page": page}
    pending_id = await ctx.ask(PAGE_KIND, payload, page_choices(page, pages))
    buttons = page_buttons(pending_id, page, pages, ctx._)
    return Reply("\n".join(lines), buttons=[buttons] if buttons else [])


async def overview(ctx: Ctx, arg: str = "") -> Reply:
    """ "tình hình các phường": every ward's figures, rank and tasks side by side."""
    return await _answer(ctx, OVERVIEW, int(arg) if arg.strip().isdigit() else 1)


async def slowest(ctx: Ctx, arg: str = "") -> Reply:
    """ "phường nào chậm nhất": the wards with overdue tasks, the most behind first."""
    return await _answer(ctx, SLOWEST, int(arg) if arg.strip().isdigit() else 1)


async def show_page(ctx: Ctx, payload: dict[str, Any], page: int) -> Reply:
    view_name = payload.get("view") if payload.get("view") in (OVERVIEW, SLOWEST) else OVERVIEW
    return await _answer(ctx, str(view_name), page)


# --- one message to the leadership of every ward ---------------------------------------------


async def _audience(ctx: Ctx) -> tuple[list[WardRec], list[ChatRec], list[ChatRec]]:
    """The province's wards, their leadership chats this bot can reach, and those it
    cannot (a channel this process does not run)."""
    wards = await province_wards(ctx)
    chats = await WardStore(ctx.repo.sessions).leadership_chats([w.id for w in wards])
    channels = ctx.services.channels
    reachable = [c for c in chats if channels is None or c.channel in channels]
    return wards, reachable, [c for c in chats if c not in reachable]


async def start_broadcast(ctx: Ctx, arg: str) -> Reply:
    """/phatthanhtinh [TEXT]: the message (asked for when not given), then a preview."""
    _ = ctx._
    refusal = check(ctx, "broadcast_province")
    if refusal is not None:
        return refusal
    if ctx.inbound.chat_kind == "group":
        return Reply(_("Type /phatthanhtinh in a private chat with me."))
    if arg.strip():
        return await _preview(ctx, literal(arg.strip()))
    await ctx.ask(MESSAGE_KIND, {}, [], PENDING_TTL)
    return Reply(
        _(
            "Send the message for the leadership chat of every ward of the province. "
            "Type /huy to stop."
        )
    )


async def _preview(ctx: Ctx, text: str) -> Reply:
    _ = ctx._
    wards, chats, left_out = await _audience(ctx)
    if not chats:
        return Reply(
            _(
                "No ward of the province has a registered, active leadership chat this bot "
                "can reach; nothing was sent."
            )
        )
    with_chat = {c.ward_id for c in chats}
    without = [w.name for w in wards if w.id not in with_chat]
    payload = {"text": text, "chats": [[c.channel, c.chat_id] for c in chats]}
    pending_id = await ctx.ask(CONFIRM_KIND, payload, ["confirm", "cancel"], PENDING_TTL)
    lines = [
        _("**Preview** — recipients will see exactly this:"),
        "",
        "────────",
        text,
        "────────",
        "",
        _(
            "To {n} leadership chats of {wards} wards, now; each ward gets it within its own "
            "sending hours.",
            n=len(chats),
            wards=len(with_chat),
        ),
    ]
    if without:
        lines.append(
            _(
                "Wards without a leadership chat (they get nothing): {wards}.",
                wards=", ".join(literal(name) for name in without),
            )
        )
    if left_out:
        lines.append(
            _.plural(
                "{n} chat is left out: this bot does not run {channels}.",
                "{n} chats are left out: this bot does not run {channels}.",
                len(left_out),
                channels=", ".join(sorted({c.channel for c in left_out})),
            )
        )
    buttons = [
        Button(_("📣 Send"), f"p{pending_id}:confirm"),
        Button(_("✖ Cancel"), f"p{pending_id}:cancel"),
    ]
    return Reply("\n".join(lines), buttons=[buttons])


async def on_broadcast(
    ctx: Ctx, pending: PendingRec, choice: str | None, text: str
) -> Reply | None:
    """The message asked for, then the confirmation."""
    _ = ctx._
    if pending.kind == MESSAGE_KIND:
        inbound = ctx.inbound
        if inbound.event != "message" or not text or text.startswith("/"):
            return None
        return await _preview(ctx, literal(text))
    if choice is None:
        return None
    if not await ctx.repo.clear_pending(pending.id):
        return Reply(_("This question has already been answered."))
    if choice != "confirm":
        return Reply(_("Cancelled; nothing was sent."))
    assert ctx.person is not None and ctx.ward is not None
    _wards, chats, _left_out = await _audience(ctx)
    wanted = {(ch, cid) for ch, cid in pending.payload.get("chats", [])}
    targets = [c for c in chats if (c.channel, c.chat_id) in wanted]
    if not targets:
        return Reply(_("None of these chats can be reached any more; nothing was sent."))
    now = ctx.clock.now()
    broadcast_id = await service.queue(
        ctx.services.broadcasts,
        ctx.ward.id,
        sender=ctx.person.name,
        sender_channel=ctx.inbound.channel,
        sender_chat=ctx.inbound.chat_id,
        text=str(pending.payload.get("text") or ""),
        audience=AUDIENCE,
        chats=targets,
        send_at=now,
        now=now,
        outside_hours=False,
        on_outbox=ctx.services.on_outbox,
    )
    return Reply(service.queued_text(broadcast_id, len(targets), _))


__all__ = [
    "AUDIENCE",
    "BROADCAST_KINDS",
    "PAGE_KIND",
    "build_view",
    "on_broadcast",
    "overview",
    "province_wards",
    "show_page",
    "slowest",
    "start_broadcast",
]
