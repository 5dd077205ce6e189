"""Read a directive (chỉ thị, công văn, kế hoạch, thông báo kết luận ...) into tasks per unit.

`parse_directive(text, units=units_from_ward(cfg), reference=...)` returns the document's header
(issuer, kind, number, date, subject, signer, recipients), its tasks (text, lead and supporting
units, deadline or rhythm with the phrase as written, the line it starts on, its section), the
score figures it quotes as snapshot drafts (ingest.score_text), and the units it gives tasks to
that the ward does not have. `to_json` gives the form `chiso parse directive FILE --json` prints:
one entry per (task, department), lead first.

Nothing here reads the clock: deadlines without a year take the directive's date, else the
`reference` the caller passes; without either they stay unresolved (deadline None, the phrase
kept in deadline_text).

The parts live in: directive_header (header), directive_foot (Nơi nhận, signature),
directive_items (lines joined into items), directive_body (sections and tasks), directive_roles
(who a sentence gives work to), directive_tables (task tables), directive_units (names of units
and the ward's codes), deadlines (deadline and rhythm phrases).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ingest.directive_body import BodyReader, Task
from ingest.directive_foot import parse_foot
from ingest.directive_header import clean_lines, kind_from_self_reference, parse_header
from ingest.directive_units import Assignee, Unit, UnitResolver
from ingest.score_text import read_score_text
from ingest.snapshot_draft import ScoreReadError, SnapshotDraft
from ingest.textnorm import fold
from ingest.ward_config import WardConfig

__all__ = [
    "Assignee",
    "ParsedDirective",
    "Task",
    "Unit",
    "parse_directive",
    "snapshot_json",
    "to_json",
    "units_from_ward",
]


@dataclass(frozen=True)
class ParsedDirective:
    issuer: str | None
    kind: str | None  # chi_thi, cong_van, ke_hoach, thong_bao, thong_bao_ket_luan, quyet_dinh ...
    number: str | None  # "4085/UBND-ĐT"; a draft's blank number keeps its symbol: "/UBND"
    date: dt.date | None
    date_text: str | None  # "Hòa Thắng, ngày tháng năm 2025" as written, also without a date
    place: str | None
    subject: str | None
    signer: str | None
    signer_title: str | None  # "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"
    recipients: tuple[str, ...]  # "Kính gửi" entries, then "Nơi nhận" entries
    addressees: tuple[str, ...]  # "Kính gửi" only
    tasks: tuple[Task, ...]
    snapshot: tuple[SnapshotDraft, ...] | None
    unknown_units: tuple[str, ...]
    reference: dt.date | None = field(default=None)  # the date year-less deadlines were read with


def units_from_ward(cfg: WardConfig) -> tuple[Unit, ...]:
    return tuple(Unit(d.code, d.name, tuple(d.aliases), d.professional) for d in cfg.departments)


def _score_day(text: str, date: dt.date | None) -> dt.date | None:
    """The day score figures are read as of: the document's date, else the latest date in it."""
    if date is not None:
        return date
    latest: dt.date | None = None
    for d, m, y in re.findall(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)", text):
        try:
            value = dt.date(int(y), int(m), int(d))
        except ValueError:
            continue
        latest = value if latest is None or value > latest else latest
    if latest is None:
        years = [int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", text)]
        if years:
            latest = dt.date(max(years), 12, 31)
    return latest


# Score figures are looked for only when the text quotes some ("94,72 điểm", "xếp hạng 80/114").
_SCORE_HINT = re.compile(r"\d\s*(?:/\s*\d+\s*)?diem\b|xep hang|dung thu \d|tong diem")


def _snapshot(text: str, day: dt.date | None) -> tuple[SnapshotDraft, ...] | None:
    if day is None or not _SCORE_HINT.search(fold(text)):
        return None
    try:
        drafts = read_score_text(text, today=day)
    except ScoreReadError:
        return None
    return tuple(drafts) or None


def parse_directive(
    text: str,
    *,
    units: Sequence[Unit] | None = None,
    reference: dt.date | None = None,
) -> ParsedDirective:
    """Header, tasks per unit, quoted score figures and unknown units of a directive's text."""
    lines = clean_lines(text)
    head = parse_header(lines)
    foot = parse_foot(lines, head.end)
    ref = head.date or reference
    resolver = UnitResolver(units)
    body = BodyReader(resolver, ref, head.addressees)
    stop = foot.stop if foot.stop is not None else len(lines)
    body.read(lines, head.end, max(stop, head.end))
    if foot.resume is not None and foot.resume < len(lines):
        body.read(lines, foot.resume, len(lines))  # an appendix or an attached plan
    kind = head.kind or kind_from_self_reference(text)
    recipients = list(dict.fromkeys([*head.addressees, *foot.copies]))
    return ParsedDirective(
        issuer=head.issuer,
        kind=kind,
        number=head.number,
        date=head.date,
        date_text=head.date_text,
        place=head.place,
        subject=head.subject,
        signer=foot.signer,
        signer_title=foot.signer_title,
        recipients=tuple(recipients),
        addressees=tuple(head.addressees),
        tasks=tuple(body.tasks),
        snapshot=_snapshot(text, _score_day(text, ref)),
        unknown_units=tuple(body.unknown),
        reference=ref,
    )


def _entry(task: Task, who: Assignee | None, role: str, with_codes: bool) -> dict[str, Any]:
    department: str | None = None
    code: str | None = None
    if who is not None:
        code = who.code if with_codes else None
        department = who.code if with_codes and who.code else who.written
    return {
        "department": department,
        "department_code": code,
        "role": role,
        "task": task.text,
        "deadline": task.deadline.isoformat() if task.deadline else None,
        "recurrence": task.recurrence,
        "deadline_text": task.deadline_text,
        "source_line": task.source_line,
        "section": task.section,
    }


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def snapshot_json(d: SnapshotDraft) -> dict[str, Any]:
    """A quoted period's figures as `chiso parse directive --json` prints them: numbers as
    numbers, each group an object ({"score": 19.93, "max": 20, "rank": 96, "stated": true}).
    ingest.snapshot_draft.draft_from_dict reads it back."""
    return {
        "period_kind": d.period_kind,
        "year": d.year,
        "period": d.period,
        "as_of": d.as_of.isoformat() if d.as_of else None,
        "total": _number(d.total),
        "rank": d.rank,
        "rank_of": d.rank_of,
        "source": d.source,
        "groups": {
            code: {
                "score": _number(g.score),
                "max": _number(g.max_score),
                "rank": g.rank,
                "stated": g.stated,
            }
            for code, g in d.groups.items()
        },
    }


def to_json(parsed: ParsedDirective, *, with_codes: bool) -> dict[str, Any]:
    """JSON-safe form. with_codes=False writes every department as written and no codes."""
    entries: list[dict[str, Any]] = []
    for task in parsed.tasks:
        if not task.lead and not task.support:
            entries.append(_entry(task, None, "lead", with_codes))
        for who in task.lead:
            entries.append(_entry(task, who, "lead", with_codes))
        for who in task.support:
            entries.append(_entry(task, who, "support", with_codes))
    return {
        "issuer": parsed.issuer,
        "kind": parsed.kind,
        "number": parsed.number,
        "date": parsed.date.isoformat() if parsed.date else None,
        "date_text": parsed.date_text,
        "subject": parsed.subject,
        "signer": parsed.signer,
        "signer_title": parsed.signer_title,
        "recipients": list(parsed.recipients),
        "tasks": entries,
        "snapshot": [snapshot_json(d) for d in parsed.snapshot] if parsed.snapshot else None,
        "unknown_units": list(parsed.unknown_units),
    }
