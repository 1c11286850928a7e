"""The shared HTTP layer under faults: every failure reaches the caller as a classified SourceError.

Responses are served by httpx.MockTransport through SourceHub, so retries and pacing run for real; a fake
clock and sleep make waits instant and measurable. The helpers here are shared by the arXiv source tests.
"""

from __future__ import annotations

import asyncio
import email.utils
import heapq
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from core.config import Settings
from core.sources import arxiv_api, arxiv_feed
from core.sources.http import (
    BadRequest,
    NotFound,
    RateLimited,
    SourceError,
    Unavailable,
    parse_retry_after,
)
from core.sources.hub import SourceHub

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]

API_URL = "http://export.arxiv.test/api"
RSS_URL = "http://rss.arxiv.test"


class FakeClock:
    """Monotonic time that only moves when someone sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


class VirtualClock(FakeClock):
    """Concurrent tasks in virtual time: a sleeper wakes only when the clock reaches its time, and the clock
    jumps to the next wake-up once every task is waiting. With FakeClock, one task's sleep moves time for all."""

    def __init__(self) -> None:
        super().__init__()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = 0

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), self._order, wake))
        self._order += 1
        await wake

    async def run(self, *jobs: Awaitable[object]) -> list[object]:
        tasks = [asyncio.ensure_future(job) for job in jobs]
        idle_rounds = 0
        while not all(task.done() for task in tasks):
            for _ in range(50):  # let every runnable task get to its next wait
                await asyncio.sleep(0)
            if self._sleepers:
                when, _, wake = heapq.heappop(self._sleepers)
                self.now = max(self.now, when)
                wake.set_result(None)
                idle_rounds = 0
            else:
                idle_rounds += 1
                assert idle_rounds < 100, "tasks are stuck without sleeping"
        return list(await asyncio.gather(*tasks))


class Recorder:
    """Serves responses from a handler and remembers each request with the fake time it started."""

    def __init__(self, handler: Handler, clock: FakeClock) -> None:
        self.handler = handler
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.started: list[float] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.started.append(self.clock.now)
        result = self.handler(request)
        return await result if isinstance(result, Awaitable) else result


def arxiv_settings() -> Settings:
    # The mock transport never opens a socket, so realistic host names are safe and tell the two clients apart.
    return Settings(RADAR_ARXIV_API_URL=API_URL, RADAR_ARXIV_RSS_URL=RSS_URL)  # type: ignore[call-arg]


@asynccontextmanager
async def serving(
    handler: Handler, clock: FakeClock | None = None, settings: Settings | None = None
) -> AsyncIterator[tuple[SourceHub, Recorder]]:
    clock = clock or FakeClock()
    recorder = Recorder(handler, clock)
    hub = SourceHub(
        settings or arxiv_settings(), transport=httpx.MockTransport(recorder), sleep=clock.sleep, clock=clock
    )
    try:
        yield hub, recorder
    finally:
        await hub.aclose()


