"""Loads handlers/vocabulary.toml: the words command arguments and choices are matched on."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from ingest.textnorm import fold


@cache
def _data() -> dict[str, dict[str, list[str]]]:
    with (Path(__file__).parent / "vocabulary.toml").open("rb") as fh:
        return tomllib.load(fh)


def chat_kind_for(word: str) -> str | None:
    folded = fold(word)
    for kind, words in _data()["chat_kinds"].items():
        if folded in words:
            return kind
    return None


def audience_word(word: str) -> str | None:
    folded = fold(word)
    for audience, words in _data()["audiences"].items():
        if folded in words:
            return audience
    return None


def yes_no(word: str) -> bool | None:
    folded = fold(word).strip(" .!")
    if folded in _data()["choices"]["yes"]:
        return True
    if folded in _data()["choices"]["no"]:
        return False
    return None


def names_last_week(text: str) -> bool:
    """The text names last week ("báo cáo tuần trước", "/baocao tuan roi")."""
    folded = " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())
    return any(f" {word} " in f" {folded} " for word in _data()["weeks"]["last"])


def whatif_words(kind: str) -> tuple[str, ...]:
    """The folded words of a what-if question of one kind ([whatif] more, percent, period,
    dossier), the longest first."""
    words = _data().get("whatif", {}).get(kind, [])
    return tuple(sorted(words, key=len, reverse=True))


def names_spreadsheet(text: str) -> bool:
    """The request names a spreadsheet ("gửi file excel báo cáo tuần", "/filebaocao xlsx")."""
    folded = " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())
    return any(f" {word} " in f" {folded} " for word in _data()["files"]["xlsx"])
