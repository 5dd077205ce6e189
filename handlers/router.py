"""Routes one Inbound to the handler for it and returns the replies.

Order: chat events (bot added/removed) → who is asking → a pending question this person is
answering (a button, a number, or the text it asked for) → commands → files → free text
(a question by intent, else, for admins, a pasted score report) → short help.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers import chats, help, score_import, scores
from handlers.context import Ctx, Services
from handlers.intents import IntentMatch, match_intent
from handlers.protocol import Inbound, Reply
from handlers.vocabulary import yes_no

log = logging.getLogger(__name__)

COMMAND_INTENTS = {
    "diem": IntentMatch("score", None, None, 1.0),
    "xephang": IntentMatch("rank", None, None, 1.0),
    "luyke": IntentMatch("score", "year", None, 1.0),
    "nhomthieu": IntentMatch("weak_groups", None, None, 1.0),
    "sosanh": IntentMatch("compare", None, None, 1.0),
}
OVERHEARD_INTENTS = frozenset({"score", "rank", "weak_groups", "compare"})
SEEN_REFRESH = timedelta(hours=1)
SCORE_TEXT_MIN_CHARS = 40


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

    async def handle(self, inbound: Inbound) -> list[Reply]:
        try:
            return await self._handle(inbound)
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

    async def _handle(self, inbound: Inbound) -> list[Reply]:
        services = self.services
        ctx = Ctx(services, inbound)
        if inbound.event == "bot_removed":
            await chats.bot_removed(ctx)
            return []
        if inbound.chat_kind == "group":
            await self._see_group(inbound)
        if inbound.event == "bot_added":
            return [await chats.bot_added(ctx)]

        ctx.person = await services.repo.person_by_channel(inbound.channel, inbound.user_id)
        if ctx.person is None:
            if inbound.chat_kind == "private" or (inbound.addressed and inbound.event != "button"):
                return [help.stranger(ctx)]
            return []
        ctx.ward = await services.repo.ward(ctx.person.ward_id)
        if ctx.ward is None:
            return [help.stranger(ctx)]

        reply = await self._pending(ctx)
        if reply is not None:
            return [reply]
        if inbound.event == "button":
            return [Reply(ctx._("This question has expired; please start again."))]

        command = parse_command(inbound.text.strip(), self.bot_username)
        if command is not None:
            return await self._command(ctx, *command)
        if inbound.file is not None:
            if inbound.chat_kind == "group" and not inbound.addressed:
                return []
            return [await score_import.from_file(ctx, inbound.file)]
        return await self._free_text(ctx)

    async def _see_group(self, inbound: Inbound) -> None:
        repo, now = self.services.repo, self.services.clock.now()
        chat = await repo.chat(inbound.channel, inbound.chat_id)
        if chat is None or now - chat.last_seen > SEEN_REFRESH:
            await repo.see_chat(inbound.channel, inbound.chat_id, inbound.chat_title, True, now)

    async def _pending(self, ctx: Ctx) -> Reply | None:
        inbound = ctx.inbound
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
                return Reply(ctx._("This question has expired; please start again."))
            choice = data
        elif pending.choices and text.isdigit() and 1 <= int(text) <= len(pending.choices):
            choice = pending.choices[int(text) - 1]
        elif pending.choices and yes_no(text) is not None:
            choice = pending.choices[0] if yes_no(text) else pending.choices[-1]
        elif parse_command(text) == ("huy", ""):
            await ctx.repo.clear_pending(pending.id)
            return Reply(ctx._("Cancelled; nothing was changed."))

        if pending.kind == score_import.CONFIRM_KIND and choice is not None:
            return await score_import.on_choice(ctx, pending, choice)
        if pending.kind == score_import.AWAIT_KIND and inbound.event == "message":
            if inbound.file is not None:
                await ctx.repo.clear_pending(pending.id)
                return await score_import.from_file(ctx, inbound.file)
            if text and not text.startswith("/"):
                await ctx.repo.clear_pending(pending.id)
                return await score_import.from_text(ctx, text)
        return None

    async def _command(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        if name in COMMAND_INTENTS:
            return [await scores.answer(ctx, COMMAND_INTENTS[name])]
        if name == "start":
            return [help.start(ctx)]
        if name == "help":
            return [help.help_reply(ctx)]
        if name == "capnhatdiem":
            if arg:
                return [await score_import.from_text(ctx, arg)]
            return [await score_import.ask_for_report(ctx)]
        if name == "dangky":
            return [await chats.register(ctx, arg)]
        if name == "huydangky":
            return [await chats.unregister(ctx)]
        if name == "huy":
            return [Reply(ctx._("There is nothing to cancel."))]
        return [help.not_understood(ctx)]

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
        match = match_intent(text)
        if (
            match is not None
            and not inbound.addressed
            and not self._overheard_question(match, text)
        ):
            match = None
        if match is not None:
            if match.intent == "help":
                return [help.help_reply(ctx)]
            if match.intent == "greeting":
                return [help.start(ctx)]
            return [await scores.answer(ctx, match)]
        if (
            ctx.person is not None
            and ctx.person.is_admin
            and len(text) >= SCORE_TEXT_MIN_CHARS
            and any(ch.isdigit() for ch in text)
        ):
            reply = await score_import.try_text(ctx, text, quiet_if_nothing=True)
            if reply is not None:
                return [reply]
        if inbound.chat_kind == "group" and not inbound.addressed:
            return []
        return [help.not_understood(ctx)]
