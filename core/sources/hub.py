"""Builds and owns the per-host source clients from settings, and bounds the lookups that use them.

Tests pass a `transport` (httpx.MockTransport, or a loopback fake's URL through settings) and a fake `sleep`
and `clock`, so retry and pacing code runs for real without waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from core.config import Settings
from core.sources.http import Busy, Clock, Pacer, RetryPolicy, Sleep, SourceClient, build_http_client
from core.sources.timing import Budget, deadline


class SourceHub:
    """One `SourceClient` per external host, created on first use and closed together."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.sleep = sleep
        self.clock = clock
        self._clients: dict[str, SourceClient] = {}
        # arXiv counts its API and its feeds together: one pacer, one request at a time, 3 s apart. One hung
        # request holds everyone behind it, so past the queue limit a lookup (an interactive deadline, see
        # lookup()) is told "busy" at once; ingest's requests still queue.
        self._arxiv_pacer = Pacer(settings.arxiv_interval_s, serial=True, clock=clock, sleep=sleep,
                                  queue_limit=settings.arxiv_queue_limit)
        self.lookups_running = 0

    @contextmanager
    def lookup(self) -> Iterator[Budget]:
        """One lookup someone is waiting for: a slot of the bounded pool, and an overall deadline shared by
        every source request it makes (`RADAR_LOOKUP_DEADLINE_S`).

        When every slot is taken the lookup is refused at once with `Busy`: waiting for a slot behind lookups
        that hang on a source would only add their wait to this one's. Commands that need no source never
        come here, so they are answered however the sources are doing."""
        slots = self.settings.source_slots
        if self.lookups_running >= slots:
            raise Busy("Paper Radar", f"is already running {self.lookups_running} lookups",
                       waiting=self.lookups_running)
        self.lookups_running += 1
        try:
            with deadline(self.settings.lookup_deadline_s, interactive=True) as budget:
                yield budget
        finally:
            self.lookups_running -= 1

    def _make(
        self,
        name: str,
        base_url: str,
        *,
        pacer: Pacer | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> SourceClient:
        client = self._clients.get(name)
        if client is None:
            http = build_http_client(
                base_url,
                self.settings.user_agent,
                timeout=self.settings.http_timeout_s,
                max_connections=max_connections,
                transport=self.transport,
                headers=headers,
            )
            client = SourceClient(
                name=name,
                http=http,
                pacer=pacer or Pacer(0.0, clock=self.clock, sleep=self.sleep),
                retry=retry or RetryPolicy(),
                sleep=self.sleep,
                default_params=params or {},
                deadline=self.settings.source_deadline_s,
            )
            self._clients[name] = client
        return client

    @property
    def arxiv_api(self) -> SourceClient:
        return self._make("arXiv", self.settings.arxiv_api_url, pacer=self._arxiv_pacer, max_connections=1)

    @property
    def arxiv_rss(self) -> SourceClient:
        return self._make("arXiv feeds", self.settings.arxiv_rss_url, pacer=self._arxiv_pacer, max_connections=1)

    @property
    def openalex(self) -> SourceClient:
        params: dict[str, str] = {}
        if self.settings.openalex_api_key:
            params["api_key"] = self.settings.openalex_api_key.get_secret_value()
        elif self.settings.contact_email:
            params["mailto"] = self.settings.contact_email
        return self._make("OpenAlex", self.settings.openalex_url, params=params)

    @property
    def semantic_scholar(self) -> SourceClient:
        headers: dict[str, str] = {}
        keyed = self.settings.semantic_scholar_api_key is not None
        if self.settings.semantic_scholar_api_key:
            headers["x-api-key"] = self.settings.semantic_scholar_api_key.get_secret_value()
        # Without a key every caller shares one pool: go slower, and wait longer after each 429.
        retry = RetryPolicy() if keyed else RetryPolicy(attempts=5, base_delay=2.0, penalty_growth=2.0)
        pacer = Pacer(1.0 if keyed else 1.5, clock=self.clock, sleep=self.sleep)
        return self._make(
            "Semantic Scholar", self.settings.semantic_scholar_url, pacer=pacer, retry=retry, headers=headers
        )

    @property
    def semantic_scholar_recommendations(self) -> SourceClient:
        headers: dict[str, str] = {}
        if self.settings.semantic_scholar_api_key:
            headers["x-api-key"] = self.settings.semantic_scholar_api_key.get_secret_value()
        pacer = Pacer(1.0 if headers else 1.5, clock=self.clock, sleep=self.sleep)
        return self._make("Semantic Scholar recommendations", self.settings.semantic_scholar_recommendations_url,
                          pacer=pacer, headers=headers)

    @property
    def huggingface(self) -> SourceClient:
        return self._make("Hugging Face", self.settings.huggingface_url)

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.http.aclose()
