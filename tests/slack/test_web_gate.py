"""The web role in front of bolt: what anonymous and malformed requests get, and where answers may go.

Everything goes through the real web role (`create_web_app` + `build_slack`) on an ASGI transport, with the
loopback fake Slack behind it (tests/slack/conftest.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from urllib.parse import quote

import pytest

from bots.slack.gate import allowed_url
from bots.slack.listeners import Responder
from bots.slack.render import render
from core import views as v
from tests.slack.conftest import (
    ADMIN,
    CHANNEL,
    SECRET,
    Harness,
    HarnessFactory,
    command_body,
    text_of,
)
from tests.slack.fake_slack import TEAM

FORM = "application/x-www-form-urlencoded"
LIMIT = 256 * 1024  # the default RADAR_WEB_MAX_BODY


def signed(body: bytes, *, stamp: str | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's signature over the raw bytes (slack_sdk's signer takes text, and these bodies need not be text)."""
    stamp = stamp or str(int(time.time()))
    mac = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"x-slack-request-timestamp": stamp, "x-slack-signature": f"v0={mac}"}


def problems(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() + str(r.exc_text or "") for r in caplog.records)


DEEP = "[" * 20_000 + "]" * 20_000  # past Python's recursion limit, under the body limit form-encoded
# (name, body, content type, headers besides the content type): what anyone on the internet can send.
ANONYMOUS = [
    ("no signature", b"command=/radar&text=help", FORM, {}),
    ("timestamp not a number", b"command=/radar&text=help", FORM,
     {"x-slack-request-timestamp": "yesterday", "x-slack-signature": "v0=00"}),
    ("timestamp far too large", b"command=/radar&text=help", FORM,
     {"x-slack-request-timestamp": "9" * 40, "x-slack-signature": "v0=00"}),
    ("signature not ASCII", b"command=/radar&text=help", FORM,
     {"x-slack-request-timestamp": str(int(time.time())), "x-slack-signature": "v0=\u00e9\u00e9".encode()}),
    ("stale signature", b"text=help", FORM, signed(b"text=help", stamp=str(int(time.time()) - 3600))),
    ("invalid UTF-8", b"payload=\xff\xfe\xfa", FORM, {"x-slack-request-timestamp": "1", "x-slack-signature": "v0=1"}),
    ("broken JSON", b'{"type": "event_callback", ', "application/json", {}),
    ("a list in payload=", b"payload=%5B1%5D", FORM, {}),
    ("deeply nested JSON", DEEP.encode(), "application/json", {}),
    ("deeply nested payload=", b"payload=" + quote(DEEP).encode(), FORM, {}),
]
# The same shapes, signed: only someone with the signing secret can send these, and they still get no traceback.
SIGNED = [
    ("invalid UTF-8", b"payload=\xff\xfe\xfa", FORM),
    ("broken JSON", b'{"type": "event_callback", ', "application/json"),
    ("a list in payload=", b"payload=%5B1%5D", FORM),
    ("a JSON list", b"[1, 2]", "application/json"),
    ("a team that is a number", b'{"type": "event_callback", "team": 5, "event": []}', "application/json"),
    ("deeply nested JSON", DEEP.encode(), "application/json"),
    ("JSON nested 200 deep", ("{\"a\": " * 200 + "1" + "}" * 200).encode(), "application/json"),
]


