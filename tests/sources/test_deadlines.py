"""Deadlines over whole requests and lookups, and arXiv's queue, against a real server on loopback.

The trickling server answers `200` with a large Content-Length and then sends one byte at a time, forever:
every read succeeds well within the per-read timeout, so before the deadlines existed a request to it never
ended (47 minutes in the adversarial run, and only because that server stopped).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from core.config import Settings
from core.sources import arxiv_api
from core.sources.http import Busy, Pacer, Unavailable
from core.sources.hub import SourceHub
from core.sources.timing import current_budget, deadline
from tests.sources.test_http import FakeClock

# Each test ends within seconds; this only turns "hangs forever" (the old behaviour) into a failure.
NEVER = 20.0


class Trickle:
    """An HTTP/1.1 server on 127.0.0.1 that starts every answer and then trickles it, a byte per `every` s."""

    def __init__(self, every: float = 0.05) -> None:
        self.every = every
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[Any]] = set()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\nContent-Length: 10000000\r\n\r\n")
            while True:
                writer.write(b" ")
                await writer.drain()
                await asyncio.sleep(self.every)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up on us: that is the point
        finally:
            writer.close()
            self._handlers.discard(task)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Trickle]:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield self
        finally:
            self._server.close()
            for task in list(self._handlers):
                task.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)


@asynccontextmanager
async def hub_for(trickle: Trickle, **settings: Any) -> AsyncIterator[SourceHub]:
    clock = FakeClock()  # pacing and back-off cost no real time; the deadlines are real
    values = {"RADAR_ARXIV_API_URL": trickle.url + "/api", "RADAR_HTTP_TIMEOUT": "5", **settings}
    hub = SourceHub(Settings(_env_file=None, **values), sleep=clock.sleep, clock=clock)  # type: ignore[call-arg]
    try:
        yield hub
    finally:
        await hub.aclose()


async def test_a_trickling_server_cannot_hold_a_request_past_its_deadline() -> None:
    """Per read the server is fine (a byte every 50 ms, the read timeout is 5 s); each attempt still ends at
    its 0.3 s deadline, and the call after its bounded retries."""
    async with Trickle().running() as trickle, hub_for(trickle, RADAR_SOURCE_DEADLINE_S="0.3") as hub:
        started = time.monotonic()
        with pytest.raises(Unavailable, match="did not answer in time") as raised:
            await asyncio.wait_for(arxiv_api.lookup_id(hub, "2401.01234"), NEVER)
        elapsed = time.monotonic() - started
    attempts = hub.arxiv_api.retry.attempts
    assert raised.value.source == "arXiv"
    assert trickle.connections == attempts  # each attempt was cut at its deadline, then retried
    assert elapsed < attempts * 0.3 + 2.0, elapsed


async def test_an_overall_deadline_bounds_every_request_inside_it_retries_included() -> None:
    """A lookup's deadline is shorter than one attempt's: the request ends with it, and is not retried after."""
    async with Trickle().running() as trickle, hub_for(trickle) as hub:  # the default 30 s per attempt
        started = time.monotonic()
        with pytest.raises(Unavailable, match="did not answer in time"), deadline(0.5):
            await asyncio.wait_for(arxiv_api.lookup_id(hub, "2401.01234"), NEVER)
        elapsed = time.monotonic() - started
    assert trickle.connections == 1
    assert 0.4 < elapsed < 2.0, elapsed


async def test_a_spent_deadline_sends_nothing() -> None:
    async with Trickle().running() as trickle, hub_for(trickle) as hub:
        with deadline(0.0), pytest.raises(Unavailable, match="did not answer in time"):
            await arxiv_api.lookup_id(hub, "2401.01234")
    assert trickle.connections == 0 and hub.arxiv_api.requests_sent == 0


async def test_nested_deadlines_only_shorten_and_stay_interactive() -> None:
    with deadline(10.0, interactive=True) as outer:
        with deadline(60.0) as inner:
            assert inner.ends == outer.ends and inner.interactive
        with deadline(1.0) as short:
            assert short.ends < outer.ends and short.interactive
        assert current_budget() == outer
    assert current_budget() is None


# ---------------------------------------------------------------- arXiv's serial queue


async def test_a_waiting_person_is_told_arxiv_is_busy_when_its_queue_is_backed_up(synthetic: Any) -> None:
    """One request hangs at arXiv and holds its single connection; two more wait behind it. A lookup someone is
    waiting for is refused at once, saying how many wait; ingest's requests still queue and get served."""
    release = asyncio.Event()
    body = (synthetic / "synthetic_arxiv_api_lookup.xml").read_bytes()

    async def arxiv(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, content=body, headers={"content-type": "application/atom+xml"})

    clock = FakeClock()
    settings = Settings(_env_file=None, RADAR_ARXIV_API_URL="http://export.arxiv.test/api",  # type: ignore[call-arg]
                        RADAR_ARXIV_QUEUE_LIMIT="2")
    hub = SourceHub(settings, transport=httpx.MockTransport(arxiv), sleep=clock.sleep, clock=clock)
    try:
        background = [asyncio.create_task(arxiv_api.lookup_id(hub, "2401.01234")) for _ in range(3)]
        for _ in range(100):
            await asyncio.sleep(0)
        assert hub.arxiv_api.pacer.waiting == 2
        with deadline(60.0, interactive=True), pytest.raises(Busy) as busy:
            await asyncio.wait_for(arxiv_api.lookup_id(hub, "2401.01234"), 1.0)
        assert busy.value.waiting == 2 and busy.value.source == "arXiv"
        # Work nobody waits on (ingest, backfill) queues behind them instead.
        queued = asyncio.create_task(arxiv_api.lookup_id(hub, "2401.01234"))
        for _ in range(100):
            await asyncio.sleep(0)
        assert not queued.done() and hub.arxiv_api.pacer.waiting == 3
        release.set()
        results = await asyncio.wait_for(asyncio.gather(*background, queued), NEVER)
        assert all(r.arxiv_id == "2401.01234" for r in results)
        assert hub.arxiv_api.pacer.waiting == 0
    finally:
        await hub.aclose()


async def test_a_request_that_gives_up_waiting_leaves_the_queue() -> None:
    """Whoever stops waiting (a deadline, a cancelled task) gives back its place and never the lock it lacked."""
    pacer = Pacer(0.0, serial=True, queue_limit=1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with pacer.slot():
            entered.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await entered.wait()

    async def wait_turn() -> None:
        async with pacer.slot():
            pass

    waiter = asyncio.create_task(wait_turn())
    await asyncio.sleep(0)
    assert pacer.waiting == 1 and pacer.backed_up()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert pacer.waiting == 0 and not pacer.backed_up()
    release.set()
    await holder
    async with asyncio.timeout(1.0), pacer.slot():  # the lock is free again
        pass
