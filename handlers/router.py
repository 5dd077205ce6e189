"""Routes one Inbound to the handler for it and returns the replies.

Order: chat events (bot added/removed) → who is asking → a pending question this person is
answering (a button, a number, or the text it asked for) → commands → files → free text
(a question by intent, else, for admins, a pasted score report) → short help.

Commands and the free-text intents they share come from the registry (handlers/commands.py),
answers to questions from ANSWERS ({kind: handler}), a task's own buttons from BUTTONS; each
is checked against the permission table (handlers/permissions.py) before its handler runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

from handlers import (
    briefing,
    broadcast,
    chats,
    commands,
    directives,
    help,
    metric_import,
    pages,
    province,
    province_view,
    reminders,
    score_import,
    scores,
    tasks,
    ward_choice,
)
from handlers.context import Ctx, Services
from handlers.departments import split_department
from handlers.intents import IntentMatch, match_intent
from handlers.permissions import check_role
from handlers.protocol import Inbound, Reply
from handlers.vocabulary import yes_no
from store.missed import MissedReplies
from store.records import PendingRec

log = logging.getLogger(__name__)

OVERHEARD_INTENTS = frozenset(
    {"score", "rank", "weak_groups", "compare", "tasks_week", "tasks_overdue", "progress"}
)
SCORE_FILES = (".csv", ".xlsx", ".xlsm")
SEEN_REFRESH = timedelta(hours=1)
ANYONE = "*"  # a chat's own question: the numbered choices of its last proactive message
CANCEL = commands.BY_NAME["huy"]
DECIMAL_COMMA = re.compile(r"\d+,\d{1,2}\b")
FRACTION = re.compile(r"\d+(?:[,.]\d+)?\s*/\s*\d+")
LONG_TEXT_CHARS = 200  # longer than any question the intent matcher takes
MISSED_QUOTE_CHARS = 300  # how much of a missed reply the next one quotes


@dataclass(frozen=True)
class Answer:
    """A message read as the answer to a pending question."""

    choice: str | None  # a button's data, a number typed for it, or yes/no
    text: str  # what was typed (stripped)
    command: tuple[str, str] | None  # the command typed, if any: ("sua", "3 VHXH")
    page: int | None  # another page of a paged preview


AnswerHandler = Callable[[Ctx, PendingRec, Answer], Awaitable[Reply | None]]


async def _directive_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    if answer.page is not None:
        return await directives.show_page(ctx, pending.payload, answer.page)
    if answer.choice is not None:
        # a task's Fix / Drop button under the preview
        reply = await directives.on_task_choice(ctx, pending.payload, answer.choice)
        if reply is not None:
            return reply
        return await directives.on_choice(ctx, pending.id, pending.payload, answer.choice)
    command = commands.find(answer.command[0]) if answer.command else None
    if answer.command is not None and command is not None and command.name in ("sua", "bo"):
        return await directives.edit(ctx, pending.payload, command.name, answer.command[1])
    return None


async def _fix_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    command = commands.find(answer.command[0]) if answer.command else None
    typed = (command.name, answer.command[1]) if command and answer.command else None
    return await directives.on_fix_answer(
        ctx, pending.payload, answer.choice, answer.text, typed or answer.command
    )


async def _scores_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    if answer.page is not None:
        return await score_import.show_page(ctx, pending, answer.page)
    if answer.choice is not None:
        return await score_import.on_choice(ctx, pending, answer.choice)
    return None


async def _report_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    """The report asked for by /capnhatdiem: a file or pasted text."""
    inbound = ctx.inbound
    if inbound.event != "message":
        return None
    if inbound.file is not None:
        await ctx.repo.clear_pending(pending.id)
        return await score_import.from_file(ctx, inbound.file)
    if answer.text and not answer.text.startswith("/"):
        await ctx.repo.clear_pending(pending.id)
        return await score_import.from_text(ctx, answer.text)
    return None


async def _broadcast_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    return await broadcast.on_pending(ctx, pending, ctx.inbound, answer.choice)


async def _province_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    """Another page of the province's ranking; anything else is not an answer to it."""
    if answer.page is None:
        return None
    return await province.show_page(ctx, pending, answer.page)


