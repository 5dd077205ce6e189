"""Settings from environment variables and an optional .env file. Tokens are never logged."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from handlers.reading import ReadLimits

DEFAULT_DATABASE_URL = "sqlite:///chiso.sqlite3"
DEMO_DATABASE_URL = "sqlite:///chiso-demo.sqlite3"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    telegram_token: str | None = None
    telegram_api_base_url: str | None = None  # e.g. a local Bot API server: http://host:8081
    log_level: str = "INFO"
    cache_ttl: float = 5.0
    start_at: str | None = None  # CHISO_START_AT: run the clock from this ISO instant
    outbox_lease: float = 60.0  # CHISO_OUTBOX_LEASE: seconds a claimed message is ours
    group_interval: float = 3.0  # CHISO_GROUP_INTERVAL: seconds between messages to a group
    telegram_webhook_url: str | None = None  # set: webhook mode (with its secret)
    telegram_webhook_secret: str | None = None
    zalo_token: str | None = None  # ZALO_BOT_TOKEN
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_url: str | None = None  # set: webhook mode; unset: long polling
    zalo_webhook_secret: str | None = None
    zalo_oa_app_id: str | None = None
    zalo_oa_secret_key: str | None = None
    zalo_oa_id: str | None = None
    zalo_oa_refresh_token: str | None = None  # the first pair; later ones live in the database
    zalo_oa_access_token: str | None = None
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com/v4/oa/access_token"
    zalo_rate: float = 5.0  # ZALO_RATE: messages per second to Zalo, all chats together
    # TELEGRAM_RATE: messages per second this process sends to Telegram (its ~30/s are per
    # bot, so N replicas take 30/N each); above 30, a local Bot API or a test's fake
    telegram_rate: int = 30
    webhook_host: str = "0.0.0.0"
    webhook_port: int = 8080
    # PUBLIC_BASE_URL: where the webhook server is reached from outside (https://bot.example.vn);
    # set, it serves photos and files to Zalo at /files/... for FILE_TTL_HOURS
    public_base_url: str | None = None
    file_ttl_hours: float = 24.0
    # reading documents (handlers/reading.py): worker processes, per-file limits, rows
    read_workers: int = 2  # CHISO_READ_WORKERS
    read_timeout: float = 20.0  # CHISO_READ_TIMEOUT: seconds one file may take to read
    max_file_mb: float = 10.0  # CHISO_MAX_FILE_MB: largest file read
    max_unpacked_mb: float = 50.0  # CHISO_MAX_UNPACKED_MB: a .docx/.xlsx once unpacked
    max_import_rows: int = 5000  # CHISO_MAX_IMPORT_ROWS: sets of figures in one file
    # CHISO_CRITERIA_FILE: the ward's own sub-criteria table (a copy of ingest/criteria.toml);
    # unset: the shipped one. Checked here: a file with mistakes stops the start, by line
    criteria_file: str | None = None
    # the national portal's daily fetch (bot/portal.py) for wards with [portal] in ward.toml
    portal_fetch: bool = True  # CHISO_PORTAL_FETCH=0: `chiso run` does not fetch
    portal_timeout: float = 30.0  # CHISO_PORTAL_TIMEOUT: seconds one request may take
    portal_loaichitieu: str = "0"  # CHISO_PORTAL_LOAICHITIEU: the service's "loaichitieu"

    def read_limits(self) -> ReadLimits:
        return ReadLimits(
            timeout=self.read_timeout,
            max_file_bytes=int(self.max_file_mb * 1024 * 1024),
            max_unpacked_bytes=int(self.max_unpacked_mb * 1024 * 1024),
            max_import_rows=self.max_import_rows,
            workers=self.read_workers,
        )

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_token)

    @property
    def zalo_oa_enabled(self) -> bool:
        return bool(self.zalo_oa_app_id and self.zalo_oa_secret_key and self.zalo_oa_id)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def channels(self) -> frozenset[str]:
        """The channels this configuration can send on."""
        enabled = {
            "telegram": self.telegram_enabled,
            "zalo": self.zalo_enabled,
            "zalo_oa": self.zalo_oa_enabled,
        }
        return frozenset(name for name, on in enabled.items() if on)

    def describe(self) -> str:
        """For logs: what is configured, with secrets hidden."""
        parts = [f"database={hide_password(self.database_url)}"]
        parts.append("telegram=" + ("on" if self.telegram_enabled else "off"))
        parts.append("zalo=" + ("on" if self.zalo_enabled else "off"))
        parts.append("zalo_oa=" + ("on" if self.zalo_oa_enabled else "off"))
        if self.telegram_api_base_url:
            parts.append(f"telegram_api={self.telegram_api_base_url}")
        return " ".join(parts)


# Telegram's secret_token: 1 to 256 characters, only A-Z, a-z, 0-9, _ and -
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(ValueError):
    """A setting that cannot work, said in one line that names it."""


def check_telegram_secret(secret: str | None) -> None:
    """Telegram refuses a webhook secret with other characters (or longer than 256): said
    here, at load time, instead of as "cannot reach the API" when the webhook is set."""
    if secret is None or TELEGRAM_SECRET.fullmatch(secret):
        return
    bad = sorted({c for c in secret if not re.fullmatch(r"[A-Za-z0-9_-]", c)})
    if bad:
        shown = " ".join(repr(c) for c in bad[:10])
        raise ConfigError(
            "TELEGRAM_WEBHOOK_SECRET has characters Telegram does not accept "
            f"({shown}): use only A-Z, a-z, 0-9, _ and -, 1 to 256 characters"
        )
    raise ConfigError(
        f"TELEGRAM_WEBHOOK_SECRET is {len(secret)} characters long; Telegram accepts 1 to 256"
    )


def hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable DATABASE_URL>"


def load_settings(env: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Environment variables win over the .env file (default: ./.env if it exists). A setting
    that cannot work raises `ConfigError` naming it."""
    values: dict[str, str] = {}
    path = dotenv if dotenv is not None else Path(".env")
    if env is None and path.exists():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ if env is None else env)
    check_telegram_secret(values.get("TELEGRAM_WEBHOOK_SECRET") or None)
    return Settings(
        database_url=values.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        telegram_token=values.get("TELEGRAM_BOT_TOKEN") or None,
        telegram_api_base_url=(values.get("TELEGRAM_API_BASE_URL") or "").rstrip("/") or None,
        log_level=(values.get("LOG_LEVEL") or "INFO").upper(),
        cache_ttl=float(values.get("CHISO_CACHE_TTL") or 5.0),
        start_at=values.get("CHISO_START_AT") or None,
        outbox_lease=float(values.get("CHISO_OUTBOX_LEASE") or 60.0),
        group_interval=float(values.get("CHISO_GROUP_INTERVAL") or 3.0),
        telegram_webhook_url=values.get("TELEGRAM_WEBHOOK_URL") or None,
        telegram_webhook_secret=values.get("TELEGRAM_WEBHOOK_SECRET") or None,
        zalo_token=values.get("ZALO_BOT_TOKEN") or None,
        zalo_api_base_url=(
            values.get("ZALO_API_BASE_URL") or "https://bot-api.zaloplatforms.com"
        ).rstrip("/"),
        zalo_webhook_url=values.get("ZALO_WEBHOOK_URL") or None,
        zalo_webhook_secret=values.get("ZALO_WEBHOOK_SECRET") or None,
        zalo_oa_app_id=values.get("ZALO_OA_APP_ID") or None,
        zalo_oa_secret_key=values.get("ZALO_OA_SECRET_KEY") or None,
        zalo_oa_id=values.get("ZALO_OA_ID") or None,
        zalo_oa_refresh_token=values.get("ZALO_OA_REFRESH_TOKEN") or None,
        zalo_oa_access_token=values.get("ZALO_OA_ACCESS_TOKEN") or None,
        zalo_oa_api_base_url=(
            values.get("ZALO_OA_API_BASE_URL") or "https://openapi.zalo.me"
        ).rstrip("/"),
        zalo_oauth_url=values.get("ZALO_OAUTH_URL")
        or "https://oauth.zaloapp.com/v4/oa/access_token",
        zalo_rate=float(values.get("ZALO_RATE") or 5.0),
        telegram_rate=int(values.get("TELEGRAM_RATE") or 30),
        webhook_host=values.get("WEBHOOK_HOST") or "0.0.0.0",
        webhook_port=int(values.get("WEBHOOK_PORT") or 8080),
        public_base_url=(values.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        file_ttl_hours=float(values.get("FILE_TTL_HOURS") or 24.0),
        read_workers=int(values.get("CHISO_READ_WORKERS") or 2),
        read_timeout=float(values.get("CHISO_READ_TIMEOUT") or 20.0),
        max_file_mb=float(values.get("CHISO_MAX_FILE_MB") or 10.0),
        max_unpacked_mb=float(values.get("CHISO_MAX_UNPACKED_MB") or 50.0),
        max_import_rows=int(values.get("CHISO_MAX_IMPORT_ROWS") or 5000),
        criteria_file=check_criteria_file(values.get("CHISO_CRITERIA_FILE") or None),
        portal_fetch=(values.get("CHISO_PORTAL_FETCH") or "1").strip().lower()
        not in ("0", "false", "no", "off"),
        portal_timeout=float(values.get("CHISO_PORTAL_TIMEOUT") or 30.0),
        portal_loaichitieu=(values.get("CHISO_PORTAL_LOAICHITIEU") or "0").strip(),
    )


def check_criteria_file(path: str | None) -> str | None:
    """CHISO_CRITERIA_FILE, checked: ConfigError with each mistake on its line (in
    Vietnamese, like ward.toml's) when the file cannot be used."""
    if path is None:
        return None
    from handlers.metric_problems import config_lines
    from ingest.criteria import CriteriaError, load_criteria_file
    from locales import translator

    try:
        load_criteria_file(path)
    except CriteriaError as exc:
        _ = translator("vi")
        head = _("CHISO_CRITERIA_FILE {path} has problems; fix them and start again:", path=path)
        raise ConfigError("\n".join([head, *config_lines(path, exc.problems, _)])) from None
    return path
