"""Admins store score snapshots: pasted report text, a file, or /capnhatdiem. Confirm first."""

from __future__ import annotations

from datetime import timedelta

from handlers.context import Ctx
from handlers.labels import band_name, group_name, period_label
from handlers.problems import describe
from handlers.protocol import Button, InboundFile, Reply
from ingest.score_files import read_score_file
from ingest.score_text import read_score_text
from ingest.snapshot_draft import (
    ScoreReadError,
    SnapshotDraft,
    draft_from_dict,
    draft_to_dict,
    round_draft,
)
from locales import Translator
from store.records import PendingRec

CONFIRM_KIND = "confirm_scores"
AWAIT_KIND = "await_scores"
PENDING_TTL = timedelta(hours=24)
MAX_FILE_BYTES = 5 * 1024 * 1024


def _not_admin(ctx: Ctx) -> Reply | None:
    if ctx.person is None or not ctx.person.is_admin:
        return Reply(ctx._("Only administrators can store score figures."))
    return None


async def ask_for_report(ctx: Ctx) -> Reply:
    refusal = _not_admin(ctx)
    if refusal:
        return refusal
    await _set_pending(ctx, AWAIT_KIND, {}, [])
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
    refusal = _not_admin(ctx)
    if refusal:
        return refusal
    try:
        drafts = read_score_text(text, today=ctx.clock.now().date())
    except ScoreReadError as exc:
        if quiet_if_nothing and all(p.code == "no_scores_found" for p in exc.problems):
            return None
        return _refusal(ctx, exc)
    return await _preview(ctx, drafts)


async def from_file(ctx: Ctx, file: InboundFile) -> Reply:
    refusal = _not_admin(ctx)
    if refusal:
        return refusal
    _ = ctx._
    if file.size is not None and file.size > MAX_FILE_BYTES:
        return Reply(_("The file is too large (over 5 MB); nothing was stored."))
    try:
        data = await file.fetch()
    except Exception:  # the channel failed to hand us the file; say so, store nothing
        return Reply(_("I could not download the file; please send it again."))
    try:
        drafts = read_score_file(file.name, data, today=ctx.clock.now().date())
    except ScoreReadError as exc:
        return _refusal(ctx, exc)
    return await _preview(ctx, drafts)


def _refusal(ctx: Ctx, exc: ScoreReadError) -> Reply:
    _ = ctx._
    lines = [_("Nothing was stored:")]
    lines += ["• " + describe(p, _) for p in exc.problems]
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


async def offer(ctx: Ctx, drafts: list[SnapshotDraft], note: str = "") -> Reply:
    """Shows drafts read elsewhere (e.g. in a directive) and asks to store them."""
    reply = await _preview(ctx, drafts)
    if note:
        reply.text = note + "\n" + reply.text
    return reply


async def _preview(ctx: Ctx, drafts: list[SnapshotDraft]) -> Reply:
    _ = ctx._
    today = ctx.clock.now().date()
    undated = False
    for d in drafts:
        round_draft(d)
        if d.as_of is None:
            d.as_of = today
            undated = True
    lines = [_.plural("I read {n} set of figures:", "I read {n} sets of figures:", len(drafts))]
    for d in drafts:
        lines += ["", *describe_draft(d, _)]
    if undated:
        lines += [
            "",
            _("The text gives no as-of date, so I used today, {date}.", date=_.date(today)),
        ]
    lines += ["", _("Store these figures?")]
    pending = await _set_pending(
        ctx, CONFIRM_KIND, {"drafts": [draft_to_dict(d) for d in drafts]}, ["save", "cancel"]
    )
    return Reply(
        "\n".join(lines),
        buttons=[
            [
                Button(_("✅ Store"), f"p{pending.id}:save"),
                Button(_("✖ Cancel"), f"p{pending.id}:cancel"),
            ]
        ],
    )


async def _set_pending(
    ctx: Ctx, kind: str, payload: dict[str, object], choices: list[str]
) -> PendingRec:
    assert ctx.person is not None
    now = ctx.clock.now()
    inbound = ctx.inbound
    return await ctx.repo.set_pending(
        ctx.person.ward_id,
        inbound.channel,
        inbound.chat_id,
        inbound.user_id,
        kind,
        dict(payload),
        choices,
        now,
        now + PENDING_TTL,
    )


async def on_choice(ctx: Ctx, pending: PendingRec, choice: str) -> Reply:
    _ = ctx._
    refusal = _not_admin(ctx)
    if refusal:
        return refusal
    if not await ctx.repo.clear_pending(pending.id):
        return Reply(_("This question has already been answered."))  # a second tap
    if choice != "save":
        return Reply(_("Cancelled; nothing was stored."))
    assert ctx.person is not None
    stored = []
    for raw in pending.payload.get("drafts", []):
        draft = draft_from_dict(raw)
        snap, replaced = await ctx.repo.save_snapshot(
            ctx.person.ward_id, draft, ctx.person.name, ctx.clock.now()
        )
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
