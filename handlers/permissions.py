"""Who may do what: one table of role × action, and the two relational rules.

A cell is ALLOW (the role may), MEMBER (only a member of one of the task's departments) or
SENDER (only whoever sent the broadcast); a missing cell is a refusal. "stranger" is someone
the ward does not know (no person): it may do nothing. Every handler asks `check`; a refusal
is one sentence, made here through the catalog, that names the role(s) that may.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from handlers.protocol import Reply
from locales import N_, Translator
from store.records import PersonRec

if TYPE_CHECKING:
    from handlers.context import Ctx

Rule = Literal["allow", "member", "sender"]
ALLOW: Rule = "allow"
MEMBER: Rule = "member"
SENDER: Rule = "sender"

STRANGER = "stranger"
PROVINCE = "province"  # provincial staff: in every ward of their province (a province file)
ROLES = ("chairman", "vice_chairman", "admin", "staff", "digital_team", PROVINCE, STRANGER)
STAFF_ROLES = ("chairman", "vice_chairman", "admin", "staff", "digital_team")
TABLE_ROLES = frozenset((*STAFF_ROLES, PROVINCE))


def _every(rule: Rule) -> dict[str, Rule]:
    return dict.fromkeys(STAFF_ROLES, rule)


# action -> {role: rule}; a role not listed is refused
TABLE: dict[str, dict[str, Rule]] = {
    # scores, tasks, progress, templates' titles, help
    "see_ward_data": {**_every(ALLOW), PROVINCE: ALLOW},
    "close_task": {**_every(MEMBER), "admin": ALLOW},
    "snooze_task": _every(MEMBER),
    "reopen_task": {"admin": ALLOW},
    "reschedule_task": {"admin": ALLOW, "chairman": ALLOW},
    "load_directive": {"admin": ALLOW},
    "load_scores": {"admin": ALLOW},
    "broadcast": {"digital_team": ALLOW, "admin": ALLOW},
    "broadcast_status": {"digital_team": ALLOW, "admin": ALLOW, PROVINCE: ALLOW},
    "cancel_broadcast": {"digital_team": SENDER, "admin": ALLOW, PROVINCE: SENDER},
    "register_chat": {"admin": ALLOW},
    # the leadership's weekly briefing, on demand and as a file (handlers/briefing.py)
    "see_briefing": {"chairman": ALLOW, "vice_chairman": ALLOW, "admin": ALLOW},
    # the wards of the province side by side (handlers/province_view.py)
    "see_province": {PROVINCE: ALLOW},
    # one message to the leadership chat of every ward of the province
    "broadcast_province": {PROVINCE: ALLOW},
}
ACTIONS = tuple(TABLE)

# what the action is, in a refusal: "Chỉ {roles} mới {action}."
DOING = {
    "see_ward_data": N_("see the ward's data"),
    "close_task": N_("close this task"),
    "snooze_task": N_("snooze this task"),
    "reopen_task": N_("reopen a task"),
    "reschedule_task": N_("change a deadline"),
    "load_directive": N_("load a directive"),
    "load_scores": N_("store score figures"),
    "broadcast": N_("send broadcasts"),
    "broadcast_status": N_("see how broadcasts go"),
    "cancel_broadcast": N_("stop this broadcast"),
    "register_chat": N_("register or unregister a chat"),
    "see_briefing": N_("see the weekly briefing"),
    "see_province": N_("see the wards of the province side by side"),
    "broadcast_province": N_("send a message to the leadership of every ward"),
}
# who, in a refusal ("Only administrators can …")
WHO = {  # in the order a refusal names them
    "digital_team": N_("the community digital team"),
    "admin": N_("administrators"),
    "chairman": N_("the chairman"),
    "vice_chairman": N_("the vice chairman"),
    "staff": N_("department staff"),
    PROVINCE: N_("provincial staff"),
}


def role_of(person: PersonRec | None) -> str:
    return person.role if person is not None and person.role in TABLE_ROLES else STRANGER


def rule(role: str, action: str) -> Rule | None:
    """The table's cell: how `role` may do `action` (None: it may not)."""
    return TABLE[action].get(role)


def may_ever(person: PersonRec | None, action: str) -> bool:
    """Whether the person's role may do the action at all (for menus and help)."""
    return rule(role_of(person), action) is not None


def allowed(
    person: PersonRec | None,
    action: str,
    *,
    departments: Iterable[str] = (),
    sender: str | None = None,
) -> bool:
    """May this person do it: the table, then the relational rule of the cell (a member of
    one of `departments`, the task's; or the broadcast's `sender`, by name)."""
    cell = rule(role_of(person), action)
    if cell is None or person is None:
        return False
    if cell == MEMBER:
        return bool(set(person.departments) & set(departments))
    if cell == SENDER:
        return sender is not None and sender == person.name
    return True


def _join(names: list[str], _: Translator) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("{first} and {last}", first=", ".join(names[:-1]), last=names[-1])


def refusal_text(action: str, _: Translator, *, units: str = "") -> str:
    """One sentence naming who may: "Chỉ quản trị viên mới nạp được văn bản chỉ đạo."."""
    doing = _(DOING[action])
    cells = TABLE[action]
    plain = [_(WHO[r]) for r in WHO if cells.get(r) == ALLOW]
    if any(c == MEMBER for c in cells.values()):
        if plain:
            return _(
                "Only members of {units} or {roles} can {action}.",
                units=units or _("the task's departments"),
                roles=_join(plain, _),
                action=doing,
            )
        return _(
            "Only members of {units} can {action}.",
            units=units or _("the task's departments"),
            action=doing,
        )
    if any(c == SENDER for c in cells.values()):
        return _("Only its sender or {roles} can {action}.", roles=_join(plain, _), action=doing)
    return _("Only {roles} can {action}.", roles=_join(plain, _), action=doing)


def check(
    ctx: Ctx,
    action: str,
    *,
    departments: Iterable[str] = (),
    sender: str | None = None,
    units: str = "",
) -> Reply | None:
    """None when the asker may; otherwise the refusal to send (and nothing is changed).
    `units` names the task's departments for the membership rule's refusal."""
    if allowed(ctx.person, action, departments=departments, sender=sender):
        return None
    return Reply(refusal_text(action, ctx._, units=units))


def check_role(ctx: Ctx, action: str) -> Reply | None:
    """The table only: None when the asker's role may do the action at all (a relational
    rule is checked by the handler, which knows the task or the broadcast)."""
    if may_ever(ctx.person, action):
        return None
    return Reply(refusal_text(action, ctx._))
