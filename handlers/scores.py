"""Answers about the ward's standing: score, rank, weak groups, change since last time."""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from handlers.context import Ctx
from handlers.intents import IntentMatch
from handlers.labels import band_name, group_name, period_name
from handlers.permissions import may_ever
from handlers.protocol import Reply
from ingest.index_groups import BY_CODE, TOTAL_MAX
from locales import Translator
from store.records import GroupRec, SnapshotRec, WardRec

_ANSWER_CACHE: OrderedDict[tuple[object, ...], str] = OrderedDict()
_ANSWER_CACHE_SIZE = 512


async def pick_snapshots(
    ctx: Ctx, ward: WardRec, period: str | None
) -> tuple[SnapshotRec | None, SnapshotRec | None]:
    """The snapshot to answer from and the one before it of the same period kind.

    Monthly figures are "the current score" unless the question asks for the running total;
    with no monthly figures the running total answers.
    """
    kinds = ["year", "month"] if period == "year" else ["month", "year"]
    kinds += ["quarter", "half"]
    for kind in kinds:
        history = await ctx.repo.snapshot_history(ward.id, kind, limit=13)
        if history:
            return history[0], history[1] if len(history) > 1 else None
    return None, None


async def answer(ctx: Ctx, match: IntentMatch) -> Reply:
    assert ctx.ward is not None
    _ = ctx._
    snap, prev = await pick_snapshots(ctx, ctx.ward, match.period)
    if snap is None:
        is_admin = may_ever(ctx.person, "load_scores")
        text = _("No score figures are stored for {ward} yet.", ward=ctx.ward.name)
        if is_admin:
            text += "\n" + _(
                "To add them: paste the text of a score report here, send a .txt, .csv or "
                ".xlsx file, type /capnhatdiem, or run `chiso import scores FILE` on the server."
            )
        else:
            text += "\n" + _("Please ask an administrator to add the latest figures.")
        return Reply(text)
    key = (
        match.intent,
        match.group,
        snap.id,
        prev.id if prev else None,
        _.lang,
        ctx.ward.name,
        ctx.ward.departments,
        tuple(sorted(ctx.ward.group_owners.items())),
    )
    cached = _ANSWER_CACHE.get(key)
    if cached is not None:
        text = cached
    else:
        text = render(match, snap, prev, ctx.ward, _)
        _ANSWER_CACHE[key] = text
        if len(_ANSWER_CACHE) > _ANSWER_CACHE_SIZE:
            _ANSWER_CACHE.popitem(last=False)
    image = ctx.services.charts.image(ctx.ward, snap, _.lang) if ctx.services.charts else None
    return Reply(text, image=image)


def render(
    match: IntentMatch,
    snap: SnapshotRec,
    prev: SnapshotRec | None,
    ward: WardRec,
    _: Translator,
) -> str:
    lines = [_header(snap, ward, _)]
    if match.intent == "rank":
        lines += [_rank_line(snap, _), _total_line(snap, _)]
    else:
        lines += [_total_line(snap, _), _rank_line(snap, _)]
    lines.append(_change_line(snap, prev, _))
    if match.group and match.group in BY_CODE:
        lines += ["", *_one_group(snap, prev, match.group, ward, _)]
    elif match.intent == "weak_groups":
        lines += ["", *_weak_groups(snap, ward, _)]
    elif match.intent == "compare":
        lines += ["", *_group_changes(snap, prev, _)]
    elif match.intent == "rank":
        lines += ["", *_worst_line(snap, ward, _)]
    else:
        lines += ["", _("**Groups:**"), *_group_lines(snap, _), "", *_worst_line(snap, ward, _)]
    return "\n".join(line for line in lines if line is not None).strip()


def _header(snap: SnapshotRec, ward: WardRec, _: Translator) -> str:
    return _(
        "📊 **{ward}** — {period} (figures as of {as_of})",
        ward=ward.name,
        period=period_name(snap, _),
        as_of=_.date(snap.as_of),
    )


def _total_line(snap: SnapshotRec, _: Translator) -> str:
    return _(
        "Total: **{total}**/{max} points — {band}",
        total=_.number(snap.total),
        max=_.number(TOTAL_MAX),
        band=band_name(snap.total, _),
    )


def _rank_line(snap: SnapshotRec, _: Translator) -> str:
    if snap.rank is None:
        return _("Rank: not given in the stored figures.")
    if snap.rank_of:
        return _("Rank: **{rank}/{of}**", rank=snap.rank, of=snap.rank_of)
    return _("Rank: **{rank}**", rank=snap.rank)


