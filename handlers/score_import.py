"""Admins store score snapshots: pasted report text, a file, or /capnhatdiem. Confirm first."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Ctx
from handlers.labels import band_name, group_name, period_label
from handlers.pages import (
    page_buttons,
    page_choices,
    page_count,
    page_heading,
    page_hint,
    page_items,
)
from handlers.permissions import check
from handlers.problems import describe
from handlers.protocol import Button, InboundFile, Reply
from handlers.reading import (
    ReadRefused,
    read_score_report,
    read_scores,
    refusal_text,
)
from ingest.snapshot_draft import (
    Problem,
    SnapshotDraft,
    draft_from_dict,
    draft_to_dict,
    round_draft,
)
from locales import Translator
from store.records import PendingRec
from store.repo import Repo

CONFIRM_KIND = "confirm_scores"
AWAIT_KIND = "await_scores"
PENDING_TTL = timedelta(hours=24)
INLINE_TEXT_CHARS = 8000  # pasted text up to this is read at once; longer, in a worker


async def ask_for_report(ctx: Ctx) -> Reply:
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    await ctx.ask(AWAIT_KIND, {}, [], PENDING_TTL)
    return Reply(
        ctx._(
            "Please paste the text of the score report (as the ward's documents write it), or "
            "send a .txt, .csv or .xlsx file. Type /huy to stop."
        )
    )


async def from_text(ctx: Ctx, text: str) -> Reply:
    reply = await try_text(ctx, text, quiet_if_nothing=False)
    assert reply is not None
    return reply


async def try_text(ctx: Ctx, text: str, *, quiet_if_nothing: bool) -> Reply | None:
    """Reads a pasted report. With quiet_if_nothing, text with no figures at all gives None
    (it was not meant as a report) instead of a refusal."""
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    today = ctx.clock.now().date()
    reader = ctx.reader
    if len(text) <= INLINE_TEXT_CHARS:  # a chat message: read at once (linear, milliseconds)
        drafts, problems = read_score_report(text, today, reader.limits)
    else:  # a long paste (the console has no length limit): in a worker, like a file
        try:
            reader.check_size(len(text.encode("utf-8")))
            drafts, problems = await reader.run(read_score_report, text, today, reader.limits)
        except ReadRefused as exc:
            return Reply(refusal_text(exc, ctx._("pasted text"), ctx._))
    if problems is not None:
        if quiet_if_nothing and all(p.code == "no_scores_found" for p in problems):
            return None
        return _refusal(ctx, problems)
    assert drafts is not None
    return await _preview(ctx, drafts)


async def from_file(ctx: Ctx, file: InboundFile) -> Reply:
    """An uploaded score file, read in a worker process (handlers.reading) within the size,
    time and row limits."""
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    _ = ctx._
    reader = ctx.reader
    try:
        reader.check_size(file.size)
    except ReadRefused as exc:
        return Reply(refusal_text(exc, file.name, _))
    try:
        data = await file.fetch()
    except Exception:  # the channel failed to hand us the file; say so, store nothing
        return Reply(_("I could not download the file; please send it again."))
    try:
        reader.check_size(len(data))
        drafts, problems = await reader.run(
            read_scores, file.name, data, ctx.clock.now().date(), reader.limits
        )
    except ReadRefused as exc:
        return Reply(refusal_text(exc, file.name, _))
    return await from_read(ctx, drafts, problems)


async def from_read(
    ctx: Ctx, drafts: list[SnapshotDraft] | None, problems: list[Problem] | None
) -> Reply:
    """The preview of drafts read in a worker, or why nothing can be stored."""
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    if problems is not None or not drafts:
        return _refusal(ctx, problems or [Problem("no_scores_found")])
    return await _preview(ctx, drafts)


MAX_PROBLEMS_SHOWN = 20  # a refusal fits in one or two messages, however bad the file


def _refusal(ctx: Ctx, problems: list[Problem]) -> Reply:
    _ = ctx._
    lines = [_("Nothing was stored:")]
    lines += ["• " + describe(p, _) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(_("… and {n} more problems.", n=len(problems) - MAX_PROBLEMS_SHOWN))
    return Reply("\n".join(lines))


def _draft_label(d: SnapshotDraft, _: Translator) -> str:
    return period_label(d.period_kind, d.year, d.period, _)


def describe_draft(d: SnapshotDraft, _: Translator) -> list[str]:
    assert d.total is not None and d.as_of is not None
    head = _(
        "**{period}**, figures as of {as_of}: total **{total}** — {band}",
        period=_draft_label(d, _),
        as_of=_.date(d.as_of),
        total=_.number(d.total),
        band=band_name(d.total, _),
    )
    if d.rank is not None:
        head += _(", rank {rank}/{of}", rank=d.rank, of=d.rank_of or "?")
    lines = [head]
    for code, g in d.groups.items():
        rank = _(", rank {rank}", rank=g.rank) if g.rank else ""
        note = "" if g.stated else _(" (not stated: at maximum)")
        lines.append(
            _(
                "  {name}: {score}/{max}{rank}{note}",
                name=group_name(code, _),
                score=_.number(g.score),
                max=_.number(g.max_score),
                rank=rank,
                note=note,
            )
        )
    return lines


async def replacing_lines(repo: Repo, ward_id: int, d: SnapshotDraft, _: Translator) -> list[str]:
    """A preview line when the draft replaces figures already stored (same period and as-of
    date): storing it is then a correction, and the admin should know."""
    stored = await repo.snapshot_history(ward_id, d.period_kind, limit=REPLACE_LOOKUP)
    same = [
        s for s in stored if s.year == d.year and s.period == (d.period or 0) and s.as_of == d.as_of
    ]
    if not same:
        return []
    return [
        _(
            "⚠ This replaces the figures of {period} stored for {date}.",
            period=_draft_label(d, _),
            date=_.date(same[0].as_of),
        )
    ]


REPLACE_LOOKUP = 120  # stored periods looked at for a replacement (ten years of months)


async def offer(ctx: Ctx, drafts: list[SnapshotDraft], note: str = "") -> Reply:
    """Shows drafts read elsewhere (e.g. in a directive) and asks to store them."""
    reply = await _preview(ctx, drafts)
    if note:
        reply.text = note + "\n" + reply.text
    return reply


DRAFTS_PER_PAGE = 8  # sets of figures on one page of a preview (one message)


async def _preview(
    ctx: Ctx, drafts: list[SnapshotDraft], page: int = 1, undated: bool = False
) -> Reply:
    """Asks to store the drafts. Up to DRAFTS_PER_PAGE are all shown; more are summarised
    (sets of figures per year) and shown one page at a time (`show_page`)."""
    _ = ctx._
    today = ctx.clock.now().date()
    for d in drafts:
        round_draft(d)
        if d.as_of is None:
            d.as_of = today
            undated = True
    pages = page_count(len(drafts), DRAFTS_PER_PAGE)
    page = min(max(1, page), pages)
    lines = [_.plural("I read {n} set of figures:", "I read {n} sets of figures:", len(drafts))]
    shown = page_items(drafts, page, DRAFTS_PER_PAGE)
    if pages > 1:
        per_year: dict[int, int] = {}
        for d in drafts:
            per_year[d.year] = per_year.get(d.year, 0) + 1
        for year, count in sorted(per_year.items()):
            lines.append(
                _.plural(
                    "• {year}: {n} set of figures",
                    "• {year}: {n} sets of figures",
                    count,
                    year=year,
                )
            )
        lines += ["", page_heading(page, pages, shown[0][0], shown[-1][0], _)]
    for _number, d in shown:
        lines += ["", *describe_draft(d, _)]
        if ctx.ward is not None:
            lines += await replacing_lines(ctx.repo, ctx.ward.id, d, _)
    if undated:
        lines += [
            "",
            _("The text gives no as-of date, so I used today, {date}.", date=_.date(today)),
        ]
    if pages > 1:
        lines += ["", page_hint(pages, _)]
    lines += ["", _("Store these figures?")]
    payload = {"drafts": [draft_to_dict(d) for d in drafts], "page": page, "undated": undated}
    pending_id = await ctx.ask(
        CONFIRM_KIND, payload, ["save", "cancel", *page_choices(page, pages)], PENDING_TTL
    )
    buttons = [
        [
            Button(_("✅ Store"), f"p{pending_id}:save"),
            Button(_("✖ Cancel"), f"p{pending_id}:cancel"),
        ]
    ]
    if pages > 1:
        buttons.append(page_buttons(pending_id, page, pages, _))
    return Reply("\n".join(lines), buttons=buttons)


async def show_page(ctx: Ctx, pending: PendingRec, page: int) -> Reply:
    """Another page of the preview (a page button or /trang N)."""
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    drafts = [draft_from_dict(raw) for raw in pending.payload.get("drafts", [])]
    pages = page_count(len(drafts), DRAFTS_PER_PAGE)
    if not 1 <= page <= pages:
        return Reply(
            ctx._(
                "There is no page {page} (1–{pages}); nothing was changed.", page=page, pages=pages
            )
        )
    return await _preview(ctx, drafts, page, bool(pending.payload.get("undated")))


async def on_choice(ctx: Ctx, pending: PendingRec, choice: str) -> Reply:
    _ = ctx._
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    if not await ctx.repo.clear_pending(pending.id):
        return Reply(_("This question has already been answered."))  # a second tap
    if choice != "save":
        return Reply(_("Cancelled; nothing was stored."))
    assert ctx.person is not None
    stored = []
    drafts = [draft_from_dict(raw) for raw in pending.payload.get("drafts", [])]
    # every set of figures of the file in one transaction: all stored, or none
    saved = await ctx.repo.save_snapshots(
        ctx.person.ward_id, drafts, ctx.person.name, ctx.clock.now()
    )
    for snap, replaced in saved:
        label = period_label(snap.period_kind, snap.year, snap.period, _)
        if replaced:
            stored.append(
                _(
                    "{period} (as of {as_of}, replaces the earlier figures)",
                    period=label,
                    as_of=_.date(snap.as_of),
                )
            )
        else:
            stored.append(_("{period} (as of {as_of})", period=label, as_of=_.date(snap.as_of)))
    return Reply(
        _("Stored: {what}.", what="; ".join(stored))
        + "\n"
        + _("Type /diem to see the answer everyone gets.")
    )
