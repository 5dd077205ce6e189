"""Reading documents off the event loop: a small process pool with a time and a size limit.

The readers in ingest/ are pure, synchronous functions; a slow or hostile file (a 5 MB text,
a zip bomb) must not hold the event loop or the GIL, so every document a chat or the CLI
sends is read by `ReadingPool.run` in a worker process (spawned, so it inherits no loop,
thread or connection). A file over `ReadLimits.max_file_bytes` is refused before it is sent
to a worker; a read that takes longer than `ReadLimits.timeout` is refused and its worker
killed and replaced, so a runaway parse cannot keep a core.

The jobs below run in the worker: they take bytes and plain values and return plain,
picklable data (texts, dicts, drafts, problems), never raise a reader's error.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Literal, TypeVar

from ingest.snapshot_draft import Problem, SnapshotDraft
from locales import Translator

log = logging.getLogger(__name__)
T = TypeVar("T")

MB = 1024 * 1024
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")


@dataclass(frozen=True)
class ReadLimits:
    timeout: float = 20.0  # CHISO_READ_TIMEOUT: seconds one file may take
    max_file_bytes: int = 10 * MB  # CHISO_MAX_FILE_MB
    max_unpacked_bytes: int = 50 * MB  # CHISO_MAX_UNPACKED_MB: a .docx/.xlsx unpacked
    max_import_rows: int = 5000  # CHISO_MAX_IMPORT_ROWS: snapshots in one file
    workers: int = 2  # CHISO_READ_WORKERS


class ReadRefused(Exception):
    """A file the pool would not (too large) or could not (too slow, worker lost) read."""

    def __init__(self, code: Literal["too_large", "too_slow", "failed"], limit: float) -> None:
        super().__init__(code)
        self.code = code
        self.limit = limit


class ReadingPool:
    """A lazily started pool of worker processes for the document readers."""

    def __init__(self, limits: ReadLimits | None = None) -> None:
        self.limits = limits or ReadLimits()
        self._executor: ProcessPoolExecutor | None = None

    def check_size(self, size: int | None) -> None:
        if size is not None and size > self.limits.max_file_bytes:
            raise ReadRefused("too_large", self.limits.max_file_bytes)

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=max(1, self.limits.workers),
                mp_context=multiprocessing.get_context("spawn"),
            )
        return self._executor

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a worker; ReadRefused("too_slow") after the time limit (the worker is
        killed), ReadRefused("failed") when the worker died twice."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.timeout
        for attempt in (1, 2):
            executor = self._pool()
            try:
                future = executor.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):
                self._discard(executor)
                continue
            remaining = max(0.0, deadline - loop.time())
            try:
                return await asyncio.wait_for(asyncio.wrap_future(future), remaining)
            except TimeoutError:
                log.warning("a document read took over %.0f s: worker stopped", self.limits.timeout)
                self._discard(executor, kill=True)
                raise ReadRefused("too_slow", self.limits.timeout) from None
            except BrokenProcessPool:
                # another read's worker was killed (or this one crashed): once more, fresh
                self._discard(executor)
                if attempt == 2 or loop.time() >= deadline:
                    break
        raise ReadRefused("failed", self.limits.timeout)

    def _discard(self, executor: ProcessPoolExecutor, kill: bool = False) -> None:
        if self._executor is executor:
            self._executor = None
        if kill:
            for process in list(getattr(executor, "_processes", {}).values()):
                if process.is_alive():
                    process.kill()
        executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stops the workers (the app's close; reads in flight are abandoned)."""
        if self._executor is not None:
            executor, self._executor = self._executor, None
            for process in list(getattr(executor, "_processes", {}).values()):
                if process.is_alive():
                    process.kill()
            executor.shutdown(wait=True, cancel_futures=True)


_shared: ReadingPool | None = None


def shared_pool() -> ReadingPool:
    """The process's default pool (default limits), for services built without one."""
    global _shared
    if _shared is None:
        _shared = ReadingPool()
    return _shared


# --- jobs: run in a worker process --------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRead:
    """What a document upload gave: an error code, a directive, or score figures."""

    error: str | None = None  # a DocumentError code
    limit: int | None = None  # with "unpacked_too_large"
    text: str = ""
    directive: dict[str, Any] | None = None  # handlers.directives.read's form, with tasks
    drafts: list[SnapshotDraft] | None = None  # a text with no tasks read as a score report
    problems: list[Problem] | None = None  # ... and why it cannot be stored


def read_document(
    name: str,
    data: bytes,
    ward: Any,
    today: date,
    limits: ReadLimits,
    scores_if_no_tasks: bool,
) -> DocumentRead:
    """A directive upload: its text and tasks; a .txt/.md with no tasks (when
    scores_if_no_tasks) is read as a score report instead."""
    from handlers.directives import read
    from ingest.documents import DocumentError, extract_text

    try:
        text = extract_text(name, data, max_unpacked=limits.max_unpacked_bytes)
    except DocumentError as exc:
        return DocumentRead(error=exc.code, limit=exc.limit)
    directive = read(ward, text, today)
    if directive["tasks"] or not (
        scores_if_no_tasks and PurePath(name).suffix.lower() in TEXT_SUFFIXES
    ):
        return DocumentRead(text=text, directive=directive)
    drafts, problems = read_scores(name, data, today, limits)
    return DocumentRead(text=text, drafts=drafts, problems=problems)


def read_scores(
    name: str, data: bytes, today: date, limits: ReadLimits
) -> tuple[list[SnapshotDraft] | None, list[Problem] | None]:
    """A score file (.txt/.md/.csv/.xlsx): (drafts, None) or (None, problems)."""
    from ingest.score_files import read_score_file
    from ingest.snapshot_draft import ScoreReadError

    try:
        drafts = read_score_file(
            name,
            data,
            today=today,
            max_rows=limits.max_import_rows,
            max_unpacked=limits.max_unpacked_bytes,
        )
    except ScoreReadError as exc:
        return None, exc.problems
    return drafts, None


def read_score_report(
    text: str, today: date, limits: ReadLimits
) -> tuple[list[SnapshotDraft] | None, list[Problem] | None]:
    """Pasted report text: (drafts, None) or (None, problems)."""
    from ingest.score_text import read_score_text
    from ingest.snapshot_draft import ScoreReadError

    try:
        drafts = read_score_text(text, today=today)
    except ScoreReadError as exc:
        return None, exc.problems
    if len(drafts) > limits.max_import_rows:
        return None, [
            Problem("too_many_rows", {"rows": len(drafts), "max": limits.max_import_rows})
        ]
    return drafts, None


# --- refusals, in the asker's language ----------------------------------------------------------


def refusal_text(exc: ReadRefused, name: str, _: Translator) -> str:
    if exc.code == "too_large":
        return _(
            "“{name}” is larger than {limit} MB, the most I read; nothing was stored.",
            name=name,
            limit=_.number(Decimal(int(exc.limit)) / MB),
        )
    if exc.code == "too_slow":
        return _(
            "Reading “{name}” took longer than {seconds} seconds, so I stopped; nothing was "
            "stored. Please send a shorter file.",
            name=name,
            seconds=int(exc.limit),
        )
    return _("I could not read “{name}” just now; please send it again.", name=name)
