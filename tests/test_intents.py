"""The free-text intent matcher: how staff actually type, and what it must leave alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.intents import (
    INTENTS,
    IntentMatch,
    IntentMatcher,
    VocabularyError,
    load_vocabulary,
    match_intent,
)
from ingest.index_groups import GROUP_CODES

HANDLERS = Path(__file__).resolve().parents[1] / "handlers"

# (text, intent, period, group)
POSITIVES: list[tuple[str, str, str | None, str | None]] = [
    # the six-month chart (handlers/trend.py)
    ("điểm 6 tháng qua", "trend", "month", None),
    ("bieu do 6 thang", "trend", "month", None),
    ("cho xem biểu đồ điểm", "trend", None, None),
    ("xu hướng điểm mấy tháng gần đây?", "trend", "month", None),
    # the weekly briefing (the week and a date are read by the handler)
    ("báo cáo tuần", "briefing", None, None),
    ("bc tuan", "briefing", None, None),
    ("tóm tắt tuần", "briefing", None, None),
    ("báo cáo tuần trước", "briefing", None, None),
    ("bao cao tuan truoc?", "briefing", None, None),
    ("cho anh xem báo cáo tuần trước nhé", "briefing", None, None),
    ("báo cáo tuần 17/11", "briefing", None, None),
    ("gửi file báo cáo tuần", "briefing_file", None, None),
    ("gui file bao cao tuan truoc", "briefing_file", None, None),
    # tasks from directives (the department named is read by the handler, not here)
    ("việc của tôi", "tasks", None, None),
    ("viec cua toi?", "tasks", None, None),
    ("việc của phòng", "tasks", None, None),
    ("nhiệm vụ được giao", "tasks", None, None),
    ("tuần này hạn gì", "tasks_week", None, None),
    ("tuan nay han gi", "tasks_week", None, None),
    ("việc sắp đến hạn", "tasks_week", None, None),
    ("việc quá hạn", "tasks_overdue", None, None),
    ("viec qua han", "tasks_overdue", None, None),
    ("tình hình thực hiện", "progress", None, None),
    ("phòng nào chậm?", "progress", None, None),
    ("phong nao cham", "progress", None, None),
    ("phòng mình còn việc gì", "tasks", None, None),
    ("phong minh con viec gi", "tasks", None, None),
    ("việc phòng ABC", "tasks", None, None),
    ("việc phòng tài nguyên môi trường", "tasks", None, None),
    ("hạn tích hợp thanh toán trực tuyến là khi nào", "task_when", None, "thanh_toan"),
    ("han tich hop thanh toan truc tuyen la khi nao", "task_when", None, "thanh_toan"),
    ("hạn tuyên truyền dịch vụ công khi nào vậy ạ", "task_when", None, "dvc_truc_tuyen"),
    ("thời hạn báo cáo kết quả bộ chỉ số", "task_when", None, None),
    ("việc số hóa hồ sơ giao cho ai", "task_who", None, "so_hoa"),
    ("viec so hoa ho so giao cho ai", "task_who", None, "so_hoa"),
    ("tuyên truyền trên nhóm Zalo tổ dân phố ai phụ trách?", "task_who", None, None),
    ("việc lắp camera phòng nào làm", "task_who", None, None),
    # the province's list from the portal (handlers/province.py)
    ("xếp hạng toàn tỉnh", "province_rank", None, None),
    ("xep hang toan tinh", "province_rank", None, None),
    ("bảng xếp hạng tháng này", "province_rank", "month", None),
    ("xếp hạng lũy kế toàn tỉnh", "province_rank", "year", None),
    ("top 10", "province_top", None, None),
    ("top 5 toàn tỉnh", "province_top", None, None),
    ("xã nào đứng đầu tỉnh", "province_top", None, None),
    ("xã nào dưới 80", "province_below", None, None),
    ("xa nao duoi 80", "province_below", None, None),
    ("phường nào dưới 85 điểm", "province_below", None, None),
    ("phường mình đứng sau ai", "province_above", None, None),
    ("phuong minh dung sau ai", "province_above", None, None),
    ("ai đứng trên mình", "province_above", None, None),
    ("nhóm nào cả tỉnh đều yếu", "province_groups", None, None),
    ("nhom nao ca tinh yeu", "province_groups", None, None),
    # the province view for provincial staff (handlers/province_view.py)
    ("tình hình các phường", "wards_overview", None, None),
    ("tinh hinh cac xa the nao", "wards_overview", None, None),
    ("phường nào chậm nhất?", "wards_slowest", None, None),
    ("phuong nao cham nhat", "wards_slowest", None, None),
    ("xã nào nhiều việc quá hạn", "wards_slowest", None, None),
    # long, formal questions: the index's own name does not hide the question
    (
        "Chỉ số phục vụ người dân, doanh nghiệp của phường mình hiện được bao nhiêu điểm ạ?",
        "score",
        None,
        None,
    ),
    (
        "Kính gửi anh, cho em hỏi Bộ chỉ số phục vụ người dân, doanh nghiệp của phường ta "
        "tháng này đạt bao nhiêu điểm ạ?",
        "score",
        "month",
        None,
    ),
    (
        "Chỉ số phục vụ người dân và doanh nghiệp của phường hiện nay là bao nhiêu",
        "score",
        None,
        None,
    ),
    (
        "Chỉ số phục vụ người dân, doanh nghiệp của phường mình xếp thứ mấy trong thành phố ạ?",
        "rank",
        None,
        None,
    ),
    (
        "Bộ chỉ số phục vụ người dân, doanh nghiệp của phường nhóm nào còn thiếu điểm ạ?",
        "weak_groups",
        None,
        None,
    ),
    ("gửi thông báo", "broadcast", None, None),
    ("gui thong bao", "broadcast", None, None),
    ("phát thanh hướng dẫn", "broadcast", None, None),
    # -- score ------------------------------------------------------------------------------
    ("điểm hiện tại?", "score", None, None),
    ("diem hien tai", "score", None, None),
    ("Điểm hiện tại", "score", None, None),
    ("điểm bây giờ bao nhiêu", "score", None, None),
    ("diem bay gio bn", "score", None, None),
    ("điểm chỉ số", "score", None, None),
    ("bao nhiêu điểm rồi", "score", None, None),
    ("bn diem r", "score", None, None),
    ("diem bnh", "score", None, None),
    ("điểm?", "score", None, None),
    ("diem", "score", None, None),
    ("điểm tháng này", "score", "month", None),
    ("diem thag nay", "score", "month", None),
    ("thag nay dc bn diem r", "score", "month", None),
    ("Tháng 11 năm nay điểm bao nhiêu", "score", "month", None),
    ("điểm lũy kế?", "score", "year", None),
    ("diem luy ke", "score", "year", None),
    ("lũy kế năm", "score", "year", None),
    ("luy ke bn", "score", "year", None),
    ("điểm cả năm", "score", "year", None),
    ("điểm từ đầu năm đến giờ", "score", "year", None),
    ("điểm năm nay", "score", "year", None),
    ("tổng điểm", "score", None, None),
    ("current score", "score", None, None),
    ("score?", "score", None, None),
    ("what is our score", "score", None, None),
    ("score this month", "score", "month", None),
    ("@chiso_bot điểm hiện tại?", "score", None, None),
    ("@ChiSo_Bot diem hien tai", "score", None, None),
    ("cho mình hỏi điểm hiện tại của phường là bao nhiêu ạ", "score", None, None),
    ("Điểm Hiện Tại Bao Nhiêu Vậy Ad", "score", None, None),
    ("ĐIỂM HIỆN TẠI???", "score", None, None),
    ("djem hjen tai", "score", None, None),
    ("đjểm hiện tại", "score", None, None),
    ("diem htai", "score", None, None),
    ("em chào anh, cho em hỏi điểm hiện tại ạ", "score", None, None),
    ("chào bot, điểm hiện tại?", "score", None, None),
    ("điểm hiện tại của phường Thiên Hương là bao nhiêu", "score", None, None),
    ("kết quả chỉ số hiện tại", "score", None, None),
    ("chỉ số 766 tháng này thế nào", "score", "month", None),
    # both score and rank words: the score answer includes the rank
    ("điểm và xếp hạng", "score", None, None),
    ("xếp hạng và điểm bao nhiêu", "score", None, None),
    ("điểm xếp hạng của phường mình ở tỉnh", "score", None, None),
    # a named group
    ("điểm số hóa bao nhiêu", "score", None, "so_hoa"),
    ("diem so hoa bn", "score", None, "so_hoa"),
    ("nhóm số hóa được mấy điểm", "score", None, "so_hoa"),
    ("dvc?", "score", None, "dvc_truc_tuyen"),
    ("dvc trực tuyến thế nào", "score", None, "dvc_truc_tuyen"),
    ("điểm dịch vụ công trực tuyến tháng này", "score", "month", "dvc_truc_tuyen"),
    ("tttt bao nhiêu", "score", None, "thanh_toan"),
    ("tt trực tuyến bn", "score", None, "thanh_toan"),
    ("điểm thanh toán trực tuyến lũy kế", "score", "year", "thanh_toan"),
    ("điểm hài lòng", "score", None, "hai_long"),
    ("tiến độ giải quyết được bao nhiêu điểm", "score", None, "tien_do"),
    ("công khai minh bạch mấy điểm", "score", None, "cong_khai"),
    ("diem cong khai thang nay", "score", "month", "cong_khai"),
    ("tháng này?", "score", "month", None),
    ("kết quả 766 tháng 11/2025", "score", "month", None),
    ("phường được xếp loại gì", "score", None, None),
    ("tình hình điểm số thế nào", "score", None, None),
    ("cho xin điểm hiện tại với ạ", "score", None, None),
    ("what's the score", "score", None, None),
    # -- rank -------------------------------------------------------------------------------
    ("xếp hạng?", "rank", None, None),
    ("xep hang bao nhieu", "rank", None, None),
    ("mình đứng thứ mấy", "rank", None, None),
    ("mình đang đứng thứ mấy", "rank", None, None),
    ("mik đag đứng thứ mấy z", "rank", None, None),
    ("phường mình thứ mấy", "rank", None, None),
    ("phường đứng thứ mấy trong tỉnh vậy", "rank", None, None),
    ("hạng mấy", "rank", None, None),
    ("hạng mấy rồi ad ơi", "rank", None, None),
    ("thứ hạng", "rank", None, None),
    ("rank", "rank", None, None),
    ("ranking", "rank", None, None),
    ("what's our rank", "rank", None, None),
    ("xh bn", "rank", None, None),
    ("xep hag bn", "rank", None, None),
    ("@chiso_bot xh?", "rank", None, None),
    ("top mấy tỉnh", "rank", None, None),
    ("dung thu may", "rank", None, None),
    ("xếp hạng tháng này", "rank", "month", None),
    ("xếp hạng lũy kế", "rank", "year", None),
    ("xếp hạng nhóm số hóa", "rank", None, "so_hoa"),
    # -- weak_groups ------------------------------------------------------------------------
    ("nhóm nào còn thiếu điểm?", "weak_groups", None, None),
    ("nhom nao mat diem", "weak_groups", None, None),
    ("nhom nao con thieu diem vay ad", "weak_groups", None, None),
    ("chỉ tiêu nào chưa đạt", "weak_groups", None, None),
    ("thiếu điểm ở đâu", "weak_groups", None, None),
    ("mất điểm nhóm nào", "weak_groups", None, None),
    ("mất điểm chỗ nào", "weak_groups", None, None),
    ("yếu nhóm nào", "weak_groups", None, None),
    ("tiêu chí nào bị trừ điểm", "weak_groups", None, None),
    ("nhóm nào điểm thấp nhất", "weak_groups", None, None),
    ("nhóm nào kéo điểm xuống", "weak_groups", None, None),
    ("which groups are missing points", "weak_groups", None, None),
    ("số hóa mất điểm ở đâu", "weak_groups", None, "so_hoa"),
    ("lũy kế năm nhóm nào thiếu điểm", "weak_groups", "year", None),
    # -- compare ----------------------------------------------------------------------------
    ("so với tháng trước?", "compare", "month", None),
    ("so voi thang truoc", "compare", "month", None),
    ("so vs thag trc", "compare", "month", None),
    ("tăng hay giảm", "compare", None, None),
    ("có tăng không", "compare", None, None),
    ("co tang ko", "compare", None, None),
    ("co tang k", "compare", None, None),
    ("thay đổi thế nào", "compare", None, None),
    ("tháng trước bao nhiêu", "compare", "month", None),
    ("điểm tháng trước", "compare", "month", None),
    ("điểm so với tháng trước", "compare", "month", None),
    ("điểm tăng hay giảm so với tháng trước", "compare", "month", None),
    ("điểm số hóa tăng không", "compare", None, "so_hoa"),
    ("xếp hạng có tăng không", "compare", None, None),
    ("tháng này hơn tháng trước không", "compare", "month", None),
    ("tăng mấy điểm", "compare", None, None),
    ("compared to last month", "compare", "month", None),
    ("how did we change compared to last month", "compare", "month", None),
    # -- help -------------------------------------------------------------------------------
    ("giúp", "help", None, None),
    ("gjup voi", "help", None, None),
    ("hướng dẫn", "help", None, None),
    ("hướng dẫn sử dụng bot", "help", None, None),
    ("bot làm được gì", "help", None, None),
    ("bot lam dc j", "help", None, None),
    ("xin chào, bot làm được gì", "help", None, None),
    ("help", "help", None, None),
    ("@chiso_bot help", "help", None, None),
    ("?", "help", None, None),
    ("??", "help", None, None),
    ("có những lệnh nào", "help", None, None),
    # -- greeting ---------------------------------------------------------------------------
    ("chào", "greeting", None, None),
    ("xin chào", "greeting", None, None),
    ("chào bot", "greeting", None, None),
    ("Chào chị Lan", "greeting", None, None),
    ("xin chao ca nha", "greeting", None, None),
    ("chào buổi sáng", "greeting", None, None),
    ("hello", "greeting", None, None),
    ("Hello everyone", "greeting", None, None),
    ("hi", "greeting", None, None),
    ("hiii", "greeting", None, None),
    ("alo", "greeting", None, None),
    ("alooo", "greeting", None, None),
    # -- sub-criterion figures: where points are missing, what a change gives --------------------
    ("còn thiếu bao nhiêu hồ sơ trực tuyến để đủ điểm?", "gain", None, "dvc_truc_tuyen"),
    ("con thieu bao nhieu ho so truc tuyen", "gain", None, "dvc_truc_tuyen"),
    ("cần làm gì để lên hạng", "gain", None, None),
    ("can lam gi de len hang", "gain", None, None),
    ("nhóm nào dễ lấy điểm nhất", "gain", None, None),
    ("nếu thêm 50 hồ sơ trực tuyến thì được bao nhiêu điểm?", "whatif", None, "dvc_truc_tuyen"),
    ("neu them 50 ho so truc tuyen", "whatif", None, "dvc_truc_tuyen"),
    ("giả sử thêm 20 hồ sơ thanh toán trực tuyến", "whatif", None, "thanh_toan"),
]

REPORT = (
    "Số liệu tháng 11/2025 (đến ngày 15/11/2025): Tổng điểm 94,72; xếp hạng 80/114. "
    "Công khai, minh bạch 18/18; Tiến độ giải quyết 19,93/20; Dịch vụ công trực tuyến 8,07/12; "
    "Thanh toán trực tuyến 8,79/10; Mức độ hài lòng 18/18; Số hóa hồ sơ 18,89/22. "
    "Lũy kế năm 2025: 19,78; 8,1; 9,16; 21,68."
)

NEGATIVES: list[str] = [
    "hôm nay trời đẹp quá",
    "ok",
    "ok em",
    "cảm ơn",
    "cảm ơn bot nhé",
    "vâng ạ",
    "nhận được rồi",
    "khong co gi",
    "hôm nay thứ mấy",
    "ngày 15/11 là thứ mấy",
    "điểm danh",
    "điểm danh cuộc họp sáng nay",
    "địa điểm họp ở đâu",
    "anh ơi cuộc họp ở điểm nào vậy?",
    "em đã gửi file điểm thi đua tháng 11 lên quận rồi nhé",
    "tăng ca tối nay",
    "tăng cường tuyên truyền dịch vụ công trực tuyến",
    "chào cờ sáng thứ Hai",
    "xếp hàng mua vé",
    "chào anh em, hôm nay họp lúc 3h",
    "chào anh, mai họp nhé",
    "tháng trước họp gì",
    "nhóm nào đi họp",
    "change password",
    "hướng dẫn nộp hồ sơ trực tuyến cho dân",
    "hi vọng tháng sau tốt hơn",
    "máy in hỏng rồi",
    "đi ăn trưa không mọi người",
    "đã gửi báo cáo tuần rồi",  # the duty's own report, not a request for the briefing
    "tháng này họp mấy lần",
    "Đề nghị các phòng hoàn thành trước ngày 30/11/2025",
    "đã số hóa xong 20 hồ sơ",
    "tăng cường số hóa hồ sơ",
    "Ok anh, em sẽ nhắc các phòng nâng điểm số hóa",
    "Chúc mừng phường mình được điểm cao",
    "hôm nay có họp không",
    "khi nào họp",
    "anh đã xong việc chưa",
    "Về việc tăng cường cải thiện Bộ chỉ số phục vụ người dân, doanh nghiệp",
    "báo cáo tuần này gửi chưa",
    "asdfghjkl",
    "12345",
    "😀👍",
    "!!!",
    "",
    "   ",
    "@chiso_bot",
    REPORT,
    # a real question buried in a long pasted text is still a document
    "điểm hiện tại? " + REPORT,
]


@pytest.mark.parametrize(("text", "intent", "period", "group"), POSITIVES)
def test_phrasings(text: str, intent: str, period: str | None, group: str | None) -> None:
    match = match_intent(text)
    assert match is not None, text
    assert (match.intent, match.period, match.group) == (intent, period, group), text
    assert 0.0 < match.confidence <= 1.0


@pytest.mark.parametrize("text", NEGATIVES)
def test_not_a_question(text: str) -> None:
    assert match_intent(text) is None


def test_table_sizes() -> None:
    assert len(POSITIVES) >= 80
    assert len(NEGATIVES) >= 15
    assert {intent for _, intent, _, _ in POSITIVES} == set(INTENTS)


def test_long_text_is_a_document() -> None:
    polite = "cho mình hỏi điểm hiện tại là bao nhiêu ạ"
    question = polite + " nhé" * 20
    assert len(question) < 200
    assert match_intent(question) is not None
    long_question = polite + " nhé" * 50
    assert len(long_question) > 200
    assert match_intent(long_question) is None


def test_strong_phrase_beats_weak_keyword() -> None:
    strong = match_intent("điểm hiện tại?")
    weak = match_intent("điểm")
    assert strong is not None and weak is not None
    assert strong.confidence > weak.confidence


def test_result_is_frozen() -> None:
    match = match_intent("xếp hạng?")
    assert isinstance(match, IntentMatch)
    with pytest.raises(AttributeError):
        match.intent = "score"  # type: ignore[misc]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    _check_result(match_intent(text))


# fmt: off
_VOCAB_WORDS = [
    "điểm", "diem", "xếp", "hạng", "xh", "bn", "?", "nhóm", "nào", "số", "hóa", "dvc", "tttt",
    "tháng", "trước", "lũy", "kế", "năm", "nay", "chào", "hi", "giúp", "k", "ko", "j", "@bot",
    "tăng", "giảm", "so", "với", "thứ", "mấy", "ngày", "15", "danh", "~", "#", "", "ạ", "nhé",
]
# fmt: on


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB_WORDS), max_size=30), st.sampled_from([" ", ", ", "  "]))
def test_never_raises_on_vocabulary_soup(words: list[str], sep: str) -> None:
    _check_result(match_intent(sep.join(words)))


def _check_result(match: IntentMatch | None) -> None:
    if match is None:
        return
    assert match.intent in INTENTS
    assert match.period in (None, "month", "year")
    assert match.group is None or match.group in GROUP_CODES
    assert 0.0 <= match.confidence <= 1.0


# -- the vocabulary file ----------------------------------------------------------------------


def test_module_holds_no_vietnamese() -> None:
    source = (HANDLERS / "intents.py").read_text(encoding="utf-8")
    assert source.isascii(), "vocabulary belongs in intents_vi.toml"


def test_toml_intents_are_intents() -> None:
    assert set(load_vocabulary()["intents"]) == set(INTENTS)


def test_ignored_phrases_do_not_hide_intent_phrases() -> None:
    """An ignore phrase inside an intent phrase would silently disable that phrase."""
    vocabulary = load_vocabulary()
    matcher = IntentMatcher(vocabulary)
    ignored = [matcher.normalise(p) for p in vocabulary["words"]["ignore"]]
    for name, table in vocabulary["intents"].items():
        for phrase in [*table.get("phrases", ()), *table.get("keywords", ())]:
            norm = f" {matcher.normalise(phrase)} "
            hidden = [i for i in ignored if f" {i} " in norm]
            assert not hidden, f"[intents.{name}] {phrase!r} contains ignored {hidden}"


def test_expansions_change_something() -> None:
    matcher = IntentMatcher(load_vocabulary())
    for key in load_vocabulary()["expand"]:
        assert matcher.normalise(key) != key, f"[expand] {key!r} maps a word to itself"


def test_normalise() -> None:
    matcher = IntentMatcher(load_vocabulary())
    assert matcher.normalise("Xh bn vậy AD???") == "xep hang bao nhieu vay ad ?"
    assert matcher.normalise("alooo") == "alo"
    assert matcher.normalise("tttt") == "tttt"  # an abbreviation, not an elongated word


def test_ignore_patterns_compile() -> None:
    for pattern in load_vocabulary()["words"]["ignore_patterns"]:
        re.compile(pattern)


def test_new_intent_is_a_data_change() -> None:
    """The recipe from the TOML header: a table plus the name in INTENTS."""
    vocabulary = load_vocabulary(
        (HANDLERS / "intents_vi.toml").read_text(encoding="utf-8")
        + '\n[intents.meeting]\npriority = 45\nphrases = ["lịch họp", "họp lúc mấy giờ"]\n'
    )
    matcher = IntentMatcher(vocabulary, (*INTENTS, "meeting"))
    for text in ("lịch họp", "lich hop?", "chiều nay họp lúc mấy giờ"):
        match = matcher.match(text)
        assert match is not None and match.intent == "meeting", text
    assert (m := matcher.match("điểm hiện tại?")) is not None and m.intent == "score"
    with pytest.raises(VocabularyError, match="meeting"):
        IntentMatcher(vocabulary)  # in the TOML but not in INTENTS


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[intents.score2]\nphrases = []\n", "score2"),
        ("[colours]\nred = 1\n", "colours"),
        ("[[period]]\nvalue = 'week'\nphrases = ['tuần']\n", "week"),
        ("[intents.rank.extra]\nx = 1\n", "extra"),
        ("[words.more]\nx = 1\n", "more"),
    ],
)
def test_bad_vocabulary_fails_loudly(extra: str, message: str) -> None:
    text = (HANDLERS / "intents_vi.toml").read_text(encoding="utf-8") + "\n" + extra
    with pytest.raises(VocabularyError, match=message):
        IntentMatcher(load_vocabulary(text))
