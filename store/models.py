"""The schema. Every row belongs to a ward (tenancy); migrations live in store/migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Score = Numeric(6, 2)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON}


class Ward(Base):
    __tablename__ = "wards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    province: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    # group code -> department code that owns the group (ward data, from ward.toml)
    group_owners: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the [reminders] table of ward.toml (empty: the defaults)
    reminder_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the ward's own [[templates]] of guidance texts (title, text), before the shipped ones
    templates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # the [briefing] table of ward.toml (when the Monday briefing goes; empty: the defaults)
    briefing: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # the [portal] table of ward.toml (where the national portal lists the ward; empty: off)
    portal: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("ward_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    professional: Mapped[bool] = mapped_column(default=True)


class Person(Base):
    """A person as one ward knows them. Someone in several wards (a province officer, a
    vendor's administrator) has one row in each, with the same channel ids: an id is unique
    within a ward, and its unique index (id first) also finds every ward of that id."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("ward_id", "name"),
        Index("ix_people_telegram_ward", "telegram_id", "ward_id", unique=True),
        Index("ix_people_zalo_ward", "zalo_id", "ward_id", unique=True),
        Index("ix_people_zalo_oa_ward", "zalo_oa_id", "ward_id", unique=True),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))  # "province": from a province file
    telegram_id: Mapped[str | None] = mapped_column(String(64))
    zalo_id: Mapped[str | None] = mapped_column(String(64))
    # the person's id as the ward's Zalo Official Account sees them (the OA writes to them)
    zalo_oa_id: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    departments: Mapped[list[Department]] = relationship(
        secondary="person_departments", lazy="selectin", order_by="Department.code"
    )


class WardChoice(Base):
    """The ward a person in several wards chose (/phuong) for their private chats."""

    __tablename__ = "ward_choices"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PersonDepartment(Base):
    __tablename__ = "person_departments"
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Chat(Base):
    """A chat the bot has seen. Registered chats have a ward and a kind."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255), default="")
    is_group: Mapped[bool] = mapped_column(default=True)
    ward_id: Mapped[int | None] = mapped_column(
        ForeignKey("wards.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str | None] = mapped_column(String(16))  # department|leadership|staff|residents
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(16), default="seen")  # seen | file | chat
    active: Mapped[bool] = mapped_column(default=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())


class Snapshot(Base):
    """The ward's index figures for one period as of one date."""

    __tablename__ = "snapshots"
    # ids are never reused (SQLite would reuse a deleted one): answers and charts are cached
    # by snapshot id, so a corrected snapshot must get a new one
    __table_args__ = (
        UniqueConstraint("ward_id", "period_kind", "year", "period", "as_of"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    period_kind: Mapped[str] = mapped_column(String(8))  # month | quarter | half | year
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer, default=0)  # month/quarter/half; 0 for year
    as_of: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(Score)
    rank: Mapped[int | None] = mapped_column(Integer)
    rank_of: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="text")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200), default="")
    groups: Mapped[list[SnapshotGroup]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="SnapshotGroup.position"
    )


class SnapshotGroup(Base):
    __tablename__ = "snapshot_groups"
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Score)
    max_score: Mapped[Decimal] = mapped_column(Score)
    rank: Mapped[int | None] = mapped_column(Integer)


