"""What the sub-criterion figures say: where points are missing and what a change would give.

- "còn thiếu bao nhiêu hồ sơ trực tuyến để đủ điểm?", "cần làm gì để lên hạng", "nhóm nào
  dễ lấy điểm nhất", /canlam: per sub-criterion below its maximum, the points missing, how
  many more (dossiers, procedures ...) reach its threshold at the current volume, and the
  department in charge; the most points per unit first.
- "nếu thêm 50 hồ sơ trực tuyến thì được bao nhiêu điểm?", /neu: the sub-criterion's new
  score, the group's and the total, and the rank it would have had in the province's list of
  the same period when that list is stored.

The number and the sub-criterion are read from the text (the criteria table's aliases). With
group scores only (no figures stored), the answer says which figures are needed and how to
send them, and guesses nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from handlers.context import Ctx
from handlers.intents import IntentMatch, group_named
from handlers.labels import band_name, group_name, period_label
from handlers.metric_import import (
    cents,
    criteria_of,
    example,
    metric_store,
    percent,
    stored_snapshot,
)
from handlers.metric_problems import criterion_name, unit_count, unit_word
from handlers.permissions import may_ever
from handlers.protocol import Reply
from handlers.scores import pick_snapshots
from handlers.vocabulary import whatif_words
from ingest.criteria import (
    CriteriaTable,
    Criterion,
    Figure,
    Gap,
    add_to_numerator,
    gaps,
    group_score,
    percent_to_count,
)
from ingest.index_groups import BY_CODE, GROUP_CODES, TOTAL_MAX
from ingest.metric_text import parse_count
from ingest.score_text import match_group
from ingest.textnorm import fold
from locales import Translator
from store.metrics import FigureRec
from store.records import SnapshotRec, WardRec

MAX_SHOWN = 8  # sub-criteria listed in one answer
ZERO = Decimal(0)


def _words(kind: str) -> str:
    """An alternation of the [whatif] words of handlers/vocabulary.toml (folded)."""
    return "|".join(re.escape(w) for w in whatif_words(kind))


# "thêm 50", "tăng thêm 5%", "bổ sung 1.000" (folded): the count asked about; the words are
# data ([whatif] in handlers/vocabulary.toml)
_PERCENT = rf"(%|\b(?:{_words('percent')})\b)?"
_COUNT_AFTER = re.compile(rf"\b(?:{_words('more')})\s+([0-9]+(?:[.,][0-9]+)*)\s*{_PERCENT}")
_ANY_COUNT = re.compile(rf"(?<![0-9/.,])([0-9]+(?:[.,][0-9]+)*)\s*{_PERCENT}(?![0-9/])")
_PERIOD_BEFORE = re.compile(rf"\b(?:{_words('period')})\s*$")
_DOSSIER_WORDS = whatif_words("dossier")


@dataclass(frozen=True)
class Standing:
    """The period answered from, its stored group scores and its sub-criterion figures."""

    kind: str
    year: int
    period: int
    snap: SnapshotRec | None
    figures: dict[str, Figure]

    def label(self, _: Translator) -> str:
        return period_label(self.kind, self.year, self.period, _)


async def standing(ctx: Ctx, period: str | None) -> Standing | None:
    """The newest group scores and the figures of their period; when that period has no
    figures, the newest period that has some. None when nothing at all is stored."""
    assert ctx.ward is not None
    ward = ctx.ward
    metrics = metric_store(ctx)
    snap, _prev = await pick_snapshots(ctx, ward, period)
    if snap is not None:
        stored = await metrics.latest(ward.id, snap.period_kind, snap.year, snap.period)
        if stored:
            return Standing(snap.period_kind, snap.year, snap.period, snap, _figures(stored))
    refs = await metrics.periods(ward.id)
    if period == "year":
        refs = sorted(refs, key=lambda r: r.kind != "year")
    if refs:
        ref = refs[0]
        stored = await metrics.latest(ward.id, ref.kind, ref.year, ref.period)
        other = await stored_snapshot(ctx.repo, ward.id, ref.kind, ref.year, ref.period)
        return Standing(ref.kind, ref.year, ref.period, other, _figures(stored))
    if snap is not None:
        return Standing(snap.period_kind, snap.year, snap.period, snap, {})
    return None


def _figures(stored: dict[str, FigureRec]) -> dict[str, Figure]:
    return {code: Figure(rec.numerator, rec.denominator) for code, rec in stored.items()}


def owner_name(ward: WardRec, c: Criterion) -> str | None:
    """The department answering for a sub-criterion: its own owner, else its group's."""
    dept = ward.department(c.owner) if c.owner else None
    dept = dept or ward.department(ward.group_owners.get(c.group))
    return dept.name if dept else None


