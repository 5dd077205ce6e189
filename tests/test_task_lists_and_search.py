"""A task given to many departments, editing a directive's preview with buttons, and questions
about tasks asked in words (issue #12).

Driven through the router as a chat would (a private Telegram chat; "1", "2" typed as on Zalo),
on the example ward with a fixed clock (Thursday 20/11/2025).
"""

from __future__ import annotations

from sqlalchemy import select

from bot.app import App
from bot.render import to_plain
from handlers.protocol import Inbound, InboundFile, Reply
from store import models as m

ADMIN = "700000003"  # Phạm Quốc Bảo, admin, VP
CHAIRMAN = "700000001"  # Trần Văn Minh
VICE = "700000002"  # Lê Thị Hoa
STAFF = "700000004"  # Nguyễn Thị Lan, TTPVHCC
DIGITAL = "700000005"  # Võ Minh Tuấn, VHXH

DIRECTIVE = """ỦY BAN NHÂN DÂN PHƯỜNG HÒA PHONG
Số: 20/CT-UBND
Hòa Phong, ngày 10 tháng 11 năm 2025
CHỈ THỊ
Về việc tăng cường cải thiện Bộ chỉ số phục vụ người dân, doanh nghiệp
Chủ tịch Ủy ban nhân dân phường yêu cầu các phòng, đơn vị thực hiện tốt các nội dung sau:
1. Các phòng chuyên môn
- Rà soát, cập nhật quy trình nội bộ giải quyết thủ tục hành chính; hoàn thành trước ngày \
15/11/2025.
2. Trung tâm Phục vụ hành chính công
- Số hóa 100% hồ sơ thủ tục hành chính tiếp nhận trong tháng; hoàn thành trước ngày 28/11/2025.
- Tích hợp thanh toán trực tuyến trên Cổng dịch vụ công; hoàn thành trước ngày 05/12/2025.
3. Phòng Văn hóa - Xã hội
- Tuyên truyền thanh toán trực tuyến trên nhóm Zalo các tổ dân phố; hoàn thành trong tháng \
12/2025.
Nơi nhận:
- Như trên;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Trần Văn Minh
"""
SHARED = "Rà soát, cập nhật quy trình nội bộ"


def say(user: str, text: str) -> Inbound:
    return Inbound(channel="telegram", chat_id=user, chat_kind="private", user_id=user, text=text)


def press(user: str, data: str) -> Inbound:
    return Inbound(
        channel="telegram",
        chat_id=user,
        chat_kind="private",
        user_id=user,
        event="button",
        button_data=data,
    )


async def reply(app: App, inbound: Inbound) -> Reply:
    replies = await app.router.handle(inbound)
    assert len(replies) == 1, replies
    return replies[0]


async def ask(app: App, user: str, text: str) -> str:
    return to_plain((await reply(app, say(user, text))).text)


def button(answer: Reply, label: str) -> str:
    found = [b.data for row in answer.buttons for b in row if b.label == label]
    assert found, (label, [b.label for row in answer.buttons for b in row])
    return found[0]


def labels(answer: Reply) -> list[str]:
    return [b.label for row in answer.buttons for b in row]


async def load(app: App) -> None:
    preview = await reply(app, say(ADMIN, DIRECTIVE))
    stored = await reply(app, press(ADMIN, button(preview, "✅ Xác nhận")))
    assert "Đã lưu: 10 việc" in stored.text  # the shared task is one task per department


async def close(app: App, user: str, number: int) -> None:
    assert "đã hoàn thành" in await ask(app, user, f"/xong {number} biên bản rà soát")


async def part(app: App, department: str) -> int:
    """The number of a department's part of the shared task."""
    tasks = await app.services.tasks.open_tasks(1, [department], include_done=True)
    return next(t.number for t in tasks if t.text.startswith(SHARED))


# -- a task given to many departments ---------------------------------------------------------


async def test_overdue_shared_task_is_one_line_with_its_departments_progress(app: App) -> None:
    await load(app)
    for department in ("TTPVHCC", "VP", "KTHTDT"):  # closed by the admin
        await close(app, ADMIN, await part(app, department))

    text = await ask(app, CHAIRMAN, "/quahan")
    assert text.count(SHARED) == 1, text
    assert "#1–#7" in text
    pending = text.split("3/7 phòng đã xong; chưa: ")[1].split("\n")[0]
    assert sorted(pending.split(", ")) == ["TPHT", "TTSNC", "VHXH", "VPDU"]

    words = await ask(app, VICE, "việc quá hạn")
    assert words.count(SHARED) == 1 and "3/7 phòng đã xong" in words

    week = await ask(app, CHAIRMAN, "/tuannay")
    assert week.count(SHARED) == 1 and "3/7 phòng đã xong" in week

    # a department sees its own part: one task, its own number, no other department's
    staff = await ask(app, DIGITAL, "việc quá hạn")
    assert staff.count(SHARED) == 1 and f"#{await part(app, 'VHXH')}" in staff
    assert "phòng đã xong" not in staff and "#1–#7" not in staff


