"""Directives in layouts the sample tests never saw (issue #12, "Reading directives the tests
never saw"): a ward's urging letter that quotes the score table, as Word writes it (cells with
" | ") and as a PDF's text gives it (a cell a line, rows of figures); sentence tails cut onto a
line of their own; tasks whose unit is named only before them; "kịp thời" and "thường xuyên";
the JSON of `chiso parse directive`; and generated layouts (property tests)."""

from __future__ import annotations

import json
import re
import textwrap
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.parse import cmd_parse_directive
from handlers.directives import describe, read
from ingest.directive import ParsedDirective, parse_directive, to_json, units_from_ward
from ingest.snapshot_draft import draft_from_dict
from ingest.ward_config import load_ward_config
from locales import translator
from store.records import DepartmentRec, WardRec

ROOT = Path(__file__).resolve().parents[1]
WARD_TOML = ROOT / "examples" / "ward.toml"
UNITS = units_from_ward(load_ward_config(WARD_TOML.read_text(encoding="utf-8")))
PRO = ("TTPVHCC", "VHXH", "VP", "KTHTDT", "VPDU", "TPHT", "TTSNC")

HEADER = """ỦY BAN NHÂN DÂN
PHƯỜNG HÒA PHONG
Số: 245/UBND-VP
V/v đôn đốc nâng cao Bộ chỉ số phục vụ người dân, doanh nghiệp
Hòa Phong, ngày 02 tháng 12 năm 2025
Kính gửi: Các phòng, đơn vị thuộc UBND phường.
"""
FOOT = """Đề nghị các phòng, đơn vị nghiêm túc triển khai thực hiện./.
Nơi nhận:
- Như trên;
- Lưu: VT.
TM. ỦY BAN NHÂN DÂN
CHỦ TỊCH
Trần Văn Minh
"""
HEADING_CELLS = (
    "STT",
    "Tiêu chí",
    "Điểm tối đa",
    "Kết quả thực hiện",
    "Xếp hạng trên 114 xã, phường",
)
SCORE_ROWS = (
    ("1", "Công khai, minh bạch", "18", "18", "38"),
    ("2", "Tiến độ giải quyết", "20", "12,53", "96"),
    ("3", "Dịch vụ công trực tuyến", "12", "8,09", "19"),
    ("4", "Thanh toán trực tuyến", "10", "8,99", "2"),
    ("5", "Mức độ hài lòng", "18", "4,18", "96"),
    ("6", "Số hóa hồ sơ", "22", "18,14", "46"),
    ("", "Tổng điểm", "100", "69,93", "38"),
)
INTRO = (
    "Theo kết quả đánh giá Bộ chỉ số phục vụ người dân, doanh nghiệp tháng 11/2025 (trích\n"
    "xuất ngày 01/12/2025), phường Hòa Phong đạt 69,93 điểm, xếp hạng 38/114 xã,\n"
    "phường; kết quả từng tiêu chí như sau:\n"
)
TASKS = """Chủ tịch UBND phường đôn đốc các phòng, đơn vị tập trung thực hiện các nội dung
sau:
1. Trung tâm Phục vụ hành chính công phường
- Rà soát toàn bộ hồ sơ trễ hạn trong tháng 11/2025, làm rõ nguyên nhân, báo cáo
Chủ tịch UBND phường trước ngày 10/12/2025.
- Kịp thời nhắc nhở cán bộ, công chức tiếp nhận hồ sơ đúng quy trình.
2. Phòng Văn hóa - Xã hội
- Tuyên truyền, hướng dẫn người dân nộp hồ sơ và thanh toán trực tuyến thường xuyên.
- Giao VH-XH phối hợp Công an phường hướng dẫn người dân kích hoạt tài khoản định
danh điện tử mức 2.
3. Nhiệm vụ chung
- Phòng Văn hóa - Xã hội chủ trì tuyên truyền dịch vụ công trực tuyến, phối hợp với Trung tâm
PVHCC.
- Cập nhật kết quả số hóa hồ sơ trên Hệ thống thông tin giải quyết thủ tục hành chính.
"""