# --- reading the question ------------------------------------------------------------------------


def target(
    text: str, table: CriteriaTable, group: str | None
) -> tuple[Criterion | None, tuple[Criterion, ...]]:
    """The sub-criterion a question names, and the candidates when it is not clear: by its
    names and aliases; else by the group named, when the group has one sub-criterion (or one
    counting dossiers and the question says "hồ sơ")."""
    found = table.candidates(text)
    if len(found) == 1:
        return found[0], found
    if found:
        return None, found
    if group is None:  # a command's words: the group as a question would name it
        group = group_named(text) or match_group(text)
    if group is None:
        return None, ()
    members = table.of_group(group)
    if len(members) == 1:
        return members[0], members
    padded = f" {fold(text)} "
    if any(f" {w} " in padded for w in _DOSSIER_WORDS):
        dossiers = [c for c in members if c.unit == "dossier"]
        if len(dossiers) == 1:
            return dossiers[0], members
    return None, members


def asked_count(text: str) -> tuple[Decimal, bool] | None:
    """The count a what-if asks about, and whether it is percentage points: "thêm 50" ->
    (50, False); "tăng 5%" -> (5, True); None when the text gives no number."""
    folded = fold(text)
    m = _COUNT_AFTER.search(folded)
    if m is None:
        for cand in _ANY_COUNT.finditer(folded):
            if not _PERIOD_BEFORE.search(folded[: cand.start()]):
                m = cand
                break
    if m is None:
        return None
    if m.group(2):
        try:
            return Decimal(m.group(1).replace(",", ".")), True
        except ArithmeticError:
            return None
    count = parse_count(m.group(1))
    return (count, False) if count is not None else None


# --- answers -------------------------------------------------------------------------------------


def _header(ward: WardRec, st: Standing, _: Translator) -> str:
    return _("📈 **{ward}** — {period}", ward=ward.name, period=st.label(_))


def how_to_send(ctx: Ctx, table: CriteriaTable, st: Standing | None, _: Translator) -> str:
    """How figures reach the bot: a paste (an example made from the table) or a file; for
    those who may not store figures, whom to ask."""
    if not may_ever(ctx.person, "load_scores"):
        return _("Please ask an administrator to send these figures.")
    today = ctx.clock.now().date()
    if st is None:
        sample = example(table, "month", today.year, today.month, _)
    else:
        sample = example(table, st.kind, st.year, st.period, _)
    return (
        _("To send them: paste them here, one sub-criterion a line as numerator/denominator:")
        + "\n"
        + sample
        + "\n"
        + _(
            "or type /capnhatsolieu, send a .csv/.xlsx file, or run `chiso import metrics FILE` "
            "on the server."
        )
    )