class ChartImage(Base):
    """A chart drawn once per snapshot and language, with its id on each channel."""

    __tablename__ = "chart_images"
    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("snapshots.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    png: Mapped[bytes] = mapped_column(LargeBinary)
    channel_ids: Mapped[dict[str, Any]] = mapped_column(default=dict)  # channel -> file id


class PendingAction(Base):
    """A question the bot asked and waits on (confirm a snapshot, paste a report...).

    Kept in the database so that a restart loses nothing a user was in the middle of.
    """

    __tablename__ = "pending_actions"
    # ids are never reused: a button carries its question's id, and an old button must not
    # answer a newer question that got the same id
    __table_args__ = (
        UniqueConstraint("channel", "chat_id", "user_id"),
        {"sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    choices: Mapped[list[str]] = mapped_column(default=list)  # button data, in order shown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Directive(Base):
    """A confirmed directive (chỉ thị, công văn, kế hoạch ...). The newest is "the latest"."""

    __tablename__ = "directives"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64), default="")
    number: Mapped[str] = mapped_column(String(64), default="")
    issued_on: Mapped[date | None] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(1000), default="")
    issuer: Mapped[str] = mapped_column(String(300), default="")
    signer: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    source_name: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200), default="")


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (UniqueConstraint("ward_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    directive_id: Mapped[int] = mapped_column(
        ForeignKey("directives.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # what people type: "/xong 12"
    text: Mapped[str] = mapped_column(String(4000))
    section: Mapped[str] = mapped_column(String(500), default="")
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    recurrence: Mapped[str | None] = mapped_column(String(32))
    deadline_kind: Mapped[str | None] = mapped_column(String(16))
    deadline_text: Mapped[str] = mapped_column(String(500), default="")
    source_line: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)  # open | done
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(200))
    evidence_text: Mapped[str | None] = mapped_column(String(4000))
    evidence_file: Mapped[str | None] = mapped_column(String(255))
    evidence_ref: Mapped[str | None] = mapped_column(String(255))  # the channel's file id
    snoozed_until: Mapped[date | None] = mapped_column(Date)  # no reminders before this day
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the deadline was last changed then: reminders are planned as if loaded at that moment
    rescheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    units: Mapped[list[TaskUnit]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="TaskUnit.position"
    )


class TaskUnit(Base):
    """A department a task names: its lead (chủ trì) or a supporting one (phối hợp).

    A unit the ward does not have keeps its name as written and no department.
    """

    __tablename__ = "task_units"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    unit_name: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[str] = mapped_column(String(8))  # lead | support
    position: Mapped[int] = mapped_column(Integer, default=0)


class TaskEvent(Base):
    """What happened to a task, for the record: closed (with evidence), reopened, changed."""

    __tablename__ = "task_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Broadcast(Base):
    """Guidance the digital team sends to many chats; its messages are outbox rows
    `broadcast:<id>:<channel>:<chat>` in the broadcast lane."""

    __tablename__ = "broadcasts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(200))
    sender_channel: Mapped[str] = mapped_column(String(16), default="")
    sender_chat: Mapped[str] = mapped_column(String(64), default="")  # where reports go
    text: Mapped[str] = mapped_column(String(4096), default="")
    attachment_kind: Mapped[str | None] = mapped_column(String(16))  # photo | document
    attachment_name: Mapped[str | None] = mapped_column(String(255))
    attachment_ref: Mapped[str | None] = mapped_column(String(255))  # channel:file_id
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)  # from `--file`
    audience: Mapped[str] = mapped_column(String(500))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued|done|cancelled
    total: Mapped[int] = mapped_column(Integer, default=0)
    # the sender confirmed a time outside the ward's sending hours: it goes at that time
    outside_hours: Mapped[bool] = mapped_column(default=False)


class OAuthToken(Base):
    """A platform's OAuth pair (Zalo OA): refresh tokens are single-use, so the new pair is
    written here before it is used."""

    __tablename__ = "oauth_tokens"
    __table_args__ = (UniqueConstraint("provider", "account"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))  # zalo_oa
    account: Mapped[str] = mapped_column(String(64))  # the OA's id
    access_token: Mapped[str] = mapped_column(String(2048))
    refresh_token: Mapped[str] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)  # bumped by every refresh


