"""Photos and files served from the bot's own aiohttp server, for platforms that take a URL.

Zalo (the Bot platform's sendPhoto, the Official Account's media messages) fetches a picture
from a URL instead of taking its bytes. `FileHost.put` stores the bytes (in the database:
every process serves them, a restart loses nothing) and answers
``PUBLIC_BASE_URL/files/<token>/<safe-name>``: the token is `secrets.token_urlsafe(32)`
(256 random bits), the URL stops working after `FILE_TTL_HOURS` (24 by default; expired rows
are purged), and the file is served with the Content-Type its name implies. The same bytes
under the same name are stored once while a copy has at least half its life left.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import re
import secrets
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from aiohttp import web

from handlers.protocol import Reply
from reminders.clock import Clock
from store.hosted_files import HostedFileStore

log = logging.getLogger(__name__)

ROUTE = "/files/{token}/{name}"
DEFAULT_TTL = timedelta(hours=24)
PURGE_EVERY = timedelta(minutes=10)
TOKEN_BYTES = 32
OCTET_STREAM = "application/octet-stream"
# types a browser would run as a page of our origin: served as plain downloads instead
_ACTIVE = frozenset(
    {"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml"}
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str, default: str = "file") -> str:
    """A file name for a URL: diacritics folded, other characters turned into '-'."""
    base = PurePosixPath(name.replace("\\", "/")).name
    folded = unicodedata.normalize("NFKD", base.replace("đ", "d").replace("Đ", "D"))
    ascii_name = "".join(ch for ch in folded if not unicodedata.combining(ch))
    cleaned = _UNSAFE.sub("-", ascii_name).replace("-.", ".").strip(".-")
    if len(cleaned) > 80:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = f"{stem[: 79 - len(ext)]}.{ext}" if dot and 0 < len(ext) <= 10 else cleaned[:80]
    return cleaned or default


def sniff_image(data: bytes) -> str | None:
    """The image type of a picture's bytes, from their first bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def content_type_for(name: str, given: str | None = None) -> str:
    """The Content-Type a file is served with: what its name implies, else `given`."""
    guessed = mimetypes.guess_type(name, strict=False)[0]
    return guessed or given or OCTET_STREAM


class FileHost:
    def __init__(
        self,
        store: HostedFileStore,
        base_url: str,
        clock: Clock,
        ttl: timedelta = DEFAULT_TTL,
    ):
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.ttl = ttl
        self._purged_at: datetime | None = None
        self._by_ref: dict[str, tuple[str, datetime]] = {}  # channel ref -> (url, expiry)

    def url(self, token: str, name: str) -> str:
        return f"{self.base_url}/files/{token}/{quote(safe_name(name))}"

    async def put(
        self, data: bytes, name: str, content_type: str | None = None, ref: str | None = None
    ) -> str:
        """Stores the bytes; returns the URL that serves them until the TTL runs out. `ref`
        (a channel's id for the file) lets `url_for_ref` find the URL without the bytes."""
        now = self.clock.now()
        await self._purge(now)
        kind = content_type or content_type_for(name)
        digest = hashlib.sha256(data).hexdigest()
        known = await self.store.reusable(digest, name, kind, now + self.ttl / 2)
        if known is not None:
            url, expires_at = self.url(known.token, known.name), known.expires_at
        else:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            expires_at = now + self.ttl
            await self.store.add(token, name, kind, data, digest, now, expires_at)
            url = self.url(token, name)
            log.info("files: %s (%s, %d bytes) hosted", safe_name(name), kind, len(data))
        if ref:
            self._by_ref[ref] = (url, expires_at)
        return url

    def url_for_ref(self, ref: str) -> str | None:
        """The URL of a file hosted from this channel ref, if at least half its life is left."""
        known = self._by_ref.get(ref)
        if known is None:
            return None
        url, expires_at = known
        if expires_at - self.clock.now() < self.ttl / 2:
            del self._by_ref[ref]
            return None
        return url

    async def _purge(self, now: datetime) -> None:
        if self._purged_at is not None and now - self._purged_at < PURGE_EVERY:
            return
        self._purged_at = now
        purged = await self.store.purge(now)
        if purged:
            log.info("files: %d expired file(s) deleted", purged)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /files/<token>/<name>: the bytes, or 404 when unknown, expired or misnamed."""
        token, name = request.match_info["token"], request.match_info["name"]
        hosted = await self.store.get(token, self.clock.now())
        if hosted is None or hosted.data is None or safe_name(hosted.name) != name:
            raise web.HTTPNotFound(text="not found")
        kind = hosted.content_type
        inline = kind.startswith("image/") and kind not in _ACTIVE
        if kind in _ACTIVE:
            kind = OCTET_STREAM
        disposition = "inline" if inline else "attachment"
        left = max(0, int((hosted.expires_at - self.clock.now()).total_seconds()))
        return web.Response(
            body=hosted.data,
            content_type=kind,
            headers={
                "Content-Disposition": (
                    f'{disposition}; filename="{safe_name(hosted.name)}"; '
                    f"filename*=UTF-8''{quote(hosted.name)}"
                ),
                "Cache-Control": f"private, max-age={left}",
                "X-Content-Type-Options": "nosniff",
            },
        )

    def routes(self) -> list[web.RouteDef]:
        return [web.get(ROUTE, self.handle)]


# a channel's file id (e.g. "telegram:<file_id>") -> the file's bytes (None: not this channel's)
RefFetcher = Callable[[str], Awaitable["bytes | None"]]

NO_PUBLIC_URL = "no PUBLIC_BASE_URL: Zalo takes photos and files only by URL"
NOT_AVAILABLE = "the file's bytes are not available here"


@dataclass(frozen=True)
class Media:
    """A reply's picture or file as a platform that takes URLs gets it: `url`, or why not."""

    kind: str  # photo | document
    name: str
    url: str | None = None
    dropped: str | None = None  # why it cannot be sent (then url is None)


