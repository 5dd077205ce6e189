"""“điểm 6 tháng qua”, /bieudo: the ward's monthly totals of the last six months, with the chart
of the total and each group against the band lines (drawn once per snapshot set, bot/charts)."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.intents import IntentMatch
from handlers.labels import band_name, period_label
from handlers.permissions import may_ever
from handlers.protocol import Reply
from ingest.index_groups import TOTAL_MAX
from reports.trend import MONTHS, six_month_set


async def answer(ctx: Ctx, match: IntentMatch | None = None) -> Reply:
    assert ctx.ward is not None
    _ = ctx._
    history = await ctx.repo.snapshot_history(ctx.ward.id, "month", limit=MONTHS * 2)
    snapshots = six_month_set(history)
    if not snapshots:
        text = _("No monthly score figures are stored for {ward} yet.", ward=ctx.ward.name)
        if may_ever(ctx.person, "load_scores"):
            text += "\n" + _(
                "To add them: paste the text of a score report here, send a .txt, .csv or "
                ".xlsx file, type /capnhatdiem, or run `chiso import scores FILE` on the server."
            )
        else:
            text += "\n" + _("Please ask an administrator to add the latest figures.")
        return Reply(text)
    first, last = snapshots[0], snapshots[-1]
    lines = [
        _(
            "📈 **{ward}** — scores of the last six months ({start} – {end})",
            ward=ctx.ward.name,
            start=period_label("month", first.year, first.period, _),
            end=period_label("month", last.year, last.period, _),
        )
    ]
    for s in snapshots:
        lines.append(
            _(
                "{period}: {total}/{max} — {band}",
                period=period_label("month", s.year, s.period, _),
                total=_.number(s.total),
                max=_.number(TOTAL_MAX),
                band=band_name(s.total, _),
            )
        )
    if len(snapshots) > 1:
        diff = last.total - first.total
        if diff > 0:
            change = _("up {points} points", points=_.number(diff))
        elif diff < 0:
            change = _("down {points} points", points=_.number(-diff))
        else:
            change = _("the same score")
        lines.append(
            _(
                "Since {since}: {points}.",
                since=period_label("month", first.year, first.period, _),
                points=change,
            )
        )
    charts = ctx.services.charts
    image = charts.six_month_image(ctx.ward, snapshots, _.lang) if charts else None
    if image is not None:
        lines.append(_("The chart shows each group as a share of its maximum."))
    return Reply("\n".join(lines), image=image)