def _needs_figures(
    ctx: Ctx, st: Standing | None, table: CriteriaTable, wanted: tuple[Criterion, ...]
) -> Reply:
    """Only group scores are known: which figures are needed, and how to send them."""
    assert ctx.ward is not None
    _ = ctx._
    if st is None:
        text = _("No score figures are stored for {ward} yet.", ward=ctx.ward.name)
        return Reply(text + "\n" + how_to_send(ctx, table, None, _))
    lines = [
        _header(ctx.ward, st, _),
        _(
            "Only the group scores of {period} are stored, not the sub-criterion figures "
            "(numerator/denominator), so I cannot tell how many more are needed.",
            period=st.label(_),
        ),
    ]
    missing = [c for c in wanted if c.code not in st.figures]
    groups: list[str] = []
    if st.snap is not None and not wanted:
        groups = [g.code for g in st.snap.groups if g.missing > 0]
    elif wanted:
        groups = list(dict.fromkeys(c.group for c in missing))
    if st.snap is not None and not groups and not wanted:
        lines.append(_("🏆 Every group is at its maximum."))
        return Reply("\n".join(lines))
    lines.append(_("Figures needed:"))
    lost = {g.code: g.missing for g in st.snap.groups} if st.snap is not None else {}
    for code in groups or GROUP_CODES:
        members = [c for c in (missing or table.of_group(code)) if c.group == code]
        names = "; ".join(criterion_name(c, _) for c in members if c.code not in st.figures)
        if not names:
            continue
        if lost.get(code):
            lines.append(
                _(
                    "• {group} (missing {points} points): {names}",
                    group=group_name(code, _),
                    points=_.number(lost[code]),
                    names=names,
                )
            )
        else:
            lines.append(_("• {group}: {names}", group=group_name(code, _), names=names))
    lines.append(how_to_send(ctx, table, st, _))
    return Reply("\n".join(lines))


def _gap_line(i: int, g: Gap, ward: WardRec, _: Translator) -> str:
    c, f = g.criterion, g.figure
    head = _(
        "{i}. **{name}** ({group}): {numerator}/{denominator} ({rate}) — {score}/{max} points.",
        i=i,
        name=criterion_name(c, _),
        group=group_name(c.group, _),
        numerator=_.number(f.numerator, 0),
        denominator=_.number(f.denominator, 0),
        rate=percent(f, _),
        score=_.number(cents(g.score)),
        max=_.number(c.max_score),
    )
    if g.needed is None:
        body = _(
            "Nothing counted this period, so it scores 0; it scores from the first {unit}.",
            unit=unit_word(c.unit, _),
        )
    else:
        assert g.points_per_unit is not None and g.rate_gap is not None
        body = _(
            "Missing {points} points: {count} more reach {target} (+{gap} percentage points), "
            "about {per} points per {unit}.",
            points=_.number(cents(g.missing)),
            count=unit_count(c.unit, g.needed, _),
            target=_.number(c.threshold * 100) + "%",
            gap=_.number(g.rate_gap),
            per=_.number(g.points_per_unit, 3),
            unit=unit_word(c.unit, _),
        )
    owner = owner_name(ward, c)
    tail = " " + _("Owner: {owner}", owner=owner) + "." if owner else ""
    return f"{head} {body}{tail}"