def _change_line(snap: SnapshotRec, prev: SnapshotRec | None, _: Translator) -> str:
    if prev is None:
        return _("No earlier figures of this kind to compare with.")
    diff = snap.total - prev.total
    if diff > 0:
        points = _("up {points} points", points=_.number(diff))
    elif diff < 0:
        points = _("down {points} points", points=_.number(-diff))
    else:
        points = _("the same score")
    places = ""
    if snap.rank is not None and prev.rank is not None:
        moved = prev.rank - snap.rank
        if moved > 0:
            places = _.plural("up {n} place", "up {n} places", moved)
        elif moved < 0:
            places = _.plural("down {n} place", "down {n} places", -moved)
        else:
            places = _("same rank")
    since = period_name(prev, _) if prev.period_kind != "year" else _.date(prev.as_of)
    if places:
        return _("Since {since}: {points}, {places}.", since=since, points=points, places=places)
    return _("Since {since}: {points}.", since=since, points=points)


def _group_line(g: GroupRec, _: Translator) -> str:
    name = group_name(g.code, _)
    rank = _(", rank {rank}", rank=g.rank) if g.rank else ""
    if g.missing <= 0:
        return _(
            "✅ {name}: {score}/{max}{rank}",
            name=name,
            score=_.number(g.score),
            max=_.number(g.max_score),
            rank=rank,
        )
    return _(
        "▫️ {name}: {score}/{max} (missing {missing}){rank}",
        name=name,
        score=_.number(g.score),
        max=_.number(g.max_score),
        missing=_.number(g.missing),
        rank=rank,
    )


def _group_lines(snap: SnapshotRec, _: Translator) -> list[str]:
    return [_group_line(g, _) for g in snap.groups]


def _owner(ward: WardRec, code: str) -> str | None:
    dept = ward.department(ward.group_owners.get(code))
    return dept.name if dept else None


def _worst_line(snap: SnapshotRec, ward: WardRec, _: Translator) -> list[str]:
    losing = sorted((g for g in snap.groups if g.missing > 0), key=lambda g: -g.missing)
    if not losing:
        return [_("🏆 Every group is at its maximum.")]
    worst = losing[0]
    owner = _owner(ward, worst.code)
    line = _(
        "Losing most: **{name}** (missing {missing} points)",
        name=group_name(worst.code, _),
        missing=_.number(worst.missing),
    )
    if owner:
        line += _(" — owner: {owner}", owner=owner)
    return [line]


def _weak_groups(snap: SnapshotRec, ward: WardRec, _: Translator) -> list[str]:
    losing = sorted((g for g in snap.groups if g.missing > 0), key=lambda g: -g.missing)
    if not losing:
        return [_("🏆 Every group is at its maximum.")]
    total_missing = sum((g.missing for g in losing), Decimal(0))
    lines = [
        _.plural(
            "**{n} group is below its maximum** ({missing} points missing in all):",
            "**{n} groups are below their maximum** ({missing} points missing in all):",
            len(losing),
            missing=_.number(total_missing),
        )
    ]
    for g in losing:
        line = _group_line(g, _)
        owner = _owner(ward, g.code)
        if owner:
            line += _(" — owner: {owner}", owner=owner)
        lines.append(line)
    return lines


def _group_changes(snap: SnapshotRec, prev: SnapshotRec | None, _: Translator) -> list[str]:
    if prev is None:
        return _group_lines(snap, _)
    before = {g.code: g for g in prev.groups}
    lines = [_("**Groups, change since {since}:**", since=period_name(prev, _))]
    for g in snap.groups:
        old = before.get(g.code)
        if old is None:
            change = "—"
        elif old.score == g.score:
            change = _("unchanged")
        else:
            change = _.signed(g.score - old.score)
        lines.append(
            _(
                "{name}: {score}/{max} ({change})",
                name=group_name(g.code, _),
                score=_.number(g.score),
                max=_.number(g.max_score),
                change=change,
            )
        )
    return lines


def _one_group(
    snap: SnapshotRec, prev: SnapshotRec | None, code: str, ward: WardRec, _: Translator
) -> list[str]:
    group = next((g for g in snap.groups if g.code == code), None)
    if group is None:
        return [_("The stored figures have no score for {name}.", name=group_name(code, _))]
    lines = [_group_line(group, _)]
    old = next((g for g in prev.groups if g.code == code), None) if prev else None
    if old is not None and prev is not None:
        lines.append(
            _(
                "Change since {since}: {change}",
                since=period_name(prev, _),
                change=_.signed(group.score - old.score),
            )
        )
    owner = _owner(ward, code)
    if owner:
        lines.append(_("Owner: {owner}", owner=owner))
    return lines
