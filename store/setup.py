"""Applies a checked ward.toml to the database: insert or update, never duplicate.

People and departments follow the file (removed from the file, removed here); chats listed in
the file are set as listed, and chats registered in chat with /dangky are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.ward_config import WardConfig
from store import models as m


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

    people = {
        p.name: p for p in (await s.scalars(select(m.Person).where(m.Person.ward_id == ward.id)))
    }
    # Free the ids first so that moving an id from one person to another never collides.
    for pc in cfg.people:
        for p in people.values():
            if p.name != pc.name and pc.telegram_id and p.telegram_id == pc.telegram_id:
                p.telegram_id = None
            if p.name != pc.name and pc.zalo_id and p.zalo_id == pc.zalo_id:
                p.zalo_id = None
            if p.name != pc.name and pc.zalo_oa_id and p.zalo_oa_id == pc.zalo_oa_id:
                p.zalo_oa_id = None
    for name, gone in list(people.items()):
        if name not in {p.name for p in cfg.people}:
            await s.delete(gone)
            del people[name]
            summary.removed["people"] += 1
    await s.flush()
    for pc in cfg.people:
        person: m.Person | None = people.get(pc.name)
        new_depts = [depts[c] for c in pc.departments]
        if person is None:
            person = m.Person(ward_id=ward.id, name=pc.name, departments=[])
            s.add(person)
            summary.added["people"] += 1
        elif (
            person.role,
            person.telegram_id,
            person.zalo_id,
            person.zalo_oa_id,
            person.language,
            sorted(d.code for d in person.departments),
        ) != (
            pc.role,
            pc.telegram_id,
            pc.zalo_id,
            pc.zalo_oa_id,
            pc.language,
            sorted(pc.departments),
        ):
            summary.updated["people"] += 1
        person.role, person.telegram_id, person.zalo_id = pc.role, pc.telegram_id, pc.zalo_id
        person.zalo_oa_id = pc.zalo_oa_id
        person.language = pc.language
        person.departments = new_depts
    await s.flush()

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
        chat.ward_id, chat.kind, chat.tags, chat.source = ward.id, cc.kind, list(cc.tags), "file"
        chat.department_id = depts[cc.department].id if cc.department else None
        if cc.title:
            chat.title = cc.title
    await s.flush()
    return summary


async def _renamed_ward(s: AsyncSession, cfg: WardConfig) -> m.Ward | None:
    """A ward whose name changed in the file is the one whose people are the file's people."""
    tg = [p.telegram_id for p in cfg.people if p.telegram_id]
    zalo = [p.zalo_id for p in cfg.people if p.zalo_id]
    if not tg and not zalo:
        return None
    ward_ids = set(
        await s.scalars(
            select(m.Person.ward_id).where(
                (m.Person.telegram_id.in_(tg)) | (m.Person.zalo_id.in_(zalo))
            )
        )
    )
    if len(ward_ids) != 1:
        return None
    return await s.get(m.Ward, ward_ids.pop())


async def delete_ward(s: AsyncSession, ward_id: int) -> None:
    await s.execute(delete(m.Ward).where(m.Ward.id == ward_id))