async def test_admin_lists_a_shared_task_once_and_closing_buttons_stay_single(app: App) -> None:
    await load(app)
    answer = await reply(app, say(ADMIN, "việc phòng TTPVHCC"))
    text = to_plain(answer.text)
    assert "Trung tâm Phục vụ hành chính công: 3 việc đang mở" in text  # its own part
    assert f"**#{await part(app, 'TTPVHCC')}**" in answer.text and "phòng đã xong" not in text

    # an admin of the whole ward (no department) sees the shared task once
    async with app.repo.sessions.begin() as s:
        person = await s.scalar(select(m.Person).where(m.Person.telegram_id == ADMIN))
        assert person is not None
        person.departments = []
    app.repo.invalidate()
    answer = await reply(app, say(ADMIN, "/viec"))
    text = to_plain(answer.text)
    assert "Phường Hòa Phong: 4 việc đang mở" in text
    assert text.count(SHARED) == 1 and "0/7 phòng đã xong" in text
    assert not {f"✅ Xong #{n}" for n in range(1, 8)} & set(labels(answer))  # shared: no Done
    assert "✅ Xong #8" in labels(answer)


async def test_chairman_my_tasks_is_the_overview_by_department(app: App) -> None:
    await load(app)
    await close(app, STAFF, await part(app, "TTPVHCC"))
    for user in (CHAIRMAN, VICE):
        text = await ask(app, user, "việc của tôi")
        assert "Tình hình thực hiện nhiệm vụ theo đơn vị chủ trì" in text, text
        assert "Trung tâm Phục vụ hành chính công:" in text
        assert "Việc giao nhiều phòng:" in text
        assert text.count(SHARED) == 1 and "1/7 phòng đã xong" in text
        assert len(text) < 2000
    overview = await ask(app, CHAIRMAN, "/tinhhinh")
    assert overview.count(SHARED) == 1


# -- editing the preview on a phone ------------------------------------------------------------


async def test_preview_has_fix_and_drop_buttons_and_numbers_do_not_shift(app: App) -> None:
    preview = await reply(app, say(ADMIN, DIRECTIVE))
    names = labels(preview)
    assert names[:2] == ["✅ Xác nhận", "✖ Hủy bỏ"]  # "1" still confirms on Zalo
    assert "✏ Sửa 1" in names and "🗑 Bỏ 4" in names

    dropped = await reply(app, press(ADMIN, button(preview, "🗑 Bỏ 2")))
    text = to_plain(dropped.text)
    assert "Đã bỏ việc số 2." in text
    assert "2. (đã bỏ) Số hóa 100%" in text
    assert "3. Tích hợp thanh toán trực tuyến" in text  # not renumbered
    assert "4. Tuyên truyền" in text
    assert "🗑 Bỏ 2" not in labels(dropped) and "🗑 Bỏ 3" in labels(dropped)

    again = await ask(app, ADMIN, "/bo 2")
    assert "Việc số 2 đã bị bỏ" in again

    # Fix 4, typed as numbers the way Zalo shows the buttons
    choices = labels(dropped)
    typed = str(choices.index("✏ Sửa 4") + 1)
    fix = await reply(app, say(ADMIN, typed))
    assert "Sửa việc số 4: Tuyên truyền" in fix.text
    assert labels(fix)[-1] == "↩ Quay lại bản xem trước"
    vp = str(labels(fix).index("VP") + 1)
    moved = await reply(app, say(ADMIN, vp))
    assert "Việc số 4 nay giao cho Văn phòng HĐND và UBND" in moved.text

    # Fix 3 and type a deadline
    fix = await reply(app, press(ADMIN, button(moved, "✏ Sửa 3")))
    changed = await ask(app, ADMIN, "20/12/2025")
    assert "Việc số 3: đã đổi hạn" in changed and "20/12/2025" in changed

    # Fix 1, then back: nothing changed
    fix = await reply(
        app, press(ADMIN, button(await reply(app, say(ADMIN, "/trang 1")), "✏ Sửa 1"))
    )
    back = await reply(app, press(ADMIN, button(fix, "↩ Quay lại bản xem trước")))
    assert "2. (đã bỏ)" in back.text

    stored = await reply(app, say(ADMIN, "1"))
    assert "Đã lưu: 9 việc" in stored.text  # 7 parts + #3 + #4; #2 dropped
    numbers = await app.services.tasks.open_tasks(1)
    texts = {t.text[:10]: t for t in numbers}
    assert "Số hóa 10" not in texts
    assert texts["Tuyên truy"].departments == ("VP",)
    tich_hop = texts["Tích hợp t"]
    assert tich_hop.deadline is not None and tich_hop.deadline.isoformat() == "2025-12-20"


