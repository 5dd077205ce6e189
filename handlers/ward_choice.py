"""Which ward a message speaks for, when people can be in several wards (a province
officer, a vendor's administrator): one `people` row per ward, the same channel id.

- In a registered group, the group's ward: the asker's row of that ward, or nothing (someone
  of another ward is not answered with this ward's data, nor this group with theirs).
- In a private chat (and an unregistered group), the ward the person last chose with
  `/phuong` (`/ward`); with no choice yet, the first of their wards by name, said in one line
  above the answer (with the other wards and how to switch), and kept as their choice.
- A question the bot asked in one ward (a preview, a reminder's numbered choices) is
  answered in that ward, whatever ward is chosen meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.context import Ctx
from handlers.protocol import Button, Reply, literal
from ingest.textnorm import fold_name
from store.records import PersonRec, WardRec

CHOOSE_KIND = "choose_ward"
NAMES = ("phuong", "ward")  # the command's names (handlers/commands.py)


@dataclass(frozen=True)
class Resolved:
    """Who is asking and for which ward; `elsewhere`: the ward of a group the asker is not
    in (they are known in other wards)."""

    person: PersonRec | None
    elsewhere: str | None = None
    note: str | None = None  # said above the first reply (the ward picked for them)


async def _in_ward(ctx: Ctx, ward_id: int) -> bool:
    """Makes `ward_id` the message's ward, when the asker belongs to it."""
    inbound = ctx.inbound
    person = await ctx.repo.person_in_ward(inbound.channel, inbound.user_id, ward_id)
    ward = await ctx.repo.ward(ward_id) if person is not None else None
    if person is None or ward is None:
        return False
    ctx.person, ctx.ward = person, ward
    return True


async def resolve(ctx: Ctx, ward_id: int | None = None) -> Resolved:
    """Sets ctx.person and ctx.ward for the message (see the module's rules); `ward_id`:
    the ward of the question being answered, preferred when the asker belongs to it."""
    inbound, repo = ctx.inbound, ctx.repo
    people = await repo.people_by_channel(inbound.channel, inbound.user_id)
    if not people:
        return Resolved(None)
    if inbound.chat_kind == "group":
        chat = await repo.chat(inbound.channel, inbound.chat_id)
        if chat is not None and chat.ward_id is not None and chat.kind is not None:
            if await _in_ward(ctx, chat.ward_id):
                return Resolved(ctx.person)
            ward = await repo.ward(chat.ward_id)
            return Resolved(None, elsewhere=ward.name if ward else "?")
    if ward_id is not None and await _in_ward(ctx, ward_id):
        return Resolved(ctx.person)
    if len(people) == 1:
        ctx.person, ctx.ward = people[0], await repo.ward(people[0].ward_id)
        return Resolved(ctx.person)
    chosen = await repo.ward_choice(inbound.channel, inbound.user_id)
    if chosen is not None and await _in_ward(ctx, chosen):
        return Resolved(ctx.person)
    first = people[0]
    ctx.person, ctx.ward = first, await repo.ward(first.ward_id)
    await repo.choose_ward(inbound.channel, inbound.user_id, first.ward_id, ctx.clock.now())
    if _is_choose(inbound.text):
        return Resolved(ctx.person)  # its answer lists the wards already
    others = [w.name for w in await _wards(ctx, people[1:])]
    _ = ctx._
    note = _(
        "ℹ You are in {n} wards; I answer for **{ward}**. Others: {others}. /phuong switches.",
        n=len(people),
        ward=literal(ctx.ward.name if ctx.ward else "?"),
        others=", ".join(literal(name) for name in others),
    )
    return Resolved(ctx.person, note=note)


def _is_choose(text: str) -> bool:
    head = text.strip().split(" ", 1)[0]
    return head.startswith("/") and fold_name(head[1:].split("@", 1)[0]) in NAMES


async def enter_question_ward(ctx: Ctx, ward_id: int) -> None:
    """A question asked in another ward than the message's (private chat): answer it there."""
    if ctx.ward is not None and ctx.ward.id != ward_id:
        await _in_ward(ctx, ward_id)


async def enter_button_ward(ctx: Ctx, ward_id: int) -> Reply | None:
    """A task's button names its ward (task #3 of one ward is not #3 of another): in a
    private chat the press acts in that ward, when the asker belongs to it (a reminder of
    another of their wards); a button of a ward the asker is not in, or of another ward than
    this group's, is refused and changes nothing."""
    if ctx.ward is not None and ctx.ward.id == ward_id:
        return None
    if ctx.inbound.chat_kind != "group" and await _in_ward(ctx, ward_id):
        return None
    return Reply(
        ctx._(
            "This button is for a task of another ward, whose list you are not on; "
            "nothing was changed."
        )
    )


