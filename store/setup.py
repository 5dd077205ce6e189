"""Applies a checked ward.toml to the database: insert or update, never duplicate.

People and departments follow the file (removed from the file, removed here); chats listed in
the file are set as listed; a chat the file listed before and no longer lists is deactivated
(no notices, reminders or broadcasts; listed again, it is active again); chats registered in
chat with /dangky are left alone.

Provincial staff (role `province`) are set by a province file (`ingest/province_config.py`):
applied with `province_people`, a ward's provincial staff follow that list; a ward file set
up alone leaves them as they are, and a person of the file who is one of them by name or id
is refused (`province_conflicts`, checked before anything is written).

People are written with a few bulk statements (one read of the ward's people and their
departments, then executemany updates, deletes and inserts), so a ward of 100,000 people is
set up in seconds (bench/ward_setup.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ingest.ward_config import PersonCfg, WardConfig
from store import models as m
from store.records import PROVINCE_ROLE

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


@dataclass(frozen=True)
class Conflict:
    """A person of a ward file who is one of the ward's provincial staff (by name or id)."""

    index: int  # the person's place in the file's [[people]]
    key: str  # "name" or the id's key
    code: str  # the problem (handlers/problems.py)
    params: dict[str, str]


class SetupConflict(Exception):
    def __init__(self, conflicts: list[Conflict]):
        super().__init__(", ".join(c.code for c in conflicts))
        self.conflicts = conflicts


async def _find_ward(s: AsyncSession, cfg: WardConfig, taken: Collection[str]) -> m.Ward | None:
    ward = await s.scalar(select(m.Ward).where(m.Ward.name == cfg.name))
    return ward if ward is not None else await _renamed_ward(s, cfg, taken)


async def province_conflicts(
    s: AsyncSession, cfg: WardConfig, taken: Collection[str] = ()
) -> list[Conflict]:
    """The file's people who are the ward's provincial staff, by name or by an id: a ward
    file set up alone must not take them over (their rows follow the province file)."""
    ward = await _find_ward(s, cfg, taken)
    if ward is None:
        return []
    P = m.Person
    staff = (
        await s.execute(
            select(P.name, *(getattr(P, k) for k in _ID_KEYS)).where(
                P.ward_id == ward.id, P.role == PROVINCE_ROLE
            )
        )
    ).all()
    names = {row.name for row in staff}
    ids = {(k, getattr(row, k)): row.name for row in staff for k in _ID_KEYS if getattr(row, k)}
    found: list[Conflict] = []
    for index, person in enumerate(cfg.people):
        if person.name in names:
            found.append(Conflict(index, "name", "province_person_here", {"name": person.name}))
            continue
        for k in _ID_KEYS:
            value = getattr(person, k)
            if value and (k, value) in ids:
                params = {"key": k, "value": value, "name": person.name, "other": ids[(k, value)]}
                found.append(Conflict(index, k, "province_id_here", params))
    return found


async def apply_ward_config(
    s: AsyncSession,
    cfg: WardConfig,
    at: datetime,
    province_people: Sequence[PersonCfg] | None = None,
    taken: Collection[str] = (),
) -> SetupSummary:
    """Creates or updates the ward. `province_people`: the provincial staff of the province
    file listing the ward (None: set up alone, its provincial staff stay as they are);
    `taken`: the names of the other wards set up in the same run (never renamed into)."""
    summary = SetupSummary()
    if province_people is None:
        conflicts = await province_conflicts(s, cfg, taken)
        if conflicts:
            raise SetupConflict(conflicts)
    ward = await s.scalar(select(m.Ward).where(m.Ward.name == cfg.name))
    if ward is None:
        ward = await _renamed_ward(s, cfg, taken)
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

    people = list(cfg.people) + list(province_people or ())
    dept_ids = {code: d.id for code, d in depts.items()}
    await _apply_people(s, ward.id, people, province_people is not None, dept_ids, summary)

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
    s: AsyncSession,
    ward_id: int,
    people: Sequence[PersonCfg],
    with_province: bool,
    dept_ids: dict[str, int],
    summary: SetupSummary,
) -> None:
    """The ward's people follow `people`; its provincial staff too when `with_province`,
    else they are left as they are."""
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
    existing: dict[str, dict[str, Any]] = {
        r.name: dict(r._mapping) for r in rows if with_province or r.role != PROVINCE_ROLE
    }
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
    wanted: dict[str, PersonCfg] = {pc.name: pc for pc in people}

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
    for pc in people:
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
    for pc in people:
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


async def _renamed_ward(
    s: AsyncSession, cfg: WardConfig, taken: Collection[str] = ()
) -> m.Ward | None:
    """A ward whose name changed in the file is the one whose people are the file's people:
    at least two of them, at least half of the file's people with an id, and at least half
    of that ward's. People can be in several wards (a vendor's administrator), so sharing a
    person is not enough; provincial staff are in every ward of a province and do not count.
    A ward named by another file of the same run (`taken`) is never renamed."""
    tg = [p.telegram_id for p in cfg.people if p.telegram_id]
    zalo = [p.zalo_id for p in cfg.people if p.zalo_id]
    in_file = sum(1 for p in cfg.people if p.telegram_id or p.zalo_id)
    if not in_file:
        return None
    P = m.Person
    matched: dict[int, set[int]] = {}
    for column, values in ((P.telegram_id, tg), (P.zalo_id, zalo)):
        for chunk in _chunks(values):
            rows = await s.execute(
                select(P.id, P.ward_id).where(column.in_(chunk), P.role != PROVINCE_ROLE)
            )
            for person_id, ward_id in rows.all():
                matched.setdefault(ward_id, set()).add(person_id)
    found: list[m.Ward] = []
    for ward_id, same in matched.items():
        if len(same) < 2 or 2 * len(same) < in_file:
            continue
        known = await s.scalar(
            select(func.count())
            .select_from(P)
            .where(
                P.ward_id == ward_id,
                P.role != PROVINCE_ROLE,
                or_(P.telegram_id.is_not(None), P.zalo_id.is_not(None)),
            )
        )
        ward = await s.get(m.Ward, ward_id)
        if ward is not None and 2 * len(same) >= (known or 0) and ward.name not in taken:
            found.append(ward)
    return found[0] if len(found) == 1 else None


async def delete_ward(s: AsyncSession, ward_id: int) -> None:
    await s.execute(delete(m.Ward).where(m.Ward.id == ward_id))
