"""Vietnamese deadline and rhythm phrases -> Deadline (ingest.deadlines)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.deadlines import KINDS, Deadline, parse_deadline

REF = date(2025, 11, 15)


def dl(text: str, reference: date | None = REF) -> Deadline | None:
    return parse_deadline(text, reference=reference)


@pytest.mark.parametrize(
    ("text", "when", "phrase"),
    [
        ("trước ngày 30/11/2025", date(2025, 11, 30), "trước ngày 30/11/2025"),
        (
            "Rà soát hồ sơ; hoàn thành trước ngày 08/11/2025.",
            date(2025, 11, 8),
            "hoàn thành trước ngày 08/11/2025",
        ),
        ("chậm nhất ngày 15/12/2025", date(2025, 12, 15), "chậm nhất ngày 15/12/2025"),
        (
            "bảo đảm hoàn thành chậm nhất đến ngày 01 tháng 7 năm 2028 theo yêu cầu",
            date(2028, 7, 1),
            "hoàn thành chậm nhất đến ngày 01 tháng 7 năm 2028",
        ),
        ("ngày 08 tháng 11 năm 2025", date(2025, 11, 8), "ngày 08 tháng 11 năm 2025"),
        ("trước 20/12", date(2025, 12, 20), "trước 20/12"),
        ("xong trước 31/12/2025", date(2025, 12, 31), "xong trước 31/12/2025"),
        ("Thời hạn: 30/11/2025", date(2025, 11, 30), "Thời hạn: 30/11/2025"),
        ("30/11/2025", date(2025, 11, 30), "30/11/2025"),
        ("trước 17 giờ ngày 28/11/2025", date(2025, 11, 28), "trước 17 giờ ngày 28/11/2025"),
        (
            "thực hiện từ ngày 01/12 đến ngày 31/12/2025",
            date(2025, 12, 31),
            "đến ngày 31/12/2025",
        ),
        ("Hạn hoàn thành: 05-12-2025", date(2025, 12, 5), "Hạn hoàn thành: 05-12-2025"),
    ],
)
def test_dates(text: str, when: date, phrase: str) -> None:
    got = dl(text)
    assert got == Deadline(when, None, "date", phrase)
    assert got.text in text


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("hoàn thành trong tháng 12/2025", date(2025, 12, 31)),
        ("trong quý IV/2025", date(2025, 12, 31)),
        ("quý I năm 2026", date(2026, 3, 31)),
        ("Quí IV-2025", date(2025, 12, 31)),
        ("Quý 2/2026", date(2026, 6, 30)),
        ("cuối năm 2025", date(2025, 12, 31)),
        ("6 tháng cuối năm 2025", date(2025, 12, 31)),
        ("6 tháng đầu năm", date(2025, 6, 30)),
        ("trong năm 2026", date(2026, 12, 31)),
        ("cung cấp dịch vụ công ngay trong năm 2022; ưu tiên", date(2022, 12, 31)),
        ("tháng 12 năm 2025", date(2025, 12, 31)),
        ("Thời gian thực hiện: Hoàn thành trong năm 2025.", date(2025, 12, 31)),
        ("hoàn thành trong tháng 02", date(2025, 2, 28)),
    ],
)
def test_periods(text: str, when: date) -> None:
    got = dl(text)
    assert got is not None
    assert (got.date, got.kind, got.recurrence) == (when, "period_end", None)
    assert got.text in text


@pytest.mark.parametrize(
    ("text", "recurrence", "phrase"),
    [
        (
            "Báo cáo Chủ tịch UBND phường vào thứ Hai hằng tuần.",
            "weekly:MON",
            "vào thứ Hai hằng tuần",
        ),
        ("báo cáo vào thứ Ba hàng tuần", "weekly:TUE", "vào thứ Ba hàng tuần"),
        ("trước 16 giờ thứ Sáu hằng tuần", "weekly:FRI", "thứ Sáu hằng tuần"),
        ("họp vào Chủ nhật hằng tuần", "weekly:SUN", "vào Chủ nhật hằng tuần"),
        ("hằng tuần vào thứ Năm", "weekly:THU", "hằng tuần vào thứ Năm"),
        ("báo cáo hàng tuần", "weekly", "hàng tuần"),
        ("định kỳ hằng tháng", "monthly", "định kỳ hằng tháng"),
        ("gửi trước ngày 15 hằng tháng", "monthly:15", "trước ngày 15 hằng tháng"),
        ("báo cáo hằng tháng (trước ngày 25)", "monthly:25", "hằng tháng (trước ngày 25"),
        # "on the 20th" is not "by the 20th"
        ("Báo cáo vào ngày 20 hằng tháng", "monthly:on-20", "vào ngày 20 hằng tháng"),
        ("báo cáo ngày 20 hằng tháng", "monthly:on-20", "ngày 20 hằng tháng"),
        ("họp giao ban ngày 05 mỗi tháng", "monthly:on-5", "ngày 05 mỗi tháng"),
        ("báo cáo hằng tháng vào ngày 20", "monthly:on-20", "hằng tháng vào ngày 20"),
        ("định kỳ vào ngày 20 hằng tháng", "monthly:on-20", "định kỳ vào ngày 20 hằng tháng"),
        ("chậm nhất ngày 15 hằng tháng", "monthly:15", "chậm nhất ngày 15 hằng tháng"),
        ("chậm nhất vào ngày 10 hằng tháng", "monthly:10", "chậm nhất vào ngày 10 hằng tháng"),
        ("gửi báo cáo, hạn ngày 15 hằng tháng", "monthly:15", "hạn ngày 15 hằng tháng"),
        ("hằng tháng, hạn ngày 15", "monthly:15", "hằng tháng, hạn ngày 15"),
        ("trước 17 giờ ngày 15 hằng tháng", "monthly:15", "trước 17 giờ ngày 15 hằng tháng"),
        ("Định kỳ hằng quý tổng hợp, báo cáo", "quarterly", "Định kỳ hằng quý"),
        ("Hằng năm", "yearly", "Hằng năm"),
        ("Thường xuyên, hằng năm", "yearly", "hằng năm"),
        ("cập nhật hằng ngày", "daily", "hằng ngày"),
        ("Phối hợp thực hiện báo cáo định kỳ, thống kê số liệu", "periodic", "định kỳ"),
        ("định kỳ 6 tháng", "half_yearly", "định kỳ 6 tháng"),
        (
            "định kỳ trước ngày 01/6 và 15/11 hằng năm (hoặc đột xuất) báo cáo",
            "yearly:06-01,11-15",
            "định kỳ trước ngày 01/6 và 15/11 hằng năm",
        ),
    ],
)
def test_rhythms(text: str, recurrence: str, phrase: str) -> None:
    assert dl(text) == Deadline(None, recurrence, "recurring", phrase)


def test_same_day_and_ongoing() -> None:
    assert dl("cán bộ phải xử lý ngay trong ngày;") == Deadline(
        None, "daily", "same_day", "ngay trong ngày"
    )
    assert dl("giải quyết trong ngày") == Deadline(None, "daily", "same_day", "trong ngày")
    for word in ("thường xuyên", "kịp thời", "liên tục"):
        assert dl(f"Theo dõi {word} việc cập nhật") == Deadline(None, None, "ongoing", word)
    # "trong ngày 15/11" is a date, not the same-day rule
    assert dl("Rà soát, hoàn thành trong ngày 15/11/2025 để báo cáo") == Deadline(
        date(2025, 11, 15), None, "date", "hoàn thành trong ngày 15/11/2025"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Căn cứ Quyết định số 766/QĐ-TTg ngày 23/6/2022 của Thủ tướng Chính phủ",
        "Thực hiện Công văn số 601/UBND-VP ngày 12 tháng 8 năm 2022 về việc",
        "theo quy định tại Nghị định số 61/2018/NĐ-CP ngày 23 tháng 4 năm 2018 của Chính phủ",
        "Quyết định số 766/QĐ- TTg ngày 23 tháng 6 năm 2022",
        "Căn cứ kết quả đánh giá (tính đến ngày 15/11/2025), phường đạt 94,72 điểm",
        "theo Kế hoạch số 134/KH-UBND ngày 26/3/2026 của Ủy ban nhân dân tỉnh",
        "Quy định có hiệu lực từ ngày 01/01/2026",
        "Nghị quyết số 34-NQ/TU ngày 27/12/2025 của Ban Thường vụ Tỉnh ủy",
        "Ngày 29/6/2026, Bộ trưởng Bộ Xây dựng ban hành Quyết định",
        "Số liệu tháng 11/2025: Tiến độ giải quyết: 19,93/20 điểm; xếp hạng 80/114",
        "bảo đảm hoạt động ổn định, thông suốt 24/7",
        "bố trí ngân sách hằng năm và trong Kế hoạch đầu tư công trung hạn",
        "hoàn thiện Chiến lược dữ liệu thành phố đến năm 2030",
    ],
)
def test_references_are_not_deadlines(text: str) -> None:
    assert dl(text) is None


def test_the_phrase_tied_to_the_task_wins() -> None:
    text = (
        "Rà soát theo Quyết định số 1382/QĐ-UBND ngày 23/4/2026 (tính đến ngày 15/4/2026), "
        "báo cáo thường xuyên; hoàn thành trước ngày 31/12/2026."
    )
    assert dl(text) == Deadline(
        date(2026, 12, 31), None, "date", "hoàn thành trước ngày 31/12/2026"
    )
    assert dl("Thực hiện thường xuyên, kịp thời; tập thể hằng năm; ưu tiên") == Deadline(
        None, None, "ongoing", "thường xuyên"
    )
    assert dl("Khai thác dữ liệu kịp thời; báo cáo hằng tháng.").recurrence == "monthly"  # type: ignore[union-attr]
    assert dl("hoàn thành trong tháng 12/2025, báo cáo vào thứ Hai hằng tuần").date == date(  # type: ignore[union-attr]
        2025, 12, 31
    )


def test_year_from_the_reference_and_roll_over() -> None:
    assert dl("trước 15/01", reference=date(2025, 12, 10)).date == date(2026, 1, 15)  # type: ignore[union-attr]
    assert dl("trước 20/12", reference=date(2025, 12, 22)).date == date(2025, 12, 20)  # type: ignore[union-attr]
    unresolved = dl("xong trước 20/12", reference=None)
    assert unresolved == Deadline(None, None, "date", "xong trước 20/12")
    assert dl("trong quý IV", reference=None) == Deadline(None, None, "period_end", "trong quý IV")
    assert dl("trong quý IV", reference=date(2026, 1, 5)).date == date(2026, 12, 31)  # type: ignore[union-attr]


def test_impossible_dates_and_empty_text() -> None:
    assert dl("trước ngày 31/02/2025") is None
    assert dl("trước ngày 29/02/2025") is None
    assert dl("trước ngày 29/02/2024").date == date(2024, 2, 29)  # type: ignore[union-attr]
    assert dl("") is None
    assert dl("   \n ") is None


def test_decomposed_input_keeps_the_phrase_as_written() -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "Hoàn thành trước ngày 30/11/2025.")
    got = dl(text)
    assert got is not None and got.date == date(2025, 11, 30)
    assert got.text in text


_WORDS = st.sampled_from(
    [
        "trước",
        "ngày",
        "tháng",
        "năm",
        "quý",
        "IV",
        "hằng",
        "tuần",
        "thứ",
        "Hai",
        "chậm nhất",
        "đến",
        "hoàn thành",
        "trong",
        "định kỳ",
        "số",
        "/QĐ-UBND",
        "thường xuyên",
        "cuối",
        "6",
        "đầu",
        ",",
        ";",
        ".",
        ":",
    ]
)
_NUMBERS = st.integers(0, 3000).map(str)
_PARTS = st.one_of(
    _WORDS,
    _NUMBERS,
    st.tuples(st.integers(0, 40), st.integers(0, 14), st.integers(1890, 2210)).map(
        lambda t: f"{t[0]}/{t[1]}/{t[2]}"
    ),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PARTS, max_size=14).map(" ".join), st.none() | st.dates())
def test_never_raises_and_dates_are_real(text: str, reference: date | None) -> None:
    got = parse_deadline(text, reference=reference)
    if got is not None:
        assert got.kind in KINDS
        assert got.text and got.text in text
        assert got.date is None or isinstance(got.date, date)
        if got.kind in ("recurring", "same_day", "ongoing"):
            assert got.date is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.none() | st.dates())
def test_never_raises_on_any_text(text: str, reference: date | None) -> None:
    got = parse_deadline(text, reference=reference)
    if got is not None:
        assert got.text in text
