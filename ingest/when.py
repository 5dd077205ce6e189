"""When a broadcast should go out, as people type it: "8h sáng mai", "14:30", "chiều nay",
"9h 25/11", "25/11/2025 08:00", "ngay" (now). The one place these phrases are read."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from ingest.textnorm import fold

# Vocabulary (folded)
NOW_WORDS = ("ngay", "ngay bay gio", "bay gio", "luon", "now", "gui ngay")
DAY_WORDS = {
    "hom nay": 0,
    "nay": 0,
    "ngay mai": 1,
    "mai": 1,
    "ngay kia": 2,
    "mot": 2,
    "today": 0,
    "tomorrow": 1,
}
PART_HOURS = {
    "sang": (8, 0),
    "trua": (11, 30),
    "chieu": (14, 0),
    "toi": (19, 0),
    "morning": (8, 0),
    "afternoon": (14, 0),
    "evening": (19, 0),
}
AFTERNOON_PARTS = ("chieu", "toi", "afternoon", "evening")

_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:h|g|gio|:)\s*(\d{2})?\b")
_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b")


def parse_when(text: str, now: datetime) -> datetime | None:
    """An aware datetime in `now`'s zone, or None when the text names no time."""
    folded = fold(text).strip(" .!")
    if not folded or folded in NOW_WORDS:
        return now if folded else None
    day: date | None = None
    rest = folded
    found = _DATE.search(rest)
    if found:
        d, mth, y = int(found.group(1)), int(found.group(2)), found.group(3)
        try:
            day = date(int(y) if y else now.year, mth, d)
        except ValueError:
            return None
        if not y and day < now.date():
            day = date(day.year + 1, mth, d)
        rest = rest[: found.start()] + " " + rest[found.end() :]
    for word, offset in sorted(DAY_WORDS.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(word)}\b", rest):
            day = day or now.date() + timedelta(days=offset)
            rest = re.sub(rf"\b{re.escape(word)}\b", " ", rest, count=1)
            break
    part = next((p for p in PART_HOURS if re.search(rf"\b{p}\b", rest)), None)
    clock = _CLOCK.search(rest)
    at: time | None = None
    if clock:
        hour, minute = int(clock.group(1)), int(clock.group(2) or 0)
        if part in AFTERNOON_PARTS and hour < 12:
            hour += 12
        if hour > 23 or minute > 59:
            return None
        at = time(hour, minute)
    elif part:
        at = time(*PART_HOURS[part])
    if at is None and day is None:
        return None
    if at is None:
        at = time(8, 0)
    if day is None:
        day = now.date()
        candidate = datetime.combine(day, at, tzinfo=now.tzinfo)
        if candidate < now:  # "8h" said at 10:00 means tomorrow
            day = day + timedelta(days=1)
    return datetime.combine(day, at, tzinfo=now.tzinfo)
