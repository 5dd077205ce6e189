"""Admins store sub-criterion figures (numerator / denominator): pasted text, a file, or
/capnhatsolieu. A preview first — each figure with the points it gives, and per group whether
the figures reproduce the group score stored for the same period ("khớp", or "lệch 0,21
điểm") — then Store / Cancel. Refusals as for scores: one sentence per problem, nothing
stored."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from handlers.context import Ctx
from handlers.labels import group_name, period_label
from handlers.metric_problems import criterion_name, describe
from handlers.permissions import check
from handlers.protocol import Button, InboundFile, Reply
from handlers.reading import ReadRefused, refusal_text
from ingest.criteria import CriteriaTable, Figure, default_table, group_score, sub_score
from ingest.index_groups import BY_CODE, GROUP_CODES
from ingest.metric_text import (
    MetricDraft,
    MetricReadError,
    draft_from_dict,
    draft_to_dict,
    figure_share,
    key_label,
    read_metric_text,
    read_metrics_job,
)
from ingest.snapshot_draft import Problem
from locales import Translator
from store.metrics import MetricStore
from store.records import PendingRec, SnapshotRec
from store.repo import Repo

CONFIRM_KIND = "confirm_metrics"
AWAIT_KIND = "await_metrics"
PENDING_TTL = timedelta(hours=24)
INLINE_TEXT_CHARS = 8000  # pasted text up to this is read at once; longer, in a worker
TOLERANCE = Decimal("0.05")  # figures "reproduce" a stored group score this closely
CENT = Decimal("0.01")
MAX_PROBLEMS_SHOWN = 20


class AnswerLike(Protocol):
    """handlers.router.Answer, as this module reads it."""

    @property
    def choice(self) -> str | None: ...

    @property
    def text(self) -> str: ...


def example(table: CriteriaTable, kind: str, year: int, period: int, _: Translator) -> str:
    """Figures as they are pasted, made from the table's names (read back by the reader in
    either language): a period line, then two sub-criteria as numerator/denominator."""
    online = table.by_code("dvc_ho_so_truc_tuyen") or table.criteria[0]
    digital = table.by_code("sh_ket_qua_dien_tu") or table.criteria[-1]
    head = key_label(kind, year, period)  # "11/2025", "Q4/2025", "H2/2025", "2025": all read back
    return "\n".join(
        [
            head,
            f"{criterion_name(online, _)}: {_.number(412, 0)}/{_.number(1030, 0)}",
            f"{criterion_name(digital, _)}: {_.number(350, 0)}/{_.number(400, 0)}",
        ]
    )


def criteria_of(ctx: Ctx) -> CriteriaTable:
    """The criteria table in force (the ward's CHISO_CRITERIA_FILE, else the shipped one)."""
    table = getattr(ctx.services, "criteria", None)
    return table if isinstance(table, CriteriaTable) else default_table()


def metric_store(ctx: Ctx) -> MetricStore:
    return MetricStore(ctx.repo.sessions)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


async def ask_for_figures(ctx: Ctx) -> Reply:
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    await ctx.ask(AWAIT_KIND, {}, [], PENDING_TTL)
    _ = ctx._
    today = ctx.clock.now().date()
    return Reply(
        _(
            "Please paste the sub-criterion figures, one a line as numerator/denominator, "
            "with the period on a line of its own, e.g.:"
        )
        + "\n"
        + example(criteria_of(ctx), "month", today.year, today.month, _)
        + "\n"
        + _(
            "or send a .csv or .xlsx file (columns: sub-criterion, numerator, denominator, "
            "period). Type /huy to stop."
        )
    )


async def from_text(ctx: Ctx, text: str) -> Reply:
    reply = await try_text(ctx, text, quiet_if_nothing=False)
    assert reply is not None
    return reply


async def try_text(ctx: Ctx, text: str, *, quiet_if_nothing: bool) -> Reply | None:
    """Reads pasted figures. With quiet_if_nothing, text that names no sub-criterion gives
    None (it was not meant as figures) instead of a refusal; figures from someone who may
    not store them get the permission's refusal."""
    table = criteria_of(ctx)
    today = ctx.clock.now().date()
    refusal = check(ctx, "load_scores")
    if refusal:
        if quiet_if_nothing and (
            len(text) > INLINE_TEXT_CHARS or not looks_like_figures(text, table, today)
        ):
            return None
        return refusal
    reader = ctx.reader
    limits = reader.limits
    if len(text) <= INLINE_TEXT_CHARS:
        drafts, problems = read_metrics_job(
            None, text, table, today, limits.max_import_rows, limits.max_unpacked_bytes
        )
    else:
        try:
            reader.check_size(len(text.encode("utf-8")))
            drafts, problems = await reader.run(
                read_metrics_job,
                None,
                text,
                table,
                today,
                limits.max_import_rows,
                limits.max_unpacked_bytes,
            )
        except ReadRefused as exc:
            return Reply(refusal_text(exc, ctx._("pasted text"), ctx._))
    if problems is not None:
        if quiet_if_nothing and all(p.code == "no_figures_found" for p in problems):
            return None
        return refusal_reply(ctx, problems)
    assert drafts is not None
    return await _preview(ctx, drafts)


def mostly_figures(ctx: Ctx, text: str) -> bool:
    """A message that is sub-criterion figures, one a line (a period or date line aside):
    read as figures before it is tried as a directive or a score report."""
    if len(text) > INLINE_TEXT_CHARS:
        return False
    known, shaped, other = figure_share(text, criteria_of(ctx))
    return known > 0 and other <= (known + shaped) // 4


def looks_like_figures(text: str, table: CriteriaTable, today: date) -> bool:
    """Whether a message names a sub-criterion with n/d (so an admin's paste of one line,
    "hồ sơ nộp trực tuyến 412/1.030", is figures, not a question)."""
    try:
        read_metric_text(text, table, today=today)
    except MetricReadError as exc:
        return not all(p.code == "no_figures_found" for p in exc.problems)
    return True


async def from_file(ctx: Ctx, file: InboundFile) -> Reply:
    """A figures file (.csv/.xlsx/.txt), read in a worker process within the limits."""
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
    limits = reader.limits
    try:
        reader.check_size(len(data))
        drafts, problems = await reader.run(
            read_metrics_job,
            file.name,
            data,
            criteria_of(ctx),
            ctx.clock.now().date(),
            limits.max_import_rows,
            limits.max_unpacked_bytes,
        )
    except ReadRefused as exc:
        return Reply(refusal_text(exc, file.name, _))
    if problems is not None or not drafts:
        return refusal_reply(ctx, problems or [Problem("no_figures_found")])
    return await _preview(ctx, drafts)


def refusal_lines(problems: list[Problem], table: CriteriaTable, _: Translator) -> list[str]:
    lines = [_("Nothing was stored:")]
    lines += ["• " + describe(p, _, table) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(_("… and {n} more problems.", n=len(problems) - MAX_PROBLEMS_SHOWN))
    return lines


def refusal_reply(ctx: Ctx, problems: list[Problem]) -> Reply:
    return Reply("\n".join(refusal_lines(problems, criteria_of(ctx), ctx._)))


# --- the preview ---------------------------------------------------------------------------------


def settle(drafts: list[MetricDraft], today: date, _: Translator) -> list[str]:
    """Gives drafts without a period the current month and without a date today; the
    sentences that say so."""
    notes: list[str] = []
    for d in drafts:
        if d.period_kind is None:
            d.period_kind, d.year, d.period = "month", today.year, today.month
            note = _(
                "The text names no period, so I used {period}.",
                period=period_label("month", today.year, today.month, _),
            )
            if note not in notes:
                notes.append(note)
        if d.as_of is None:
            d.as_of = today
            note = _("The text gives no as-of date, so I used today, {date}.", date=_.date(today))
            if note not in notes:
                notes.append(note)
    return notes


def percent(f: Figure, _: Translator) -> str:
    rate = f.rate
    return "—" if rate is None else _.number(rate * 100) + "%"


async def stored_snapshot(
    repo: Repo, ward_id: int, kind: str, year: int, period: int | None
) -> SnapshotRec | None:
    """The ward's stored group scores for a period (its latest date)."""
    history = await repo.snapshot_history(ward_id, kind, limit=REPLACE_LOOKUP)
    same = [s for s in history if s.year == year and s.period == (period or 0)]
    return max(same, key=lambda s: s.as_of) if same else None


REPLACE_LOOKUP = 120  # stored periods looked at (ten years of months)


async def preview_lines(
    repo: Repo,
    metrics: MetricStore,
    ward_id: int,
    drafts: list[MetricDraft],
    table: CriteriaTable,
    _: Translator,
) -> list[str]:
    """What the drafts hold and give, per period, and whether they reproduce the stored group
    scores. Drafts are settled (period and date set)."""
    lines: list[str] = []
    for d in drafts:
        assert d.period_kind is not None and d.year is not None and d.as_of is not None
        label = period_label(d.period_kind, d.year, d.period, _)
        if lines:
            lines.append("")
        lines.append(
            _.plural(
                "**{period}**, figures as of {as_of}: {n} sub-criterion",
                "**{period}**, figures as of {as_of}: {n} sub-criteria",
                len(d.figures),
                period=label,
                as_of=_.date(d.as_of),
            )
        )
        for f in d.figures:
            c = table.by_code(f.code)
            if c is None:
                continue
            fig = Figure(f.numerator, f.denominator)
            lines.append(
                _(
                    "• {name}: {numerator}/{denominator} ({rate}) → {score}/{max} points",
                    name=criterion_name(c, _),
                    numerator=_.number(f.numerator, 0),
                    denominator=_.number(f.denominator, 0),
                    rate=percent(fig, _),
                    score=_.number(cents(sub_score(c, fig))),
                    max=_.number(c.max_score),
                )
            )
        replaced = await metrics.stored_codes(ward_id, d.period_kind, d.year, d.period, d.as_of)
        replaced &= {f.code for f in d.figures}
        if replaced:  # storing them is a correction, and the admin should know (as for scores)
            lines.append(
                _.plural(
                    "⚠ This replaces {n} figure of {period} stored for {date}.",
                    "⚠ This replaces {n} figures of {period} stored for {date}.",
                    len(replaced),
                    period=label,
                    date=_.date(d.as_of),
                )
            )
        lines += await _check_lines(repo, metrics, ward_id, d, table, _)
    return lines


async def _check_lines(
    repo: Repo,
    metrics: MetricStore,
    ward_id: int,
    d: MetricDraft,
    table: CriteriaTable,
    _: Translator,
) -> list[str]:
    """Per group the draft touches: its score from these figures (with the ones stored
    before for the same period) against the stored group score."""
    assert d.period_kind is not None and d.year is not None
    stored = await metrics.latest(ward_id, d.period_kind, d.year, d.period)
    figures = {code: Figure(f.numerator, f.denominator) for code, f in stored.items()}
    figures.update({f.code: Figure(f.numerator, f.denominator) for f in d.figures})
    snap = await stored_snapshot(repo, ward_id, d.period_kind, d.year, d.period)
    groups = [g for g in GROUP_CODES if any(f.group == g for f in d.figures)]
    lines = [_("Against the stored group scores:")]
    if snap is None:
        lines.append(_("No group scores are stored for this period, so nothing to compare."))
    for g in groups:
        name = group_name(g, _)
        computed = group_score(table, g, figures)
        if computed is None:
            members = table.of_group(g)
            have = sum(1 for c in members if c.code in figures)
            lines.append(
                _(
                    "• {name}: {have} of {all} sub-criteria known, not enough for the group score.",
                    name=name,
                    have=have,
                    all=len(members),
                )
            )
            continue
        computed = cents(computed)
        group = next((x for x in snap.groups if x.code == g), None) if snap else None
        if group is None:
            lines.append(
                _(
                    "• {name}: {score}/{max} from the figures.",
                    name=name,
                    score=_.number(computed),
                    max=_.number(BY_CODE[g].max_score),
                )
            )
            continue
        diff = abs(computed - group.score)
        if diff <= TOLERANCE:
            lines.append(
                _(
                    "• {name}: {score} from the figures, stored {stored} — matches.",
                    name=name,
                    score=_.number(computed),
                    stored=_.number(group.score),
                )
            )
        else:
            lines.append(
                _(
                    "• ⚠ {name}: {score} from the figures, stored {stored} — off by {diff} "
                    "points; check the figures or the stored score.",
                    name=name,
                    score=_.number(computed),
                    stored=_.number(group.score),
                    diff=_.number(diff),
                )
            )
    return lines


async def _preview(ctx: Ctx, drafts: list[MetricDraft]) -> Reply:
    _ = ctx._
    assert ctx.ward is not None
    notes = settle(drafts, ctx.clock.now().date(), _)
    lines = [_("I read these sub-criterion figures:"), ""]
    lines += await preview_lines(
        ctx.repo, metric_store(ctx), ctx.ward.id, drafts, criteria_of(ctx), _
    )
    if notes:
        lines += ["", *notes]
    lines += ["", _("Store these figures?")]
    payload = {"drafts": [draft_to_dict(d) for d in drafts]}
    pending_id = await ctx.ask(CONFIRM_KIND, payload, ["save", "cancel"], PENDING_TTL)
    buttons = [
        [
            Button(_("✅ Store"), f"p{pending_id}:save"),
            Button(_("✖ Cancel"), f"p{pending_id}:cancel"),
        ]
    ]
    return Reply("\n".join(lines), buttons=buttons)


def stored_text(drafts: list[MetricDraft], count: int, _: Translator) -> str:
    periods = "; ".join(
        period_label(d.period_kind or "month", d.year or 0, d.period, _) for d in drafts
    )
    return _.plural(
        "Stored {n} sub-criterion figure ({periods}).",
        "Stored {n} sub-criterion figures ({periods}).",
        count,
        periods=periods,
    )


async def on_confirm(ctx: Ctx, pending: PendingRec, answer: AnswerLike) -> Reply | None:
    """Store / Cancel under the preview."""
    if answer.choice is None:
        return None
    _ = ctx._
    refusal = check(ctx, "load_scores")
    if refusal:
        return refusal
    if not await ctx.repo.clear_pending(pending.id):
        return Reply(_("This question has already been answered."))  # a second tap
    if answer.choice != "save":
        return Reply(_("Cancelled; nothing was stored."))
    assert ctx.person is not None
    drafts = [draft_from_dict(raw) for raw in pending.payload.get("drafts", [])]
    count = await metric_store(ctx).save(
        ctx.person.ward_id, drafts, ctx.person.name, ctx.clock.now()
    )
    return Reply(
        stored_text(drafts, count, _)
        + "\n"
        + _(
            "Ask “còn thiếu bao nhiêu hồ sơ trực tuyến để đủ điểm?” or type /canlam to see where "
            "points are easiest to gain."
        )
    )


async def on_figures(ctx: Ctx, pending: PendingRec, answer: AnswerLike) -> Reply | None:
    """The figures asked for by /capnhatsolieu: pasted text or a file."""
    inbound = ctx.inbound
    if inbound.event != "message":
        return None
    if inbound.file is not None:
        await ctx.repo.clear_pending(pending.id)
        return await from_file(ctx, inbound.file)
    if answer.text and not answer.text.startswith("/"):
        await ctx.repo.clear_pending(pending.id)
        return await from_text(ctx, answer.text)
    return None