def elsewhere_reply(ctx: Ctx, ward: str) -> Reply:
    _ = ctx._
    return Reply(
        _(
            "This group belongs to {ward}, and you are not on its list; ask me in a chat of "
            "your own ward or in private.",
            ward=literal(ward),
        )
    )


def with_note(replies: list[Reply], note: str | None) -> list[Reply]:
    if note and replies:
        first = next((r for r in replies if r.text), replies[0])
        first.text = note + "\n\n" + first.text
    return replies


async def _wards(ctx: Ctx, people: Sequence[PersonRec]) -> list[WardRec]:
    found = []
    for person in people:
        ward = await ctx.repo.ward(person.ward_id)
        if ward is not None:
            found.append(ward)
    return found


async def _memberships(ctx: Ctx) -> list[tuple[PersonRec, str]]:
    """(row, ward name) of each ward the asker belongs to, by ward name."""
    assert ctx.person is not None
    inbound = ctx.inbound
    people = await ctx.repo.people_by_channel(inbound.channel, inbound.user_id)
    found = []
    for person in people or (ctx.person,):
        ward = await ctx.repo.ward(person.ward_id)
        if ward is not None:
            found.append((person, ward.name))
    return found


def _pick(wards: list[tuple[PersonRec, str]], text: str) -> PersonRec | None:
    """The ward typed: its number in the list, or (a part of) its name."""
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(wards):
        return wards[int(text) - 1][0]
    wanted = fold_name(text)
    if not wanted:
        return None
    exact = [p for p, name in wards if fold_name(name) == wanted]
    if exact:
        return exact[0]
    partial = [p for p, name in wards if wanted in fold_name(name)]
    return partial[0] if len(partial) == 1 else None


async def _choose(ctx: Ctx, person: PersonRec, name: str) -> Reply:
    inbound = ctx.inbound
    await ctx.repo.choose_ward(inbound.channel, inbound.user_id, person.ward_id, ctx.clock.now())
    return Reply(ctx._("From now on I answer you for **{ward}**.", ward=literal(name)))


async def choose(ctx: Ctx, arg: str) -> Reply:
    """/phuong [NUMBER|NAME]: the wards the asker belongs to, as buttons; or choose one."""
    _ = ctx._
    assert ctx.ward is not None
    if ctx.inbound.chat_kind == "group":
        chat = await ctx.repo.chat(ctx.inbound.channel, ctx.inbound.chat_id)
        if chat is not None and chat.registered:
            return Reply(
                _(
                    "In this group I answer for {ward}, the group's ward. To choose the ward "
                    "of our private chat, type /phuong there.",
                    ward=literal(ctx.ward.name),
                )
            )
    wards = await _memberships(ctx)
    if len(wards) <= 1:
        return Reply(_("You are in one ward only: {ward}.", ward=literal(ctx.ward.name)))
    if arg.strip():
        person = _pick(wards, arg)
        if person is None:
            return Reply(
                _(
                    "“{text}” is none of your wards; /phuong lists them.",
                    text=literal(arg.strip()),
                )
            )
        return await _choose(ctx, person, dict((p.ward_id, n) for p, n in wards)[person.ward_id])
    choices = [str(p.ward_id) for p, _name in wards]
    pending_id = await ctx.ask(CHOOSE_KIND, {}, choices)
    lines = [
        _(
            "You are in {n} wards; I answer for **{ward}** now. Which ward should I answer for?",
            n=len(wards),
            ward=literal(ctx.ward.name),
        )
    ]
    lines += [f"{i}. {literal(name)}" for i, (_p, name) in enumerate(wards, start=1)]
    buttons = [[Button(name, f"p{pending_id}:{p.ward_id}")] for p, name in wards]
    return Reply("\n".join(lines), buttons=buttons)


async def on_answer(ctx: Ctx, pending_id: int, choice: str | None, text: str) -> Reply | None:
    """The ward chosen under /phuong: a button (or its number), or a name typed."""
    wards = await _memberships(ctx)
    person: PersonRec | None = None
    if choice is not None:
        person = next((p for p, _name in wards if str(p.ward_id) == choice), None)
    elif text and not text.startswith("/"):
        person = _pick(wards, text)
        if person is None:
            return Reply(
                ctx._("“{text}” is none of your wards; /phuong lists them.", text=literal(text))
            )
    if person is None:
        return None
    await ctx.repo.clear_pending(pending_id)
    return await _choose(ctx, person, dict((p.ward_id, n) for p, n in wards)[person.ward_id])


__all__ = [
    "CHOOSE_KIND",
    "Resolved",
    "choose",
    "elsewhere_reply",
    "enter_button_ward",
    "enter_question_ward",
    "on_answer",
    "resolve",
    "with_note",
]
