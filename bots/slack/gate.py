"""What may reach bolt over HTTP: requests Slack signed, with a body bolt can read, naming an allowed response_url.

bolt parses a body before it checks the signature, and an unreadable one (bytes that are not UTF-8, broken JSON,
`payload=[1]`, JSON nested past Python's recursion limit, a timestamp header that is not a number) raised out of
it as HTTP 500 with a traceback; a wrong signature was logged with the whole body at INFO. Here the signature is
checked first, on the raw bytes, so that nothing an anonymous client sends is parsed or logged: it gets 401 and
one warning line. A signed body that bolt cannot read as a JSON object gets 400 (bots/slack/app.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

# Slack refuses requests older than five minutes; so does bolt, and so do we.
MAX_AGE_S = 300
# Slack's payloads nest a dozen levels at most (a message's rich text inside a block_actions payload).
MAX_DEPTH = 64


class Refused(Exception):
    """The request is answered with `status` and logged as one line saying `reason` (our words, never its data)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    """Raise `Refused(401)` unless `body` carries Slack's signature under `secret`, made in the last five minutes."""
    stamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not stamp or not signature:
        raise Refused(401, "unsigned")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12):
        raise Refused(401, "the timestamp header is not a number")
    if abs((time.time() if now is None else now) - int(stamp)) > MAX_AGE_S:
        raise Refused(401, "the timestamp is more than five minutes off")
    mac = hmac.new(secret.encode("utf-8"), b"v0:" + stamp.encode("ascii") + b":" + body, hashlib.sha256)
    expected = b"v0=" + mac.hexdigest().encode("ascii")
    if not hmac.compare_digest(expected, signature.encode("latin-1", "replace")):
        raise Refused(401, "wrong signature")


def _depth_within(value: Any, limit: int) -> bool:
    """Whether `value` nests at most `limit` containers deep (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return True


def utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None


def check_payload(payload: Any, response_hosts: str) -> None:
    """Raise `Refused(400)` unless bolt's reading of a signed body is an object of sane depth whose response_url,
    if it names one, is on `response_hosts` (answers go there: nothing else may make us post to an address)."""
    if not isinstance(payload, dict):
        raise Refused(400, "the payload is not a JSON object")
    if not _depth_within(payload, MAX_DEPTH):
        raise Refused(400, f"the payload nests deeper than {MAX_DEPTH} levels")
    if "response_url" in payload and not allowed_url(payload["response_url"], response_hosts):
        raise Refused(400, "the response_url is not on an allowed host (RADAR_SLACK_RESPONSE_HOSTS)")


def allowed_url(url: Any, hosts: str) -> bool:
    """Whether `url` is on one of `hosts` (comma-separated): entries like `hooks.slack.com` (https, any port) or
    `http://127.0.0.1:8123` (that scheme, host and, when given, port)."""
    if not isinstance(url, str):
        return False
    entries = [h.strip() for h in hosts.split(",")]
    try:
        target = urlsplit(url)
        port = target.port
    except ValueError:
        return False
    if target.username or target.password or not target.hostname:
        return False
    for entry in filter(None, entries):
        allowed = urlsplit(entry if "://" in entry else f"https://{entry}")
        try:
            allowed_port = allowed.port
        except ValueError:
            continue
        if (target.scheme == allowed.scheme and target.hostname == (allowed.hostname or "").lower()
                and (allowed_port is None or port == allowed_port)):
            return True
    return False
