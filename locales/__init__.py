"""Message catalogs and locale-aware formatting.

Messages are written in English in the code (`_("...")`) and translated in
`locales/<lang>/LC_MESSAGES/chiso.po`. Vietnamese is the default language; English uses the
message ids as they are. Catalogs are read from their .po sources once per process, so there
is no compile step to forget.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

DOMAIN = "chiso"
DEFAULT_LANGUAGE = "vi"
SUPPORTED = ("vi", "en")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # every time a person reads is in the ward's zone
_HERE = Path(__file__).parent


def N_(message: str) -> str:
    """Marks a message for extraction where it is translated later (tables, constants)."""
    return message


def normalize_language(code: str | None) -> str:
    if not code:
        return DEFAULT_LANGUAGE
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED else DEFAULT_LANGUAGE


@cache
def _translations(lang: str) -> NullTranslations:
    po_path = _HERE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf, domain=DOMAIN)


class Translator:
    """Translates and formats for one language. Call it like gettext: `_("Hi {name}", name=x)`."""

    def __init__(self, lang: str):
        self.lang = normalize_language(lang)
        self._t = _translations(self.lang)

    def __call__(self, message: str, /, **params: object) -> str:
        text = self._t.gettext(message)
        return text.format(**params) if params else text

    def plural(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    def number(self, value: Decimal | float | int, digits: int = 2) -> str:
        pattern = "#,##0" + ("." + "#" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.lang)

    def signed(self, value: Decimal | float | int) -> str:
        text = self.number(value if value >= 0 else -value)
        if value > 0:
            return "+" + text
        if value < 0:
            return "−" + text
        return text

    def date(self, value: date) -> str:
        return _format_day(value, self.lang)

    def datetime(self, value: datetime) -> str:
        """A moment as people in the ward read it: Asia/Ho_Chi_Minh, whatever zone it is in
        (stored times are UTC; a naive value is taken as UTC)."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_datetime(value.astimezone(LOCAL_TZ), "HH:mm dd/MM/yyyy", locale=self.lang)


@lru_cache(maxsize=4096)
def _format_day(value: date, lang: str) -> str:
    """Babel takes ~20 µs a date; a reminder tick writes 100,000 messages over a few dozen
    days (bench/scale.py)."""
    return format_date(value, "dd/MM/yyyy", locale=lang)


@cache
def translator(lang: str | None = None) -> Translator:
    return Translator(normalize_language(lang))