class Outbox(Base):
    """Every proactive message, written before it is sent. `key` makes it happen once."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str] = mapped_column(String(16), default="notice")  # notice|reminder|broadcast
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # text, buttons
    # pending | sending (handed to a sender) | sent | partial (sent without its attachment)
    # | failed | cancelled | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # retries count
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))  # raw, for admins and logs
    # why it failed or went without its attachment, as a code people read translated
    # (removed, blocked, not_found, too_long, rejected, no_channel, gave_up, error, attachment)
    reason: Mapped[str | None] = mapped_column(String(16))
    # sends of this row whose outcome was unknown (the answer was lost, or the sender died
    # while sending) and that were tried again: each may have reached the chat twice
    unsure_sends: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MetricFigure(Base):
    """One sub-criterion's figures for a ward and period (numerator / denominator, e.g.
    "hồ sơ nộp trực tuyến 412/1.030"), as an admin stored them; what-if answers read them."""

    __tablename__ = "metric_figures"
    __table_args__ = (
        UniqueConstraint("ward_id", "period_kind", "year", "period", "as_of", "code"),
        Index("ix_metric_figures_period", "ward_id", "period_kind", "year", "period"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"))
    period_kind: Mapped[str] = mapped_column(String(8))  # month | quarter | half | year
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer, default=0)
    as_of: Mapped[date] = mapped_column(Date)
    group_code: Mapped[str] = mapped_column(String(32))  # ingest.index_groups code
    code: Mapped[str] = mapped_column(String(64))  # the sub-criterion's code (criteria table)
    numerator: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    denominator: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    source: Mapped[str] = mapped_column(String(16), default="text")  # text | file | portal
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(200), default="")


class ProvinceRow(Base):
    """One commune's figures in the portal's list for its province and one period.

    `groups` maps an index group code to its score as a string ("19.41"); `position` is the
    portal's ROW_STT, `rank` the place by total among the list (computed when not given)."""

    __tablename__ = "province_rows"
    __table_args__ = (
        UniqueConstraint("province_id", "unit_level", "period_kind", "year", "period", "unit_id"),
        Index(
            "ix_province_rows_list", "province_id", "unit_level", "period_kind", "year", "period"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province_id: Mapped[str] = mapped_column(String(32))
    unit_level: Mapped[str] = mapped_column(String(16))
    period_kind: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[int] = mapped_column(Integer, default=0)
    unit_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int | None] = mapped_column(Integer)
    rank: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Score)
    groups: Mapped[dict[str, Any]] = mapped_column(default=dict)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PortalRun(Base):
    """One fetch from the national portal for a ward: when, whether it worked, and why not."""

    __tablename__ = "portal_runs"
    __table_args__ = (Index("ix_portal_runs_ward", "ward_id", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(32), default="")  # the daily slot, "2025-11-16"
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ok: Mapped[bool] = mapped_column(default=False)
    # why it failed, as a code people read translated: html, waf, timeout, empty, fields,
    # server, network, ward_missing, invalid
    reason: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(1000), default="")  # raw, for admins and logs
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)  # rows, changed periods ...


class Lease(Base):
    """A named job that one process runs at a time (the scheduler's tick, the portal fetch,
    Telegram polling): the holder renews `until`; another process takes it once it lapsed."""

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())


__all__ = [
    "Base",
    "Broadcast",
    "ChartImage",
    "Chat",
    "Department",
    "Directive",
    "Lease",
    "MetricFigure",
    "OAuthToken",
    "Outbox",
    "PendingAction",
    "Person",
    "PersonDepartment",
    "PortalRun",
    "ProvinceRow",
    "Snapshot",
    "SnapshotGroup",
    "Task",
    "TaskEvent",
    "TaskUnit",
    "Ward",
    "WardChoice",
]


class HostedFile(Base):
    """A file served at an unguessable URL until it expires (Zalo fetches photos by URL)."""

    __tablename__ = "hosted_files"
    __table_args__ = (UniqueConstraint("token"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))  # as given (the URL carries a safe form)
    content_type: Mapped[str] = mapped_column(String(127))
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # one row for repeated bytes
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class MissedReply(Base):
    """A reply that could not be sent after its change was stored (Telegram or Zalo kept
    failing): the next reply to that person starts by saying what they missed."""

    __tablename__ = "missed_replies"
    __table_args__ = (Index("ix_missed_replies_channel", "channel", "chat_id", "user_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
