"""Questions about one task, answered from the task texts.

"hạn tích hợp thanh toán trực tuyến là khi nào", "việc số hóa hồ sơ giao cho ai": the words of
the question that are not stop words ([search] in intents_vi.toml) are looked up in the folded
texts of the ward's tasks; the tasks sharing the most of them are the answer (deadline, who
leads, who supports, status). A task given to several departments is one answer with its
departments' progress for the chairman and admins, the asker's own part for a department.

Also here: "việc phòng ABC" naming no department of the ward (the name the asker used).
"""

from __future__ import annotations

import itertools
import re

from handlers.context import Ctx
from handlers.departments import find_department
from handlers.intents import IntentMatch, search_words
from handlers.protocol import Reply, literal
from ingest.textnorm import fold
from store.records import TaskRec, WardRec

_WORD = re.compile(r"[a-z0-9]+")
MAX_ANSWERS = 3  # tasks (or shared tasks) in one answer
STOP_WORDS = frozenset(search_words("stop_words"))
DEPARTMENT_WORDS = tuple(tuple(w.split()) for w in search_words("department_words"))
NOT_A_NAME = frozenset(search_words("not_a_name"))


def words_of(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def query_words(text: str) -> list[str]:
    """The words of a question that can name a task, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in words_of(text):
        if word not in STOP_WORDS:
            seen.setdefault(word, None)
    return list(seen)


def rank(query: list[str], tasks: list[TaskRec]) -> list[tuple[float, TaskRec]]:
    """Tasks sharing words with the query, best first: one point per shared word, half a
    point per pair of the query's consecutive words found together in the task's text."""
    if not query:
        return []
    pairs = list(itertools.pairwise(query))
    ranked = []
    for task in tasks:
        words = words_of(task.text)
        own = set(words)
        shared = sum(1 for w in query if w in own)
        if not shared:
            continue
        together = set(itertools.pairwise(words))
        score = shared + 0.5 * sum(1 for p in pairs if p in together)
        ranked.append((score, task))
    ranked.sort(key=lambda st: (-st[0], st[1].status == "done", st[1].number))
    return ranked


def needed(query: list[str]) -> float:
    """Shared words a task needs to be an answer: one for a one- or two-word subject, else
    two (a single common word like "tháng" is not enough)."""
    return 1.0 if len(query) <= 2 else 2.0


async def answer(ctx: Ctx, text: str, match: IntentMatch | None) -> Reply:
    from handlers.tasks import entries_of, part_key, render_entry, sees_shared

    _ = ctx._
    assert ctx.ward is not None and ctx.person is not None
    query = query_words(text)
    if not query:
        return Reply(
            _(
                "Which task? Say some of its words, e.g. “hạn số hóa hồ sơ là khi nào” or "
                "“việc tuyên truyền giao cho ai”."
            )
        )
    tasks = await ctx.tasks.open_tasks(ctx.ward.id, include_done=True)
    if not tasks:
        return Reply(_("No directive has been loaded yet, so there are no tasks."))
    ranked = rank(query, tasks)
    asked = " ".join(query)
    if not ranked or ranked[0][0] < needed(query):
        return Reply(
            _(
                "I found no task about “{words}”. Try other words, or /viec for the list.",
                words=literal(asked),
            )
        )
    best = ranked[0][0]
    found = [t for score, t in ranked if score >= max(needed(query), best - 0.5)]
    grouped = sees_shared(ctx)
    if not grouped:  # a department sees its own part of a shared task when it has one
        mine = set(ctx.person.departments)
        distinct: dict[tuple[object, ...], TaskRec] = {}
        for task in found:
            key = part_key(task)
            current = distinct.get(key)
            if current is None or (mine & set(task.departments) > mine & set(current.departments)):
                distinct[key] = task
        found = list(distinct.values())
    entries = await entries_of(ctx, found, grouped=grouped)
    today = ctx.clock.now().date()
    lines = [
        "🔎 **"
        + _.plural(
            "{n} task about “{words}”:",
            "{n} tasks about “{words}”:",
            len(entries),
            words=literal(asked),
        )
        + "**"
    ]
    for entry in entries[:MAX_ANSWERS]:
        lines.append("")
        lines += render_entry(entry, ctx, today)
    if len(entries) > MAX_ANSWERS:
        lines += ["", _("… and {n} more.", n=len(entries) - MAX_ANSWERS)]
    return Reply("\n".join(lines))


def unknown_department(ward: WardRec, text: str) -> str | None:
    """The name after "phòng" in "việc phòng ABC" when it is no department of the ward."""
    if find_department(ward, text) is not None:
        return None
    folded = fold(text).split()
    typed = text.split()
    if len(folded) != len(typed):
        typed = folded
    for i in range(len(folded)):
        for head in DEPARTMENT_WORDS:
            if tuple(_plain(w) for w in folded[i : i + len(head)]) != head:
                continue
            name: list[str] = []
            for word, shown in zip(folded[i + len(head) :], typed[i + len(head) :], strict=False):
                plain = _plain(word)
                if not plain or plain in NOT_A_NAME or plain in STOP_WORDS:
                    break
                name.append(shown.strip(".,;:!?“”\"'()"))
            if name:
                return " ".join(name)
    return None


def _plain(word: str) -> str:
    return "".join(_WORD.findall(word))