def piped_table() -> str:
    rows = [" | ".join(HEADING_CELLS)] + [" | ".join(r) for r in SCORE_ROWS]
    return "\n".join(rows) + "\n"


def pdf_table() -> str:
    """What a PDF's text layer gives for the same table: the heading cells broken over lines
    ("STT Tiêu chí" on one), each row's cells run together with spaces."""
    lines = ["STT Tiêu chí", "Điểm tối đa", "Kết quả thực hiện", "Xếp hạng trên 114 xã, phường"]
    lines += [" ".join(c for c in r if c) for r in SCORE_ROWS]
    return "\n".join(lines) + "\n"


def letter(table: str, *, table_in_body: bool) -> str:
    if table_in_body:  # the table quoted under the first item of the body
        body = TASKS.replace(
            "1. Trung tâm Phục vụ hành chính công phường\n",
            "1. Trung tâm Phục vụ hành chính công phường\n" + INTRO + table,
        )
        return HEADER + body + FOOT
    return HEADER + INTRO + table + TASKS + FOOT


def parse(text: str) -> ParsedDirective:
    return parse_directive(text, units=UNITS, reference=date(2025, 12, 2))


def leads(p: ParsedDirective) -> list[tuple[str, ...]]:
    return [tuple(a.department for a in t.lead) for t in p.tasks]


NOT_TASKS = (
    *HEADING_CELLS,
    "STT Tiêu chí",
    "PVHCC.",
    *(r[1] for r in SCORE_ROWS),
)


def assert_no_table_or_fragment_tasks(p: ParsedDirective) -> None:
    for task in p.tasks:
        text = task.text
        assert not any(text.startswith(cell) for cell in NOT_TASKS), text
        assert not re.search(r"\d+ \d+(?:,\d+)? \d+$", text), text  # a row of figures
        assert len(text.split()) >= 4, text


@pytest.mark.parametrize("table", [piped_table(), pdf_table()], ids=["word", "pdf"])
@pytest.mark.parametrize("in_body", [False, True], ids=["preamble", "body"])
def test_the_urging_letter_that_quotes_the_score_table(table: str, in_body: bool) -> None:
    p = parse(letter(table, table_in_body=in_body))
    assert_no_table_or_fragment_tasks(p)
    assert [t.text.split(",")[0].split(" ")[0] for t in p.tasks] == [
        "Rà",
        "Kịp",
        "Tuyên",
        "Giao",
        "Phòng",
        "Cập",
    ]
    assert leads(p) == [
        ("TTPVHCC",),
        ("TTPVHCC",),
        ("VHXH",),
        ("VHXH",),
        ("VHXH",),
        ("VHXH",),  # no unit named: the one named in the sentence before it
    ]
    # the table's figures are offered as a snapshot
    assert p.snapshot is not None
    (month,) = [d for d in p.snapshot if d.period_kind == "month"]
    assert (str(month.total), month.rank, month.rank_of) == ("69.93", 38, 114)
    tien_do = month.groups["tien_do"]
    assert (str(tien_do.score), str(tien_do.max_score), tien_do.rank) == ("12.53", "20", 96)
    assert str(month.groups["so_hoa"].score) == "18.14"


def test_a_sentence_tail_on_a_line_of_its_own_is_joined() -> None:
    p = parse(letter(piped_table(), table_in_body=False))
    (task,) = [t for t in p.tasks if t.text.startswith("Phòng Văn hóa")]
    assert task.text.endswith("phối hợp với Trung tâm PVHCC.")
    assert [a.department for a in task.support] == ["TTPVHCC"]
    assert all(t.text != "PVHCC." for t in p.tasks)


