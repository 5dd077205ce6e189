"""Applies a checked ward.toml to the database: insert or update, never duplicate.

People and departments follow the file (removed from the file, removed here); chats listed in
the file are set as listed; a chat the file listed before and no longer lists is deactivated
(no notices, reminders or broadcasts; listed again, it is active again); chats registered in
chat with /dangky are left alone.

People are written with a few bulk statements (one read of the ward's people and their
departments, then executemany updates, deletes and inserts), so a ward of 100,000 people is
set up in seconds (bench/ward_setup.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.ward_config import PersonCfg, WardConfig
from store import models as m

CHUNK = 500  # ids per IN (...) list: far below any database's limit on bound parameters
_ID_KEYS = ("telegram_id", "zalo_id", "zalo_oa_id")
REMOVED_FROM_FILE = "file_gone"  # chats.source of a chat ward.toml no longer lists
T = TypeVar("T")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class SetupSummary:
    ward_id: int = 0
    created_ward: bool = False
    renamed_from: str | None = None
    added: dict[str, int] = field(
        default_factory=lambda: {"departments": 0, "people": 0, "chats": 0}
    )
    updated: dict[str, int] = field(
        default_factory=lambda: {"departments": 0, "people": 0, "chats": 0}
    )
    removed: dict[str, int] = field(default_factory=lambda: {"departments": 0, "people": 0})
    deactivated: list[str] = field(default_factory=list)  # chats no longer in the file


async def apply_ward_config(s: AsyncSession, cfg: WardConfig, at: datetime) -> SetupSummary:
    summary = SetupSummary()
    ward = await s.scalar(select(m.Ward).where(m.Ward.name == cfg.name))
    if ward is None:
        ward = await _renamed_ward(s, cfg)
        if ward is not None:
            summary.renamed_from = ward.name
            ward.name = cfg.name
    if ward is None:
        ward = m.Ward(name=cfg.name)
        s.add(ward)
        summary.created_ward = True
    ward.province, ward.timezone, ward.group_owners = cfg.province, cfg.timezone, cfg.group_owners
    ward.reminder_policy = dict(cfg.reminders)
    ward.templates = [{"title": t, "text": x} for t, x in cfg.templates]
    ward.briefing, ward.portal = dict(cfg.briefing), dict(cfg.portal)
    await s.flush()
    summary.ward_id = ward.id

    depts = {
        d.code: d
        for d in (await s.scalars(select(m.Department).where(m.Department.ward_id == ward.id)))
    }
    for dc in cfg.departments:
        dept = depts.get(dc.code)
        if dept is None:
            dept = m.Department(ward_id=ward.id, code=dc.code)
            s.add(dept)
            depts[dc.code] = dept
            summary.added["departments"] += 1
        elif (dept.name, tuple(dept.aliases or ()), dept.professional) != (
            dc.name,
            dc.aliases,
            dc.professional,
        ):
            summary.updated["departments"] += 1
        dept.name, dept.aliases, dept.professional = dc.name, list(dc.aliases), dc.professional
    wanted = {d.code for d in cfg.departments}
    for code, dept in list(depts.items()):
        if code not in wanted:
            await s.delete(dept)
            del depts[code]
            summary.removed["departments"] += 1
    await s.flush()

    await _apply_people(s, ward.id, cfg, {code: d.id for code, d in depts.items()}, summary)

    for cc in cfg.chats:
        chat = await s.scalar(
            select(m.Chat).where(m.Chat.channel == cc.channel, m.Chat.chat_id == cc.chat_id)
        )
        if chat is None:
            chat = m.Chat(
                channel=cc.channel,
                chat_id=cc.chat_id,
                first_seen=at,
                last_seen=at,
                is_group=True,
                active=True,
            )
            s.add(chat)
            summary.added["chats"] += 1
        else:
            summary.updated["chats"] += 1
            if chat.source == REMOVED_FROM_FILE:  # listed again
                chat.active = True
        chat.ward_id, chat.kind, chat.tags, chat.source = ward.id, cc.kind, list(cc.tags), "file"
        chat.department_id = depts[cc.department].id if cc.department else None
        if cc.title:
            chat.title = cc.title
    listed = {(cc.channel, cc.chat_id) for cc in cfg.chats}
    for chat in await s.scalars(
        select(m.Chat).where(m.Chat.ward_id == ward.id, m.Chat.source == "file")
    ):
        if (chat.channel, chat.chat_id) not in listed:
            # inactive and no longer registered: a message seen in it later reactivates a
            # chat of no ward and no kind, which receives nothing
            chat.active, chat.source = False, REMOVED_FROM_FILE
            chat.ward_id, chat.kind, chat.department_id = None, None, None
            summary.deactivated.append(chat.title or chat.chat_id)
    await s.flush()
    return summary


async def _apply_people(
    s: AsyncSession, ward_id: int, cfg: WardConfig, dept_ids: dict[str, int], summary: SetupSummary
) -> None:
    P = cast(Table, m.Person.__table__)
    PD = cast(Table, m.PersonDepartment.__table__)
    rows = (
        await s.execute(
            select(
                P.c.id,
                P.c.name,
                P.c.role,
                P.c.telegram_id,
                P.c.zalo_id,
                P.c.zalo_oa_id,
                P.c.language,
            ).where(P.c.ward_id == ward_id)
        )
    ).all()
    existing: dict[str, dict[str, Any]] = {r.name: dict(r._mapping) for r in rows}
    code_of = {i: code for code, i in dept_ids.items()}
    memberships: dict[int, set[str]] = {}
    links = await s.execute(
        select(PD.c.person_id, PD.c.department_id)
        .join(P, P.c.id == PD.c.person_id)
        .where(P.c.ward_id == ward_id)
    )
    for person_id, dept_id in links.all():
        if dept_id in code_of:
            memberships.setdefault(person_id, set()).add(code_of[dept_id])
    wanted: dict[str, PersonCfg] = {pc.name: pc for pc in cfg.people}

    # 1. Free every id that is about to change hands (or go), so no update collides.
    freed: list[dict[str, Any]] = []
    for name, row in existing.items():
        pc = wanted.get(name)
        values = {
            k: row[k] if pc is not None and getattr(pc, k) == row[k] else None for k in _ID_KEYS
        }
        if any(values[k] != row[k] for k in _ID_KEYS):
            freed.append({"pid": row["id"], **values})
            row.update(values)
    if freed:
        await s.execute(
            update(P).where(P.c.id == bindparam("pid")).values({k: bindparam(k) for k in _ID_KEYS}),
            freed,
        )

    # 2. People no longer in the file.
    gone = [row["id"] for name, row in existing.items() if name not in wanted]
    for chunk in _chunks(gone):
        await s.execute(delete(PD).where(PD.c.person_id.in_(chunk)))
        await s.execute(delete(P).where(P.c.id.in_(chunk)))
    summary.removed["people"] += len(gone)

    # 3. Changed people, then new people, then department memberships.
    changed: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    for pc in cfg.people:
        values = {
            "role": pc.role,
            "telegram_id": pc.telegram_id,
            "zalo_id": pc.zalo_id,
            "zalo_oa_id": pc.zalo_oa_id,
            "language": pc.language,
        }
        old = existing.get(pc.name)
        if old is None:
            new_rows.append({"ward_id": ward_id, "name": pc.name, **values})
            continue
        before = (old["role"], old["language"], sorted(memberships.get(old["id"], ())))
        stored = {k: old[k] for k in values}
        if stored != values:
            changed.append({"pid": old["id"], **values})
        if before != (pc.role, pc.language, sorted(pc.departments)) or any(
            old[k] != getattr(pc, k) for k in _ID_KEYS
        ):
            summary.updated["people"] += 1
    if changed:
        await s.execute(
            update(P)
            .where(P.c.id == bindparam("pid"))
            .values({k: bindparam(k) for k in ("role", *_ID_KEYS, "language")}),
            changed,
        )
    if new_rows:
        await s.execute(insert(P), new_rows)
        summary.added["people"] += len(new_rows)
        names = [r["name"] for r in new_rows]
        ids: dict[str, int] = {}
        for chunk in _chunks(names):
            for pid, name in (
                await s.execute(
                    select(P.c.id, P.c.name).where(P.c.ward_id == ward_id, P.c.name.in_(chunk))
                )
            ).all():
                ids[name] = pid
        for name in names:
            existing[name] = {"id": ids[name]}
    add_links: list[dict[str, int]] = []
    drop_links: list[dict[str, int]] = []
    for pc in cfg.people:
        pid = existing[pc.name]["id"]
        have = memberships.get(pid, set())
        want = set(pc.departments)
        add_links += [{"person_id": pid, "department_id": dept_ids[c]} for c in want - have]
        drop_links += [{"pid": pid, "did": dept_ids[c]} for c in have - want if c in dept_ids]
    if drop_links:
        await s.execute(
            delete(PD).where(
                PD.c.person_id == bindparam("pid"), PD.c.department_id == bindparam("did")
            ),
            drop_links,
        )
    if add_links:
        await s.execute(insert(PD), add_links)


async def _renamed_ward(s: AsyncSession, cfg: WardConfig) -> m.Ward | None:
    """A ward whose name changed in the file is the one whose people are the file's people."""
    tg = [p.telegram_id for p in cfg.people if p.telegram_id]
    zalo = [p.zalo_id for p in cfg.people if p.zalo_id]
    if not tg and not zalo:
        return None
    ward_ids: set[int] = set()
    for column, values in ((m.Person.telegram_id, tg), (m.Person.zalo_id, zalo)):
        for chunk in _chunks(values):
            ward_ids.update(await s.scalars(select(m.Person.ward_id).where(column.in_(chunk))))
            if len(ward_ids) > 1:
                return None
    if len(ward_ids) != 1:
        return None
    return await s.get(m.Ward, ward_ids.pop())


async def delete_ward(s: AsyncSession, ward_id: int) -> None:
    await s.execute(delete(m.Ward).where(m.Ward.id == ward_id))
