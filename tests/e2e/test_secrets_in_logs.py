"""No token or key ever reaches a log line: not written by us, and redacted if a library writes one."""

from __future__ import annotations

import logging

import httpx
import pytest

from core.config import Settings
from core.digest.ingest import ingest
from core.logsetup import configure_logging
from tests.digest.conftest import THURSDAY, feed_router
from tests.fakes import ask_text

OPENALEX_KEY = "oa-key-5c1e7a9b2d4f6e8a"
S2_KEY = "s2-key-0f9e8d7c6b5a4939"


async def test_failing_sources_never_log_the_keys(app_factory, recordings, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    router = feed_router(recordings)
    router.add("openalex", "/", httpx.Response(503, json={"error": f"upstream said {OPENALEX_KEY}? no"}))
    router.add("semantic_scholar", "/", httpx.Response(429, headers={"Retry-After": "1"}))
    app = app_factory(router, now=THURSDAY, OPENALEX_API_KEY=OPENALEX_KEY, SEMANTIC_SCHOLAR_API_KEY=S2_KEY)
    caplog.set_level(logging.DEBUG)
    await ask_text(app, "researcher Ada Lovelace")
    await ask_text(app, "follow 0000-0002-1825-0097")
    await ask_text(app, "paper 10.1038/nphys1170")
    await ingest(app)
    assert router.calls("openalex"), "the flow must have used OpenAlex with the key"
    assert all(r.url.params.get("api_key") == OPENALEX_KEY for r in router.calls("openalex"))
    logged = "\n".join(record.getMessage() + str(record.exc_text or "") for record in caplog.records)
    assert caplog.records, "the failures were logged"
    assert OPENALEX_KEY not in logged.replace(f"upstream said {OPENALEX_KEY}", "")
    assert S2_KEY not in logged


def test_log_output_redacts_secrets_a_library_might_print(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-1111-2222-abcdefabcdef",  # type: ignore[call-arg]
                        SLACK_SIGNING_SECRET="8f742231b10e8888abcd99yyyzzz85a5", DISCORD_BOT_TOKEN="MTA.discord.token.x")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging(settings)
        logging.getLogger("some.library").warning("calling with token=%s", "xoxb-1111-2222-abcdefabcdef")
        logging.getLogger("some.library").error("secret %s and %s", "8f742231b10e8888abcd99yyyzzz85a5",
                                                "MTA.discord.token.x")
        try:
            raise RuntimeError("auth failed for xoxb-1111-2222-abcdefabcdef")
        except RuntimeError:
            logging.getLogger("some.library").exception("request failed")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    err = capsys.readouterr().err
    assert "xoxb-1111-2222-abcdefabcdef" not in err and "8f742231b10e8888abcd99yyyzzz85a5" not in err
    assert "MTA.discord.token.x" not in err
    assert err.count("[redacted]") >= 4


def test_every_record_is_one_line_without_token_shaped_text(caplog: pytest.LogCaptureFixture,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Whatever logger makes the record (a library's child logger included) and whatever handler writes it: a
    token seen in no setting is redacted by its shape, and text from a request cannot start a line of its own."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    tokens = ("xoxb-17-2222-AbCdEfGhIjKl", "xoxp-1-abc-def", "xoxe.xoxp-1-Mi0yLTE", "xapp-1-A0001-123-f00d")
    try:
        configure_logging(settings)
        root.addHandler(caplog.handler)
        caplog.set_level(logging.DEBUG)
        logging.getLogger("slack_sdk.web.async_base_client").warning("answer: %s", {"access_token": tokens[0]})
        logging.getLogger("some.library.deep.child").error("tokens %s %s %s", *tokens[1:])
        logging.getLogger("radar.web").warning("refused %s", "x\n2026-01-01 ERROR radar: FORGED\r\u2028")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    err = capsys.readouterr().err
    messages = [r.getMessage() for r in caplog.records]
    for token in tokens:
        assert token not in err and all(token not in m for m in messages)
    assert "xoxb-[redacted]" in err and "xapp-[redacted]" in err
    assert len(err.strip().splitlines()) == 3 and all("\n" not in m and "\u2028" not in m for m in messages)
    assert "x\\n2026-01-01 ERROR radar: FORGED\\r\\u2028" in err
