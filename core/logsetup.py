"""Logging for every role: plain lines, one per record, with secrets and tokens replaced before anything sees them.

Three things are done to every record when it is created, whichever logger made it and whichever handler (ours,
a platform's, a test's) writes it:
- configured secrets (every `SecretStr` setting) are replaced;
- anything shaped like a Slack token (`xoxb-…`, `xoxp-…`, `xoxe.xoxp-…`, `xapp-…`) is replaced too: the tokens of
  workspaces installed through OAuth are in no setting, yet slack_sdk logs the `oauth.v2.access` answer that
  carries them at DEBUG;
- line breaks and other control characters in the message are escaped, so that text from a request (an OAuth
  `error=` parameter, a header) cannot start a line of its own that reads like one we wrote.
A filter on a logger only sees records made by that very logger, not by its children (`slack_sdk.web.…`), which
is why this is a record factory and not a filter.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

from pydantic import SecretStr

from core.config import Settings

REDACTED = "[redacted]"
# Slack tokens: bot, user, app-level, configuration, refresh and rotating (`xoxe.xoxp-`) ones.
TOKEN_PATTERN = re.compile(r"\b(xox[a-z]?(?:\.xox[a-z]?)?|xapp)-[0-9A-Za-z][0-9A-Za-z-]*")
# C0 controls but tab, DEL, NEL and the Unicode line and paragraph separators: each can end a line in a viewer.
_LINE_BREAKERS = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r"}

# Secrets of every Settings this process has seen (tests and benchmarks build several), longest first.
_secrets: list[str] = []


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def redact(text: str, secrets: list[str] | None = None) -> str:
    """`text` with secrets and token-shaped strings replaced (the kind of token is kept: `xoxb-[redacted]`)."""
    for secret in _secrets if secrets is None else secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "xox" in text or "xapp-" in text:
        text = TOKEN_PATTERN.sub(lambda m: f"{m.group(1)}-{REDACTED}", text)
    return text


def one_line(text: str) -> str:
    """`text` with line breaks and control characters escaped (`\\n`), so it stays one log line."""
    return _LINE_BREAKERS.sub(_escape, text)


def _scrub(record: logging.LogRecord, secrets: list[str] | None = None) -> None:
    try:
        message = record.getMessage()
    except Exception:  # arguments that do not fit the format: logging reports that itself when it writes
        return
    clean = one_line(redact(message, secrets))
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_text is None:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text, secrets)


class RedactSecrets(logging.Filter):
    """The same scrubbing as a handler filter, with its own secrets (for handlers built outside `configure_logging`)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        # Short values would redact ordinary words; real tokens and keys are long.
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub(record, sorted({*self.secrets, *_secrets}, key=len, reverse=True))
        return True


def _install_record_factory() -> None:
    current = logging.getLogRecordFactory()
    if getattr(current, "radar_scrubs", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        _scrub(record)
        return record

    factory.radar_scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


def protect_library_loggers(settings: Settings) -> None:
    """Scrub every log record from now on (once per process), with `settings`' secrets added to the known ones."""
    _secrets[:] = sorted({*_secrets, *(v for v in secret_values(settings) if len(v) >= 8)}, key=len, reverse=True)
    _install_record_factory()


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
