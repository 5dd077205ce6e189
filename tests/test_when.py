from __future__ import annotations

from datetime import datetime

import pytest

from ingest.when import parse_when
from reminders.clock import VN_TZ

NOW = datetime(2025, 11, 20, 10, 15, tzinfo=VN_TZ)  # a Thursday morning


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8h sáng mai", datetime(2025, 11, 21, 8, 0)),
        ("8h sang mai", datetime(2025, 11, 21, 8, 0)),
        ("14:30", datetime(2025, 11, 20, 14, 30)),
        ("2h chiều nay", datetime(2025, 11, 20, 14, 0)),
        ("chiều nay", datetime(2025, 11, 20, 14, 0)),
        ("8h", datetime(2025, 11, 21, 8, 0)),  # already past today
        ("9h 25/11", datetime(2025, 11, 25, 9, 0)),
        ("25/11/2025 08:00", datetime(2025, 11, 25, 8, 0)),
        ("7h30 thứ hai 24/11", datetime(2025, 11, 24, 7, 30)),
        ("ngay", datetime(2025, 11, 20, 10, 15)),
    ],
)
def test_times_people_type(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected.replace(tzinfo=VN_TZ)


@pytest.mark.parametrize("text", ["", "xin chào", "31/02", "25h"])
def test_not_a_time(text: str) -> None:
    assert parse_when(text, NOW) is None
