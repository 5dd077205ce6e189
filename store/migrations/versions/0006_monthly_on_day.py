"""monthly duties "on the day": monthly:N whose phrase reads "vào ngày N hằng tháng" -> monthly:on-N

"monthly:N" has always meant "by day N of every month" (trước ngày 15 hằng tháng); a duty
written "vào ngày 20 hằng tháng" or "ngày 20 hằng tháng" is due ON that day, which is now
stored as "monthly:on-N". The phrase as written (tasks.deadline_text) tells them apart.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 09:00:00.000000
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

tasks = sa.table(
    "tasks",
    sa.column("id", sa.Integer()),
    sa.column("recurrence", sa.String(length=32)),
    sa.column("deadline_text", sa.String()),
)
BY_DAY = re.compile(r"^monthly:(\d{1,2})$")
ON_DAY = re.compile(r"^monthly:on-(\d{1,2})$")
LIMIT_WORDS = re.compile(r"(?<![a-z0-9])(?:truoc|cham nhat|han)(?![a-z0-9])")


def _fold(text: str) -> str:
    """Lower case, no diacritics, đ -> d, single spaces (the app's folding, kept here so
    the migration never changes with the app's code)."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(text.split())


def _on_the_day(deadline_text: str | None, day: int) -> bool:
    folded = _fold(deadline_text or "")
    if LIMIT_WORDS.search(folded):
        return False
    number = rf"0*{day}(?![0-9])"
    return bool(
        re.search(rf"(?<![a-z0-9])vao ngay {number}", folded)
        or re.search(rf"(?<![a-z0-9])ngay {number} (?:cua )?(?:hang|moi) thang", folded)
    )


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(tasks.c.id, tasks.c.recurrence, tasks.c.deadline_text).where(
            tasks.c.recurrence.like("monthly:%")
        )
    ).all()
    for task_id, recurrence, deadline_text in rows:
        found = BY_DAY.match(recurrence or "")
        if found and _on_the_day(deadline_text, int(found.group(1))):
            bind.execute(
                tasks.update()
                .where(tasks.c.id == task_id)
                .values(recurrence=f"monthly:on-{int(found.group(1))}")
            )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(tasks.c.id, tasks.c.recurrence).where(tasks.c.recurrence.like("monthly:on-%"))
    ).all()
    for task_id, recurrence in rows:
        found = ON_DAY.match(recurrence or "")
        if found:
            bind.execute(
                tasks.update()
                .where(tasks.c.id == task_id)
                .values(recurrence=f"monthly:{int(found.group(1))}")
            )
