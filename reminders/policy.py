"""A ward's reminder rules: the [reminders] table of ward.toml as a planner Policy."""

from __future__ import annotations

from datetime import time
from typing import Any

from reminders.planner import Policy


def policy_from(settings: dict[str, Any]) -> Policy:
    """A ward's [reminders] table (already checked by ward_config) as a Policy."""
    base = Policy()
    office = base.office_time
    if "office_time" in settings:
        hours, minutes = str(settings["office_time"]).split(":")
        office = time(int(hours), int(minutes))
    return Policy(
        before=tuple(settings.get("before", base.before)),
        on_day=bool(settings.get("on_day", base.on_day)),
        overdue_daily=bool(settings.get("overdue_daily", base.overdue_daily)),
        escalate_after=int(settings.get("escalate_after", base.escalate_after)),
        office_time=office,
        recurring_before=base.recurring_before,
    )
