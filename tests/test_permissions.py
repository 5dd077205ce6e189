"""Every registered command and every pending-question answer, as every role: allowed or
refused as the permission table says, and a refusal changes no row.

One case per command (or answer kind, or document); inside it the actors go refused-first, so
that an allowed actor's change (a task closed, a chat registered) cannot hide a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot.app import App
from handlers import (
    broadcast,
    commands,
    directives,
    metric_import,
    province,
    province_view,
    score_import,
    tasks,
    ward_choice,
)
from handlers.permissions import allowed, refusal_text, role_of, rule
from handlers.protocol import Inbound, InboundFile
from handlers.router import ANSWERS
from ingest.ward_config import PersonCfg, load_ward_config
from locales import translator
from store.records import PersonRec
from store.setup import apply_ward_config
from store.tasks import NewDirective, NewTask, NewUnit
from tests.conftest import EXAMPLE_WARD
from tests.test_e2e_telegram import REPORT

DIRECTIVE = (Path(__file__).parent / "data" / "directives" / "cong-van-mot-doan.txt").read_text(
    encoding="utf-8"
)
OTHER_STAFF = """
[[people]]
name = "Đỗ Văn Khoa"
role = "staff"
departments = ["VHXH"]
telegram_id = 700000006
"""
# provincial staff: in the ward by a province file (role "province")
PROVINCE_STAFF = (PersonCfg("Đỗ Thị Tỉnh", "province", (), "710000001"),)
UNREGISTERED_GROUP = "-1009999999999"
RESIDENTS = ("telegram", "-1001000000003")
UNITS = "Trung tâm Phục vụ hành chính công"  # task #1's department
_ = translator("vi")


@dataclass(frozen=True)
class Actor:
    name: str
    user_id: str
    group: bool = False  # speaks in a group the ward has not registered


ACTORS = (
    Actor("chairman", "700000001"),
    Actor("admin", "700000003"),
    Actor("staff of the task's department", "700000004"),
    Actor("staff of another department", "700000006"),
    Actor("digital team", "700000005"),
    Actor("provincial staff", "710000001"),
    Actor("stranger", "799999999"),
    Actor("admin in an unregistered group", "700000003", group=True),
)
# what each command is typed with (a task #1 of TTPVHCC and a broadcast #1 by the digital
# team exist); /mau N is the broadcasting half of /mau
ARGS = {
    "xong": "1 biên bản họp",
    "phatthanh": "Xin chào bà con",
    "mau": "1",
    "tinhtrang": "1",
    "huyphat": "1",
    "capnhatdiem": REPORT,
    "molai": "1",
    "doihan": "1 15/12/2025 chờ hướng dẫn",
    "dangky": "VHXH",
    "sua": "1 VHXH",
    "bo": "1",
    "trang": "2",
    "phatthanhtinh": "Họp giao ban chỉ số 766 lúc 14h",
    "phuong": "1",
    "capnhatsolieu": "Hồ sơ nộp trực tuyến: 412/1.030",
    "neu": "50 hồ sơ trực tuyến",
}
ACTION_OF = {"mau": "broadcast"}  # /mau NUMBER broadcasts; the list alone is for everyone
TABLES = ("snapshots", "directives", "tasks", "task_events", "broadcasts", "outbox")
TABLES += ("metric_figures",)


async def state(app: App) -> list[Any]:
    """What a refusal must not change: the rows of the main tables and their states."""
    async with app.repo.sessions.begin() as s:
        found: list[Any] = []
        for table in TABLES:
            found.append((await s.execute(sql(f"SELECT COUNT(*) FROM {table}"))).scalar())
        for query in (
            "SELECT number, status, deadline FROM tasks ORDER BY id",
            "SELECT status FROM broadcasts ORDER BY id",
            "SELECT key, status FROM outbox ORDER BY key",
            "SELECT chat_id, ward_id, kind, department_id, active FROM chats "
            "WHERE ward_id IS NOT NULL ORDER BY id",
        ):
            found.append([tuple(r) for r in (await s.execute(sql(query))).all()])
    return found


async def ward_setup(app: App) -> None:
    cfg = load_ward_config(EXAMPLE_WARD.read_text(encoding="utf-8") + OTHER_STAFF)
    async with app.repo.sessions.begin() as s:
        await apply_ward_config(s, cfg, app.services.clock.now(), PROVINCE_STAFF)
    app.repo.invalidate()
    ward = (await app.repo.wards())[0]
    now = app.services.clock.now()
    task = NewTask(
        text="Số hóa hồ sơ tháng 11",
        units=[NewUnit("lead", "TTPVHCC", "")],
        deadline=date(2025, 12, 5),
    )
    await app.services.tasks.save_directive(
        ward.id, NewDirective(kind="chi_thi", number="15/CT-UBND", tasks=[task]), "test", now
    )
    chats = [c for c in await app.repo.ward_chats(ward.id) if (c.channel, c.chat_id) == RESIDENTS]
    await app.services.broadcasts.create(
        ward.id,
        sender="Võ Minh Tuấn",  # the digital team's member in examples/ward.toml
        sender_channel="telegram",
        sender_chat="700000005",
        text="Lịch tiêm chủng",
        audience="kind:residents",
        chats=chats,
        send_at=now + timedelta(days=1),
        at=now,
    )


def inbound(actor: Actor, text: str = "", **kw: Any) -> Inbound:
    return Inbound(
        channel="telegram",
        chat_id=UNREGISTERED_GROUP if actor.group else actor.user_id,
        chat_kind="group" if actor.group else "private",
        user_id=actor.user_id,
        text=text,
        addressed=True,
        **kw,
    )


async def person(app: App, actor: Actor) -> PersonRec | None:
    return await app.repo.person_by_channel("telegram", actor.user_id)


def expected_refusal(action: str, who: PersonRec | None, actor: Actor) -> str | None:
    """The sentence the actor must get when refused (None: allowed)."""
    if who is None:
        return _("Hello! This bot serves the staff")[:20]  # the stranger's answer
    if actor.group:
        return None  # decided by the caller (registration commands only)
    task_departments = ("TTPVHCC",)
    if allowed(who, action, departments=task_departments, sender="Võ Minh Tuấn"):
        return None
    if rule(role_of(who), action) is None:  # refused by the table before the task is read
        return refusal_text(action, _)
    return refusal_text(action, _, units=UNITS)


async def answer_text(app: App, message: Inbound) -> str:
    return "\n".join(r.text for r in await app.router.handle(message))


STRANGER_TEXT = "Xin chào! Bot này phục vụ cán bộ"
GROUP_TEXT = "Nhóm này chưa được đăng ký"


async def check(
    app: App, actor: Actor, action: str, message: Inbound, any_group: bool = False
) -> bool:
    """Sends the message; asserts allowed/refused against the table; True when allowed.
    In an unregistered group only registration commands (`any_group`) are answered."""
    who = await person(app, actor)
    if any_group:
        actor = Actor(actor.name, actor.user_id)
    before = await state(app)
    got = await answer_text(app, message)
    if who is None:
        assert STRANGER_TEXT in got, got
        refused = True
    elif actor.group:
        refused = True
        assert got == "" or GROUP_TEXT in got, got
    else:
        refusal = expected_refusal(action, who, actor)
        refused = refusal is not None
        if refused:
            assert refusal in got, (actor.name, got)
        else:
            assert refusal_text(action, _, units=UNITS) not in got, (actor.name, got)
    if refused:
        assert await state(app) == before, (actor.name, got)
    return not refused


def _may(who: PersonRec | None, actor: Actor, action: str) -> bool:
    return who is not None and not actor.group and expected_refusal(action, who, actor) is None


async def refused_first(app: App, action: str) -> list[Actor]:
    ranked = [(_may(await person(app, a), a, action), i, a) for i, a in enumerate(ACTORS)]
    return [a for _may_, _i, a in sorted(ranked, key=lambda t: (t[0], t[1]))]


CASES = (
    [("command", c.name) for c in commands.COMMANDS]
    + [("answer", kind) for kind in ANSWERS]
    + [("document", "pasted directive"), ("document", "uploaded directive")]
)


def _payload(kind: str, app: App, ward: Any) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """A question of `kind` as its handler leaves it, and the answer to send to it."""
    now = app.services.clock.now()
    if kind == directives.CONFIRM_KIND:
        data = directives.read(ward, DIRECTIVE, now.date())
        return data, ["confirm", "discard"], {"button": "confirm"}
    if kind == directives.FIX_KIND:  # "Fix 1" under the preview: its department chosen
        data = directives.read(ward, DIRECTIVE, now.date())
        return {"preview": data, "number": 1}, ["dept:VHXH", "back"], {"button": "dept:VHXH"}
    if kind == score_import.CONFIRM_KIND:
        return {"drafts": [], "page": 1}, ["save", "cancel"], {"button": "cancel"}
    if kind == score_import.AWAIT_KIND:
        return {}, [], {"text": REPORT}
    if kind == metric_import.CONFIRM_KIND:  # pasted sub-criterion figures, previewed
        figures = [["dvc_ho_so_truc_tuyen", "dvc_truc_tuyen", "412", "1030", 1, "hstt"]]
        draft = {"period_kind": "month", "year": 2025, "period": 11, "as_of": "2025-11-15"}
        return {"drafts": [{**draft, "figures": figures}]}, ["save", "cancel"], {"button": "save"}
    if kind == metric_import.AWAIT_KIND:  # /capnhatsolieu's figures
        return {}, [], {"text": "Hồ sơ nộp trực tuyến: 412/1.030"}
    if kind == tasks.EVIDENCE_KIND:
        return {"number": 1}, [], {"text": "Biên bản họp ngày 20/11"}
    if kind == province.PAGES_KIND:  # a page of the province's ranking
        page = {"kind": "month", "year": 2025, "period": 11, "page": 1}
        return page, ["page:2"], {"button": "page:2"}
    if kind == ward_choice.CHOOSE_KIND:  # /phuong's list of the asker's wards
        return {}, [str(ward.id)], {"button": str(ward.id)}
    if kind == province_view.PAGE_KIND:  # another page of the wards side by side
        return {"view": "overview", "page": 1}, ["page:2"], {"button": "page:2"}
    if kind == province_view.MESSAGE_KIND:  # /phatthanhtinh's message
        return {}, [], {"text": "Họp giao ban chỉ số 766 lúc 14h"}
    if kind == province_view.CONFIRM_KIND:  # ... and its confirmation
        leaders = [["telegram", "-1001000000001"]]
        return (
            {"text": "Họp giao ban", "chats": leaders},
            ["confirm", "cancel"],
            {"button": "confirm"},
        )
    flow = {"text": "Xin chào", "audience": "kind:residents", "chats": [list(RESIDENTS)]}
    if kind == broadcast.MESSAGE_KIND:
        return {}, [], {"text": "Xin chào bà con"}
    if kind == broadcast.AUDIENCE_KIND:
        return {"text": "Xin chào"}, list(broadcast.AUDIENCE_CHOICES), {"button": "kind:residents"}
    if kind == broadcast.TIME_KIND:
        return flow, ["now"], {"button": "now"}
    assert kind == broadcast.CONFIRM_KIND
    flow["send_at"] = now.isoformat()
    return flow, ["confirm", "cancel"], {"button": "confirm"}


@pytest.mark.parametrize(("what", "name"), CASES, ids=[f"{w}:{n}" for w, n in CASES])
async def test_every_command_and_answer_as_every_role(app: App, what: str, name: str) -> None:
    await ward_setup(app)
    ward = (await app.repo.wards())[0]
    if what == "command":
        command = commands.BY_NAME[name]
        action = ACTION_OF.get(name, command.action)
        for actor in await refused_first(app, action):
            text = f"/{name} {ARGS.get(name, '')}".strip()
            message = inbound(actor, text)
            allowed_now = await check(app, actor, action, message, command.any_group)
            if allowed_now and name == "phatthanh" and not actor.group:
                # a second tap on confirm changes nothing
                await _finish_broadcast(app, actor)
        return
    if what == "document":
        action = "load_directive"
        for actor in await refused_first(app, action):
            if name == "pasted directive":
                message = inbound(actor, DIRECTIVE)
            else:
                data = DIRECTIVE.encode("utf-8")

                async def fetch(data: bytes = data) -> bytes:
                    return data

                message = inbound(
                    actor,
                    file=InboundFile("cong-van.txt", len(data), "text/plain", fetch, "f1"),
                )
            if await check(app, actor, action, message):
                got = await answer_text(app, inbound(actor, "", event="message"))
                assert "Chỉ" not in got
        return
    question = ANSWERS[name]
    for actor in await refused_first(app, question.action):
        who = await person(app, actor)
        payload, choices, reply = _payload(name, app, ward)
        pending_id = 0
        if who is not None and not actor.group:  # asked while their role allowed it
            now = app.services.clock.now()
            pending = await app.repo.set_pending(
                ward.id,
                "telegram",
                actor.user_id,
                actor.user_id,
                name,
                payload,
                choices,
                now,
                now + timedelta(hours=1),
            )
            pending_id = pending.id
        if "button" in reply:
            message = inbound(actor, event="button", button_data=f"p{pending_id}:{reply['button']}")
        else:
            message = inbound(actor, reply["text"])
        allowed_now = await check(app, actor, question.action, message)
        if allowed_now and "button" in reply:
            before = await state(app)
            again = await answer_text(app, message)  # a second tap
            assert await state(app) == before, again
            assert "Chỉ" not in again


async def _finish_broadcast(app: App, actor: Actor) -> None:
    """Audience, time, confirm; then a second tap on confirm queues nothing more."""
    pending = await app.repo.pending("telegram", actor.user_id, actor.user_id)
    assert pending is not None and pending.kind == broadcast.AUDIENCE_KIND
    tap = inbound(actor, event="button", button_data=f"p{pending.id}:kind:residents")
    await app.router.handle(tap)
    pending = await app.repo.pending("telegram", actor.user_id, actor.user_id)
    assert pending is not None and pending.kind == broadcast.TIME_KIND
    await app.router.handle(inbound(actor, event="button", button_data=f"p{pending.id}:now"))
    pending = await app.repo.pending("telegram", actor.user_id, actor.user_id)
    assert pending is not None and pending.kind == broadcast.CONFIRM_KIND
    confirm = inbound(actor, event="button", button_data=f"p{pending.id}:confirm")
    assert "đã xếp hàng gửi" in await answer_text(app, confirm)
    before = await state(app)
    await app.router.handle(confirm)
    assert await state(app) == before