def sequence(*responses: httpx.Response | Exception) -> Handler:
    """Answer each request with the next response (or raise the next exception); the last one repeats."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def xml(body: bytes, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"Content-Type": "application/xml", **headers})


@pytest.fixture
def small_feed(synthetic: Path) -> bytes:
    return (synthetic / "synthetic_arxiv_rss_small.xml").read_bytes()


# ---------------------------------------------------------------- Retry-After


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 5, 1, 12, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("7", now=now) == 7.0
    assert parse_retry_after("Fri, 01 May 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Fri, 01 May 2026 11:00:00 GMT", now=now) == 0.0  # already past
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


# ---------------------------------------------------------------- transient faults


async def test_timeouts_are_retried_soon_then_reported(small_feed: bytes) -> None:
    async with serving(sequence(httpx.ReadTimeout("slow"))) as (hub, calls):
        with pytest.raises(Unavailable, match="did not answer in time"):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    assert len(calls.requests) == 4
    gaps = [b - a for a, b in zip(calls.started, calls.started[1:], strict=False)]
    # arXiv's pacing still spaces every attempt 3 s apart, but a person waiting never waits much longer.
    assert all(gap >= 3.0 for gap in gaps) and sum(gaps) <= 3 * 4.0


async def test_a_timeout_followed_by_an_answer_is_invisible_to_the_caller(small_feed: bytes) -> None:
    async with serving(sequence(httpx.ConnectTimeout("slow"), xml(small_feed))) as (hub, calls):
        result = await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    assert len(result.items) == 4 and len(calls.requests) == 2


async def test_connection_refused_by_the_transport_is_unavailable() -> None:
    async with serving(sequence(httpx.ConnectError("Connection refused"))) as (hub, calls):
        with pytest.raises(Unavailable, match="could not be reached"):
            await arxiv_api.lookup_id(hub, "2401.01234")
    assert len(calls.requests) == 4


async def test_connection_refused_by_a_real_closed_loopback_port() -> None:
    clock = FakeClock()
    # No transport: the default settings point at 127.0.0.1:9, where nothing listens.
    hub = SourceHub(Settings(), sleep=clock.sleep, clock=clock)
    client = hub.arxiv_rss
    try:
        with pytest.raises(Unavailable, match="could not be reached"):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    finally:
        await hub.aclose()
    assert client.requests_sent == 4


async def test_a_connection_dropped_mid_body_is_retried(small_feed: bytes) -> None:
    dropped = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    async with serving(sequence(dropped, xml(small_feed))) as (hub, calls):
        result = await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    assert len(result.items) == 4 and len(calls.requests) == 2


async def test_429_with_retry_after_seconds_waits_that_long_then_succeeds(small_feed: bytes) -> None:
    async with serving(sequence(xml(b"", 429, **{"Retry-After": "7"}), xml(small_feed))) as (hub, calls):
        result = await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    assert len(result.items) == 4
    assert calls.started[1] - calls.started[0] >= 7.0


async def test_429_with_retry_after_http_date_waits_until_then(small_feed: bytes) -> None:
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    async with serving(sequence(xml(b"", 429, **{"Retry-After": when}), xml(small_feed))) as (hub, calls):
        result = await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    assert len(result.items) == 4
    assert 28.0 <= calls.started[1] - calls.started[0] <= 32.0


async def test_503_then_success(small_feed: bytes) -> None:
    async with serving(sequence(xml(b"<html>busy</html>", 503), xml(small_feed))) as (hub, calls):
        result = await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    assert len(result.items) == 4 and len(calls.requests) == 2


async def test_persistent_5xx_gives_unavailable_after_the_retries() -> None:
    async with serving(sequence(xml(b"oops", 502))) as (hub, calls):
        with pytest.raises(Unavailable, match="HTTP 502") as caught:
            await arxiv_api.search(hub, title="graphs")
    assert caught.value.status == 502 and len(calls.requests) == 4


async def test_a_long_retry_after_gives_up_at_once_with_rate_limited() -> None:
    async with serving(sequence(xml(b"", 429, **{"Retry-After": "3600"}))) as (hub, calls):
        with pytest.raises(RateLimited) as caught:
            await arxiv_api.search(hub, title="graphs")
    assert len(calls.requests) == 1
    assert caught.value.retry_after == 3600
    assert not caught.value.budget_exhausted  # a long pause is not "the daily budget is spent"
    assert "60 minutes" in caught.value.message
    assert all(wait < 3600 for wait in calls.clock.sleeps)


async def test_a_spent_budget_is_reported_as_such() -> None:
    body = json.dumps({"error": "Rate limit exceeded", "message": "Daily budget exhausted"}).encode()
    answer = httpx.Response(429, content=body, headers={"Retry-After": "40000", "Content-Type": "application/json"})
    async with serving(sequence(answer)) as (hub, _):
        with pytest.raises(RateLimited) as caught:
            await hub.openalex.get_json("works")
    assert caught.value.budget_exhausted


# ---------------------------------------------------------------- permanent faults


async def test_404_is_not_found_and_not_retried() -> None:
    async with serving(sequence(httpx.Response(404, text="no such feed"))) as (hub, calls):
        with pytest.raises(NotFound):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])
    assert len(calls.requests) == 1


async def test_400_carries_the_sources_own_message() -> None:
    answer = httpx.Response(400, json={"error": "Invalid query parameters", "message": "unknown filter 'foo'"})
    async with serving(sequence(answer)) as (hub, calls):
        with pytest.raises(BadRequest, match="unknown filter 'foo'"):
            await hub.openalex.get_json("works", {"filter": "foo:1"})
    assert len(calls.requests) == 1


async def test_a_redirect_loop_is_unavailable() -> None:
    loop = httpx.Response(302, headers={"Location": f"{RSS_URL}/rss/cs.LG"})
    async with serving(sequence(loop)) as (hub, _):
        with pytest.raises(Unavailable, match="could not read"):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])


async def test_a_body_that_fails_to_decompress_is_unavailable() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        # A stream, so that decoding happens when our client reads the body, as it would off the wire.
        return httpx.Response(200, stream=httpx.ByteStream(b"not gzip at all"), headers={"Content-Encoding": "gzip"})

    async with serving(broken) as (hub, _):
        with pytest.raises(Unavailable):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])


# ---------------------------------------------------------------- unreadable bodies


HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><p>nginx<br></body></html>"


async def test_truncated_feed_xml_is_unavailable(small_feed: bytes) -> None:
    async with serving(sequence(xml(small_feed[: len(small_feed) // 2]))) as (hub, _):
        with pytest.raises(Unavailable, match="incomplete or damaged"):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])


async def test_truncated_api_xml_is_unavailable(synthetic: Path) -> None:
    body = (synthetic / "synthetic_arxiv_api_page1.xml").read_bytes()
    async with serving(sequence(xml(body[:-200]))) as (hub, _):
        with pytest.raises(Unavailable, match="incomplete or damaged"):
            await arxiv_api.search(hub, author="Test Author")


async def test_html_error_page_instead_of_a_feed_is_unavailable() -> None:
    page = httpx.Response(200, content=HTML_PAGE, headers={"Content-Type": "text/html"})
    async with serving(sequence(page)) as (hub, _):
        with pytest.raises(Unavailable, match="web page"):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])


async def test_well_formed_xhtml_instead_of_a_feed_is_unavailable() -> None:
    page = b"<html xmlns='http://www.w3.org/1999/xhtml'><body><p>Maintenance</p></body></html>"
    async with serving(sequence(xml(page))) as (hub, _):
        with pytest.raises(Unavailable, match="web page"):
            await arxiv_feed.fetch_feed(hub, ["cs.LG"])


async def test_html_error_page_instead_of_search_results_is_unavailable() -> None:
    async with serving(sequence(xml(HTML_PAGE))) as (hub, _):
        with pytest.raises(Unavailable, match="web page"):
            await arxiv_api.lookup_ids(hub, ["2401.01234"])


FAULTS: dict[str, list[httpx.Response | Exception]] = {
    "read timeout": [httpx.ReadTimeout("slow")],
    "connect timeout": [httpx.ConnectTimeout("slow")],
    "connection refused": [httpx.ConnectError("refused")],
    "protocol error": [httpx.RemoteProtocolError("garbage status line")],
    "429 for an hour": [httpx.Response(429, headers={"Retry-After": "3600"})],
    "always 429": [httpx.Response(429, headers={"Retry-After": "2"})],
    "500": [httpx.Response(500)],
    "empty 200": [httpx.Response(200, content=b"")],
    "json instead of xml": [httpx.Response(200, json={"hello": "world"})],
    "html page": [httpx.Response(200, content=HTML_PAGE)],
    "binary junk": [httpx.Response(200, content=bytes(range(256)))],
    "403": [httpx.Response(403, text="Forbidden")],
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_every_fault_is_a_classified_error_for_every_arxiv_call(fault: str) -> None:
    calls: list[Callable[[SourceHub], Awaitable[object]]] = [
        lambda hub: arxiv_feed.fetch_feed(hub, ["cs.LG"]),
        lambda hub: arxiv_api.lookup_ids(hub, ["2401.01234"]),
        lambda hub: arxiv_api.search(hub, category="cs.LG", max_results=5),
    ]
    for call in calls:
        async with serving(sequence(*FAULTS[fault])) as (hub, _):
            with pytest.raises(SourceError) as caught:
                await call(hub)
        assert caught.value.source.startswith("arXiv")
        assert caught.value.message


async def test_openalex_spent_usd_budget_is_reported_as_exhausted_without_retrying() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(429, json={"error": "Too many requests"},
                              headers={"X-RateLimit-Remaining-USD": "0.0000", "Retry-After": "30"})

    from tests.fakes import FakeTime, settings_for

    time = FakeTime()
    hub = SourceHub(settings_for("sqlite://"), transport=httpx.MockTransport(handler), sleep=time.sleep,
                    clock=time.clock)
    try:
        with pytest.raises(RateLimited) as info:
            await hub.openalex.get_json("authors", {"search": "x"})
    finally:
        await hub.aclose()
    assert info.value.budget_exhausted and "budget" in info.value.message


async def test_post_json_shares_retries_and_classification() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json=[{"paperId": "1"}, None])])
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    from tests.fakes import FakeTime, settings_for

    time = FakeTime()
    hub = SourceHub(settings_for("sqlite://"), transport=httpx.MockTransport(handler), sleep=time.sleep,
                    clock=time.clock)
    try:
        data = await hub.semantic_scholar.post_json("paper/batch", {"fields": "title"}, json={"ids": ["a", "b"]})
    finally:
        await hub.aclose()
    assert data == [{"paperId": "1"}, None]
    assert [r.method for r in seen] == ["POST", "POST"] and json.loads(seen[1].content) == {"ids": ["a", "b"]}