async def gain(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    """Where points are missing and the easiest to gain (/canlam, "cần làm gì để lên hạng")."""
    assert ctx.ward is not None
    _ = ctx._
    table = criteria_of(ctx)
    st = await standing(ctx, match.period if match else None)
    group = match.group if match else None
    one, options = target(arg, table, group)
    wanted: tuple[Criterion, ...] = (one,) if one else options
    if st is None or not st.figures or (wanted and all(c.code not in st.figures for c in wanted)):
        return _needs_figures(ctx, st, table, wanted)
    found = gaps(table, st.figures)
    if wanted:
        codes = {c.code for c in wanted}
        found = [g for g in found if g.criterion.code in codes]
    lines = [_header(ctx.ward, st, _)]
    if one is not None and not found:
        f = st.figures[one.code]
        lines.append(
            _(
                "✅ {name}: {numerator}/{denominator} ({rate}) — full {max}/{max} points.",
                name=criterion_name(one, _),
                numerator=_.number(f.numerator, 0),
                denominator=_.number(f.denominator, 0),
                rate=percent(f, _),
                max=_.number(one.max_score),
            )
        )
        return Reply("\n".join(lines))
    if not found:
        lines.append(_("🏆 Every sub-criterion with figures is at its maximum."))
    else:
        lines.append(
            _(
                "Sub-criteria below their maximum, the most points per unit first (the "
                "easiest first):"
            )
        )
        for i, g in enumerate(found[:MAX_SHOWN], start=1):
            lines.append(_gap_line(i, g, ctx.ward, _))
        if len(found) > MAX_SHOWN:
            lines.append(_("… and {n} more sub-criteria.", n=len(found) - MAX_SHOWN))
        reachable = _reachable(found, st.snap)
        if reachable > 0 and st.snap is not None:
            lines.append(
                _(
                    "All of these at their threshold: +{points} points, about {total}/{max}.",
                    points=_.number(cents(reachable)),
                    total=_.number(min(TOTAL_MAX, cents(st.snap.total + reachable))),
                    max=_.number(TOTAL_MAX),
                )
            )
        lines.append(
            _(
                "Counted at the current volume: the denominator stays as it is (e.g. dossiers "
                "received at the counter that are submitted online instead)."
            )
        )
    absent = [
        c
        for c in (wanted or table.criteria)
        if c.code not in st.figures and _group_below_max(st, c.group)
    ]
    if absent:
        lines.append(
            _(
                "No figures yet for: {names}.",
                names="; ".join(criterion_name(c, _) for c in absent[:MAX_SHOWN])
                + ("…" if len(absent) > MAX_SHOWN else ""),
            )
        )
    lines += await _next_rank_lines(ctx, st, _)
    return Reply("\n".join(lines))


def _reachable(found: list[Gap], snap: SnapshotRec | None) -> Decimal:
    """The points these sub-criteria give at their thresholds, each group's part capped at
    what its stored score lacks (figures that do not reproduce it never promise more)."""
    per_group: dict[str, Decimal] = {}
    for g in found:
        if g.needed is not None:
            code = g.criterion.group
            per_group[code] = per_group.get(code, ZERO) + g.missing
    if snap is not None:
        stored = {x.code: x.missing for x in snap.groups}
        per_group = {k: min(v, stored.get(k, v)) for k, v in per_group.items()}
    return sum(per_group.values(), ZERO)


def _group_below_max(st: Standing, group: str) -> bool:
    if st.snap is None:
        return True
    g = next((x for x in st.snap.groups if x.code == group), None)
    return g is None or g.missing > 0


async def _next_rank_lines(ctx: Ctx, st: Standing, _: Translator) -> list[str]:
    """How far the commune just above is, in the province's list of the same period."""
    assert ctx.ward is not None
    if st.snap is None:
        return []
    plist = await metric_store(ctx).province_totals(ctx.ward, st.kind, st.year, st.period)
    if plist is None:
        return []
    total = st.snap.total
    above = [e for i, e in enumerate(plist.entries) if i != plist.own and e.total > total]
    if not above:
        return [_("First in the province's list of {period}.", period=st.label(_))]
    nearest = min(above, key=lambda e: e.total)
    rank, of = plist.rank_with(nearest.total)
    return [
        _(
            "To move up: {name} has {total} (rank {rank}/{of}), {gap} points more than the ward.",
            name=nearest.name,
            total=_.number(nearest.total),
            rank=rank,
            of=of,
            gap=_.number(nearest.total - total),
        )
    ]


async def what_if(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    """ "nếu thêm 50 hồ sơ trực tuyến thì được bao nhiêu điểm?" (/neu 50 hồ sơ trực tuyến)."""
    assert ctx.ward is not None
    _ = ctx._
    table = criteria_of(ctx)
    one, options = target(arg, table, match.group if match else None)
    count = asked_count(arg)
    if one is None:
        names = "; ".join(criterion_name(c, _) for c in options) if options else ""
        text = _(
            "Which sub-criterion, and how many more? For example: “nếu thêm 50 hồ sơ trực "
            "tuyến thì được bao nhiêu điểm?” or /neu 50 hồ sơ trực tuyến."
        )
        if names:
            text += "\n" + _("It could be: {names}.", names=names)
        return Reply(text)
    if count is None:
        return Reply(
            _(
                "How many more {unit}? For example: /neu 50 {name}.",
                unit=unit_word(one.unit, _),
                name=criterion_name(one, _),
            )
        )
    st = await standing(ctx, match.period if match else None)
    if st is None or one.code not in st.figures:
        return _needs_figures(ctx, st, table, (one,))
    f = st.figures[one.code]
    amount, is_percent = count
    if f.denominator <= 0:
        text = _(
            "{name}: nothing was counted in {period} (0/0), so there is no volume to add to.",
            name=criterion_name(one, _),
            period=st.label(_),
        )
        if one.formula == "rate_full_if_none":  # "no PAKN → full": nothing to win back
            text += " " + _(
                "With nothing counted it already scores its full {max} points.",
                max=_.number(one.max_score),
            )
        return Reply(text)
    k = percent_to_count(f, amount) if is_percent else int(amount)
    result = add_to_numerator(one, f, k)
    lines = [
        _(
            "🧮 **If {count} more** — {name}, {period} (the same total of {total}):",
            count=unit_count(one.unit, k, _),
            name=criterion_name(one, _),
            period=st.label(_),
            total=unit_count(one.unit, int(f.denominator), _),
        ),
        _(
            "• {name}: {before} → {after}/{denominator} ({rate_before} → {rate_after}): "
            "{score_before} → {score_after}/{max} points ({delta})",
            name=criterion_name(one, _),
            before=_.number(f.numerator, 0),
            after=_.number(result.after.numerator, 0),
            denominator=_.number(f.denominator, 0),
            rate_before=percent(f, _),
            rate_after=percent(result.after, _),
            score_before=_.number(cents(result.score_before)),
            score_after=_.number(cents(result.score_after)),
            max=_.number(one.max_score),
            delta=_.signed(cents(result.delta)),
        ),
    ]
    if result.capped:
        lines.append(
            _(
                "Only {room} are not counted yet, so at most that many more can count.",
                room=unit_count(one.unit, result.added, _),
            )
        )
    group_before, group_after = _group_change(st, table, one, result.delta)
    group_max = BY_CODE[one.group].max_score
    if group_before is not None and group_after is not None:
        lines.append(
            _(
                "• {group}: {before} → {after}/{max}",
                group=group_name(one.group, _),
                before=_.number(cents(group_before)),
                after=_.number(cents(group_after)),
                max=_.number(group_max),
            )
        )
    if st.snap is None:
        lines.append(
            _(
                "No group scores are stored for {period}, so the total is not known.",
                period=st.label(_),
            )
        )
        return Reply("\n".join(lines))
    # the total moves by what the group gains (a stored group score near its maximum caps it)
    change = (
        group_after - group_before
        if group_before is not None and group_after is not None
        else result.delta
    )
    total_after = min(TOTAL_MAX, st.snap.total + change)
    lines.append(
        _(
            "• Total: {before} → {after}/{max} — {band}",
            before=_.number(st.snap.total),
            after=_.number(cents(total_after)),
            max=_.number(TOTAL_MAX),
            band=band_name(cents(total_after), _),
        )
    )
    lines.append(await _rank_line(ctx, st, st.snap, cents(total_after), _))
    return Reply("\n".join(lines))


def _group_change(
    st: Standing, table: CriteriaTable, c: Criterion, delta: Decimal
) -> tuple[Decimal | None, Decimal | None]:
    """The group's score before and after: the stored one plus the change, else the one the
    figures give (when every sub-criterion of the group has figures)."""
    stored = next((g for g in st.snap.groups if g.code == c.group), None) if st.snap else None
    if stored is not None:
        after = min(stored.max_score, max(ZERO, stored.score + delta))
        return stored.score, after
    before = group_score(table, c.group, st.figures)
    if before is None:
        return None, None
    return before, before + delta


async def _rank_line(
    ctx: Ctx, st: Standing, snap: SnapshotRec, total: Decimal, _: Translator
) -> str:
    assert ctx.ward is not None
    plist = await metric_store(ctx).province_totals(ctx.ward, st.kind, st.year, st.period)
    if plist is None or not plist.entries:
        return _(
            "• Rank: not known — no province list of {period} is stored to compare with.",
            period=st.label(_),
        )
    rank, of = plist.rank_with(total)
    now_rank, now_of = plist.rank_with(snap.total)
    return _(
        "• Rank in the province's list of {period}: {rank}/{of} (now {now}/{now_of}).",
        period=st.label(_),
        rank=rank,
        of=of,
        now=now_rank,
        now_of=now_of,
    )