async def _ward_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    return await ward_choice.on_answer(ctx, pending.id, answer.choice, answer.text)


async def _province_view_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    if answer.page is not None:
        return await province_view.show_page(ctx, pending.payload, answer.page)
    return None


async def _province_broadcast_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    return await province_view.on_broadcast(ctx, pending, answer.choice, answer.text)


async def _evidence_answer(ctx: Ctx, pending: PendingRec, answer: Answer) -> Reply | None:
    if ctx.inbound.event != "message":
        return None
    return await tasks.receive_evidence(ctx, pending, ctx.inbound)


@dataclass(frozen=True)
class Question:
    action: str  # what answering needs (handlers/permissions.py)
    answer: AnswerHandler
    pages: bool = False  # a paged preview: /trang N and page buttons


# every kind of question a handler asks (ctx.ask) and who handles its answer
ANSWERS: dict[str, Question] = {
    directives.CONFIRM_KIND: Question("load_directive", _directive_answer, pages=True),
    directives.FIX_KIND: Question("load_directive", _fix_answer),
    score_import.CONFIRM_KIND: Question("load_scores", _scores_answer, pages=True),
    score_import.AWAIT_KIND: Question("load_scores", _report_answer),
    metric_import.CONFIRM_KIND: Question("load_scores", metric_import.on_confirm),
    metric_import.AWAIT_KIND: Question("load_scores", metric_import.on_figures),
    tasks.EVIDENCE_KIND: Question("close_task", _evidence_answer),
    province.PAGES_KIND: Question("see_ward_data", _province_answer, pages=True),
    **{kind: Question("broadcast", _broadcast_answer) for kind in broadcast.KINDS},
    ward_choice.CHOOSE_KIND: Question("see_ward_data", _ward_answer),
    province_view.PAGE_KIND: Question("see_province", _province_view_answer, pages=True),
    **{
        kind: Question("broadcast_province", _province_broadcast_answer)
        for kind in province_view.BROADCAST_KINDS
    },
}


ButtonHandler = Callable[[Ctx, str], Awaitable[Reply]]
# a task's own buttons (under a list or a reminder): they work at any time
BUTTONS: dict[str, tuple[str, ButtonHandler]] = {
    "xong": ("close_task", tasks.start_close),
    reminders.SNOOZE_PREFIX: ("snooze_task", reminders.snooze),
    reminders.DETAILS_PREFIX: ("see_ward_data", reminders.details),
    briefing.FILE_PREFIX: ("see_briefing", briefing.file_button_pressed),  # the Word file
}


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, str] | None:
    """ "/dangky@chiso_bot VHXH" -> ("dangky", "VHXH"); None when not a command."""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    name, _, target = head.partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name.lower(), rest.strip()


