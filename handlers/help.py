"""/start, /help and the short help for messages the bot does not understand.

The help is generated from the command registry (handlers/commands.py): each person sees the
lines of the commands their role may use (handlers/permissions.py)."""

from __future__ import annotations

from handlers import commands
from handlers.context import Ctx
from handlers.labels import ROLE_NAMES
from handlers.protocol import Reply
from locales import N_

# (keys are commands' sections; spelled out, as the registry imports this module)
SECTION_TITLES = {
    "digital_team": N_("For the community digital team:"),
    "administrators": N_("For administrators:"),
    "deadlines": N_("For administrators and the chairman:"),
    "province": N_("For provincial staff:"),
}


def _questions(ctx: Ctx) -> list[str]:
    _ = ctx._
    visible = [c for c in commands.for_person(ctx.person) if c.help]
    lines = [_("You can ask me, with or without diacritics:")]
    for section in commands.SECTIONS:
        own = [_(c.help) for c in visible if c.section == section and c.help]
        if not own:
            continue
        if section in SECTION_TITLES:
            lines += ["", _(SECTION_TITLES[section])]
        lines += own
    return lines


def start(ctx: Ctx) -> Reply:
    _ = ctx._
    assert ctx.person is not None and ctx.ward is not None
    greeting = _(
        "Hello {name} ({role}, {ward}). I am ChiSo Bot: I follow the ward's service index.",
        name=ctx.person.name,
        role=_(ROLE_NAMES.get(ctx.person.role, ctx.person.role)),
        ward=ctx.ward.name,
    )
    return Reply("\n".join([greeting, "", *_questions(ctx)]))


def help_reply(ctx: Ctx) -> Reply:
    return Reply("\n".join(_questions(ctx)))


def not_understood(ctx: Ctx) -> Reply:
    _ = ctx._
    return Reply("\n".join([_("Sorry, I did not understand that."), *_questions(ctx)]))


def stranger(ctx: Ctx) -> Reply:
    _ = ctx._
    return Reply(
        _(
            "Hello! This bot serves the staff of the ward's People's Committee, and your "
            "account is not on its list yet. Please send this number to the ward's "
            "administrator so they can add you: {user_id}",
            user_id=ctx.inbound.user_id,
        )
    )
