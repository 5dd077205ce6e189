"""Text from a document file: .docx, .pdf with a text layer, .txt and .md.

`extract_text(name, data)` returns NFC text with "\\n" line ends. Word files keep the body's
order of paragraphs and tables. A table that lays out the page (the two-column header with the
issuer and the national motto, the "Nơi nhận" / signature block: at most two columns and three
rows) is written cell by cell, one paragraph a line; any other table one row a line with its
cells joined by " | ", so a task table stays one task a line. Word's automatic numbering
("1.", "a)", bullets) is written in front of the paragraph, as the reader sees it.

Problems raise `DocumentError(code, name)`; the caller words the message:
- "unsupported_file": not one of the formats above (.doc, .odt, .rtf, images ...)
- "unreadable_file": the file is damaged or encrypted
- "scanned_pdf": a PDF without a text layer (ask for the .docx)
- "empty_document": no text at all
- "unpacked_too_large": a .docx (a zip) that unpacks to more than `max_unpacked` bytes (a zip
  bomb, or a document far larger than any directive); `DocumentError.limit` holds the limit

Plain text is decoded strictly (UTF-16 with a BOM, UTF-8, then the Vietnamese Windows code page
only when the result looks like text); bytes that are not text are "unreadable_file".
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from ingest.textnorm import nfc

ERROR_CODES = (
    "unsupported_file",
    "unreadable_file",
    "scanned_pdf",
    "empty_document",
    "unpacked_too_large",
)
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # the sum of a zip's members as its directory states
NOT_TEXT_SHARE = 0.01  # more control or replacement characters than this: not text
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
LAYOUT_MAX_COLUMNS = 2
LAYOUT_MAX_ROWS = 3
SCANNED_MIN_CHARS_PER_PAGE = 16  # fewer letters than this per page: no real text layer
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc, .xls (old Office)


class DocumentError(Exception):
    """A document that gives no text; `code` is one of ERROR_CODES."""

    def __init__(self, code: str, name: str, limit: int | None = None) -> None:
        super().__init__(f"{code}: {name}")
        self.code = code
        self.name = name
        self.limit = limit

    def __reduce__(self) -> tuple[type[DocumentError], tuple[str, str, int | None]]:
        return (DocumentError, (self.code, self.name, self.limit))  # survives a worker process


def _suffix(name: str) -> str:
    m = re.search(r"(\.[A-Za-z0-9]+)$", name.strip())
    return m.group(1).lower() if m else ""


def extract_text(name: str, data: bytes, *, max_unpacked: int = MAX_UNPACKED_BYTES) -> str:
    """The document's text; raises DocumentError."""
    suffix = _suffix(name)
    if data.startswith(b"%PDF"):
        kind = "pdf"
    elif suffix == ".docx" or (data.startswith(b"PK") and suffix not in TEXT_SUFFIXES):
        kind = "docx"
    elif suffix == ".pdf":
        kind = "pdf"
    elif suffix in TEXT_SUFFIXES:
        kind = "text"
    else:
        raise DocumentError("unsupported_file", name)
    if kind == "docx" and data.startswith(_OLE_MAGIC):
        raise DocumentError("unsupported_file", name)  # a .doc renamed .docx
    if kind == "docx" and suffix not in (".docx", ""):
        raise DocumentError("unsupported_file", name)  # .odt, .xlsx, .pptx ... are zips too
    if kind == "pdf":
        text = _pdf_text(name, data)
    elif kind == "docx":
        check_unpacked_size(name, data, max_unpacked)
        text = _docx_text(name, data)
    else:
        text = _plain_text(name, data)
    text = nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub("[\u200b\u200c\u200d\ufeff]", "", text)
    if not text.strip():
        raise DocumentError("empty_document", name)
    return text


# --- plain text --------------------------------------------------------------------------------


def _plain_text(name: str, data: bytes) -> str:
    text = decode_plain(data)
    if text is None:
        raise DocumentError("unreadable_file", name)
    return text


def decode_plain(data: bytes) -> str | None:
    """The text of a plain-text file, or None when the bytes are not text: UTF-16 with a BOM,
    else no NUL byte and UTF-8 (with or without BOM), else the Vietnamese Windows code page
    (cp1258); in every case refused when control or replacement characters are more than
    NOT_TEXT_SHARE of it."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
        return text if looks_like_text(text) else None
    if b"\x00" in data:
        return None  # binary, or UTF-16 without a BOM
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text if looks_like_text(text) else None
    return None


_NOT_TEXT_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")


def looks_like_text(text: str) -> bool:
    """Few control, replacement or private-use characters: what a person wrote."""
    if not text:
        return True
    bad = sum(1 for _ in _NOT_TEXT_RE.finditer(text))
    return bad <= len(text) * NOT_TEXT_SHARE


# --- zip containers (.docx, .xlsx) -------------------------------------------------------------


def unpacked_size(data: bytes) -> int | None:
    """The sum of a zip's member sizes as its directory states (the reader never unpacks more
    than that), or None when it is not a readable zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def check_unpacked_size(name: str, data: bytes, limit: int) -> None:
    """Refuses a zip that unpacks to more than `limit` bytes, before anything is unpacked."""
    size = unpacked_size(data)
    if size is None:
        raise DocumentError("unreadable_file", name)
    if size > limit:
        raise DocumentError("unpacked_too_large", name, limit=limit)


# --- PDF ---------------------------------------------------------------------------------------


