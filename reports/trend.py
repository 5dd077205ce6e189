"""Which snapshots the six-month chart shows ("điểm 6 tháng qua") and the key naming that set.

Pure: the builder of the briefing (its `chart_key`), the chat answer and `bot/charts.py` (which
draws and keeps the picture) all pick the set here, so they name the same picture.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from store.records import SnapshotRec

MONTHS = 6
KEY_PREFIX = "m6:"


def _index(year: int, month: int) -> int:
    return year * 12 + month - 1


def six_month_set(
    history: Iterable[SnapshotRec], until: date | None = None
) -> tuple[SnapshotRec, ...]:
    """The monthly snapshots of the last six months, oldest first.

    `history` is `Repo.snapshot_history(ward, "month", …)` (one snapshot per month, the newest
    as-of); with `until`, only figures as of that day or earlier count ("as if it were that
    moment"). The newest month left and the five calendar months before it are shown; a month
    with no figures is a gap, not a reason to reach further back.
    """
    months = [
        s for s in history if s.period_kind == "month" and (until is None or s.as_of <= until)
    ]
    if not months:
        return ()
    newest = max(_index(s.year, s.period) for s in months)
    chosen: dict[int, SnapshotRec] = {}
    for s in months:
        i = _index(s.year, s.period)
        if newest - MONTHS < i <= newest:
            best = chosen.get(i)
            if best is None or (s.as_of, s.id) > (best.as_of, best.id):
                chosen[i] = s
    return tuple(chosen[i] for i in sorted(chosen))


def six_month_key(snapshots: Iterable[SnapshotRec]) -> str:
    """The set's name: "m6:" and its snapshot ids, sorted ("" for no snapshots). Snapshot ids
    are never reused and a corrected figure is a new snapshot, so a new key means new data."""
    ids = sorted(s.id for s in snapshots)
    return KEY_PREFIX + ",".join(map(str, ids)) if ids else ""


def snapshot_ids(key: str) -> list[int]:
    """The snapshot ids a `six_month_key` names ([] for "" or a key of another kind)."""
    if not key.startswith(KEY_PREFIX):
        return []
    return [int(i) for i in key.removeprefix(KEY_PREFIX).split(",") if i.isdigit()]
