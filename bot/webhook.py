"""What the webhook server answers besides the channels' webhooks (bot/runner.py mounts them
all on one aiohttp server): `/health` (the process is up) and `/ready` (the database answers
within READY_TIMEOUT and its migrations are at this code's head — or past it, upgraded by
newer code during a rolling deployment —; else 503 with the reason as JSON), and what
`chiso run --webhook` needs configured.

    GET /ready  ->  200 {"ok": true, "revision": "0013"}
                    503 {"ok": false, "reason": "database_unreachable", "detail": "..."}
                    503 {"ok": false, "reason": "migrations_pending", "current": null,
                         "head": "0013"}
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from locales import Translator

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)
READY_TIMEOUT = 2.0  # seconds the database may take to answer /ready


async def readiness(
    engine: AsyncEngine, timeout: float = READY_TIMEOUT
) -> tuple[bool, dict[str, Any]]:
    """(ready, what /ready answers)."""
    from store.migrate import current_revision, head_revision, known_revision

    head = head_revision()
    try:
        current = await asyncio.wait_for(current_revision(engine), timeout)
    except TimeoutError:
        return False, {
            "ok": False,
            "reason": "database_timeout",
            "detail": f"no answer within {timeout:g}s",
        }
    except Exception as exc:
        return False, {
            "ok": False,
            "reason": "database_unreachable",
            "detail": f"{type(exc).__name__}: {exc}"[:300],
        }
    if current != head and not known_revision(current):
        # newer code upgraded the database while this replica runs (`chiso db upgrade`
        # of the next version): this one keeps serving until it is replaced
        return True, {"ok": True, "revision": current, "code_head": head}
    if current != head:
        return False, {
            "ok": False,
            "reason": "migrations_pending",
            "current": current,
            "head": head,
        }
    return True, {"ok": True, "revision": head}


def probe_routes(engine: AsyncEngine) -> list[web.RouteDef]:
    """/health and /ready."""

    async def health(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def ready(_request: web.Request) -> web.Response:
        ok, body = await readiness(engine)
        if not ok:
            log.warning("not ready: %s", body)
        return web.json_response(body, status=200 if ok else 503)

    return [web.get("/health", health), web.get("/ready", ready)]


def webhook_problems(settings: Settings, _: Translator) -> list[str]:
    """What `chiso run --webhook` lacks, one sentence each (empty: it can start). It never
    polls: every configured messenger needs its webhook URL and secret."""
    if not (settings.telegram_enabled or settings.zalo_enabled):
        return [
            _(
                "--webhook needs a messenger: set TELEGRAM_BOT_TOKEN or ZALO_BOT_TOKEN "
                "(the console cannot run as a webhook)."
            )
        ]
    problems = []
    for enabled, channel, prefix, url, secret in (
        (
            settings.telegram_enabled,
            "Telegram",
            "TELEGRAM",
            settings.telegram_webhook_url,
            settings.telegram_webhook_secret,
        ),
        (
            settings.zalo_enabled,
            "Zalo Bot",
            "ZALO",
            settings.zalo_webhook_url,
            settings.zalo_webhook_secret,
        ),
    ):
        if not enabled:
            continue
        wanted = ((f"{prefix}_WEBHOOK_URL", url), (f"{prefix}_WEBHOOK_SECRET", secret))
        missing = [name for name, value in wanted if not value]
        if missing:
            problems.append(
                _(
                    "--webhook receives messages only through webhooks, and {channel} has "
                    "none set up: set {names}.",
                    channel=channel,
                    names=", ".join(missing),
                )
            )
    if problems:
        problems.append(
            _(
                "WEBHOOK_HOST and WEBHOOK_PORT say where the webhooks are served (now "
                "{host}:{port}).",
                host=settings.webhook_host,
                port=settings.webhook_port,
            )
        )
    return problems