def _pdf_text(name: str, data: bytes) -> str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("unreadable_file", name)
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise DocumentError("unreadable_file", name) from exc
    letters = sum(1 for page in pages for ch in page if ch.isalnum())
    if not pages or letters < SCANNED_MIN_CHARS_PER_PAGE * len(pages):
        raise DocumentError("scanned_pdf", name)
    return "\n".join(pages)


# --- Word --------------------------------------------------------------------------------------


def _docx_text(name: str, data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError("unreadable_file", name) from exc
    except Exception as exc:  # lxml and package errors on damaged files
        raise DocumentError("unreadable_file", name) from exc
    numbering = _Numbering(document)
    try:
        lines = list(_blocks(document.element.body, document, numbering))
    except Exception as exc:
        raise DocumentError("unreadable_file", name) from exc
    return "\n".join(lines)


def _blocks(parent: Any, document: Any, numbering: _Numbering) -> Iterator[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in parent.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(child, document)
            text = paragraph.text
            label = numbering.label(child, _style_element(paragraph))
            yield f"{label} {text}".strip() if label and text.strip() else text
        elif tag == "tbl":
            yield from _table(Table(child, document), document, numbering)
        elif tag == "sdt":  # content controls hold paragraphs and tables too
            content = child.find(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}sdtContent"
            )
            if content is not None:
                yield from _blocks(content, document, numbering)


def _style_element(paragraph: Any) -> Any:
    try:
        style = paragraph.style
    except (KeyError, ValueError, AttributeError):
        return None
    return style.element if style is not None else None


def _unique_cells(row: Any) -> list[Any]:
    cells: list[Any] = []
    seen: set[int] = set()
    for cell in row.cells:
        key = id(cell._tc)
        if key in seen:
            continue  # a cell merged across columns comes back once per column
        seen.add(key)
        cells.append(cell)
    return cells


def _table(table: Any, document: Any, numbering: _Numbering) -> Iterator[str]:
    rows = [_unique_cells(row) for row in table.rows]
    columns = max((len(r) for r in rows), default=0)
    if columns <= LAYOUT_MAX_COLUMNS and len(rows) <= LAYOUT_MAX_ROWS:
        for row in rows:
            for cell in row:
                yield from _blocks(cell._tc, document, numbering)
        return
    for row in rows:
        texts = []
        for cell in row:
            parts = [p for p in _blocks(cell._tc, document, numbering) if p.strip()]
            texts.append(re.sub(r"\s+", " ", " ".join(parts)).strip().replace("|", "/"))
        if any(texts):
            filled = [t for t in texts if t]
            yield filled[0] if len(filled) == 1 else " | ".join(texts)


class _Numbering:
    """Word's automatic list numbers ("1.", "a)", "-"), counted as Word shows them."""

    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

    def __init__(self, document: Any) -> None:
        self.levels: dict[str, dict[int, tuple[str, str, int]]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            part = document.part.numbering_part
        except (NotImplementedError, KeyError, AttributeError):
            return
        root = part.element
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for node in root.findall(f"{self.W}abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in node.findall(f"{self.W}lvl"):
                ilvl = int(lvl.get(f"{self.W}ilvl", "0"))
                fmt = self._val(lvl, "numFmt") or "decimal"
                text = self._val(lvl, "lvlText") or ""
                start = int(self._val(lvl, "start") or "1")
                levels[ilvl] = (fmt, text, start)
            abstract[node.get(f"{self.W}abstractNumId", "")] = levels
        for num in root.findall(f"{self.W}num"):
            ref = num.find(f"{self.W}abstractNumId")
            if ref is not None:
                self.levels[num.get(f"{self.W}numId", "")] = abstract.get(
                    ref.get(f"{self.W}val", ""), {}
                )

    def _val(self, node: Any, tag: str) -> str | None:
        child = node.find(f"{self.W}{tag}")
        return child.get(f"{self.W}val") if child is not None else None

    def _numpr(self, node: Any) -> Any:
        ppr = node.find(f"{self.W}pPr") if node is not None else None
        return ppr.find(f"{self.W}numPr") if ppr is not None else None

    def label(self, p: Any, style: Any = None) -> str:
        """The number Word shows before paragraph p (its own numbering, else its style's)."""
        if not self.levels:
            return ""
        numpr = self._numpr(p)
        if numpr is None:
            numpr = self._numpr(style)
        if numpr is None:
            return ""
        num_id = self._val(numpr, "numId") or ""
        ilvl = int(self._val(numpr, "ilvl") or "0")
        levels = self.levels.get(num_id)
        if not levels or num_id == "0" or ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, [0] * 10)
        if not 0 <= ilvl < len(counts):
            return ""
        counts[ilvl] += 1
        for deeper in range(ilvl + 1, len(counts)):
            counts[deeper] = 0
        fmt, text, _start = levels[ilvl]
        if fmt == "bullet":
            return "-"
        if fmt == "none":
            return ""

        def value(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            if not 0 <= level < len(counts) or level not in levels:
                return ""
            lfmt, _text, start = levels[level]
            return _format(counts[level] + start - 1, lfmt)

        return re.sub(r"%(\d)", value, text)


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = "abcdefghijklmnopqrstuvwxyz"
        s = letters[(n - 1) % 26] if n > 0 else "a"
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        s = _roman(n)
        return s.lower() if fmt == "lowerRoman" else s
    return str(n)


def _roman(n: int) -> str:
    out = ""
    for value, numeral in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out += numeral
            n -= value
    return out or "0"
