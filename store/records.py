"""Plain, immutable records the store hands out. Handlers never see ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

ROLES = ("chairman", "vice_chairman", "admin", "staff", "digital_team")  # in ward.toml
PROVINCE_ROLE = "province"  # provincial staff: from a province file, in each of its wards
ADMIN_ROLES = frozenset({"admin"})
LEADER_ROLES = frozenset({"chairman", "vice_chairman"})
CHAT_KINDS = ("department", "leadership", "staff", "residents")
CHANNELS = ("telegram", "zalo", "zalo_oa", "console")


@dataclass(frozen=True)
class DepartmentRec:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    professional: bool = True


@dataclass(frozen=True)
class WardRec:
    id: int
    name: str
    province: str
    timezone: str
    group_owners: dict[str, str]
    departments: tuple[DepartmentRec, ...]
    reminder_policy: dict[str, Any] = field(default_factory=dict)
    templates: tuple[tuple[str, str], ...] = ()
    briefing: dict[str, Any] = field(default_factory=dict)  # ward.toml [briefing], as checked
    portal: dict[str, Any] = field(default_factory=dict)  # ward.toml [portal]; empty: no fetch

    def department(self, code: str | None) -> DepartmentRec | None:
        return next((d for d in self.departments if d.code == code), None)


@dataclass(frozen=True)
class PersonRec:
    id: int
    ward_id: int
    name: str
    role: str
    departments: tuple[str, ...]
    language: str | None = None
    telegram_id: str | None = None
    zalo_id: str | None = None
    zalo_oa_id: str | None = None  # as the ward's Zalo Official Account knows them

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES


@dataclass(frozen=True)
class ChatRec:
    id: int
    channel: str
    chat_id: str
    title: str
    is_group: bool
    ward_id: int | None
    kind: str | None
    department: str | None
    tags: tuple[str, ...]
    source: str
    active: bool
    first_seen: datetime
    last_seen: datetime

    @property
    def registered(self) -> bool:
        return self.ward_id is not None and self.kind is not None


@dataclass(frozen=True)
class GroupRec:
    code: str
    score: Decimal
    max_score: Decimal
    rank: int | None = None

    @property
    def missing(self) -> Decimal:
        return self.max_score - self.score


@dataclass(frozen=True)
class SnapshotRec:
    id: int
    ward_id: int
    period_kind: str
    year: int
    period: int
    as_of: date
    total: Decimal
    rank: int | None
    rank_of: int | None
    groups: tuple[GroupRec, ...]
    source: str = "text"
    created_by: str = ""


@dataclass(frozen=True)
class PendingRec:
    id: int
    ward_id: int
    kind: str
    payload: dict[str, Any] = field(default_factory=dict)
    choices: tuple[str, ...] = ()
    expires_at: datetime | None = None


@dataclass(frozen=True)
class TaskUnitRec:
    role: str  # lead | support
    department: str | None  # the ward's code; None for a unit the ward does not have
    name: str  # the department's name, or the unit as written


@dataclass(frozen=True)
class DirectiveRec:
    id: int
    ward_id: int
    kind: str
    number: str
    issued_on: date | None
    subject: str
    signer: str
    created_at: datetime


@dataclass(frozen=True)
class TaskRec:
    id: int
    ward_id: int
    number: int
    directive: DirectiveRec
    text: str
    section: str
    deadline: date | None
    recurrence: str | None
    deadline_kind: str | None
    deadline_text: str
    status: str
    units: tuple[TaskUnitRec, ...]
    closed_at: datetime | None = None
    closed_by: str | None = None
    evidence_text: str | None = None
    evidence_file: str | None = None

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(u.department for u in self.units if u.department)

    @property
    def leads(self) -> tuple[TaskUnitRec, ...]:
        return tuple(u for u in self.units if u.role == "lead")

    @property
    def supports(self) -> tuple[TaskUnitRec, ...]:
        return tuple(u for u in self.units if u.role == "support")
