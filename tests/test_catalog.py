"""Every message the code uses has a Vietnamese translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales import translator

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "plural": (1, 2)}
PLACEHOLDER = re.compile(r"\{(\w+)[^}]*\}")


def _code_messages() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for package in ("bot", "handlers", "ingest", "store", "reminders", "locales", "reports"):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else tuple(message))  # type: ignore[arg-type]
    return found


def test_every_message_is_translated_to_vietnamese() -> None:
    with (ROOT / "locales/vi/LC_MESSAGES/chiso.po").open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {
        (m.id if isinstance(m.id, str) else tuple(m.id)): m.string
        for m in catalog
        if m.id
        and m.string
        and (isinstance(m.string, str) or all(m.string))
        and "fuzzy" not in m.flags
    }
    missing = sorted(str(m) for m in _code_messages() if m not in translated)
    assert not missing, "untranslated messages:\n" + "\n".join(missing)
    for msgid, msgstr in translated.items():
        ids = [msgid] if isinstance(msgid, str) else list(msgid)
        strs = [msgstr] if isinstance(msgstr, str) else list(msgstr)
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strs:
            assert set(PLACEHOLDER.findall(text)) == wanted, (msgid, text)


def test_formatting_vi_and_en() -> None:
    from datetime import date
    from decimal import Decimal

    vi, en = translator("vi"), translator("en")
    assert vi.number(Decimal("94.72")) == "94,72"
    assert en.number(Decimal("94.72")) == "94.72"
    assert vi.number(Decimal("18.00")) == "18"
    assert vi.date(date(2025, 11, 30)) == "30/11/2025"
    assert vi.signed(Decimal("-0.5")) == "−0,5"
    assert vi("Good") == "Tốt" and en("Good") == "Good"
    assert vi.plural("up {n} place", "up {n} places", 3) == "tăng 3 bậc"
    assert en.plural("up {n} place", "up {n} places", 1) == "up 1 place"
    assert translator("en-US").lang == "en" and translator("fr").lang == "vi"
