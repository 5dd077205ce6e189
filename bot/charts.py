"""Charts of a snapshot: the six groups against their max, and the total over time.

A chart is drawn once per snapshot and language and kept in the database (chart_images);
each channel's id for the uploaded picture (Telegram's file_id) is kept beside it, so a
question never draws or uploads the same picture twice.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from handlers.labels import group_name, period_label
from handlers.protocol import Image
from locales import translator
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
