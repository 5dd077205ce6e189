"""Long previews in pages: no reply needs more than a few messages.

A preview with many items (a directive's tasks, a score file's sets of figures) shows a
summary and one page of items, "Page 2/7", with page buttons beside Confirm/Cancel (on the
last message sent) and `/trang N`. The page shown is kept in the pending question's payload
(the database), so paging survives a restart; a page button is one of the question's choices
(`p{id}:page:N`), so on Zalo it is a numbered choice like the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from handlers.protocol import Button
from locales import Translator

T = TypeVar("T")
PAGE_CHOICE = "page:"
COMMAND = "trang"


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def current_page(payload: dict[str, Any], total: int, size: int) -> int:
    """The page kept in a pending payload, within 1..pages."""
    try:
        page = int(payload.get("page") or 1)
    except (TypeError, ValueError):
        page = 1
    return min(max(1, page), page_count(total, size))


def page_items(items: Sequence[T], page: int, size: int) -> list[tuple[int, T]]:
    """The items of a page with their numbers (from 1, over all pages)."""
    start = (page - 1) * size
    return [(start + i + 1, item) for i, item in enumerate(items[start : start + size])]


def page_heading(page: int, pages: int, first: int, last: int, _: Translator) -> str:
    return _(
        "**Page {page}/{pages}** (items {first}–{last})",
        page=page,
        pages=pages,
        first=first,
        last=last,
    )


def page_hint(pages: int, _: Translator) -> str:
    return _("Other pages: the buttons below or /trang N (1–{pages}).", pages=pages)


def page_choices(page: int, pages: int) -> list[str]:
    """The page choices offered under a page: the previous and the next one."""
    choices = []
    if page > 1:
        choices.append(f"{PAGE_CHOICE}{page - 1}")
    if page < pages:
        choices.append(f"{PAGE_CHOICE}{page + 1}")
    return choices


def page_buttons(pending_id: int, page: int, pages: int, _: Translator) -> list[Button]:
    buttons = []
    for choice in page_choices(page, pages):
        number = int(choice.removeprefix(PAGE_CHOICE))
        label = (
            _("◀ Page {page}", page=number) if number < page else _("Page {page} ▶", page=number)
        )
        buttons.append(Button(label, f"p{pending_id}:{choice}"))
    return buttons


def chosen_page(choice: str | None) -> int | None:
    """The page a choice asks for ("page:3" -> 3), else None."""
    if choice is None or not choice.startswith(PAGE_CHOICE):
        return None
    number = choice.removeprefix(PAGE_CHOICE)
    return int(number) if number.isdigit() else None


def parse_page(arg: str) -> int | None:
    """The argument of /trang: a page number."""
    arg = arg.strip()
    return int(arg) if arg.isdigit() and int(arg) >= 1 else None
