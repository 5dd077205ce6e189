"""The slash commands: names (as typed on every channel) and what the menu says of them."""

from __future__ import annotations

from dataclasses import dataclass

from locales import N_


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # a catalog message id
    menu: bool = True  # shown in Telegram's command menu
    admin: bool = False


COMMANDS: tuple[Command, ...] = (
    Command("diem", N_("Current score of the ward")),
    Command("xephang", N_("Rank among the province's communes")),
    Command("luyke", N_("Year-to-date score")),
    Command("nhomthieu", N_("Groups that are missing points")),
    Command("sosanh", N_("Change since the previous figures")),
    Command("viec", N_("Open tasks of your department")),
    Command("tuannay", N_("Deadlines this week")),
    Command("quahan", N_("Overdue tasks")),
    Command("xong", N_("Mark a task done: /xong NUMBER")),
    Command("tinhhinh", N_("Progress of tasks by department")),
    Command("molai", N_("Reopen a task (administrators)"), admin=True),
    Command("doihan", N_("Change a task's deadline (administrators, the chairman)"), admin=True),
    Command("phatthanh", N_("Broadcast guidance to many chats (digital team)")),
    Command("mau", N_("Ready guidance texts")),
    Command("tinhtrang", N_("How a broadcast is going")),
    Command("huyphat", N_("Stop a broadcast"), menu=False),
    Command("capnhatdiem", N_("Store new score figures (administrators)"), admin=True),
    Command("dangky", N_("Register this group chat (administrators)"), admin=True),
    Command("huydangky", N_("Unregister this group chat (administrators)"), admin=True),
    Command("huy", N_("Cancel what you started")),
    Command("help", N_("What the bot can do")),
    Command("start", N_("Start"), menu=False),
    Command("sua", N_("Fix a task of a directive being loaded"), menu=False, admin=True),
    Command("bo", N_("Drop a task of a directive being loaded"), menu=False, admin=True),
    Command("trang", N_("Show another page of a long preview: /trang N"), menu=False),
)
BY_NAME = {c.name: c for c in COMMANDS}
