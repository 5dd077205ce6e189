"""Group chats: the bot joins, an admin registers the chat (/dangky) or undoes it (/huydangky)."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.departments import resolve_department
from handlers.labels import CHAT_KIND_NAMES
from handlers.permissions import check
from handlers.protocol import Reply
from handlers.vocabulary import chat_kind_for
from store.records import ChatRec, WardRec


def describe_chat(chat: ChatRec, ward: WardRec | None, ctx: Ctx) -> str:
    _ = ctx._
    if chat.kind == "department" and ward is not None:
        dept = ward.department(chat.department)
        if dept is not None:
            return _("the chat of {department}", department=dept.name)
    return _(CHAT_KIND_NAMES.get(chat.kind or "", CHAT_KIND_NAMES["department"]))


async def bot_added(ctx: Ctx) -> Reply:
    _ = ctx._
    inbound = ctx.inbound
    chat = await ctx.repo.see_chat(
        inbound.channel, inbound.chat_id, inbound.chat_title, True, ctx.clock.now()
    )
    if chat.registered:
        ward = await ctx.repo.ward(chat.ward_id) if chat.ward_id else None
        return Reply(
            _("Hello! This group is registered as {what}.", what=describe_chat(chat, ward, ctx))
        )
    return Reply(
        _(
            "Hello! I do not know this group yet. An administrator can register it by typing "
            "/dangky followed by a department code (e.g. /dangky VHXH) or a kind of chat: "
            "lanhdao (leadership), canbo (staff), dan (residents)."
        )
    )


async def bot_removed(ctx: Ctx) -> None:
    await ctx.repo.set_chat_active(ctx.inbound.channel, ctx.inbound.chat_id, False)


async def register(ctx: Ctx, arg: str) -> Reply:
    _ = ctx._
    ward, inbound = ctx.ward, ctx.inbound
    refusal = check(ctx, "register_chat")
    if refusal or ward is None:
        return refusal or Reply(_("Only administrators can register a chat."))
    if inbound.chat_kind != "group":
        return Reply(_("Type /dangky inside the group chat you want to register."))
    arg = arg.strip()
    codes = ", ".join(d.code for d in ward.departments)
    if not arg:
        return Reply(
            _(
                "Which chat is this? Type /dangky with a department code ({codes}) or a kind: "
                "lanhdao, canbo, dan.",
                codes=codes,
            )
        )
    dept = resolve_department(ward, arg)
    department = dept.code if dept else None
    kind = "department" if department else chat_kind_for(arg)
    if kind is None:
        return Reply(
            _(
                "“{arg}” is neither a department code ({codes}) nor a kind of chat (lanhdao, "
                "canbo, dan). Nothing was changed.",
                arg=arg,
                codes=codes,
            )
        )
    chat = await ctx.repo.register_chat(
        inbound.channel,
        inbound.chat_id,
        ward.id,
        kind,
        department,
        inbound.chat_title,
        ctx.clock.now(),
    )
    text = _("Registered: this group is {what}.", what=describe_chat(chat, ward, ctx))
    if len(await ctx.repo.people_by_channel(inbound.channel, inbound.user_id)) > 1:
        text += "\n" + _(
            "It belongs to {ward}. For another of your wards: /huydangky here, choose that ward "
            "with /phuong in our private chat, then /dangky here again.",
            ward=ward.name,
        )
    return Reply(text)


async def unregister(ctx: Ctx) -> Reply:
    _ = ctx._
    inbound = ctx.inbound
    refusal = check(ctx, "register_chat")
    if refusal:
        return refusal
    if inbound.chat_kind != "group":
        return Reply(_("Type /huydangky inside the group chat you want to unregister."))
    if await ctx.repo.unregister_chat(inbound.channel, inbound.chat_id):
        return Reply(_("This group is no longer registered; the bot will send it nothing."))
    return Reply(_("This group was not registered; nothing was changed."))
