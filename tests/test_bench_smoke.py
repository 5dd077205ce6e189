"""The scale benches still run (a handful of wards on SQLite, a few seconds), so they do not rot
between the runs that measure (bench/scale.py, bench/portal.py: on demand, not here). Only
what they print is checked, never a time."""

from __future__ import annotations

import pytest

from bench import portal, scale


async def test_scale_bench_runs_small(capsys: pytest.CaptureFixture[str]) -> None:
    await scale.main(
        [
            "--wards",
            "4",
            "--tasks",
            "5",
            "--snapshots",
            "3",
            "--questions",
            "5",
            "--backend",
            "sqlite",
            "--show",
        ]
    )
    out = capsys.readouterr().out
    assert "built 4 wards × 5 tasks × 3 snapshots" in out
    assert "planner tick at 10/03/2026 07:30" in out and "outbox rows written" in out
    assert "“điểm hiện tại?” × 5 by random wards' staff: p50" in out
    assert "“xếp hạng toàn tỉnh” × 5" in out
    assert "**Phường " in out and "đứng thứ **" in out  # a ward found in its province's list
    assert "two replicas" in out


async def test_portal_bench_runs_small(capsys: pytest.CaptureFixture[str]) -> None:
    await portal.main(["--communes", "130", "--questions", "3", "--backend", "sqlite"])
    out = capsys.readouterr().out
    assert "sqlite: stored 130 rows" in out
    assert "for the ward ranked 80/114, 3 questions through the router" in out


def test_the_national_list_adds_up() -> None:
    sizes = portal.province_sizes(portal.NATIONAL)
    assert len(sizes) == portal.PROVINCES and sum(sizes) == 3321 and sizes[0] == 114
    lists = portal.national_lists(300)
    assert sum(len(p.rows) for p in lists) == 300
    assert len({p.province_id for p in lists}) == len(lists)  # no province id twice
    first = lists[0].rows
    assert [r.rank for r in first[:3]] == [1, 2, 3] and first[0].total >= first[1].total