def test_a_short_tail_after_a_full_stop_is_not_a_task_either() -> None:
    text = (
        HEADER
        + (
            "Chủ tịch UBND phường yêu cầu các phòng, đơn vị thực hiện các nội dung sau:\n"
            "1. Trung tâm Phục vụ hành chính công phường\n"
            "- Rà soát hồ sơ trễ hạn, báo cáo trước ngày 10/12/2025; phối hợp Văn phòng\n"
            "HĐND-UBND.\n"
            "- Niêm yết đầy đủ quy trình, biểu mẫu thủ tục hành chính tại Bộ phận một cửa.\n"
            "đúng hạn.\n"
        )
        + FOOT
    )
    p = parse(text)
    assert [t.source_line for t in p.tasks] == [9, 11]
    assert p.tasks[0].text.endswith("phối hợp Văn phòng HĐND-UBND.")
    assert p.tasks[1].text.endswith("Bộ phận một cửa. đúng hạn.")


def test_kip_thoi_and_thuong_xuyen_are_ongoing_not_deadlines() -> None:
    p = parse(letter(piped_table(), table_in_body=False))
    for start in ("Kịp thời", "Tuyên truyền"):
        (task,) = [t for t in p.tasks if t.text.startswith(start)]
        assert (task.deadline, task.recurrence, task.deadline_kind) == (None, None, "ongoing")
    dated = next(t for t in p.tasks if t.text.startswith("Rà soát"))
    assert dated.deadline == date(2025, 12, 10)


@pytest.mark.parametrize(
    "sentence",
    [
        "Giao VH-XH phối hợp Công an phường hướng dẫn người dân kích hoạt tài khoản.",
        "Giao Phòng Văn hóa - Xã hội phối hợp với Công an phường tuyên truyền.",
        "Đề nghị VH-XH phối hợp Công an phường hướng dẫn người dân.",
        "Giao VH-XH chủ trì, phối hợp Công an phường hướng dẫn người dân.",
    ],
)
def test_giao_x_phoi_hop_y_keeps_y_as_support(sentence: str) -> None:
    text = HEADER + "Chủ tịch UBND phường yêu cầu:\n1. Nhiệm vụ\n- " + sentence + "\n" + FOOT
    (task,) = parse(text).tasks
    assert [a.department for a in task.lead] == ["VHXH"]
    assert [a.department for a in task.support] == ["CA"]


def test_a_task_takes_its_sections_unit() -> None:
    text = (
        HEADER
        + (
            "Chủ tịch UBND phường yêu cầu các phòng, đơn vị thực hiện các nội dung sau:\n"
            "1. Văn phòng HĐND và UBND phường\n"
            "- Theo dõi, đôn đốc việc giải quyết hồ sơ đúng hạn của các phòng chuyên môn.\n"
            "- Trình Chủ tịch UBND phường ký số văn bản điện tử trong ngày.\n"
        )
        + FOOT
    )
    assert leads(parse(text)) == [("VP",), ("VP",)]


def ward() -> WardRec:
    cfg = load_ward_config(WARD_TOML.read_text(encoding="utf-8"))
    departments = tuple(
        DepartmentRec(d.code, d.name, tuple(d.aliases), d.professional) for d in cfg.departments
    )
    return WardRec(1, cfg.name, cfg.province, "Asia/Ho_Chi_Minh", {}, departments)


def test_a_task_with_no_unit_at_all_is_marked_unclear_in_the_preview() -> None:
    text = (
        "ỦY BAN NHÂN DÂN\nPHƯỜNG HÒA PHONG\nTHÔNG BÁO\nVề việc cải thiện Bộ chỉ số\n"
        "1. Nhiệm vụ trọng tâm\n"
        "- Rà soát toàn bộ hồ sơ trễ hạn trong tháng, hoàn thành trước ngày 10/12/2025.\n"
        "- Trung tâm Phục vụ hành chính công phường niêm yết đầy đủ thủ tục hành chính.\n"
    )
    p = parse(text)
    assert leads(p) == [(), ("TTPVHCC",)]
    data = to_json(p, with_codes=True)
    assert data["tasks"][0]["department"] is None
    preview = "\n".join(describe(read(ward(), text, date(2025, 12, 2)), ward(), translator("vi")))
    assert "Chưa rõ đơn vị: giao cho đơn vị nào? (/sua SỐ MÃ)" in preview
    unclear = preview.split("Chưa rõ đơn vị")[1].split("**", 2)[1]
    assert "Rà soát toàn bộ hồ sơ trễ hạn" in unclear


