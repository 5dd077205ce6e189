"""Documents are read in worker processes: a slow or large file never holds other chats."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, TypeVar

import pytest

from handlers.reading import ReadingPool, ReadLimits, ReadRefused, read_document
from tests.test_e2e_directives import directive_docx
from tests.test_e2e_telegram import ADMIN, DEPT_GROUP, STAFF, Bot, bot, store_november

__all__ = ["bot"]
T = TypeVar("T")


def gated(gate: str, fn: Any, *args: Any) -> Any:
    """In the worker: waits until the test opens the gate (the file exists), then reads."""
    path = Path(gate)
    for _ in range(6000):
        if path.exists():
            break
        time.sleep(0.005)
    return fn(*args)


def spin(_: int) -> int:
    while True:  # a runaway parse
        pass


def pid(_: int) -> int:
    import os

    return os.getpid()


class GatedPool(ReadingPool):
    """The real pool; each read waits in its worker until the gate file exists."""

    def __init__(self, gate: Path) -> None:
        super().__init__(ReadLimits(timeout=60))
        self.gate = gate

    async def run(self, fn: Any, *args: Any) -> Any:
        return await super().run(gated, str(self.gate), fn, *args)


def big_directive_text() -> bytes:
    head = (
        "ỦY BAN NHÂN DÂN PHƯỜNG HÒA PHONG\nSố: 16/CT-UBND\nCHỈ THỊ\n"
        "Về việc cải thiện Bộ chỉ số phục vụ người dân, doanh nghiệp\n"
        "1. Trung tâm Phục vụ hành chính công\n"
    )
    line = "- Số hóa 100% hồ sơ thủ tục hành chính tiếp nhận; hoàn thành trước ngày 28/11/2025.\n"
    return (head + line * 2000).encode("utf-8")  # ~190 kB of tasks on one admin's upload


async def test_staff_question_is_answered_while_a_large_document_is_read(
    bot: Bot, tmp_path: Path
) -> None:
    await store_november(bot.app)
    gate = tmp_path / "gate"
    pool = GatedPool(gate)
    bot.app.services.reader = pool
    tg = bot.tg
    try:
        document = tg.add_file("big-1", big_directive_text(), "chi-thi-16.txt", "text/plain")
        tg.push_message(chat_id=ADMIN, user_id=ADMIN, document=document)
        await tg.wait_for_call("getFile")  # the admin's document is being fetched and read
        tg.push_message(
            chat_id=DEPT_GROUP,
            chat_type="supergroup",
            chat_title="Trung tâm PVHCC",
            user_id=STAFF,
            text="@chiso_test_bot điểm hiện tại?",
        )
        answer = await tg.wait_for(lambda s: s.chat_id == DEPT_GROUP, timeout=20)
        assert "91,68" in (answer.plain_text or "")
        assert not [s for s in tg.sent if s.chat_id == ADMIN]  # the document is still read
        gate.touch()
        preview = await tg.wait_for(lambda s: s.chat_id == ADMIN, timeout=30)
        assert "16/CT-UBND" in (preview.plain_text or "")
        sent = list(tg.sent)
        assert sent.index(answer) < sent.index(preview)
    finally:
        gate.touch()
        pool.close()


async def test_a_runaway_read_is_stopped_and_its_worker_replaced() -> None:
    started = ReadLimits(timeout=60, workers=1)  # starting a worker (imports) is not timed
    pool = ReadingPool(started)
    try:
        first = await pool.run(pid, 0)
        pool.limits = ReadLimits(timeout=0.5, workers=1)
        with pytest.raises(ReadRefused) as refused:
            await pool.run(spin, 0)
        assert refused.value.code == "too_slow"
        pool.limits = started
        second = await pool.run(pid, 0)
        assert second != first  # a fresh worker: the runaway one was killed
        import os

        with pytest.raises(ProcessLookupError):
            os.kill(first, 0)  # the stopped worker is gone, not left spinning
    finally:
        pool.close()


async def test_too_large_file_is_refused_before_download(bot: Bot) -> None:
    bot.app.services.reader = ReadingPool(ReadLimits(max_file_bytes=10_000))
    tg = bot.tg
    document = tg.add_file(
        "docx-big",
        directive_docx() + b"\0" * 20_000,
        "chi-thi-lon.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    tg.push_message(chat_id=ADMIN, user_id=ADMIN, document=document)
    reply = await tg.wait_for(lambda s: s.chat_id == ADMIN, timeout=10)
    text = reply.plain_text or ""
    assert "lớn hơn 0,01 MB" in text
    assert "chưa lưu gì" in text


def test_jobs_return_plain_data_for_a_worker() -> None:
    import pickle
    from datetime import date

    from store.records import WardRec

    ward = WardRec(1, "X", "", "Asia/Ho_Chi_Minh", {}, ())
    got = read_document(
        "x.txt", b"\x00\x01\x02binary", ward, date(2025, 11, 20), ReadLimits(), True
    )
    assert got.error == "unreadable_file"
    assert pickle.loads(pickle.dumps(got)) == got