class Router:
    def __init__(self, services: Services, bot_username: str | None = None):
        self.services = services
        self.bot_username = bot_username
        self.missed = MissedReplies(services.repo.sessions)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        try:
            replies = await self._handle(inbound)
            if replies and inbound.event not in ("bot_added", "bot_removed"):
                await self._tell_missed(inbound, replies)
            return replies
        except Exception:
            log.exception("handler failed for %s chat %s", inbound.channel, inbound.chat_id)
            ctx = Ctx(self.services, inbound)
            return [
                Reply(
                    ctx._(
                        "Sorry, something went wrong on my side; nothing was changed. "
                        "Please try again in a moment."
                    )
                )
            ]

    async def reply_failed(self, inbound: Inbound, replies: list[Reply]) -> None:
        """A channel could not send these replies (after its retries): the change they
        report is stored, so the next reply to this person says what they missed."""
        text = "\n".join(r.text for r in replies if r.text).strip()
        if not text:
            return
        await self.missed.add(
            inbound.channel, inbound.chat_id, inbound.user_id, text, self.services.clock.now()
        )

    async def _tell_missed(self, inbound: Inbound, replies: list[Reply]) -> None:
        missed = await self.missed.take(inbound.channel, inbound.chat_id, inbound.user_id)
        if not missed:
            return
        _ = Ctx(self.services, inbound)._
        lines = []
        for text in missed:
            quote = " ".join(text.split())
            if len(quote) > MISSED_QUOTE_CHARS:
                quote = quote[: MISSED_QUOTE_CHARS - 1].rstrip("\\ ") + "…"
            lines.append(_("The previous message could not be sent: {text}", text=quote))
        first = next((r for r in replies if r.text), replies[0])
        first.text = "\n".join(lines) + "\n\n" + first.text

    async def _handle(self, inbound: Inbound, ward_id: int | None = None) -> list[Reply]:
        """`ward_id`: the ward of the question being answered (a reminder's choices)."""
        services = self.services
        ctx = Ctx(services, inbound)
        if inbound.event == "bot_removed":
            await chats.bot_removed(ctx)
            return []
        if inbound.chat_kind == "group":
            await self._see_group(inbound)
        if inbound.event == "bot_added":
            return [await chats.bot_added(ctx)]

        # who is asking, for which ward (people may be in several: handlers/ward_choice.py)
        found = await ward_choice.resolve(ctx, ward_id)
        if found.elsewhere is not None:
            addressed = inbound.addressed and inbound.event != "button"
            return [ward_choice.elsewhere_reply(ctx, found.elsewhere)] if addressed else []
        if ctx.person is None:
            if inbound.chat_kind == "private" or (inbound.addressed and inbound.event != "button"):
                return [help.stranger(ctx)]
            return []
        if ctx.ward is None:
            return [help.stranger(ctx)]
        return ward_choice.with_note(await self._known(ctx), found.note)

    async def _known(self, ctx: Ctx) -> list[Reply]:
        """A message of someone the ward knows (ctx.person and ctx.ward are set)."""
        inbound = ctx.inbound
        reply = await self._pending(ctx)
        if reply is not None:
            return [reply]
        chosen = await self._message_choice(ctx)
        if chosen is not None:
            return await self._handle(*chosen)
        if inbound.event == "button":
            prefix, _sep, arg = inbound.button_data.partition(":")
            if prefix in BUTTONS:
                if inbound.chat_kind == "group":  # an old button in a group no longer staff's
                    closed = await self._closed_group(ctx, None)
                    if closed is not None:
                        return closed
                # "3@12": task #3 of ward 12 (reminders/wording.py task_button)
                arg, _at, of_ward = arg.partition("@")
                if of_ward.isdigit():
                    refused = await ward_choice.enter_button_ward(ctx, int(of_ward))
                    if refused is not None:
                        return [refused]
                action, press = BUTTONS[prefix]
                return [check_role(ctx, action) or await press(ctx, arg)]
            if inbound.chat_kind == "group":
                return []  # someone else's question: not theirs to answer, buttons stay
            return [Reply(ctx._("This question has expired; please start again."))]

        text = inbound.text.strip()
        command = parse_command(text, self.bot_username)
        if command is None and text.startswith("/"):
            return []  # a command for another bot in the group
        if inbound.chat_kind == "group":
            closed = await self._closed_group(ctx, command)
            if closed is not None:
                return closed
        if command is not None:
            return await self._command(ctx, *command)
        if inbound.file is not None:
            if inbound.chat_kind == "group" and not inbound.addressed:
                return []
            return [await self._file(ctx)]
        return await self._free_text(ctx)

    async def _see_group(self, inbound: Inbound) -> None:
        repo, now = self.services.repo, self.services.clock.now()
        chat = await repo.chat(inbound.channel, inbound.chat_id)
        if chat is None or now - chat.last_seen > SEEN_REFRESH:
            await repo.see_chat(inbound.channel, inbound.chat_id, inbound.chat_title, True, now)

    async def _pending(self, ctx: Ctx) -> Reply | None:
        inbound = ctx.inbound
        if inbound.event != "button" and not inbound.addressed:
            return None  # group chatter never answers the bot's question
        if inbound.event == "button" and not inbound.button_data.startswith("p"):
            return None  # a task's own button (done, snooze, details) works at any time
        pending = await ctx.repo.pending(inbound.channel, inbound.chat_id, inbound.user_id)
        if pending is None:
            return None
        if pending.expires_at and pending.expires_at < ctx.clock.now():
            await ctx.repo.clear_pending(pending.id)
            return None
        text = inbound.text.strip()
        choice: str | None = None
        if inbound.event == "button":
            prefix, _, data = inbound.button_data.partition(":")
            if prefix != f"p{pending.id}":
                if inbound.chat_kind == "group":
                    return None
                return Reply(ctx._("This question has expired; please start again."))
            choice = data
        elif pending.choices and text.isdigit() and 1 <= int(text) <= len(pending.choices):
            choice = pending.choices[int(text) - 1]
        elif len(pending.choices) == 2 and yes_no(text) is not None:
            choice = pending.choices[0] if yes_no(text) else pending.choices[-1]
        elif self._cancels(text):
            await ctx.repo.clear_pending(pending.id)
            return Reply(ctx._("Cancelled; nothing was changed."))

        page = pages.chosen_page(choice)
        command = parse_command(text, self.bot_username)
        question = ANSWERS.get(pending.kind)
        if question is None:
            return None
        if question.pages and command is not None and command[0] == pages.COMMAND:
            page = pages.parse_page(command[1])
            if page is None:
                return Reply(
                    ctx._("Which page? Type /trang followed by its number, e.g. /trang 2.")
                )
        asker = ctx.person, ctx.ward
        if inbound.chat_kind == "private":  # asked in another of the person's wards: there
            await ward_choice.enter_question_ward(ctx, pending.ward_id)
        if ctx.ward is not None and ctx.ward.id != pending.ward_id:
            # asked in a ward the person has left since: dropped, never answered in another
            # ward (the message is then taken as a new one, in the person's ward)
            await ctx.repo.clear_pending(pending.id)
            return None
        refusal = check_role(ctx, question.action)
        if refusal is not None:  # the person's role changed since the question was asked
            await ctx.repo.clear_pending(pending.id)
            return refusal
        answer = Answer(choice, text, command, page if question.pages else None)
        reply = await question.answer(ctx, pending, answer)
        if reply is None:  # not an answer: the message is handled in the chosen ward
            ctx.person, ctx.ward = asker
        return reply

    @staticmethod
    def _cancels(text: str) -> bool:
        """ "/huy" (or "/cancel") alone: drop the question."""
        command = parse_command(text)
        return command is not None and not command[1] and commands.find(command[0]) is CANCEL

    async def _message_choice(self, ctx: Ctx) -> tuple[Inbound, int] | None:
        """ "2" typed under a reminder on Zalo (buttons shown as numbers): that button, and
        the ward of the message it answers."""
        inbound = ctx.inbound
        text = inbound.text.strip()
        if inbound.event != "message" or not text.isdigit() or not inbound.addressed:
            return None
        if await ctx.repo.pending(inbound.channel, inbound.chat_id, inbound.user_id):
            return None
        last = await ctx.repo.pending(inbound.channel, inbound.chat_id, ANYONE)
        if last is None or not 1 <= int(text) <= len(last.choices):
            return None
        chosen = replace(inbound, event="button", text="", button_data=last.choices[int(text) - 1])
        return chosen, last.ward_id

    async def _command(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        command = commands.find(name)
        if command is None:
            return [help.not_understood(ctx)]
        refusal = check_role(ctx, command.action)
        if refusal is not None:
            return [refusal]
        return [await command.handler(ctx, arg, None)]

    async def _closed_group(self, ctx: Ctx, command: tuple[str, str] | None) -> list[Reply] | None:
        """Ward data is shown only in registered staff groups (department, leadership, staff):
        an unregistered group and the residents' groups get registration commands only."""
        inbound = ctx.inbound
        chat = await ctx.repo.chat(inbound.channel, inbound.chat_id)
        if chat is not None and chat.registered and chat.kind != "residents":
            return None
        found = commands.find(command[0]) if command is not None else None
        if found is not None and found.any_group:
            return None
        if not inbound.addressed:
            return []
        if chat is not None and chat.kind == "residents":
            return [
                Reply(
                    ctx._(
                        "In residents' groups I only post announcements; please ask me "
                        "in a private chat or a staff group."
                    )
                )
            ]
        return [
            Reply(
                ctx._(
                    "This group is not registered yet, so I do not answer here. An "
                    "administrator can register it with /dangky CODE."
                )
            )
        ]

    async def _file(self, ctx: Ctx) -> Reply:
        """A document: score tables go to the score reader, the rest is read as a directive
        (a .txt/.md with no tasks in it is tried as a score report)."""
        file = ctx.inbound.file
        assert file is not None
        name = file.name.lower()
        if name.endswith(SCORE_FILES):
            return await score_import.from_file(ctx, file)
        # read in a worker process, off the event loop (handlers/reading.py)
        return await directives.from_file(ctx, file, scores_if_no_tasks=True)

    @staticmethod
    def _document(text: str) -> bool:
        """A pasted document: a directive, or a report quoting figures ("đạt 92,68 điểm",
        "19,93/20"), is read as such before it is read as a question."""
        if DECIMAL_COMMA.search(text) or len(FRACTION.findall(text)) >= 2:
            return True
        return len(text) > LONG_TEXT_CHARS

    @staticmethod
    def _overheard_question(match: IntentMatch, text: str) -> bool:
        """In a group, a message not addressed to the bot is answered only when it is clearly
        one of the bot's questions ("điểm hiện tại?"), not a greeting or a lone "điểm?"."""
        return match.intent in OVERHEARD_INTENTS and len(text.split()) >= 2

    async def _free_text(self, ctx: Ctx) -> list[Reply]:
        inbound = ctx.inbound
        text = inbound.text.strip()
        if not text:
            return [help.help_reply(ctx)] if inbound.chat_kind == "private" else []
        if (
            FRACTION.search(text)
            and (inbound.addressed or inbound.chat_kind == "private")
            and metric_import.mostly_figures(ctx, text)
        ):
            # sub-criterion figures, one a line ("Hồ sơ nộp trực tuyến: 412/1.030")
            reply = await metric_import.try_text(ctx, text, quiet_if_nothing=True)
            if reply is not None:
                return [reply]
        if self._document(text) and (inbound.addressed or inbound.chat_kind == "private"):
            # a pasted directive (it may quote figures too: they are offered after it); from
            # anyone else than an admin, it is refused as such, not taken for a question
            assert ctx.ward is not None
            if directives.looks_like_directive(ctx.ward, text, ctx.clock.now().date()):
                return [await directives.from_text(ctx, text)]
            if check_role(ctx, "load_scores") is None:
                reply = await score_import.try_text(ctx, text, quiet_if_nothing=True)
                if reply is not None:
                    return [reply]
        match = match_intent(text)
        if match is None and ctx.ward is not None:
            # "việc phòng VH-XH": the department's name is ward data the matcher does not know
            department, rest = split_department(ctx.ward, text)
            if department is not None and rest:
                match = match_intent(rest)
        if (
            match is not None
            and not inbound.addressed
            and not self._overheard_question(match, text)
        ):
            match = None
        if match is not None:
            command = commands.BY_INTENT.get(match.intent)
            if command is None:
                return [check_role(ctx, "see_ward_data") or await scores.answer(ctx, match)]
            refusal = check_role(ctx, command.action)
            if refusal is not None:
                return [refusal]
            return [await command.handler(ctx, text, match)]
        if inbound.chat_kind == "group" and not inbound.addressed:
            return []
        return [help.not_understood(ctx)]
