"""Outbox keys: the one place their format is written and read.

An outbox key names one proactive message so that planning it twice (a restart, a second
replica, a tick that overlaps the previous one) writes it once. Every producer builds its key
here, and tests compare keys through these functions, never by splitting strings.

- task reminder: ``task:{task}:{occurrence}:{step}:{channel}:{chat}``
- snoozed repeat: ``task:{task}:snooze:{day}:{channel}:{chat}``
- rescheduled-deadline notice: ``task:{task}:deadline:{n}:{channel}:{chat}``
- directive notice (one per part): ``directive:{directive}:{channel}:{chat}:{part}``
- broadcast: ``broadcast:{broadcast}:{channel}:{chat}``; its report ``report:broadcast:{id}``
- blocked-chat alert to the admins:
  ``chat-inactive:{channel}:{chat}:{since}:{admin channel}:{admin chat}``
- undeliverable notice or reminder, to the admins: ``gave-up:{admin channel}:{admin chat}:{key}``
- the weekly briefing: ``briefing:{ward}:{week's Monday}:{channel}:{chat}``
- the portal fetch failing / recovering, to the admins (once per failure streak):
  ``portal:{ward}:{streak's first failed run}:{failed|recovered}:{channel}:{chat}``
- a typed snapshot the portal contradicted, to the admins:
  ``portal-differs:{snapshot}:{channel}:{chat}``
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SEP = ":"


@dataclass(frozen=True, slots=True)
class ReminderKey:
    """The parts of a task reminder's key."""

    task_id: int
    occurrence: str  # ISO date, or "snooze"/"deadline" for the task's other messages
    step: str
    channel: str
    chat_id: str


def task_prefix(task_id: int) -> str:
    """Every key of one task's messages starts with this (to skip its queued reminders)."""
    return f"task:{task_id}:"


def due_key(task_id: int, occurrence: date, step: str) -> str:
    """A reminder step of a task, before it is addressed to a chat (the planner's key)."""
    return f"task:{task_id}:{occurrence.isoformat()}:{step}"


def occurrence_prefix(task_id: int, occurrence: date) -> str:
    """Every reminder key of one occurrence (one deadline) of a task."""
    return f"task:{task_id}:{occurrence.isoformat()}:"


def addressed(base: str, channel: str, chat_id: str) -> str:
    """A key for one chat: `base` followed by the chat."""
    return f"{base}:{channel}:{chat_id}"


def reminder_key(task_id: int, occurrence: date, step: str, channel: str, chat_id: str) -> str:
    return addressed(due_key(task_id, occurrence, step), channel, chat_id)


def snooze_key(task_id: int, until: date, channel: str, chat_id: str) -> str:
    return f"task:{task_id}:snooze:{until.isoformat()}:{channel}:{chat_id}"


def snooze_prefix(task_id: int) -> str:
    """Every snoozed repeat of a task."""
    return f"task:{task_id}:snooze:"


def deadline_change_key(task_id: int, change: int, channel: str, chat_id: str) -> str:
    """The notice that a task's deadline was changed (`change` counts the changes)."""
    return f"task:{task_id}:deadline:{change}:{channel}:{chat_id}"


def parse_task_key(key: str) -> ReminderKey | None:
    """The parts of a task message's key; None for any other key."""
    parts = key.split(SEP, 5)
    if len(parts) < 6 or parts[0] != "task" or not parts[1].isdigit():
        return None
    # a step never holds the separator; a chat id may (the OA writes to "user:<id>")
    return ReminderKey(int(parts[1]), parts[2], parts[3], parts[4], parts[5])


def directive_notice_key(directive_id: int, channel: str, chat_id: str, part: int) -> str:
    return f"directive:{directive_id}:{channel}:{chat_id}:{part}"


def broadcast_prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:"


def broadcast_key(broadcast_id: int, channel: str, chat_id: str) -> str:
    return f"{broadcast_prefix(broadcast_id)}{channel}:{chat_id}"


def broadcast_report_key(broadcast_id: int) -> str:
    return f"report:broadcast:{broadcast_id}"


def chat_inactive_key(
    channel: str, chat_id: str, since: str, admin_channel: str, admin_chat: str
) -> str:
    """The admins' alert that a chat blocked or removed the bot (once per time it happened)."""
    return f"chat-inactive:{channel}:{chat_id}:{since}:{admin_channel}:{admin_chat}"


def gave_up_key(key: str, admin_channel: str, admin_chat: str) -> str:
    """The admins' alert that the message with outbox key `key` was given up (once each)."""
    return f"{GAVE_UP}{SEP}{admin_channel}{SEP}{admin_chat}{SEP}{key}"[:255]


def briefing_prefix(ward_id: int, week: date) -> str:
    """Every key of one ward's weekly briefing of the week starting on Monday `week`."""
    return f"briefing:{ward_id}:{week.isoformat()}:"


def briefing_key(ward_id: int, week: date, channel: str, chat_id: str) -> str:
    """The weekly briefing of the week starting on Monday `week`, to one chat or person."""
    return f"{briefing_prefix(ward_id, week)}{channel}:{chat_id}"


def portal_alert_key(ward_id: int, streak: int, state: str, channel: str, chat_id: str) -> str:
    """The admins' alert that the portal fetch fails (`state` "failed") or works again
    ("recovered"); `streak` is the id of the streak's first failed run, so each streak is
    told once."""
    return f"portal:{ward_id}:{streak}:{state}:{channel}:{chat_id}"


def portal_differs_key(snapshot_id: int, channel: str, chat_id: str) -> str:
    """The admins' notice that the portal's figures replaced a typed snapshot that differed."""
    return f"portal-differs:{snapshot_id}:{channel}:{chat_id}"


GAVE_UP = "gave-up"
ALERT_PREFIXES = ("chat-inactive:", f"{GAVE_UP}:", "report:")  # messages about messages


__all__ = [
    "ALERT_PREFIXES",
    "GAVE_UP",
    "ReminderKey",
    "addressed",
    "briefing_key",
    "briefing_prefix",
    "broadcast_key",
    "broadcast_prefix",
    "broadcast_report_key",
    "chat_inactive_key",
    "deadline_change_key",
    "directive_notice_key",
    "due_key",
    "gave_up_key",
    "occurrence_prefix",
    "parse_task_key",
    "portal_alert_key",
    "portal_differs_key",
    "reminder_key",
    "snooze_key",
    "snooze_prefix",
    "task_prefix",
]