# --- chiso parse directive --json ------------------------------------------------------------


def test_parse_json_gives_snapshot_groups_as_objects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "don-doc.txt"
    path.write_text(letter(pdf_table(), table_in_body=True), encoding="utf-8")
    assert cmd_parse_directive(path, WARD_TOML, True) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data["snapshot"], list)
    (month,) = [d for d in data["snapshot"] if d["period_kind"] == "month"]
    assert month["total"] == 69.93 and (month["rank"], month["rank_of"]) == (38, 114)
    assert month["groups"]["tien_do"] == {"score": 12.53, "max": 20, "rank": 96, "stated": True}
    assert month["groups"]["cong_khai"] == {"score": 18, "max": 18, "rank": 38, "stated": True}
    # the chat keeps this form in its pending question and reads it back exactly
    draft = draft_from_dict(month)
    assert str(draft.total) == "69.93" and str(draft.groups["tien_do"].score) == "12.53"
    assert [t["department"] for t in data["tasks"]][:2] == ["TTPVHCC", "TTPVHCC"]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("rong.txt", b"", "không có nội dung chữ"),
        ("trang.txt", b"  \n\n \t\n", "không có nội dung chữ"),
        ("nhi-phan.txt", bytes(range(256)) * 8, "có thể tệp bị hỏng"),
        ("anh.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "gửi văn bản dạng .docx, .pdf"),
    ],
)
def test_parse_refuses_an_empty_or_binary_file_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert cmd_parse_directive(path, None, True) != 0
    got = capsys.readouterr()
    assert got.out == ""
    assert reason in got.err and name in got.err


def test_parse_says_in_vietnamese_when_the_file_is_missing_or_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cmd_parse_directive(tmp_path / "khong-co.txt", None, True) != 0
    assert "Không có tệp" in capsys.readouterr().err
    assert cmd_parse_directive(tmp_path, None, True) != 0
    err = capsys.readouterr().err
    assert "là một thư mục" in err and "Errno" not in err


# --- generated layouts -----------------------------------------------------------------------

UNIT_HEADINGS = (
    ("Trung tâm Phục vụ hành chính công phường", "TTPVHCC"),
    ("Phòng Văn hóa - Xã hội", "VHXH"),
    ("Văn phòng HĐND và UBND phường", "VP"),
    ("Phòng Kinh tế, Hạ tầng và Đô thị", "KTHTDT"),
)
VERBS = (
    "Rà soát",
    "Tuyên truyền",
    "Hướng dẫn",
    "Tổng hợp",
    "Niêm yết",
    "Cập nhật",
    "Đôn đốc",
    "Kiểm tra",
)
OBJECTS = (
    "hồ sơ thủ tục hành chính trễ hạn trên Hệ thống thông tin giải quyết thủ tục hành chính",
    "người dân nộp hồ sơ trực tuyến và thanh toán trực tuyến tại Bộ phận một cửa",
    "kết quả số hóa hồ sơ, kết quả giải quyết thủ tục hành chính của phường",
    "quy trình nội bộ, biểu mẫu, phí và lệ phí thủ tục hành chính thuộc lĩnh vực phụ trách",
    "tình hình tiếp nhận, giải quyết hồ sơ và mức độ hài lòng của người dân, doanh nghiệp",
)
TAILS = (
    "phối hợp với Trung tâm PVHCC.",
    "báo cáo Chủ tịch UBND phường trước ngày 15/12/2025.",
    "thực hiện thường xuyên.",
    "bảo đảm kịp thời, đầy đủ.",
)
MARKERS = ("-", "+", "a)", "1.")
FIGURE_HEADINGS = (
    ("STT", "Tiêu chí", "Điểm tối đa", "Kết quả thực hiện", "Xếp hạng trên 114 xã, phường"),
    ("TT", "Nhóm chỉ tiêu", "Điểm", "Tỷ lệ (%)"),
    ("STT", "Nội dung", "Số hồ sơ tiếp nhận", "Số hồ sơ đúng hạn", "Tỷ lệ"),
)