async def test_fix_answer_that_is_neither_changes_nothing(app: App) -> None:
    preview = await reply(app, say(ADMIN, DIRECTIVE))
    await reply(app, press(ADMIN, button(preview, "✏ Sửa 2")))
    wrong = await ask(app, ADMIN, "phòng không tồn tại")
    assert "không phải mã phòng" in wrong or "không có gì thay đổi" in wrong, wrong
    # the question is still open: a right answer works
    moved = await ask(app, ADMIN, "VHXH")
    assert "Việc số 2 nay giao cho Phòng Văn hóa - Xã hội" in moved


# -- questions about tasks ----------------------------------------------------------------------


async def test_deadline_and_owner_questions_are_answered_from_task_texts(app: App) -> None:
    await load(app)
    when = await ask(app, STAFF, "hạn tích hợp thanh toán trực tuyến là khi nào")
    assert "Tích hợp thanh toán trực tuyến" in when and "05/12/2025" in when
    assert "Tuyên truyền" not in when.split("\n")[2]  # the best match first

    who = await ask(app, STAFF, "việc số hóa hồ sơ giao cho ai")
    assert "Số hóa 100% hồ sơ" in who and "Trung tâm Phục vụ hành chính công" in who

    shared = await ask(app, CHAIRMAN, "việc rà soát quy trình nội bộ giao cho ai")
    assert shared.count(SHARED) == 1 and "0/7 phòng đã xong" in shared
    own = await ask(app, DIGITAL, "hạn rà soát quy trình nội bộ là khi nào")
    assert own.count(SHARED) == 1 and f"#{await part(app, 'VHXH')}" in own
    assert "15/11/2025" in own

    nothing = await ask(app, STAFF, "hạn lắp đặt camera an ninh là khi nào")
    assert "Không tìm thấy việc nào về “lap dat camera an ninh”" in nothing


async def test_my_department_and_an_unknown_department(app: App) -> None:
    await load(app)
    mine = await ask(app, DIGITAL, "phòng mình còn việc gì")
    assert "Phòng Văn hóa - Xã hội: 2 việc đang mở" in mine
    assert "Tuyên truyền" in mine and "Số hóa" not in mine

    unknown = await ask(app, STAFF, "việc phòng ABC")
    assert "Phường không có phòng “ABC”" in unknown
    assert "TTPVHCC — Trung tâm Phục vụ hành chính công" in unknown and "CA — Công an" in unknown


async def test_formal_score_question_gets_the_score_answer(app: App) -> None:
    text = await ask(
        app,
        STAFF,
        "Chỉ số phục vụ người dân, doanh nghiệp của phường mình hiện được bao nhiêu điểm ạ?",
    )
    assert "chưa có số liệu" in text.lower() or "điểm" in text.lower(), text
    assert "chưa hiểu" not in text.lower()


async def test_reopen_clears_the_evidence_and_the_history_keeps_it(app: App) -> None:
    await load(app)
    await close(app, STAFF, 8)
    done = await app.services.tasks.task(1, 8)
    assert done is not None and done.evidence_text == "biên bản rà soát"
    assert "mở lại" in await ask(app, ADMIN, "/molai 8")
    task = await app.services.tasks.task(1, 8)
    assert task is not None and task.status == "open"
    assert task.evidence_text is None and task.evidence_file is None and task.closed_by is None
    async with app.repo.sessions() as s:
        row = await s.scalar(select(m.Task).where(m.Task.number == 8))
        assert row is not None and row.evidence_ref is None
        events = list(await s.scalars(select(m.TaskEvent).where(m.TaskEvent.task_id == row.id)))
    kinds = {e.kind: e.detail for e in events}
    assert kinds["closed"]["text"] == "biên bản rà soát"
    assert kinds["reopened"]["evidence"] == "biên bản rà soát"
    assert kinds["reopened"]["closed_by"] == "Nguyễn Thị Lan"


async def test_a_text_file_with_no_tasks_and_no_figures_says_both(app: App) -> None:
    data = ("Chiều nay họp giao ban lúc 14 giờ tại phòng họp số 2. " * 3).encode("utf-8")

    async def fetch() -> bytes:
        return data

    file = InboundFile("thong-bao.txt", len(data), "text/plain", fetch, "f1")
    message = Inbound(
        channel="telegram", chat_id=ADMIN, chat_kind="private", user_id=ADMIN, file=file
    )
    text = (await reply(app, message)).text
    assert text == (
        "Không tìm thấy việc nào và cũng không có số liệu điểm nào trong “thong-bao.txt”; "
        "chưa lưu gì."
    )
    staff = Inbound(
        channel="telegram", chat_id=STAFF, chat_kind="private", user_id=STAFF, file=file
    )
    assert (await reply(app, staff)).text == "Chỉ quản trị viên mới nạp được văn bản chỉ đạo."
    pasted = await reply(app, say(STAFF, DIRECTIVE))
    assert pasted.text == "Chỉ quản trị viên mới nạp được văn bản chỉ đạo."
