"""The command registry: every slash command declared once.

A command has its names (Vietnamese without diacritics as typed on every channel, then an
English one), the free-text intent that runs it too (handlers/intents.py), the action it needs
(handlers/permissions.py), its handler and its help line. The router dispatches from here;
/help and Telegram's command menu are generated from here, per role.

Adding a command: write `async def run(ctx, arg, match) -> Reply` in its area's module, add a
`Command(...)` below with its names, action and help line (catalog ids, Vietnamese appended to
the catalog), and an intent if free text asks the same. Nothing else changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers import (
    briefing,
    broadcast,
    chats,
    help,
    metric_import,
    province,
    province_view,
    reschedule,
    score_import,
    scores,
    task_search,
    tasks,
    trend,
    ward_choice,
    whatif,
)
from handlers.context import Ctx
from handlers.intents import IntentMatch
from handlers.permissions import may_ever, role_of, rule
from handlers.protocol import Reply
from ingest.textnorm import fold
from locales import N_
from store.records import PersonRec

Handler = Callable[[Ctx, str, IntentMatch | None], Awaitable[Reply]]

# help sections, in the order /help shows them
QUESTIONS, DIGITAL_TEAM, ADMINISTRATORS, DEADLINES = (
    "questions",
    "digital_team",
    "administrators",
    "deadlines",
)
PROVINCE_STAFF = "province"  # the province view (handlers/province_view.py)


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]  # the first is the menu's; Vietnamese without diacritics, English
    description: str  # the menu's line (a catalog message id)
    handler: Handler
    action: str = "see_ward_data"  # what the asker must be allowed (handlers/permissions.py)
    help: str | None = None  # the /help line (a catalog message id); None: not in /help
    intent: str | None = None  # the free-text intent that runs this command
    also: tuple[str, ...] = ()  # other intents that run it
    menu: bool = True  # shown in Telegram's command menu
    any_group: bool = False  # works in a group that is not registered (registration)
    shown_for: str | None = None  # the action that decides who sees it (default: action)
    section: str = QUESTIONS

    @property
    def name(self) -> str:
        return self.names[0]

    def visible_to(self, person: PersonRec | None) -> bool:
        return may_ever(person, self.shown_for or self.action)


def _score(intent: str, period: str | None = None) -> Handler:
    async def run(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
        return await scores.answer(ctx, match or IntentMatch(intent, period, None, 1.0))

    return run


def _task_list(view: str) -> Handler:
    async def run(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
        return await tasks.list_tasks(ctx, arg, view)

    return run


async def _find_task(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await task_search.answer(ctx, arg, match)


async def _start(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return help.start(ctx)


async def _help(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return help.help_reply(ctx)


async def _progress(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await tasks.progress(ctx)


async def _close(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await tasks.start_close(ctx, arg)


async def _reopen(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await tasks.reopen(ctx, arg)


async def _reschedule(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await reschedule.change(ctx, arg)


async def _broadcast(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    # "gửi thông báo" in free text starts the flow; its words are not the message
    return await broadcast.start(ctx, "" if match is not None else arg)


async def _templates(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await broadcast.list_templates(ctx, arg)


async def _status(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await broadcast.status(ctx, arg)


async def _stop_broadcast(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await broadcast.cancel(ctx, arg)


async def _scores(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    if arg:
        return await score_import.from_text(ctx, arg)
    return await score_import.ask_for_report(ctx)


async def _register(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await chats.register(ctx, arg)


async def _unregister(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await chats.unregister(ctx)


async def _nothing_to_cancel(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return Reply(ctx._("There is nothing to cancel."))


async def _no_directive(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return Reply(ctx._("There is no directive waiting for confirmation."))


async def _province(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await province.command(ctx, arg, match)


async def _trend(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await trend.answer(ctx, match)


async def _ward(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await ward_choice.choose(ctx, arg)


async def _wards_overview(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await province_view.overview(ctx, "" if match is not None else arg)


async def _wards_slowest(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await province_view.slowest(ctx, "" if match is not None else arg)


async def _province_broadcast(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await province_view.start_broadcast(ctx, arg)


async def _gain(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await whatif.gain(ctx, arg, match)


async def _what_if(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return await whatif.what_if(ctx, arg, match)


async def _figures(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    if arg:
        return await metric_import.from_text(ctx, arg)
    return await metric_import.ask_for_figures(ctx)


async def _no_pages(ctx: Ctx, arg: str, match: IntentMatch | None) -> Reply:
    return Reply(ctx._("There is no list with pages waiting for you."))


COMMANDS: tuple[Command, ...] = (
    Command(
        ("diem", "score"),
        N_("Current score of the ward"),
        _score("score"),
        help=N_("• “điểm hiện tại?” or /diem — the ward's current score"),
        intent="score",
    ),
    Command(
        ("xephang", "rank"),
        N_("Rank among the province's communes"),
        _score("rank"),
        help=N_("• “xếp hạng?” or /xephang — the rank in the province"),
        intent="rank",
    ),
    Command(
        ("luyke", "ytd"),
        N_("Year-to-date score"),
        _score("score", "year"),
        help=N_("• “điểm lũy kế?” or /luyke — the year-to-date figures"),
    ),
    Command(
        ("nhomthieu", "weak"),
        N_("Groups that are missing points"),
        _score("weak_groups"),
        help=N_(
            "• “nhóm nào còn thiếu điểm?” or /nhomthieu — groups losing points and who owns them"
        ),
        intent="weak_groups",
    ),
    Command(
        ("sosanh", "compare"),
        N_("Change since the previous figures"),
        _score("compare"),
        help=N_("• “so với tháng trước?” or /sosanh — the change since the previous figures"),
        intent="compare",
    ),
    Command(
        ("bieudo", "chart"),
        N_("Scores of the last six months, as a chart"),
        _trend,
        help=N_("• “điểm 6 tháng qua” or /bieudo — the last six months in a chart"),
        intent="trend",
    ),
    Command(
        ("tinh", "province"),
        N_("The province's ranking from the national portal"),
        _province,
        help=N_(
            "• “xếp hạng toàn tỉnh”, “top 10”, “xã nào dưới 80”, “phường mình đứng sau ai”, "
            "“nhóm nào cả tỉnh đều yếu” or /tinh — the province's list from the national portal"
        ),
        intent="province_rank",
        also=("province_top", "province_below", "province_above", "province_groups"),
    ),
    Command(
        ("canlam", "gain"),
        N_("Where points are easiest to gain"),
        _gain,
        help=N_(
            "• “còn thiếu bao nhiêu hồ sơ trực tuyến để đủ điểm?”, “cần làm gì để lên hạng”, "
            "“nhóm nào dễ lấy điểm nhất” or /canlam — what each sub-criterion lacks, the "
            "easiest first"
        ),
        intent="gain",
    ),
    Command(
        ("neu", "whatif"),
        N_("What a change would score: /neu 50 hồ sơ trực tuyến"),
        _what_if,
        help=N_(
            "• “nếu thêm 50 hồ sơ trực tuyến thì được bao nhiêu điểm?” or /neu 50 hồ sơ trực "
            "tuyến — the new score, total and rank"
        ),
        intent="whatif",
    ),
    Command(
        ("viec", "tasks"),
        N_("Open tasks of your department"),
        _task_list("all"),
        help=N_("• “việc của tôi”, “việc phòng VH-XH” or /viec — open tasks from directives"),
        intent="tasks",
    ),
    Command(
        ("tuannay", "week"),
        N_("Deadlines this week"),
        _task_list("week"),
        help=N_("• “tuần này hạn gì” or /tuannay — deadlines this week"),
        intent="tasks_week",
    ),
    Command(
        ("quahan", "overdue"),
        N_("Overdue tasks"),
        _task_list("overdue"),
        help=N_("• “việc quá hạn” or /quahan — overdue tasks"),
        intent="tasks_overdue",
    ),
    Command(
        ("timviec", "findtask"),
        N_("Find a task by its words: deadline and who does it"),
        _find_task,
        help=N_(
            "• “hạn số hóa hồ sơ là khi nào”, “việc tuyên truyền giao cho ai” or /timviec "
            "WORDS — a task's deadline and departments"
        ),
        intent="task_when",
        also=("task_who",),
    ),
    Command(
        ("xong", "done"),
        N_("Mark a task done: /xong NUMBER"),
        _close,
        action="close_task",
        help=N_("• /xong NUMBER — close a task of your department with its evidence"),
    ),
    Command(
        ("tinhhinh", "progress"),
        N_("Progress of tasks by department"),
        _progress,
        help=N_("• “tình hình thực hiện”, “phòng nào chậm” or /tinhhinh — progress by department"),
        intent="progress",
    ),
    Command(
        ("baocao", "briefing"),
        N_("The weekly briefing (leadership)"),
        briefing.run_show,
        action="see_briefing",
        help=N_("• “báo cáo tuần”, “báo cáo tuần trước” or /baocao [DD/MM] — the weekly briefing"),
        intent="briefing",
    ),
    Command(
        ("filebaocao", "briefingfile"),
        N_("The weekly briefing as a Word file (leadership)"),
        briefing.run_file,
        action="see_briefing",
        help=N_(
            "• “gửi file báo cáo tuần” or /filebaocao [DD/MM] [excel] — the briefing as a Word "
            "(or Excel) file"
        ),
        intent="briefing_file",
        menu=False,
    ),
    Command(
        ("phatthanh", "broadcast"),
        N_("Broadcast guidance to many chats (digital team)"),
        _broadcast,
        action="broadcast",
        help=N_("• /phatthanh or “gửi thông báo” — broadcast guidance to many chats"),
        intent="broadcast",
        section=DIGITAL_TEAM,
    ),
    Command(
        ("mau", "templates"),
        N_("Ready guidance texts"),
        _templates,
        help=N_("• /mau — ready texts; /mau NUMBER broadcasts one"),
        shown_for="broadcast",
        section=DIGITAL_TEAM,
    ),
    Command(
        ("tinhtrang", "status"),
        N_("How a broadcast is going"),
        _status,
        action="broadcast_status",
        help=N_("• /tinhtrang [ID] — how a broadcast is going"),
        section=DIGITAL_TEAM,
    ),
    Command(
        ("huyphat", "stopbroadcast"),
        N_("Stop a broadcast"),
        _stop_broadcast,
        action="cancel_broadcast",
        help=N_("• /huyphat ID — stop a broadcast you sent"),
        menu=False,
        section=DIGITAL_TEAM,
    ),
    Command(
        ("capnhatdiem", "updatescores"),
        N_("Store new score figures (administrators)"),
        _scores,
        action="load_scores",
        help=N_("• paste a score report or send a .txt/.csv/.xlsx file, or /capnhatdiem"),
        section=ADMINISTRATORS,
    ),
    Command(
        ("capnhatsolieu", "updatefigures"),
        N_("Store sub-criterion figures, e.g. 412/1.030 (administrators)"),
        _figures,
        action="load_scores",
        help=N_(
            "• paste sub-criterion figures (“Hồ sơ nộp trực tuyến: 412/1.030”), or "
            "/capnhatsolieu, or `chiso import metrics FILE` on the server"
        ),
        section=ADMINISTRATORS,
    ),
    Command(
        ("molai", "reopen"),
        N_("Reopen a task (administrators)"),
        _reopen,
        action="reopen_task",
        help=N_(
            "• send a directive (.docx, .pdf, .txt) or paste its text to load its tasks; "
            "/molai NUMBER reopens a task"
        ),
        section=ADMINISTRATORS,
    ),
    Command(
        ("doihan", "deadline"),
        N_("Change a task's deadline (administrators, the chairman)"),
        _reschedule,
        action="reschedule_task",
        help=N_(
            "• /doihan NUMBER DD/MM/YYYY [reason] changes a task's deadline and tells its chats"
        ),
        section=DEADLINES,
    ),
    Command(
        ("dangky", "register"),
        N_("Register this group chat (administrators)"),
        _register,
        action="register_chat",
        help=N_("• /dangky CODE in a group chat to register it; /huydangky to undo"),
        any_group=True,
        section=ADMINISTRATORS,
    ),
    Command(
        ("huydangky", "unregister"),
        N_("Unregister this group chat (administrators)"),
        _unregister,
        action="register_chat",
        any_group=True,
        section=ADMINISTRATORS,
    ),
    Command(
        ("cacphuong", "wards"),
        N_("The wards of the province side by side (provincial staff)"),
        _wards_overview,
        action="see_province",
        help=N_(
            "• “tình hình các phường” or /cacphuong — every ward's score, rank and tasks; "
            "/phuong chooses the ward I answer for"
        ),
        intent="wards_overview",
        section=PROVINCE_STAFF,
    ),
    Command(
        ("phuongcham", "slowwards"),
        N_("The wards most behind on their tasks (provincial staff)"),
        _wards_slowest,
        action="see_province",
        help=N_(
            "• “phường nào chậm nhất” or /phuongcham — the wards with overdue tasks, the most "
            "behind first"
        ),
        intent="wards_slowest",
        section=PROVINCE_STAFF,
    ),
    Command(
        ("phatthanhtinh", "provincebroadcast"),
        N_("A message to the leadership chat of every ward (provincial staff)"),
        _province_broadcast,
        action="broadcast_province",
        help=N_("• /phatthanhtinh MESSAGE — to the leadership chat of every ward"),
        section=PROVINCE_STAFF,
    ),
    Command(
        ward_choice.NAMES,
        N_("Choose which of your wards I answer for"),
        _ward,
        menu=False,
    ),
    Command(("huy", "cancel"), N_("Cancel what you started"), _nothing_to_cancel),
    Command(("help", "trogiup"), N_("What the bot can do"), _help, intent="help", any_group=True),
    Command(
        ("start", "batdau"), N_("Start"), _start, intent="greeting", menu=False, any_group=True
    ),
    Command(
        ("sua", "fix"),
        N_("Fix a task of a directive being loaded"),
        _no_directive,
        action="load_directive",
        menu=False,
    ),
    Command(
        ("bo", "drop"),
        N_("Drop a task of a directive being loaded"),
        _no_directive,
        action="load_directive",
        menu=False,
    ),
    Command(
        ("trang", "page"),
        N_("Show another page of a long preview: /trang N"),
        _no_pages,
        menu=False,
    ),
)
BY_NAME: dict[str, Command] = {name: c for c in COMMANDS for name in c.names}
BY_INTENT: dict[str, Command] = {
    intent: c for c in COMMANDS for intent in (c.intent, *c.also) if intent
}
SECTIONS = (QUESTIONS, DIGITAL_TEAM, ADMINISTRATORS, DEADLINES, PROVINCE_STAFF)


def find(name: str) -> Command | None:
    """The command typed as /name: any of its names, in any case, with or without
    diacritics ("/điểm", "/Xong", "/done")."""
    return BY_NAME.get(fold(name).replace(" ", ""))


def for_role(role: str, *, menu: bool = False) -> list[Command]:
    """The commands a role may use (menu: the ones Telegram's menu shows)."""
    return [c for c in COMMANDS if rule(role, c.shown_for or c.action) and (c.menu or not menu)]


def for_person(person: PersonRec | None, *, menu: bool = False) -> list[Command]:
    return for_role(role_of(person), menu=menu)
