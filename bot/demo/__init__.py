"""`chiso demo`: a fictional ward (examples/ward.toml) with a year of made-up figures."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete

from ingest.index_groups import GROUPS
from ingest.snapshot_draft import GroupScore, SnapshotDraft
from ingest.ward_config import load_ward_config
from store import models as m
from store.setup import apply_ward_config

if TYPE_CHECKING:
    from bot.app import App

HERE = Path(__file__).parent
RANK_OF = 94
# Group scores a year ago and now (same order as GROUPS); months in between are interpolated
# with a small fixed wobble, so the demo shows progress, a dip, and groups still short.
START = (
    Decimal("17.1"),
    Decimal("18.9"),
    Decimal("6.4"),
    Decimal("6.9"),
    Decimal("17.2"),
    Decimal("14.8"),
)
END = (
    Decimal("18"),
    Decimal("19.93"),
    Decimal("8.07"),
    Decimal("8.79"),
    Decimal("18"),
    Decimal("18.89"),
)
WOBBLE = (0, 1, -1, 2, -2, 0, 1, -3, 1, 0, 1, 0)
CENT = Decimal("0.01")


def _months_back(today: date, count: int) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    result = []
    for _ in range(count):
        result.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return result[::-1]


def _month_end(year: int, month: int, today: date) -> date:
    end = date(year, month, calendar.monthrange(year, month)[1])
    return min(end, today)


def monthly_figures(today: date) -> list[SnapshotDraft]:
    months = _months_back(today, 12)
    drafts = []
    for i, (year, month) in enumerate(months):
        t = Decimal(i) / Decimal(len(months) - 1)
        groups = {}
        for g, start, end in zip(GROUPS, START, END, strict=True):
            value = start + (end - start) * t + Decimal(WOBBLE[i]) * Decimal("0.11")
            value = min(g.max_score, max(Decimal(0), value)).quantize(CENT, ROUND_HALF_UP)
            if i == len(months) - 1:
                value = end
            groups[g.code] = GroupScore(g.code, value, g.max_score)
        total = sum((x.score for x in groups.values()), Decimal(0))
        rank = max(1, int(70 - (total - 80) * 3) + WOBBLE[i])
        drafts.append(
            SnapshotDraft(
                "month",
                year,
                month,
                _month_end(year, month, today),
                total,
                min(rank, RANK_OF),
                RANK_OF,
                groups,
                source="demo",
            )
        )
    return drafts


def running_totals(monthly: list[SnapshotDraft], today: date) -> list[SnapshotDraft]:
    """Year-to-date figures at the end of each month of this year (average of the months)."""
    this_year = [d for d in monthly if d.year == today.year]
    drafts = []
    for n in range(1, len(this_year) + 1):
        part = this_year[:n]
        groups = {}
        for g in GROUPS:
            avg = sum((d.groups[g.code].score for d in part), Decimal(0)) / len(part)
            groups[g.code] = GroupScore(g.code, avg.quantize(CENT, ROUND_HALF_UP), g.max_score)
        total = sum((x.score for x in groups.values()), Decimal(0))
        rank = max(1, int(72 - (total - 80) * 3))
        drafts.append(
            SnapshotDraft(
                "year",
                today.year,
                None,
                part[-1].as_of,
                total,
                min(rank, RANK_OF),
                RANK_OF,
                groups,
                source="demo",
            )
        )
    return drafts


async def install_demo(app: App, reset: bool = False) -> str:
    cfg = load_ward_config((HERE / "ward.toml").read_text(encoding="utf-8"))
    now = app.services.clock.now()
    async with app.repo.sessions.begin() as s:
        summary = await apply_ward_config(s, cfg, now)
        if reset:
            await s.execute(delete(m.Snapshot).where(m.Snapshot.ward_id == summary.ward_id))
    app.repo.invalidate()
    if reset or not await app.repo.has_snapshots(summary.ward_id):
        monthly = monthly_figures(now.date())
        for draft in [*monthly, *running_totals(monthly, now.date())]:
            await app.repo.save_snapshot(summary.ward_id, draft, "demo", now)
    if await app.services.tasks.latest_directive(summary.ward_id) is None:
        await _load_directive(app, summary.ward_id, now)
    return cfg.name


async def _load_directive(app: App, ward_id: int, now: datetime) -> None:
    """The sample directive (bot/demo/chi-thi-mau.txt), dated around today so that the demo
    has a task overdue and others coming, read by the same reader as any directive."""
    from ingest.directive import Unit, parse_directive
    from store.tasks import NewDirective, NewTask, NewUnit

    ward = await app.repo.ward(ward_id)
    assert ward is not None
    units = [Unit(d.code, d.name, d.aliases, d.professional) for d in ward.departments]
    today = now.date()
    issued, overdue, soon = today - timedelta(days=22), today - timedelta(days=4), today
    soon += timedelta(days=13)
    text = (
        (HERE / "chi-thi-mau.txt")
        .read_text(encoding="utf-8")
        .format(
            issued_day=issued.day,
            issued_month=issued.month,
            issued_year=issued.year,
            overdue=overdue.strftime("%d/%m/%Y"),
            soon=soon.strftime("%d/%m/%Y"),
            month=f"{today.month}/{today.year}",
        )
    )
    parsed = parse_directive(text, units=units, reference=today)
    tasks = []
    for task in parsed.tasks:
        leads = [NewUnit("lead", a.code, a.written) for a in task.lead] or [
            NewUnit("lead", None, "")
        ]
        for lead in leads:
            tasks.append(
                NewTask(
                    text=task.text,
                    units=[lead, *(NewUnit("support", a.code, a.written) for a in task.support)],
                    deadline=task.deadline,
                    recurrence=task.recurrence,
                    deadline_text=task.deadline_text or "",
                    source_line=task.source_line,
                    section=task.section or "",
                )
            )
    directive = NewDirective(
        kind=parsed.kind or "",
        number=parsed.number or "",
        issued_on=parsed.date,
        subject=parsed.subject or "",
        issuer=parsed.issuer or "",
        signer=parsed.signer or "",
        signer_title=parsed.signer_title or "",
        source_name="chi-thi-mau.txt",
        tasks=tasks,
    )
    await app.services.tasks.save_directive(ward_id, directive, "demo", now)
