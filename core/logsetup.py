"""Logging for every role: plain lines, with any configured secret replaced before it is written."""

from __future__ import annotations

import logging
import sys

from pydantic import SecretStr

from core.config import Settings


class RedactSecrets(logging.Filter):
    """Replaces secret values wherever they appear in a formatted record (message or arguments)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Short values would redact ordinary words; real tokens and keys are long.
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        redacted = message
        for secret in self.secrets:
            redacted = redacted.replace(secret, "[redacted]")
        if record.exc_info and record.exc_text is None:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "[redacted]")
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


# Libraries that log request URLs or payloads: a filter on their own loggers rewrites a record before any
# handler sees it, whatever level or handler a deployment (or a test) configures.
LIBRARY_LOGGERS = ("httpx", "httpcore", "slack_sdk", "slack_bolt", "discord.http", "discord.gateway",
                   "aiohttp.access", "uvicorn.access")
_library_filter = RedactSecrets([])


def protect_library_loggers(settings: Settings) -> None:
    """Install (once) a redacting filter on the loggers of libraries that may print URLs with keys."""
    _library_filter.secrets = sorted({*_library_filter.secrets, *(v for v in secret_values(settings) if len(v) >= 8)},
                                     key=len, reverse=True)
    for name in LIBRARY_LOGGERS:
        target = logging.getLogger(name)
        if _library_filter not in target.filters:
            target.addFilter(_library_filter)


def secret_values(settings: Settings) -> list[str]:
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
    return values


def configure_logging(settings: Settings, *, quiet: bool = False) -> None:
    """`quiet` (ask, console) keeps the terminal for answers: warnings and errors only."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secret_values(settings)))
    protect_library_loggers(settings)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING if quiet else settings.log_level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler logs every run of the minute tick at INFO; its warnings and errors still show.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO, and OpenAlex keys travel in the query string.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