@st.composite
def figure_tables(draw: st.DrawFn) -> tuple[str, list[str]]:
    heading = draw(st.sampled_from(FIGURE_HEADINGS))
    with_header = draw(st.booleans())
    piped = draw(st.booleans())
    n = draw(st.integers(min_value=2, max_value=6))
    rows = []
    for i in range(n):
        figures = draw(
            st.lists(
                st.decimals(min_value=0, max_value=99, places=2).map(
                    lambda d: f"{d}".replace(".", ",")
                ),
                min_size=len(heading) - 2,
                max_size=len(heading) - 2,
            )
        )
        rows.append([str(i + 1), SCORE_ROWS[i % 6][1], *figures])
    lines: list[str] = []
    if with_header:
        if piped:
            lines.append(" | ".join(heading))
        else:  # a PDF: the heading cells on lines of their own, the first two together
            lines += [f"{heading[0]} {heading[1]}", *heading[2:]]
    sep = " | " if piped else " "
    lines += [sep.join(r) for r in rows]
    return "\n".join(lines), [*heading, f"{heading[0]} {heading[1]}"]


@st.composite
def layouts(draw: st.DrawFn) -> tuple[str, list[str], list[str]]:
    """A directive: sections per unit (or none), tasks hard-wrapped at 60 columns, a table of
    figures somewhere; returns (text, the tasks' first words, the table's heading cells)."""
    marker = draw(st.sampled_from(MARKERS))
    table, cells = draw(figure_tables())
    where = draw(st.sampled_from(("preamble", "section", "end")))
    sections = draw(st.lists(st.sampled_from(UNIT_HEADINGS), min_size=1, max_size=3, unique=True))
    parts = [
        HEADER.rstrip("\n"),
        "Phường đạt 69,93 điểm, kết quả cụ thể như sau:",
    ]
    if where == "preamble":
        parts.append(table)
    parts.append("Chủ tịch UBND phường yêu cầu các phòng, đơn vị thực hiện các nội dung sau:")
    starts: list[str] = []
    for s, (heading, _code) in enumerate(sections, start=1):
        parts.append(f"{'IVX'[s - 1] if marker == '1.' else s}. {heading}")
        if where == "section" and s == 1:
            parts += ["Kết quả của đơn vị như sau:", table]
        for t in range(draw(st.integers(min_value=1, max_value=3))):
            verb = draw(st.sampled_from(VERBS))
            sentence = f"{verb} {draw(st.sampled_from(OBJECTS))}; {draw(st.sampled_from(TAILS))}"
            starts.append(verb)
            mark = marker if marker != "1." else f"{t + 1}."
            mark = mark if marker != "a)" else f"{'abc'[t]})"
            wrapped = textwrap.wrap(f"{mark} {sentence}", width=60)
            parts += wrapped
    if where == "end":
        parts += ["Kết quả từng tiêu chí:", table]
    parts.append(FOOT.rstrip("\n"))
    return "\n".join(parts) + "\n", starts, cells


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts())
def test_generated_layouts_never_make_tasks_of_heading_cells_or_fragments(
    layout: tuple[str, list[str], list[str]],
) -> None:
    text, starts, cells = layout
    p = parse(text)
    texts = [t.text for t in p.tasks]
    assert [t.split(" ")[0] for t in texts] == [s.split(" ")[0] for s in starts], texts
    for task in p.tasks:
        assert task.text not in cells
        assert not any(task.text.startswith(c + " ") for c in cells if len(c.split()) > 1)
        assert task.text.endswith("."), task.text  # every fragment went back to its sentence
        assert task.lead, task.text
