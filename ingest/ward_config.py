"""Reads and checks `ward.toml`, the one file that describes a ward.

Every problem names the line it is on; if there is any problem nothing is returned, so
`chiso setup` writes nothing. Applying a checked config is store.setup's job.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.index_groups import BY_CODE
from ingest.snapshot_draft import Problem
from reminders.hours import parse_hours
from store.records import CHANNELS, CHAT_KINDS, ROLES

SECTIONS = {
    "ward": {"name", "province", "timezone"},
    "group_owners": set(BY_CODE),
    "departments": {"code", "name", "aliases", "professional"},
    "people": {"name", "role", "departments", "telegram_id", "zalo_id", "zalo_oa_id", "language"},
    "chats": {"channel", "chat_id", "kind", "department", "tags", "title"},
    "reminders": {
        "before",
        "on_day",
        "overdue_daily",
        "escalate_after",
        "office_time",
        "sending_hours",
    },
    "templates": {"title", "text"},
    "briefing": {"enabled", "weekday", "time"},
    "portal": {
        "enabled",
        "base_url",
        "province_id",
        "unit_level",
        "unit_id",
        "unit_name",
        "fetch_at",
        "periods",
    },
}
PORTAL_URL = "https://dichvucong.gov.vn"  # the national public service portal
PORTAL_PERIODS = ("month", "quarter", "half", "year")
ARRAYS = ("departments", "people", "chats", "templates")
_CODE = re.compile(r"^[A-Za-z0-9À-ỹĐđ_.\-]{1,40}$")


@dataclass(frozen=True)
class DepartmentCfg:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    professional: bool = True


@dataclass(frozen=True)
class PersonCfg:
    name: str
    role: str
    departments: tuple[str, ...] = ()
    telegram_id: str | None = None
    zalo_id: str | None = None
    language: str | None = None
    zalo_oa_id: str | None = None  # the person's id for the ward's Zalo Official Account


@dataclass(frozen=True)
class ChatCfg:
    channel: str
    chat_id: str
    kind: str
    department: str | None = None
    tags: tuple[str, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class WardConfig:
    name: str
    province: str
    timezone: str
    departments: tuple[DepartmentCfg, ...]
    people: tuple[PersonCfg, ...]
    chats: tuple[ChatCfg, ...]
    group_owners: dict[str, str] = field(default_factory=dict)
    reminders: dict[str, Any] = field(default_factory=dict)  # checked; stored as written
    templates: tuple[tuple[str, str], ...] = ()  # (title, text) of the ward's guidance texts
    # [briefing]: enabled (true), weekday (1 = Monday ... 5; default: the week's first
    # working day), time ("08:00"); stored as checked, missing keys take the defaults
    briefing: dict[str, Any] = field(default_factory=dict)
    # [portal]: base_url, province_id, unit_level, unit_id or unit_name, fetch_at ("06:30"),
    # periods (["month", "year"]); empty when the ward has no [portal] (no daily fetch)
    portal: dict[str, Any] = field(default_factory=dict)

    @property
    def groups_without_owner(self) -> tuple[str, ...]:
        """Index groups no department owns ([group_owners] missing or partial): answers about
        them cannot say who is in charge."""
        return tuple(code for code in BY_CODE if code not in self.group_owners)


@dataclass(frozen=True)
class ConfigProblem:
    line: int | None
    problem: Problem


class WardConfigError(Exception):
    def __init__(self, problems: list[ConfigProblem]):
        super().__init__("; ".join(p.problem.code for p in problems))
        self.problems = problems


class _Lines:
    """Finds the line of a key: `[[people]]` number 3, key `role` -> line 42."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z_]+)\s*\]\]?")
    _KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")

    def __init__(self, text: str):
        self.keys: dict[tuple[str, int, str], int] = {}
        self.headers: dict[tuple[str, int], int] = {}
        counts: dict[str, int] = {}
        section, index = "", 0
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header:
                section = header.group(2)
                index = counts.get(section, 0)
                counts[section] = index + 1 if header.group(1) == "[[" else 1
                self.headers[(section, index)] = number
                continue
            key = self._KEY.match(line)
            if key:
                self.keys.setdefault((section, index, key.group(1)), number)

    def of(self, section: str, index: int = 0, key: str | None = None) -> int | None:
        if key is not None and (section, index, key) in self.keys:
            return self.keys[(section, index, key)]
        return self.headers.get((section, index))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | str):
        return str(value).strip() or None
    return None