@pytest.mark.parametrize(("name", "body", "content_type", "headers"), ANONYMOUS, ids=[a[0] for a in ANONYMOUS])
async def test_anonymous_malformed_requests_get_401_and_one_warning_line(
    harness: Harness, caplog: pytest.LogCaptureFixture, name: str, body: bytes, content_type: str,
    headers: dict[str, str | bytes],
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await harness.http.post("/slack/events", content=body, headers={"content-type": content_type, **headers})
    assert answer.status_code == 401, (name, answer.status_code, answer.text[:200])
    (warning,) = problems(caplog)
    assert warning.exc_info is None and "Traceback" not in everything_logged(caplog)
    assert "refused POST /slack/events" in warning.getMessage()
    assert harness.fake.calls == []


@pytest.mark.parametrize(("name", "body", "content_type"), SIGNED, ids=[s[0] for s in SIGNED])
async def test_signed_unreadable_requests_get_400_and_one_warning_line(
    harness: Harness, caplog: pytest.LogCaptureFixture, name: str, body: bytes, content_type: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = await harness.http.post("/slack/events", content=body,
                                     headers={"content-type": content_type, **signed(body)})
    assert answer.status_code == 400, (name, answer.status_code, answer.text[:200])
    (warning,) = problems(caplog)
    assert warning.exc_info is None and "Traceback" not in everything_logged(caplog)


async def test_an_unsigned_body_is_never_logged(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """bolt logged every request that failed its signature check, whole body included, at INFO."""
    caplog.set_level(logging.DEBUG)
    marker = "unsigned-body-marker-"
    body = command_body(marker * 5000, user=ADMIN, channel=CHANNEL, team=TEAM, response_url="https://x.test/")
    answer = await harness.http.post("/slack/events", content=body, headers={
        "content-type": FORM, **signed(body.encode(), secret="not-the-signing-secret")})
    assert answer.status_code == 401
    assert marker not in everything_logged(caplog)
    assert len(everything_logged(caplog)) < 1000


async def test_commands_work_while_slacks_api_is_unreachable(make_harness: HarnessFactory) -> None:
    """One workspace: bolt called auth.test before the first request it served, and with Slack's API down at
    that moment every command got HTTP 500, even `help`. The configured token is enough to authorize."""
    harness = await make_harness(SLACK_API_URL="http://127.0.0.1:9/api/")  # a closed port
    ack, _ = await harness.command("help")
    assert ack.status_code == 200 and "/radar subscribe topic" in text_of(ack.json())
    (listed,) = await harness.ask("list")  # answered through response_url, which Slack's API being down spares
    assert "This channel has no subscriptions yet" in text_of(listed)
    assert harness.fake.called("auth.test") == []


async def test_the_oauth_error_parameter_cannot_forge_a_log_line(make_harness: HarnessFactory,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    harness = await make_harness(SLACK_CLIENT_ID="1111.2222", SLACK_CLIENT_SECRET="client-secret-for-tests")
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    forged = "access_denied\n2026-01-01 12:00:00 ERROR radar.clock: FORGED database wiped\r\u2028x"
    answer = await harness.http.get("/slack/oauth_redirect", params={"error": forged})
    assert answer.status_code < 500
    assert caplog.records and all("\n" not in r.getMessage() and "\r" not in r.getMessage()
                                  and "\u2028" not in r.getMessage() for r in caplog.records)
    (warning,) = problems(caplog)
    assert "FORGED" in warning.getMessage() and "\\n2026" in warning.getMessage()


async def test_answers_go_only_to_slacks_response_hosts(make_harness: HarnessFactory,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    """A signed payload names its response_url; only RADAR_SLACK_RESPONSE_HOSTS may receive answers."""
    harness = await make_harness(RADAR_SLACK_RESPONSE_HOSTS="hooks.slack.com")
    ack, _ = await harness.command("list")  # its answer would go to the loopback fake, not a Slack host
    assert ack.status_code == 400
    click = "payload=" + quote(json.dumps({"type": "block_actions", "response_url": harness.fake.response_url("c"),
                                           "team": {"id": TEAM}, "user": {"id": ADMIN}, "actions": []}))
    answer = await harness.http.post("/slack/events", content=click, headers={"content-type": FORM,
                                                                             **signed(click.encode())})
    assert answer.status_code == 400
    await harness.fake.wait_for_answers(0, settle=0.2)
    assert harness.fake.answers() == []
    # Socket Mode payloads reach the listeners without the web gate: the responder checks too.
    await harness.slack.listeners.responder.send(harness.fake.response_url("s"), render(v.HelpView(entries=())))
    assert harness.fake.answers() == []
    assert any("RADAR_SLACK_RESPONSE_HOSTS" in r.getMessage() for r in problems(caplog))


def test_response_hosts_match_scheme_host_and_port() -> None:
    default = "hooks.slack.com"
    assert allowed_url("https://hooks.slack.com/commands/T1/2/abc", default)
    assert allowed_url("https://HOOKS.slack.com:443/actions/T1/2/abc", default)
    for url in ("http://hooks.slack.com/commands/T1", "https://hooks.slack.com.evil.test/x",
                "https://evil.test/hooks.slack.com", "https://hooks.slack.com@evil.test/x",
                "https://user:pw@hooks.slack.com/x", "https://evil.test/?u=https://hooks.slack.com/",
                "//hooks.slack.com/x", "hooks.slack.com/x", "https://hooks.slack.com:99999/x", "", None, 5):
        assert not allowed_url(url, default), url
    local = "http://127.0.0.1:8123, hooks.slack.com"
    assert allowed_url("http://127.0.0.1:8123/response/r1", local)
    assert not allowed_url("http://127.0.0.1:8124/response/r1", local)
    assert allowed_url("http://127.0.0.1:5/x", "http://127.0.0.1")


async def test_responder_posts_to_an_allowed_host(harness: Harness) -> None:
    responder = Responder(harness.fake.base_url)
    try:
        await responder.send(harness.fake.response_url("ok"), render(v.HelpView(entries=())))
    finally:
        await responder.aclose()
    assert len(harness.fake.answers("ok")) == 1


async def test_a_body_over_the_limit_is_refused_before_it_is_read(harness: Harness,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    """20 unsigned 10 MB bodies wrote 200 MB of log and each was read whole before bolt refused it."""
    pulled = 0

    async def ten_megabytes() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(160):
            pulled += 64 * 1024
            yield b"x" * (64 * 1024)

    declared = await harness.http.post("/slack/events", content=ten_megabytes(),
                                       headers={"content-length": str(160 * 64 * 1024)})
    assert declared.status_code == 413 and pulled == 0  # told by its Content-Length: not a byte read
    streamed = await harness.http.post("/slack/events", content=ten_megabytes())  # chunked: counted as it comes
    assert streamed.status_code == 413 and pulled <= LIMIT + 2 * 64 * 1024
    bad_length = await harness.http.post("/slack/events", content=b"x", headers={"content-length": "-1"})
    assert bad_length.status_code == 400
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 3 and len(logged) < 2000
    assert "xxxxxxxx" not in logged
