"""Charts of a snapshot: the six groups against their max, and the total over time; and the
six-month chart of the briefing and of "điểm 6 tháng qua" (total and groups, band lines).

A chart is drawn once per snapshot and language and kept in the database (chart_images);
each channel's id for the uploaded picture (Telegram's file_id) is kept beside it, so a
question never draws or uploads the same picture twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.labels import BAND_NAMES, group_name, period_label
from handlers.protocol import Image
from ingest.index_groups import GROUPS
from locales import translator
from reports.trend import six_month_key, snapshot_ids
from store.records import SnapshotRec, WardRec
from store.repo import Repo


@dataclass(frozen=True)
class ChartData:
    title: str
    group_labels: list[str]
    scores: list[float]
    maxima: list[float]
    history_labels: list[str]
    history_totals: list[float]
    score_label: str
    max_label: str
    total_label: str


def draw(data: ChartData) -> bytes:
    """Renders the chart to PNG bytes (matplotlib's object API: safe in a worker thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    bars, trend = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    y = list(range(len(data.group_labels)))[::-1]
    bars.barh(y, data.maxima, color="#e3e7ee", label=data.max_label)
    colors = [
        "#2e7d32" if s >= m else "#ef6c00" for s, m in zip(data.scores, data.maxima, strict=True)
    ]
    bars.barh(y, data.scores, color=colors, label=data.score_label)
    for yi, s, m in zip(y, data.scores, data.maxima, strict=True):
        bars.text(m + 0.3, yi, f"{s:g}/{m:g}".replace(".", ","), va="center", fontsize=8)
    bars.set_yticks(y, data.group_labels, fontsize=8)
    bars.set_xlim(0, max(data.maxima) + 5)
    bars.spines[["top", "right"]].set_visible(False)
    bars.set_title(data.title, fontsize=10, loc="left")
    if data.history_totals:
        xs = list(range(len(data.history_totals)))
        trend.plot(xs, data.history_totals, marker="o", color="#1565c0")
        trend.set_xticks(xs, data.history_labels, rotation=45, fontsize=7, ha="right")
        low = min(data.history_totals)
        trend.set_ylim(max(0, low - 5), 100)
        last = data.history_totals[-1]
        trend.annotate(
            f"{last:g}".replace(".", ","),
            (xs[-1], last),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    trend.set_title(data.total_label, fontsize=10, loc="left")
    trend.grid(axis="y", alpha=0.3)
    trend.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


class _SnapshotChart:
    def __init__(self, service: ChartService, ward: WardRec, snap: SnapshotRec, language: str):
        self.service, self.ward, self.snap, self.language = service, ward, snap, language

    async def png(self) -> bytes:
        return await self.service.png(self.ward, self.snap, self.language)

    async def channel_id(self, channel: str) -> str | None:
        return await self.service.channel_id(self.snap.id, self.language, channel)

    async def remember(self, channel: str, file_id: str) -> None:
        await self.service.remember(self.snap.id, self.language, channel, file_id)


class ChartService:
    def __init__(self, repo: Repo):
        self.repo = repo
        self._ids: dict[tuple[int, str, str], str | None] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    def image(self, ward: WardRec, snapshot: SnapshotRec, language: str) -> Image:
        return Image(
            key=f"chart:{snapshot.id}:{language}",
            source=_SnapshotChart(self, ward, snapshot, language),
        )

    def six_months(
        self, ward: WardRec, snapshots: Sequence[SnapshotRec], language: str
    ) -> SixMonthChart | None:
        """The six-month chart of `snapshots` (`reports.trend.six_month_set`); None for none.
        Nothing is drawn until its `png()` is asked for."""
        return SixMonthChart(self, ward, snapshots, language) if snapshots else None

    def six_month_image(
        self, ward: WardRec, snapshots: Sequence[SnapshotRec], language: str, caption: str = ""
    ) -> Image | None:
        chart = self.six_months(ward, snapshots, language)
        return chart.image(caption) if chart else None

    async def image_of_key(self, ward: WardRec, key: str, language: str) -> Image | None:
        """The six-month chart a briefing names by its `chart_key` (`reports.trend`), or None
        when the key is empty or its snapshots are gone (a later correction replaced them)."""
        ids = snapshot_ids(key)
        snapshots = [s for s in [await self.repo.snapshot(i) for i in ids] if s is not None]
        if not snapshots or len(snapshots) != len(ids):
            return None
        return self.six_month_image(ward, snapshots, language)

    async def channel_id(self, snapshot_id: int, language: str, channel: str) -> str | None:
        key = (snapshot_id, language, channel)
        if key in self._ids:
            return self._ids[key]
        async with self._locks.setdefault((snapshot_id, language), asyncio.Lock()):
            if key not in self._ids:
                stored = await self.repo.chart(snapshot_id, language)
                self._ids[key] = stored[1].get(channel) if stored else None
        return self._ids[key]

    async def remember(self, snapshot_id: int, language: str, channel: str, file_id: str) -> None:
        self._ids[(snapshot_id, language, channel)] = file_id
        await self.repo.save_chart_channel_id(snapshot_id, language, channel, file_id)

    async def png(self, ward: WardRec, snap: SnapshotRec, language: str) -> bytes:
        lock = self._locks.setdefault((snap.id, language), asyncio.Lock())
        async with lock:
            stored = await self.repo.chart(snap.id, language)
            if stored is not None:
                return stored[0]
            data = await self._data(ward, snap, language)
            png = await asyncio.to_thread(draw, data)
            await self.repo.save_chart(snap.id, language, png)
            return png

    async def _data(self, ward: WardRec, snap: SnapshotRec, language: str) -> ChartData:
        _ = translator(language)
        history = await self.repo.snapshot_history(ward.id, snap.period_kind, limit=24)
        series = [
            s
            for s in history
            if (s.year, s.period, s.as_of) <= (snap.year, snap.period, snap.as_of)
        ][:12]
        series.reverse()

        def short(s: SnapshotRec) -> str:
            if s.period_kind == "year":
                return _.date(s.as_of)[:5]
            return f"{s.period}/{s.year % 100:02d}" if s.period else str(s.year)

        return ChartData(
            title=_(
                "{ward} — {period}",
                ward=ward.name,
                period=period_label(snap.period_kind, snap.year, snap.period, _),
            ),
            group_labels=[group_name(g.code, _) for g in snap.groups],
            scores=[float(g.score) for g in snap.groups],
            maxima=[float(g.max_score) for g in snap.groups],
            history_labels=[short(s) for s in series],
            history_totals=[float(s.total) for s in series],
            score_label=_("Score"),
            max_label=_("Maximum"),
            total_label=_("Total over time"),
        )


# --- the six-month chart ("điểm 6 tháng qua") ----------------------------------------------------
# One axis for everything: the total is out of 100, so its points are a percentage already, and
# each group is drawn as a percentage of its own maximum. Raw group scores (10 to 22 points)
# would lie squashed under a 100-point total and could not be compared with one another; as
# percentages, a group slipping from 100 % to 80 % is as visible as the total crossing a band,
# and the band lines at 80 (Tốt) and 90 (Xuất sắc) read for the total in points and for the
# groups as "80 % / 90 % of the maximum".
#
# Drawn once per snapshot set and language: the set is named by `reports.trend.six_month_key`
# (its sorted snapshot ids). The picture is kept in `chart_images`, whose key (snapshot_id,
# language VARCHAR(8)) takes it without a migration: snapshot_id is the set's newest id (so the
# row goes when that snapshot does) and `language` is the language followed by six hex digits
# of the key's SHA-1 ("vi3fa91c"), which never equals a plain language code. Two sets sharing
# their newest snapshot would need the same 24-bit hash to collide, and a ward has a handful of
# such sets at most. Telegram's file_id is kept beside it, as for the snapshot charts.
TREND_COLORS = ("#6d4c41", "#00897b", "#8e24aa", "#f9a825", "#5c6bc0", "#d81b60")
BAND_LINES = ((90, "xuat_sac"), (80, "tot"))


@dataclass(frozen=True)
class TrendData:
    title: str
    months: list[str]
    totals: list[float]
    groups: list[tuple[str, list[float | None]]]  # label, % of its max per month
    total_label: str
    bands: list[tuple[float, str]]  # (line, label)
    y_label: str


def draw_six_months(data: TrendData) -> bytes:
    """The six-month chart as PNG bytes (matplotlib's object API: safe in a worker thread)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    xs = list(range(len(data.months)))
    values = [v for _label, series in data.groups for v in series if v is not None]
    low = min([*data.totals, *values, 80.0])
    bottom = max(0.0, (int(low) // 5) * 5 - 5)
    ax.axhspan(90, 101, color="#e8f5e9", zorder=0)
    ax.axhspan(80, 90, color="#fffde7", zorder=0)
    for (line, label), color in zip(data.bands, ("#2e7d32", "#ef6c00"), strict=False):
        ax.axhline(line, color=color, linestyle="--", linewidth=1, zorder=1, label=label)
    for (label, series), color in zip(data.groups, TREND_COLORS, strict=False):
        points = [(x, v) for x, v in zip(xs, series, strict=True) if v is not None]
        if points:
            ax.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                marker=".",
                linewidth=1,
                color=color,
                alpha=0.85,
                label=label,
                zorder=2,
            )
    ax.plot(
        xs,
        data.totals,
        marker="o",
        linewidth=2.6,
        color="#1565c0",
        label=data.total_label,
        zorder=3,
    )
    for x, total in zip(xs, data.totals, strict=True):
        ax.annotate(
            f"{total:.2f}".rstrip("0").rstrip(".").replace(".", ","),
            (x, total),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=8,
            color="#1565c0",
            fontweight="bold",
        )
    ax.set_xticks(xs, data.months, fontsize=8)
    ax.set_xlim(-0.4, max(len(xs) - 0.6, 0.6))
    ax.set_ylim(bottom, 102)
    ax.set_ylabel(data.y_label, fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(data.title, fontsize=10, loc="left")
    handles, labels = ax.get_legend_handles_labels()
    bands = {label for _line, label in data.bands}
    rank = {
        label: 0 if label == data.total_label else 2 if label in bands else 1 for label in labels
    }
    order = sorted(range(len(labels)), key=lambda i: (rank[labels[i]], i))  # total, groups, bands
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
    )
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def trend_slot(key: str, language: str) -> str:
    """The `chart_images.language` value of a six-month chart (8 characters at most)."""
    return language[:2] + hashlib.sha1(key.encode()).hexdigest()[:6]


def trend_data(ward: WardRec, snapshots: Sequence[SnapshotRec], language: str) -> TrendData:
    _ = translator(language)
    codes = [g.code for g in GROUPS]
    series: dict[str, list[float | None]] = {code: [] for code in codes}
    for s in snapshots:
        by_code = {g.code: g for g in s.groups}
        for code in codes:
            g = by_code.get(code)
            series[code].append(
                float(g.score / g.max_score * 100) if g is not None and g.max_score else None
            )
    months = [f"{s.period:02d}/{s.year}" for s in snapshots]
    return TrendData(
        title=_(
            "{ward} — the scores of the last six months ({start} – {end})",
            ward=ward.name,
            start=months[0],
            end=months[-1],
        ),
        months=months,
        totals=[float(s.total) for s in snapshots],
        groups=[(group_name(code, _), series[code]) for code in codes],
        total_label=_("Total (points)"),
        bands=[(float(line), _(BAND_NAMES[code]) + f" ({line})") for line, code in BAND_LINES],
        y_label=_("Points; groups as % of their maximum"),
    )


class SixMonthChart:
    """The six-month chart of one snapshot set, in one language: drawn at most once (here or by
    any process sharing the database), then read back."""

    def __init__(
        self, service: ChartService, ward: WardRec, snapshots: Sequence[SnapshotRec], language: str
    ):
        self.service, self.ward, self.language = service, ward, language
        self.snapshots = tuple(snapshots)
        self.key = six_month_key(self.snapshots)
        self.anchor = max(s.id for s in self.snapshots)
        self.slot = trend_slot(self.key, language)

    def image(self, caption: str = "") -> Image:
        digest = self.slot[2:]
        return Image(key=f"chart6:{digest}:{self.language}", source=self, caption=caption)

    async def png(self) -> bytes:
        lock = self.service._locks.setdefault((self.anchor, self.slot), asyncio.Lock())
        async with lock:
            stored = await self.service.repo.chart(self.anchor, self.slot)
            if stored is not None:
                return stored[0]
            data = trend_data(self.ward, self.snapshots, self.language)
            png = await asyncio.to_thread(draw_six_months, data)
            await self.service.repo.save_chart(self.anchor, self.slot, png)
            return png

    async def channel_id(self, channel: str) -> str | None:
        return await self.service.channel_id(self.anchor, self.slot, channel)

    async def remember(self, channel: str, file_id: str) -> None:
        await self.service.remember(self.anchor, self.slot, channel, file_id)
