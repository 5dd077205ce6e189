"""/start, /help and the short help for messages the bot does not understand."""

from __future__ import annotations

from handlers.context import Ctx
from handlers.labels import ROLE_NAMES
from handlers.protocol import Reply


def _questions(ctx: Ctx) -> list[str]:
    _ = ctx._
    lines = [
        _("You can ask me, with or without diacritics:"),
        _("• “điểm hiện tại?” or /diem — the ward's current score"),
        _("• “xếp hạng?” or /xephang — the rank in the province"),
        _("• “nhóm nào còn thiếu điểm?” or /nhomthieu — groups losing points and who owns them"),
        _("• “so với tháng trước?” or /sosanh — the change since the previous figures"),
        _("• “điểm lũy kế?” or /luyke — the year-to-date figures"),
        _("• “việc của tôi”, “việc phòng VH-XH” or /viec — open tasks from directives"),
        _(
            "• “tuần này hạn gì” (/tuannay), “việc quá hạn” (/quahan); /xong NUMBER to close a "
            "task with its evidence"
        ),
        _("• “tình hình thực hiện”, “phòng nào chậm” or /tinhhinh — progress by department"),
    ]
    if ctx.person and ctx.person.role in ("digital_team", "admin"):
        lines += [
            "",
            _("For the community digital team:"),
            _(
                "• /phatthanh or “gửi thông báo” — broadcast guidance to many chats; /mau — ready "
                "texts; /tinhtrang — how a broadcast is going; /huyphat ID — stop one"
            ),
        ]
    if ctx.person and ctx.person.is_admin:
        lines += [
            "",
            _("For administrators:"),
            _("• paste a score report or send a .txt/.csv/.xlsx file, or /capnhatdiem"),
            _(
                "• send a directive (.docx, .pdf, .txt) or paste its text to load its tasks; "
                "/molai NUMBER reopens a task"
            ),
            _("• /dangky CODE in a group chat to register it; /huydangky to undo"),
        ]
    if ctx.person and (ctx.person.is_admin or ctx.person.role == "chairman"):
        lines.append(
            _("• /doihan NUMBER DD/MM/YYYY [reason] changes a task's deadline and tells its chats")
        )
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