MAX_NESTING = 16  # brackets inside brackets: a ward.toml needs 2 ("aliases = [...]" in [[...]])


def _too_deep_line(text: str) -> int | None:
    """The line where arrays or inline tables nest deeper than MAX_NESTING, skipping strings
    and comments; found before parsing, because the parser recurses once per level."""
    depth = 0
    quote = ""
    for number, line in enumerate(text.splitlines(), start=1):
        i = 0
        while i < len(line):
            ch = line[i]
            if quote:
                if line.startswith(quote, i):
                    i += len(quote)
                    quote = ""
                    continue
                if ch == "\\" and quote in ('"', '"""'):
                    i += 2
                    continue
            elif ch == "#":
                break
            elif ch in "\"'":
                quote = ch * 3 if line.startswith(ch * 3, i) else ch
                i += len(quote)
                continue
            elif ch in "[{":
                depth += 1
                if depth > MAX_NESTING:
                    return number
            elif ch in "]}":
                depth = max(0, depth - 1)
            i += 1
        if quote in ('"', "'"):
            quote = ""  # a one-line string never spans lines (the parser will say so)
    return None


# the parser's English, as the kind of mistake it is (the message says it in Vietnamese)
_TOML_KINDS = (
    ("toml_unclosed_string", ("unterminated string", "illegal character '\\n'")),
    ("toml_bad_character", ("illegal character", "invalid character")),
    ("toml_defined_twice", ("cannot declare", "cannot overwrite", "cannot mutate")),
    ("toml_unclosed_bracket", ("unclosed array", "unclosed inline table", "expected ']'")),
    ("toml_missing_equals", ("expected '=' after a key",)),
    ("toml_bad_value", ("invalid value", "invalid date or datetime", "invalid number")),
)


def toml_problem(message: str) -> str:
    """The problem code for a TOML parser message ("Illegal character ..." -> a code whose
    sentence says what to fix); never the parser's English."""
    lowered = message.lower()
    for code, needles in _TOML_KINDS:
        if any(n in lowered for n in needles):
            return code
    return "toml_invalid"


