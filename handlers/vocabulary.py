"""Loads handlers/vocabulary.toml: the words command arguments and choices are matched on."""

from __future__ import annotations

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
