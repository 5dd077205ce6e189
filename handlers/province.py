"""Answers from the province's list of communes that the portal's daily fetch stores:
"xếp hạng toàn tỉnh" (the ward's place and the list around it, in pages), "top 10",
"xã nào dưới 80", "phường mình đứng sau ai" (the communes just above, with the gaps) and
"nhóm nào cả tỉnh đều yếu" (each index group across the province, the weakest first, with
the ward beside it). `/tinh` asks the same: `/tinh 3` is page 3 of the ranking, `/tinh top 5`,
`/tinh dưới 85`, `/tinh đứng sau ai`, `/tinh nhóm yếu`.

The list comes only from the portal (`[portal]` in ward.toml); without it the answer says so
and guesses nothing. Staff chats only (action see_ward_data; the router keeps ward data out
of other groups).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from handlers.context import Ctx
from handlers.intents import IntentMatch, match_intent
from handlers.labels import group_name, period_label
from handlers.pages import (
    page_buttons,
    page_choices,
    page_count,
    page_heading,
    page_hint,
    page_items,
)
from handlers.permissions import check
from handlers.protocol import Reply, literal
from ingest.index_groups import BANDS
from ingest.province_stats import (
    Commune,
    ProvinceRanking,
    group_standings,
    neighbours,
    to_decimal,
    top,
    under,
)
from locales import Translator
from store.province import PERIOD_KINDS, ProvinceStore, ward_index, ward_source
from store.records import PendingRec, WardRec

PAGES_KIND = "province_list"  # the pending question that pages through the ranking
PAGE_SIZE = 20
TOP_DEFAULT = 10
TOP_MAX = 50
UNDER_SHOWN = 40  # communes listed under a threshold; the rest are counted
ABOVE_SHOWN = 3
# "xã nào dưới" without a number: the floor of "Tốt" (ingest/index_groups.py)
UNDER_DEFAULT = next(floor for floor, code in BANDS if code == "tot")
FULL_SHARE = Decimal("99.5")  # a group whose average is this close to its maximum is fine
INTENTS = ("province_rank", "province_top", "province_below", "province_above", "province_groups")
# what an argument of /tinh asks, when the matcher reads it as a question about the ward
IN_PROVINCE = {
    "rank": "province_rank",
    "score": "province_rank",
    "weak_groups": "province_groups",
    "compare": "province_above",
}
_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{1,2})?(?![\d])")
_INTEGER = re.compile(r"(?<![\d.,])\d{1,4}(?![\d.,])")
_PAGE = re.compile(r"^\s*(\d{1,3})\s*$")
_MARK = " ◀"


def store(ctx: Ctx) -> ProvinceStore:
    repo = ctx.repo
    return ProvinceStore.for_sessions(repo.sessions, cache_ttl=repo.cache_ttl)


def _kinds(match: IntentMatch | None) -> tuple[str, ...]:
    if match is not None and match.period == "year":
        return ("year", *(k for k in PERIOD_KINDS if k != "year"))
    return PERIOD_KINDS


# --- entry points ---------------------------------------------------------------------------
async def answer(ctx: Ctx, text: str, match: IntentMatch) -> Reply:
    """A free-text question of one of INTENTS (the text gives N or the threshold)."""
    refusal = check(ctx, "see_ward_data")
    if refusal is not None:
        return refusal
    assert ctx.ward is not None
    plist = await store(ctx).ward_list(ctx.ward, _kinds(match))
    if plist is None:
        return _no_list(ctx, ctx.ward)
    intent = match.intent if match.intent in INTENTS else "province_rank"
    if intent == "province_rank" and match.group is not None:
        intent = "province_groups"  # "dvc toàn tỉnh": how a group fares across the province
    _ = ctx._
    if intent == "province_top":
        return Reply(_top(plist, ctx.ward, _first_integer(text), _))
    if intent == "province_below":
        return _under(plist, ctx.ward, text, _)
    if intent == "province_above":
        return Reply(_above(plist, ctx.ward, _))
    if intent == "province_groups":
        return Reply(_groups(plist, ctx.ward, _))
    return await _ranking(ctx, plist, None)


async def command(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    """/tinh [N | top N | dưới N | đứng sau ai | nhóm yếu | lũy kế], or the free-text
    questions that share it (then `arg` is the whole text and `match` its intent)."""
    if match is not None:
        return await answer(ctx, arg, match)
    page = _PAGE.match(arg)
    if page is not None:
        refusal = check(ctx, "see_ward_data")
        if refusal is not None:
            return refusal
        assert ctx.ward is not None
        plist = await store(ctx).ward_list(ctx.ward)
        if plist is None:
            return _no_list(ctx, ctx.ward)
        return await _ranking(ctx, plist, int(page.group(1)))
    asked = match_intent(arg) if arg.strip() else None
    if asked is not None and asked.intent not in INTENTS:
        intent = IN_PROVINCE.get(asked.intent, "province_rank")
        asked = IntentMatch(intent, asked.period, asked.group, asked.confidence)
    return await answer(ctx, arg, asked or IntentMatch("province_rank", None, None, 1.0))


async def show_page(ctx: Ctx, pending: PendingRec, page: int) -> Reply:
    """Another page of the ranking (a page button or /trang N): the same list as before."""
    refusal = check(ctx, "see_ward_data")
    if refusal is not None:
        return refusal
    assert ctx.ward is not None
    payload = pending.payload
    plist = await store(ctx).ward_list(
        ctx.ward, (str(payload.get("kind")),), payload.get("year"), payload.get("period")
    )
    if plist is None:
        return _no_list(ctx, ctx.ward)
    pages = page_count(plist.size, PAGE_SIZE)
    if not 1 <= page <= pages:
        return Reply(
            ctx._(
                "There is no page {page} (1–{pages}); nothing was changed.", page=page, pages=pages
            )
        )
    return await _ranking(ctx, plist, page)


# --- the answers ----------------------------------------------------------------------------
def _no_list(ctx: Ctx, ward: WardRec) -> Reply:
    _ = ctx._
    if ward_source(ward) is None:
        text = _(
            "The province's ranking comes from the national portal's daily fetch ([portal] "
            "in ward.toml). {ward} has no [portal] set up, so there is no province list; I do "
            "not guess one.",
            ward=ward.name,
        )
    else:
        text = _(
            "No province list has been fetched for {ward} yet: it comes from the national "
            "portal's daily fetch ([portal] in ward.toml); I do not guess one.",
            ward=ward.name,
        )
    return Reply(text + "\n" + _("The rank in the ward's own stored figures: /xephang."))


def _header(title: str, plist: ProvinceRanking, _: Translator) -> list[str]:
    return [
        title,
        _(
            "Source: the national portal, fetched at {at}.",
            at=_.datetime(plist.fetched_at),
        ),
    ]


def _period(plist: ProvinceRanking, _: Translator) -> str:
    return period_label(plist.period_kind, plist.year, plist.period, _)


def _title(plist: ProvinceRanking, _: Translator) -> str:
    return _(
        "🏛 **Province ranking** — {period}: {n} communes and wards",
        period=_period(plist, _),
        n=plist.size,
    )


def _line(c: Commune, _: Translator, *, own: bool = False, extra: str = "") -> str:
    text = f"{c.rank}. {literal(c.name)} — {_.number(c.total)}{extra}"
    return f"**{text}**{_MARK}" if own else text


def _place(plist: ProvinceRanking, ward: WardRec, index: int | None, _: Translator) -> str:
    if index is None:
        return _(
            "{ward} is not found in this list; check unit_id or unit_name under [portal] in "
            "ward.toml.",
            ward=ward.name,
        )
    own = plist.communes[index]
    return _(
        "**{ward}** ranks **{rank}/{of}** with {total} points.",
        ward=ward.name,
        rank=own.rank,
        of=plist.size,
        total=_.number(own.total),
    )


async def _ranking(ctx: Ctx, plist: ProvinceRanking, page: int | None) -> Reply:
    """The ward's place and one page of the list: the page with the ward unless one is
    asked for. Page buttons (and /trang N) when no other question of the person waits."""
    assert ctx.ward is not None
    _ = ctx._
    index = ward_index(plist, ctx.ward)
    pages = page_count(plist.size, PAGE_SIZE)
    if page is None:
        page = (index // PAGE_SIZE + 1) if index is not None else 1
    page = min(max(1, page), pages)
    lines = _header(_title(plist, _), plist, _)
    lines.append(_place(plist, ctx.ward, index, _))
    shown = page_items(plist.communes, page, PAGE_SIZE)
    if pages > 1:
        lines += ["", page_heading(page, pages, shown[0][0], shown[-1][0], _)]
    else:
        lines.append("")
    lines += [_line(c, _, own=number - 1 == index) for number, c in shown]
    reply = Reply("")
    if pages > 1:
        pending_id = await _ask_pages(ctx, plist, page, pages)
        if pending_id is not None:
            lines += ["", page_hint(pages, _)]
            reply.buttons = [page_buttons(pending_id, page, pages, _)]
        else:
            lines += ["", _("Other pages: /tinh N (1–{pages}).", pages=pages)]
    reply.text = "\n".join(lines)
    return reply


async def _ask_pages(ctx: Ctx, plist: ProvinceRanking, page: int, pages: int) -> int | None:
    """Asks the paging question, unless the person has another question open here (a
    directive being loaded): a list never drops it."""
    inbound = ctx.inbound
    waiting = await ctx.repo.pending(inbound.channel, inbound.chat_id, inbound.user_id)
    if (
        waiting is not None
        and waiting.kind != PAGES_KIND
        and (waiting.expires_at is None or waiting.expires_at >= ctx.clock.now())
    ):
        return None
    payload: dict[str, Any] = {
        "kind": plist.period_kind,
        "year": plist.year,
        "period": plist.period,
        "page": page,
    }
    return await ctx.ask(PAGES_KIND, payload, page_choices(page, pages))


def _top(plist: ProvinceRanking, ward: WardRec, wanted: int | None, _: Translator) -> str:
    n = min(wanted or TOP_DEFAULT, TOP_MAX, plist.size)
    if n < 1:
        n = TOP_DEFAULT
    head = top(plist, n)
    index = ward_index(plist, ward)
    own = plist.communes[index] if index is not None else None
    lines = _header(
        _("🏆 **Top {n} of the province** — {period}", n=n, period=_period(plist, _)), plist, _
    )
    if wanted is not None and wanted > TOP_MAX:
        lines.append(_("I list at most {n}.", n=TOP_MAX))
    lines.append("")
    lines += [_line(c, _, own=c is own) for c in head]
    if own is not None and own not in head:
        last = head[-1]
        lines += [
            "",
            _(
                "{ward}: rank {rank}/{of}, {total} points ({gap} points behind rank {last}).",
                ward=ward.name,
                rank=own.rank,
                of=plist.size,
                total=_.number(own.total),
                gap=_.number(last.total - own.total),
                last=last.rank,
            ),
        ]
    elif own is None:
        lines += ["", _place(plist, ward, None, _)]
    return "\n".join(lines)


def _under(plist: ProvinceRanking, ward: WardRec, text: str, _: Translator) -> Reply:
    number = _NUMBER.search(text)
    threshold = to_decimal(number.group()) if number else UNDER_DEFAULT
    if threshold is None or not Decimal(0) < threshold <= Decimal(100):
        return Reply(_("A threshold is a number of points from 0 to 100, e.g. “xã nào dưới 80”."))
    found = under(plist, threshold)
    index = ward_index(plist, ward)
    own = plist.communes[index] if index is not None else None
    lines = _header(
        _(
            "📉 **Communes and wards under {threshold} points** — {period}: {count}/{n}",
            threshold=_.number(threshold),
            period=_period(plist, _),
            count=len(found),
            n=plist.size,
        ),
        plist,
        _,
    )
    if not found:
        lines.append(
            _(
                "No commune or ward of the province is under {threshold} points.",
                threshold=_.number(threshold),
            )
        )
    else:
        lines.append("")
        lines += [_line(c, _, own=c is own) for c in found[:UNDER_SHOWN]]
        if len(found) > UNDER_SHOWN:
            rest = len(found) - UNDER_SHOWN
            lines.append(_("… and {n} more communes and wards.", n=rest))
    if own is None:
        lines += ["", _place(plist, ward, None, _)]
    elif own not in found:
        lines += [
            "",
            _(
                "{ward}: {total} points (rank {rank}/{of}), not under the threshold.",
                ward=ward.name,
                total=_.number(own.total),
                rank=own.rank,
                of=plist.size,
            ),
        ]
    return Reply("\n".join(lines))


def _above(plist: ProvinceRanking, ward: WardRec, _: Translator) -> str:
    index = ward_index(plist, ward)
    if index is None:
        return "\n".join([*_header(_title(plist, _), plist, _), _place(plist, ward, None, _)])
    own = plist.communes[index]
    near = neighbours(plist, index, above=ABOVE_SHOWN, below=1)
    lines = _header(
        _(
            "⬆️ **Just above {ward}** — {period} (rank {rank}/{of}, {total} points)",
            ward=ward.name,
            period=_period(plist, _),
            rank=own.rank,
            of=plist.size,
            total=_.number(own.total),
        ),
        plist,
        _,
    )
    if not near.above:
        lines.append(_("{ward} is first in the province.", ward=ward.name))
    else:
        lines.append("")
        for c in near.above:
            ahead = _("{gap} points ahead", gap=_.number(c.total - own.total))
            lines.append(_line(c, _, extra=f" ({ahead})"))
        nearest = near.above[-1]
        lines += [
            "",
            _(
                "Gap to the next one up ({name}): {gap} points.",
                name=literal(nearest.name),
                gap=_.number(nearest.total - own.total),
            ),
        ]
    if near.level:
        names = ", ".join(literal(c.name) for c in near.level)
        lines.append(_("Same total: {names}.", names=names))
    if near.below:
        c = near.below[0]
        lines.append(
            _(
                "Just below: {line} ({gap} points behind).",
                line=_line(c, _),
                gap=_.number(own.total - c.total),
            )
        )
    return "\n".join(lines)


def _groups(plist: ProvinceRanking, ward: WardRec, _: Translator) -> str:
    index = ward_index(plist, ward)
    own = plist.communes[index] if index is not None else None
    standings = group_standings(plist, own)
    lines = _header(
        _(
            "📊 **Index groups across the province** — {period} ({n} communes and wards), "
            "weakest first:",
            period=_period(plist, _),
            n=plist.size,
        ),
        plist,
        _,
    )
    if not standings:
        lines.append(_("The province list has no scores per group."))
        return "\n".join(lines)
    lines.append("")
    behind = []
    for g in standings:
        mark = "✅" if g.share_of_max >= FULL_SHARE else "▫️"
        lines.append(
            _(
                "{mark} {name}: average {average}/{max} ({share}% of the maximum), "
                "{at_max}/{counted} at the maximum",
                mark=mark,
                name=group_name(g.code, _),
                average=_.number(g.average),
                max=_.number(g.max_score),
                share=_.number(g.share_of_max, 1),
                at_max=g.at_max,
                counted=g.counted,
            )
        )
        if g.ward_score is not None:
            diff = g.ward_score - g.average
            lines.append(
                "    "
                + _(
                    "{ward}: {score} ({diff} against the average)",
                    ward=ward.name,
                    score=_.number(g.ward_score),
                    diff=_.signed(diff.quantize(Decimal("0.01"))),
                )
            )
            if diff < 0:
                behind.append(group_name(g.code, _))
    weakest = standings[0]
    lines += [
        "",
        _(
            "Weakest across the province: **{name}** (on average {share}% of the maximum).",
            name=group_name(weakest.code, _),
            share=_.number(weakest.share_of_max, 1),
        ),
    ]
    if own is None:
        lines.append(_place(plist, ward, None, _))
    elif behind:
        lines.append(
            _(
                "{ward} is below the province's average in: {names}.",
                ward=ward.name,
                names=", ".join(behind),
            )
        )
    else:
        lines.append(
            _("{ward} is at or above the province's average in every group.", ward=ward.name)
        )
    return "\n".join(lines)


def _first_integer(text: str) -> int | None:
    found = _INTEGER.search(text)
    return int(found.group()) if found else None