def telegram_fetcher(bot: Any) -> RefFetcher:
    """Downloads a "telegram:<file_id>" file through a python-telegram-bot `Bot`."""

    async def fetch(ref: str) -> bytes | None:
        if not ref.startswith("telegram:"):
            return None
        tg_file = await bot.get_file(ref.removeprefix("telegram:"))
        return bytes(await tg_file.download_as_bytearray())

    return fetch


async def reply_media(
    reply: Reply, files: FileHost | None, fetch_ref: RefFetcher | None = None
) -> Media | None:
    """The reply's picture (a chart) or attachment, hosted at a URL when a FileHost is set;
    None when the reply has neither."""
    if reply.image is not None:
        name = f"{safe_name(reply.image.key, 'chart')}.png"
        if files is None:
            return Media("photo", name, dropped=NO_PUBLIC_URL)
        png = await reply.image.source.png()
        return Media("photo", name, url=await files.put(png, name, "image/png"))
    attachment = reply.attachment
    if attachment is None:
        return None
    kind = "photo" if attachment.kind == "photo" else "document"
    name = attachment.name or ("photo.jpg" if kind == "photo" else "file")
    if files is None:
        return Media(kind, name, dropped=NO_PUBLIC_URL)
    ref = attachment.ref
    if attachment.data is None and ref:
        known = files.url_for_ref(ref)
        if known is not None:
            return Media(kind, name, url=known)
    data = attachment.data
    if data is None and ref and fetch_ref is not None:
        try:
            data = await fetch_ref(ref)
        except Exception as exc:
            log.warning("files: fetching %s failed (%r)", ref, exc)
            return Media(kind, name, dropped=f"fetching the file failed: {exc!r}"[:200])
    if data is None:
        log.warning("files: no bytes for %s attachment %r (ref %s)", kind, name, ref)
        return Media(kind, name, dropped=NOT_AVAILABLE)
    content_type = None
    if kind == "photo":
        sniffed = sniff_image(data)
        if sniffed is None:  # not a picture a messenger can show: a file then
            kind = "document"
        else:
            content_type = sniffed
            extension = mimetypes.guess_extension(sniffed) or ""
            if not content_type_for(name).startswith("image/") and extension:
                name = f"{PurePosixPath(name).stem or 'photo'}{extension}"
    url = await files.put(
        data,
        name,
        content_type or content_type_for(name),
        ref=ref if attachment.data is None else None,
    )
    return Media(kind, name, url=url)