def _integer_text(value: Any) -> bool:
    """A Telegram id: an integer, written as a number or as digits (a chat's may be negative)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and re.fullmatch(r"-?\d{1,20}", value.strip()) is not None


def load_ward_config(text: str) -> WardConfig:
    """Parse and check; raises WardConfigError listing every problem with its line."""
    return _Checker(parse_toml(text), _Lines(text)).check()


def parse_toml(text: str) -> dict[str, Any]:
    """The TOML of a ward or province file; raises WardConfigError (with the line) when it
    is not TOML or nests deeper than MAX_NESTING."""
    deep = _too_deep_line(text)
    if deep is not None:
        raise WardConfigError([ConfigProblem(deep, Problem("too_deep", {"max": MAX_NESTING}))])
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise WardConfigError(
            [ConfigProblem(None, Problem("too_deep", {"max": MAX_NESTING}))]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise WardConfigError([ConfigProblem(line, Problem(toml_problem(str(exc))))]) from exc
    return data


ID_KEYS = ("telegram_id", "zalo_id", "zalo_oa_id")


def person_contact(
    fail: Callable[..., None],
    i: int,
    entry: dict[str, Any],
    name: str,
    ids: dict[tuple[str, str], str],
) -> tuple[dict[str, str | None], str | None]:
    """The ids (`ID_KEYS`) and the language of the `i`-th [[people]] entry, checked: an empty
    id, one of the wrong type, a Telegram id that is not a number, an id another person of
    the file has (`ids`: (key, id) -> name, updated here) and a language other than vi/en
    are told to `fail` (the checker's)."""
    contact: dict[str, str | None] = {}
    for key in ID_KEYS:
        raw = entry.get(key)
        value = _text(raw)
        if isinstance(raw, str) and not raw.strip():
            fail("people", i, key, "empty_id", key=key, name=name)
        elif raw is not None and value is None:
            fail("people", i, key, "bad_setting", key=key, value=raw)
        elif key == "telegram_id" and raw is not None and not _integer_text(raw):
            fail("people", i, key, "not_an_integer", key=key, value=raw, name=name)
            value = None
        if value is not None:
            if (key, value) in ids:
                fail(
                    "people", i, key, "duplicate_id", key=key, value=value, other=ids[(key, value)]
                )
            ids[(key, value)] = name
        contact[key] = value
    language = _text(entry.get("language"))
    if language is not None and language not in ("vi", "en"):
        fail("people", i, "language", "bad_setting", key="language", value=language)
    return contact, language


class _Checker:
    def __init__(self, data: dict[str, Any], lines: _Lines):
        self.data = data
        self.lines = lines
        self.problems: list[ConfigProblem] = []

    def fail(
        self, section: str, index: int, at_key: str | None, code: str, /, **params: Any
    ) -> None:
        line = self.lines.of(section, index, at_key)
        clean = {k: v if isinstance(v, int) else str(v) for k, v in params.items()}
        self.problems.append(ConfigProblem(line, Problem(code, clean)))

    def check(self) -> WardConfig:
        for key in self.data:
            if key not in SECTIONS:
                self.fail(key, 0, None, "unknown_section", section=key)
        for section in ARRAYS:
            value = self.data.get(section, [])
            if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
                self.fail(section, 0, None, "not_a_list", section=section)
                self.data[section] = []
        for section in ("ward", "group_owners", "reminders", "briefing", "portal"):
            if section in self.data and not isinstance(self.data[section], dict):
                self.fail(section, 0, None, "not_a_table", section=section)
                self.data[section] = {}
        for section, allowed in SECTIONS.items():
            entries = self.data.get(section, [] if section in ARRAYS else {})
            for index, entry in enumerate(entries if section in ARRAYS else [entries]):
                if not isinstance(entry, dict):
                    continue
                for key in entry:
                    if key not in allowed:
                        self.fail(section, index, key, "unknown_key", key=key, section=section)
        ward = self._ward()
        departments = self._departments()
        codes = {d.code for d in departments}
        owners = self._owners(codes)
        people = self._people(codes)
        chats = self._chats(codes)
        reminders = self._reminders()
        templates = self._templates()
        briefing = self._briefing()
        portal = self._portal()
        if self.problems:
            raise WardConfigError(self.problems)
        name, province, tz = ward
        return WardConfig(
            name,
            province,
            tz,
            departments,
            people,
            chats,
            owners,
            reminders,
            templates,
            briefing,
            portal,
        )

    def _clock_time(self, section: str, key: str, value: Any) -> str | None:
        """A time of day "08:00" / "8h00" between 05:00 and 20:59, or None (a problem)."""
        match = re.fullmatch(r"(\d{1,2})[:h](\d{2})", str(value).strip())
        if not match or not (5 <= int(match.group(1)) <= 20 and int(match.group(2)) < 60):
            self.fail(section, 0, key, "bad_setting", key=key, value=value)
            return None
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    def _flag(self, section: str, table: dict[str, Any], result: dict[str, Any]) -> None:
        if "enabled" in table:
            if not isinstance(table["enabled"], bool):
                self.fail(
                    section, 0, "enabled", "bad_setting", key="enabled", value=table["enabled"]
                )
            else:
                result["enabled"] = table["enabled"]

    def _briefing(self) -> dict[str, Any]:
        """[briefing]: enabled = true, weekday = 1 (Monday; a day off moves it to the next
        working day of that week), time = "08:00"."""
        table = self.data.get("briefing", {})
        result: dict[str, Any] = {}
        if not isinstance(table, dict):
            return result
        self._flag("briefing", table, result)
        if "weekday" in table:
            value = table["weekday"]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
                self.fail("briefing", 0, "weekday", "bad_setting", key="weekday", value=value)
            else:
                result["weekday"] = value
        if "time" in table:
            at = self._clock_time("briefing", "time", table["time"])
            if at is not None:
                result["time"] = at
        return result

    def _portal(self) -> dict[str, Any]:
        """[portal]: where the national portal lists the ward. province_id and unit_id or
        unit_name are required; base_url, unit_level, fetch_at ("06:30") and periods
        (["month", "year"]) have defaults."""
        if "portal" not in self.data:
            return {}
        table = self.data["portal"]
        result: dict[str, Any] = {}
        if not isinstance(table, dict):
            return result
        self._flag("portal", table, result)
        base = _text(table.get("base_url")) or PORTAL_URL
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", base):
            self.fail("portal", 0, "base_url", "bad_setting", key="base_url", value=base)
        result["base_url"] = base.rstrip("/")
        for key in ("province_id", "unit_level", "unit_id", "unit_name"):
            value = table.get(key)
            if value is None:
                continue
            if (
                isinstance(value, bool)
                or not isinstance(value, (str, int))
                or not str(value).strip()
            ):
                self.fail("portal", 0, key, "bad_setting", key=key, value=value)
            else:
                result[key] = str(value).strip()
        if "province_id" not in result:
            self.fail("portal", 0, None, "missing_key", key="province_id", section="portal")
        if "unit_id" not in result and "unit_name" not in result:
            self.fail("portal", 0, None, "missing_key", key="unit_name", section="portal")
        result.setdefault("unit_level", "2")
        at = self._clock_time("portal", "fetch_at", table.get("fetch_at", "06:30"))
        result["fetch_at"] = at or "06:30"
        periods = table.get("periods", ["month", "year"])
        if (
            not isinstance(periods, list)
            or not periods
            or not all(isinstance(p, str) and p in PORTAL_PERIODS for p in periods)
        ):
            self.fail("portal", 0, "periods", "bad_setting", key="periods", value=periods)
        else:
            result["periods"] = list(dict.fromkeys(periods))
        return result

    def _templates(self) -> tuple[tuple[str, str], ...]:
        result = []
        for i, entry in enumerate(self.data.get("templates", [])):
            title, text = _text(entry.get("title")), _text(entry.get("text"))
            if not title:
                self.fail("templates", i, "title", "missing_key", key="title", section="templates")
            elif not text:
                self.fail("templates", i, "text", "missing_key", key="text", section="templates")
            else:
                result.append((title, text))
        return tuple(result)

    def _reminders(self) -> dict[str, Any]:
        """[reminders]: before = [7, 3, 1], on_day, overdue_daily, escalate_after, office_time,
        sending_hours = "07:00-20:00" (when proactive messages may go, on working days)."""
        table = self.data.get("reminders", {})
        result: dict[str, Any] = {}
        if not isinstance(table, dict):
            return result
        before = table.get("before")
        if before is not None:
            if not isinstance(before, list) or not all(
                isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 60 for n in before
            ):
                self.fail("reminders", 0, "before", "bad_setting", key="before", value=before)
            else:
                result["before"] = sorted(set(before), reverse=True)
        for key in ("on_day", "overdue_daily"):
            if key in table:
                if not isinstance(table[key], bool):
                    self.fail("reminders", 0, key, "bad_setting", key=key, value=table[key])
                else:
                    result[key] = table[key]
        if "escalate_after" in table:
            value = table["escalate_after"]
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60:
                self.fail(
                    "reminders",
                    0,
                    "escalate_after",
                    "bad_setting",
                    key="escalate_after",
                    value=value,
                )
            else:
                result["escalate_after"] = value
        if "office_time" in table:
            value = str(table["office_time"])
            match = re.fullmatch(r"(\d{1,2})[:h](\d{2})", value)
            if not match or not (6 <= int(match.group(1)) <= 17 and int(match.group(2)) < 60):
                self.fail(
                    "reminders", 0, "office_time", "bad_setting", key="office_time", value=value
                )
            else:
                result["office_time"] = f"{int(match.group(1)):02d}:{match.group(2)}"
        if "sending_hours" in table:
            value = str(table["sending_hours"])
            hours = parse_hours(value)
            if hours is None:
                self.fail(
                    "reminders", 0, "sending_hours", "bad_setting", key="sending_hours", value=value
                )
            else:
                result["sending_hours"] = f"{hours.start:%H:%M}-{hours.end:%H:%M}"
        return result

    def _ward(self) -> tuple[str, str, str]:
        ward = self.data.get("ward")
        if not isinstance(ward, dict):
            self.fail("ward", 0, None, "missing_section", section="ward")
            return "", "", ""
        name = _text(ward.get("name"))
        if not name:
            self.fail("ward", 0, "name", "missing_key", key="name", section="ward")
        tz = _text(ward.get("timezone")) or "Asia/Ho_Chi_Minh"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail("ward", 0, "timezone", "bad_setting", key="timezone", value=tz)
        return name or "", _text(ward.get("province")) or "", tz

    def _departments(self) -> tuple[DepartmentCfg, ...]:
        seen: dict[str, int] = {}
        result = []
        for i, entry in enumerate(self.data.get("departments", [])):
            code, name = _text(entry.get("code")), _text(entry.get("name"))
            if not code:
                self.fail(
                    "departments", i, "code", "missing_key", key="code", section="departments"
                )
                continue
            if not _CODE.match(code):
                self.fail("departments", i, "code", "bad_setting", key="code", value=code)
            if code.upper() in seen:
                self.fail("departments", i, "code", "duplicate_code", code=code)
                continue
            seen[code.upper()] = i
            aliases = entry.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                self.fail("departments", i, "aliases", "bad_setting", key="aliases", value=aliases)
                aliases = []
            professional = entry.get("professional", True)
            if not isinstance(professional, bool):
                self.fail(
                    "departments",
                    i,
                    "professional",
                    "bad_setting",
                    key="professional",
                    value=professional,
                )
                professional = True
            result.append(DepartmentCfg(code, name or code, tuple(aliases), professional))
        return tuple(result)

    def _owners(self, codes: set[str]) -> dict[str, str]:
        owners = self.data.get("group_owners", {})
        result = {}
        for group, dept in owners.items() if isinstance(owners, dict) else []:
            if group not in BY_CODE:
                continue  # reported as unknown_key
            if _text(dept) not in codes:
                self.fail("group_owners", 0, group, "unknown_department", code=dept)
                continue
            result[group] = str(dept)
        return result

    def _people(self, codes: set[str]) -> tuple[PersonCfg, ...]:
        result = []
        names: dict[str, int] = {}  # name -> index of its first entry
        ids: dict[tuple[str, str], str] = {}
        for i, entry in enumerate(self.data.get("people", [])):
            name, role = _text(entry.get("name")), _text(entry.get("role"))
            if not name:
                self.fail("people", i, "name", "missing_key", key="name", section="people")
                continue
            if name in names:
                first = self.lines.of("people", names[name], "name")
                self.fail(
                    "people", i, "name", "duplicate_person_at", name=name, other_line=first or 0
                )
            else:
                names[name] = i
            if role not in ROLES:
                self.fail("people", i, "role", "bad_role", value=role or "", roles=", ".join(ROLES))
            depts = entry.get("departments", [])
            if isinstance(depts, str):
                depts = [depts]
            if not isinstance(depts, list) or not all(isinstance(d, str) for d in depts):
                self.fail("people", i, "departments", "bad_setting", key="departments", value=depts)
                depts = []
            for code in depts:
                if code not in codes:
                    self.fail("people", i, "departments", "unknown_department", code=code)
            contact, language = person_contact(self.fail, i, entry, name, ids)
            result.append(
                PersonCfg(
                    name,
                    role or "staff",
                    tuple(str(d) for d in depts),
                    contact["telegram_id"],
                    contact["zalo_id"],
                    language,
                    contact["zalo_oa_id"],
                )
            )
        return tuple(result)

    def _chats(self, codes: set[str]) -> tuple[ChatCfg, ...]:
        result = []
        seen: dict[tuple[str, str], int] = {}  # (channel, chat id) -> index of its first entry
        for i, entry in enumerate(self.data.get("chats", [])):
            channel, chat_id = _text(entry.get("channel")), _text(entry.get("chat_id"))
            kind, dept = _text(entry.get("kind")), _text(entry.get("department"))
            if channel not in CHANNELS:
                self.fail(
                    "chats",
                    i,
                    "channel",
                    "bad_channel",
                    value=channel or "",
                    channels=", ".join(CHANNELS),
                )
            if not chat_id:
                if isinstance(entry.get("chat_id"), str):
                    self.fail("chats", i, "chat_id", "empty_id", key="chat_id", name=channel or "")
                else:
                    self.fail("chats", i, "chat_id", "missing_key", key="chat_id", section="chats")
                continue
            if channel == "telegram" and not _integer_text(entry.get("chat_id")):
                self.fail(
                    "chats",
                    i,
                    "chat_id",
                    "not_an_integer",
                    key="chat_id",
                    value=entry.get("chat_id"),
                    name=_text(entry.get("title")) or channel,
                )
                continue
            if (str(channel), chat_id) in seen:
                first = self.lines.of("chats", seen[(str(channel), chat_id)], "chat_id")
                self.fail(
                    "chats", i, "chat_id", "duplicate_chat", chat_id=chat_id, other_line=first or 0
                )
            else:
                seen[(str(channel), chat_id)] = i
            if kind not in CHAT_KINDS:
                self.fail(
                    "chats", i, "kind", "bad_kind", value=kind or "", kinds=", ".join(CHAT_KINDS)
                )
            if kind == "department" and not dept:
                self.fail(
                    "chats", i, "department", "missing_key", key="department", section="chats"
                )
            if dept and dept not in codes:
                self.fail("chats", i, "department", "unknown_department", code=dept)
            tags = entry.get("tags", [])
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                self.fail("chats", i, "tags", "bad_setting", key="tags", value=tags)
                tags = []
            result.append(
                ChatCfg(
                    str(channel),
                    chat_id,
                    str(kind),
                    dept,
                    tuple(tags),
                    _text(entry.get("title")) or "",
                )
            )
        return tuple(result)
