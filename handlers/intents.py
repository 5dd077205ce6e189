"""Free-text intent matcher: which question a short chat message asks.

`match_intent(text)` maps what staff type on phones (with or without diacritics, teen-code,
abbreviations, a leading @mention, extra polite words, no question mark) to one of INTENTS,
plus the period ("month" / "year") and the index group the text names, or None when the text
is about something else. Texts longer than `settings.max_chars` are documents, never questions.

All vocabulary lives in `intents_vi.toml` next to this module (read once at import; its header
explains the scoring). This module holds logic only. Everything is precompiled at import, so a
match costs a fold, one tokenising pass and a handful of regex scans.

Adding an intent is a data change: a new `[intents.<name>]` table in the TOML plus the name in
INTENTS; loading fails loudly when the two disagree.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ingest.index_groups import GROUPS
from ingest.textnorm import fold

INTENTS: tuple[str, ...] = (
    "score",
    "rank",
    "weak_groups",
    "compare",
    "help",
    "greeting",
    "tasks",
    "tasks_week",
    "tasks_overdue",
    "progress",
    "broadcast",
    "task_when",
    "task_who",
    "trend",
    "province_rank",
    "province_top",
    "province_below",
    "province_above",
    "province_groups",
    "briefing",
    "briefing_file",
    "wards_overview",
    "wards_slowest",
    "gain",
    "whatif",
)
PERIODS: tuple[str, ...] = ("month", "year")
VOCABULARY_FILE = "intents_vi.toml"

_MENTION = re.compile(r"(?<![\w@])@[\w.]+")
_WORD = re.compile(r"[a-z0-9]+|\?+")
_NON_SPACE = re.compile(r"\S")
_ELONGATED = re.compile(r"([aeiouy])\1{2,}")  # "alooo", "hiii": a vowel three or more times
_QUESTION_MARK = "?"
_TABLES = frozenset({"settings", "expand", "words", "period", "groups", "intents", "search"})
_INTENT_KEYS = frozenset(
    {
        "priority",
        "phrases",
        "keywords",
        "phrase_weight",
        "keyword_weight",
        "exact",
        "group_weight",
        "period_weight",
        "question_bonus",
        "max_extra_tokens",
        "absorbs",
        "index_weight",
        "extra_token_penalty",
    }
)
# Placeholders written over matched text (same length, so offsets stay valid). Neither can be
# part of a vocabulary term, which only has [a-z0-9?] words.
_IGNORED = "~"  # an ignored phrase: counts as an unexplained word
_GROUP = "#"  # a group name: explained by the group slot


@dataclass(frozen=True)
class IntentMatch:
    intent: str  # one of INTENTS
    period: str | None  # "month" | "year" (running total, "luy ke") | None when not said
    group: str | None  # a group code from ingest.index_groups when the text names one
    confidence: float  # 0..1


@dataclass(frozen=True)
class _Settings:
    max_chars: int
    threshold: float
    phrase_weight: float
    keyword_weight: float
    max_evidence: float
    question_bonus: float
    full_coverage_bonus: float
    extra_token_penalty: float
    confidence_scale: float


@dataclass(frozen=True)
class _Intent:
    name: str
    priority: int
    pattern: re.Pattern[str] | None
    weights: Mapping[str, float]  # normalised term -> weight
    exact: frozenset[str]
    group_weight: float
    period_weight: float
    question_bonus: float
    max_extra_tokens: int | None
    absorbs: frozenset[str]
    index_weight: float  # evidence from naming the index itself ([words].index_names)
    extra_token_penalty: float  # per word nothing explains (a task's subject: none)


class VocabularyError(ValueError):
    """The TOML vocabulary is inconsistent (unknown intent, group, period or setting)."""


def _compile_terms(terms: Iterable[str], patterns: Iterable[str] = ()) -> re.Pattern[str] | None:
    """One alternation, longest first, matching whole words of a space-joined token string.

    `patterns` are regular expressions added to the alternation as they are.
    """
    unique = sorted(set(terms), key=lambda t: (-len(t), t))
    alternatives = [*patterns, *map(re.escape, unique)]
    if not alternatives:
        return None
    return re.compile(rf"(?<![^ ])(?:{'|'.join(alternatives)})(?![^ ])")


class IntentMatcher:
    """A matcher built from a parsed vocabulary (the TOML as a dict)."""

    def __init__(self, vocabulary: Mapping[str, Any], intents: Sequence[str] = INTENTS) -> None:
        settings = dict(vocabulary.get("settings", {}))
        try:
            self._settings = _Settings(**{k: settings.pop(k) for k in _Settings.__annotations__})
        except KeyError as missing:
            raise VocabularyError(f"[settings] lacks {missing}") from None
        if settings:
            raise VocabularyError(f"unknown settings: {sorted(settings)}")

        unknown_tables = set(vocabulary) - _TABLES
        if unknown_tables:
            raise VocabularyError(f"unknown top-level keys: {sorted(unknown_tables)}")

        self._expand: dict[str, tuple[str, ...]] = {}
        for key, value in vocabulary.get("expand", {}).items():
            words = tuple(_WORD.findall(fold(value))) if isinstance(value, str) else ()
            if not words or not _WORD.fullmatch(fold(key)):
                raise VocabularyError(f"[expand] {key!r} = {value!r}: one word -> some words")
            self._expand[fold(key)] = words

        table = dict(vocabulary.get("words", {}))
        fillers = table.pop("fillers", ())
        question = table.pop("question", ())
        ignore = [self._norm(t) for t in table.pop("ignore", ())]
        ignore_patterns = table.pop("ignore_patterns", ())
        index_names = [self._norm(t) for t in table.pop("index_names", ())]
        if table:
            raise VocabularyError(f"unknown keys in [words]: {sorted(table)}")
        self._fillers = frozenset(word for text in fillers for word in self._words(text))
        self._question = _compile_terms(map(self._norm, question))
        self._ignore = _compile_terms(ignore, patterns=ignore_patterns)
        self._index_name = _compile_terms(index_names)

        # (value, pattern) in the order of the [[period]] tables: the first table with a hit wins
        self._periods: list[tuple[str, re.Pattern[str]]] = []
        for table in vocabulary.get("period", ()):
            value = table.get("value")
            if value not in PERIODS or set(table) - {"value", "phrases", "patterns"}:
                raise VocabularyError(
                    f"[[period]] {value!r}: needs value in {PERIODS}, phrases and/or patterns"
                )
            terms = map(self._norm, table.get("phrases", ()))
            pattern = _compile_terms(terms, patterns=table.get("patterns", ()))
            if pattern is not None:
                self._periods.append((value, pattern))

        self._group_of = self._group_aliases(vocabulary.get("groups", {}))
        prefixes = [self._norm(p) for p in vocabulary.get("groups", {}).get("prefixes", ())]
        names = sorted(self._group_of, key=lambda t: (-len(t), t))
        if names:
            prefix = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
            prefix_part = f"(?:(?:{prefix}) )?" if prefix else ""
            self._group: re.Pattern[str] | None = re.compile(
                rf"(?<![^ ]){prefix_part}({'|'.join(map(re.escape, names))})(?![^ ])"
            )
        else:
            self._group = None

        self._intents = self._build_intents(vocabulary.get("intents", {}), intents)
        self._exact = {
            text: intent.name for intent in self._intents for text in sorted(intent.exact)
        }

    # -- building -------------------------------------------------------------------------------

    def _words(self, text: str) -> list[str]:
        """Fold, cut into words ("?" runs become one "?") and expand teen-code."""
        words: list[str] = []
        for word in _WORD.findall(_ELONGATED.sub(r"\1", fold(text))):
            if word[0] == _QUESTION_MARK:
                words.append(_QUESTION_MARK)
                continue
            expanded = self._expand.get(word)
            if expanded is None:
                words.append(word)
            else:
                words.extend(expanded)
        return words

    def normalise(self, text: str) -> str:
        """The text as the matcher reads it: folded, expanded words joined by single spaces."""
        return " ".join(self._words(text))

    def group_named(self, text: str) -> str | None:
        """The index group the text names (the group slot alone, whatever it asks), or None."""
        found = self._group.search(self.normalise(text)) if self._group is not None else None
        return self._group_of[found.group(1)] if found is not None else None

    def _norm(self, text: str) -> str:
        normalised = self.normalise(text)
        if not normalised:
            raise VocabularyError(f"vocabulary entry {text!r} has no words")
        return normalised

    def _group_aliases(self, table: Mapping[str, Any]) -> dict[str, str]:
        extra = table.get("aliases", {})
        unknown = set(extra) - {g.code for g in GROUPS}
        if unknown:
            raise VocabularyError(f"[groups.aliases] unknown group codes: {sorted(unknown)}")
        group_of: dict[str, str] = {}
        for group in GROUPS:
            for alias in (group.name_vi, group.name_en, *group.aliases, *extra.get(group.code, ())):
                term = self._norm(alias)
                owner = group_of.setdefault(term, group.code)
                if owner != group.code:
                    raise VocabularyError(f"group alias {alias!r} names {owner} and {group.code}")
        return group_of

    def _build_intents(
        self, tables: Mapping[str, Mapping[str, Any]], names: Sequence[str]
    ) -> tuple[_Intent, ...]:
        missing = [n for n in names if n not in tables]
        unknown = [n for n in tables if n not in names]
        if missing or unknown:
            raise VocabularyError(
                f"intents in the TOML and INTENTS differ: missing {missing}, unknown {unknown}"
            )
        s = self._settings
        built: list[_Intent] = []
        for name in names:
            table = tables[name]
            unknown_keys = set(table) - _INTENT_KEYS
            if unknown_keys:
                raise VocabularyError(f"[intents.{name}] unknown keys: {sorted(unknown_keys)}")
            absorbs = frozenset(table.get("absorbs", ()))
            if not absorbs <= set(names):
                raise VocabularyError(f"[intents.{name}] absorbs unknown {sorted(absorbs)}")
            weights: dict[str, float] = {}
            keyword_weight = float(table.get("keyword_weight", s.keyword_weight))
            phrase_weight = float(table.get("phrase_weight", s.phrase_weight))
            for term in map(self._norm, table.get("keywords", ())):
                weights[term] = keyword_weight
            for term in map(self._norm, table.get("phrases", ())):
                weights[term] = phrase_weight
            max_extra = table.get("max_extra_tokens")
            built.append(
                _Intent(
                    name=name,
                    priority=int(table.get("priority", 0)),
                    pattern=_compile_terms(weights),
                    weights=weights,
                    exact=frozenset(self._norm(t) for t in table.get("exact", ())),
                    group_weight=float(table.get("group_weight", 0.0)),
                    period_weight=float(table.get("period_weight", 0.0)),
                    question_bonus=float(table.get("question_bonus", s.question_bonus)),
                    max_extra_tokens=None if max_extra is None else int(max_extra),
                    absorbs=absorbs,
                    index_weight=float(table.get("index_weight", 0.0)),
                    extra_token_penalty=float(
                        table.get("extra_token_penalty", s.extra_token_penalty)
                    ),
                )
            )
        return tuple(built)

    # -- matching -------------------------------------------------------------------------------

    def match(self, text: str) -> IntentMatch | None:
        if not text or not isinstance(text, str):
            return None
        text = _MENTION.sub(" ", text).strip()
        if not text or len(text) > self._settings.max_chars:
            return None
        words = self._words(text)
        if not words:
            return None
        line = " ".join(words)

        intent_name = self._exact.get(line)
        starts: list[int] = []
        offset = 0
        for word in words:
            starts.append(offset)
            offset += len(word) + 1

        def covered(start: int, end: int) -> range:
            return range(bisect_left(starts, start), bisect_left(starts, end))

        if self._ignore is not None:
            line = self._ignore.sub(lambda m: _NON_SPACE.sub(_IGNORED, m.group()), line)

        explained: set[int] = set()  # indexes of words something accounts for

        # the index's own name is explained (and is evidence for intents that say so); its
        # words are then neither evidence for a keyword nor unexplained
        named = False
        if self._index_name is not None and self._index_name.search(line):
            named = True
            line = self._index_name.sub(lambda m: _NON_SPACE.sub(_GROUP, m.group()), line)

        group: str | None = None
        if self._group is not None:
            first_group = self._group.search(line)
            if first_group is not None:
                group = self._group_of[first_group.group(1)]
                line = self._group.sub(lambda m: _NON_SPACE.sub(_GROUP, m.group()), line)
        explained.update(i for i, w in enumerate(line.split(" ")) if w[0] == _GROUP)

        period: str | None = None
        for value, pattern in self._periods:
            for m in pattern.finditer(line):
                explained.update(covered(m.start(), m.end()))
                if period is None:
                    period = value

        if intent_name is not None:
            return IntentMatch(intent_name, period, group, 1.0)

        asked = False
        if self._question is not None:
            for m in self._question.finditer(line):
                asked = True
                explained.update(covered(m.start(), m.end()))
        fillers = self._fillers
        for i, word in enumerate(words):
            if word == _QUESTION_MARK:
                asked = True
                explained.add(i)
            elif word in fillers and line[starts[i]] != _IGNORED:
                explained.add(i)

        evidence: dict[str, float] = {}
        own: dict[str, set[int]] = {}
        for intent in self._intents:
            if intent.pattern is None:
                continue
            total = 0.0
            mine: set[int] = set()
            for m in intent.pattern.finditer(line):
                total += intent.weights[m.group()]
                mine.update(covered(m.start(), m.end()))
            if total:
                evidence[intent.name] = min(total, self._settings.max_evidence)
                own[intent.name] = mine
                explained |= mine

        return self._decide(words, explained, evidence, own, asked, group, period, named)

    def _decide(
        self,
        words: Sequence[str],
        explained: set[int],
        evidence: Mapping[str, float],
        own: Mapping[str, set[int]],
        asked: bool,
        group: str | None,
        period: str | None,
        named: bool = False,
    ) -> IntentMatch | None:
        s = self._settings
        unexplained = len(words) - len(explained)
        coverage = s.full_coverage_bonus if unexplained == 0 else 0.0
        scores: dict[str, float] = {}
        best: _Intent | None = None
        for intent in self._intents:
            base = evidence.get(intent.name, 0.0)
            if group is not None:
                base += intent.group_weight
            if period is not None:
                base += intent.period_weight
            if named:
                base += intent.index_weight
            if base <= 0.0:
                continue
            if intent.max_extra_tokens is not None:
                mine = own.get(intent.name, set())
                extra = sum(
                    1
                    for i, w in enumerate(words)
                    if i not in mine and w not in self._fillers and w != _QUESTION_MARK
                )
                if extra > intent.max_extra_tokens:
                    continue
            context = coverage - intent.extra_token_penalty * unexplained
            score = base + context + (intent.question_bonus if asked else 0.0)
            if score < s.threshold:
                continue
            scores[intent.name] = score
            if best is None or (score, intent.priority) > (scores[best.name], best.priority):
                best = intent
        if best is None:
            return None
        chosen, score = best.name, scores[best.name]
        seen = {chosen}
        while True:  # "absorbs": an intent with its own words in the text takes over
            takers = [
                i
                for i in self._intents
                if chosen in i.absorbs and i.name not in seen and evidence.get(i.name, 0.0) > 0.0
            ]
            if not takers:
                break
            taker = max(takers, key=lambda i: (scores.get(i.name, 0.0), i.priority))
            chosen, score = taker.name, max(score, scores.get(taker.name, 0.0))
            seen.add(chosen)
        confidence = round(min(1.0, score / s.confidence_scale), 3)
        return IntentMatch(chosen, period, group, confidence)


def load_vocabulary(source: str | bytes | None = None) -> dict[str, Any]:
    """Parse the vocabulary TOML: the shipped file by default, or the given text."""
    if source is None:
        source = resources.files(__package__ or "handlers").joinpath(VOCABULARY_FILE).read_bytes()
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    return tomllib.loads(source)


_VOCABULARY = load_vocabulary()
_DEFAULT = IntentMatcher(_VOCABULARY)


def search_words(key: str) -> tuple[str, ...]:
    """A word list of the [search] table (searching task texts), folded: e.g. "stop_words"."""
    return tuple(fold(w) for w in _VOCABULARY.get("search", {}).get(key, ()))


def match_intent(text: str) -> IntentMatch | None:
    """The intent of a short chat message, or None when it asks none of INTENTS."""
    return _DEFAULT.match(text)


def group_named(text: str) -> str | None:
    """The index group a text names (any alias of [groups], with or without diacritics)."""
    return _DEFAULT.group_named(text)
