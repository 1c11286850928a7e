"""One shared HTTP layer for every data source.

One `httpx.AsyncClient` per host, built from settings (base URL, timeout, a User-Agent naming Paper Radar and
the operator's contact address). Requests go through a pacer (arXiv asks for one request every 3 s on a single
connection, across its API and feeds) and are retried with exponential backoff on connection errors, 429 and
5xx, honouring `Retry-After`. Failures reach callers as one of four classified errors, so a source that is down
never crashes a caller: callers catch `SourceError` and turn it into a friendly message.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


TRANSPORT_RETRY_CAP_S = 2.0


class SourceError(Exception):
    """A data source could not answer; `source` names it for the user."""

    def __init__(self, source: str, message: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message
        self.status = status
        # The start of the error response, for source modules that know how to read their API's error format
        # (arXiv answers 400 with an Atom entry titled "Error").
        self.body = body


class NotFound(SourceError):
    """The thing asked for does not exist at the source."""


class BadRequest(SourceError):
    """The source rejected the request itself (a malformed id or query)."""


class RateLimited(SourceError):
    """Too many requests, or the day's API budget is spent."""

    def __init__(
        self,
        source: str,
        message: str,
        *,
        status: int | None = 429,
        retry_after: float | None = None,
        budget_exhausted: bool = False,
    ) -> None:
        super().__init__(source, message, status=status)
        self.retry_after = retry_after
        self.budget_exhausted = budget_exhausted


class Unavailable(SourceError):
    """The source is down, unreachable, timing out, or answered something we cannot read."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else time.time()
    return max(0.0, when.timestamp() - current)


class Pacer:
    """Spaces request starts at least `interval` seconds apart; `serial` also allows one request at a time.

    Several clients can share one pacer (arXiv's API and feed hosts do). Clock and sleep are injectable so
    that tests check the spacing without waiting for it.
    """

    def __init__(
        self, interval: float = 0.0, *, serial: bool = False, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.interval = interval
        self.serial = serial
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()
        self._serial_lock = asyncio.Lock()
        self._next_start = 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.serial:
            async with self._serial_lock:
                await self._wait_turn()
                yield
        else:
            await self._wait_turn()
            yield

    def hold(self, seconds: float) -> None:
        """No request through this pacer starts for `seconds`: a Retry-After speaks for the whole host."""
        self._next_start = max(self._next_start, self._clock() + seconds)

    async def _wait_turn(self) -> None:
        async with self._lock:
            now = self._clock()
            wait = self._next_start - now
            if wait > 0:
                await self._sleep(wait)
                now = self._clock()
            self._next_start = max(now, self._next_start) + self.interval


@dataclass
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    # Waits longer than this are not slept through: the caller gets RateLimited/Unavailable at once.
    max_wait: float = 120.0
    # Grows the wait on every consecutive 429 (Semantic Scholar's shared pool without a key needs it).
    penalty_growth: float = 1.0
    jitter: float = 0.1

    def delay(self, attempt: int, penalty_level: int = 0) -> float:
        # The cap holds after the penalty too: a long 429 storm must not grow one wait into hours (nor, after
        # a thousand 429s, overflow a float).
        delay = self.base_delay * (2 ** min(attempt - 1, 32)) * self.penalty_growth ** min(penalty_level, 32)
        return min(self.max_delay, delay * (1 + random.uniform(0, self.jitter)))


@dataclass
class SourceClient:
    """An HTTP client for one source host with pacing, retries and error classification."""

    name: str
    http: httpx.AsyncClient
    pacer: Pacer = field(default_factory=Pacer)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Sleep = asyncio.sleep
    default_params: Mapping[str, str] = field(default_factory=dict)
    # Last seen rate-limit headers (OpenAlex reports its daily budget this way).
    rate_limit: dict[str, str] = field(default_factory=dict)
    consecutive_429: int = 0
    requests_sent: int = 0

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        return await self.request("GET", path, params)

    async def request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, *, json: Any = None
    ) -> httpx.Response:
        """Send with pacing and retries; return a 2xx/3xx response or raise a classified SourceError."""
        merged = {**self.default_params, **(params or {})}
        attempts = self.retry.attempts
        for attempt in range(1, attempts + 1):
            last_try = attempt == attempts
            try:
                async with self.pacer.slot():
                    self.requests_sent += 1
                    response = await self.http.request(method, path, params=merged, json=json)
            except httpx.TimeoutException as exc:
                error: SourceError = Unavailable(self.name, "did not answer in time")
                log.warning("%s: timeout on %s (attempt %d/%d): %s", self.name, path, attempt, attempts, exc)
            except httpx.TransportError as exc:
                error = Unavailable(self.name, "could not be reached")
                log.warning("%s: connection error on %s (attempt %d/%d): %s", self.name, path, attempt, attempts, exc)
            except httpx.RequestError as exc:
                # A redirect loop or a body that fails to decompress: retrying will not change the answer.
                log.warning("%s: unusable response on %s: %s", self.name, path, exc)
                raise Unavailable(self.name, "sent a response we could not read") from exc
            else:
                self._remember_rate_limit(response)
                outcome = self._classify(response)
                if outcome is None:
                    self.consecutive_429 = 0
                    return response
                error, retryable, wait = outcome
                if not retryable:
                    raise error
                if wait is not None and wait > self.retry.max_wait:
                    log.warning("%s: asked to wait %.0fs; giving up for now", self.name, wait)
                    raise error
                if wait:
                    self.pacer.hold(wait)
                if not last_try:
                    delay = max(wait or 0.0, self.retry.delay(attempt, self.consecutive_429))
                    log.info("%s: %s on %s, retrying in %.1fs", self.name, response.status_code, path, delay)
                    await self.sleep(delay)
                continue
            if not last_try:
                # A connection that failed outright is retried soon: a person may be waiting for the answer.
                await self.sleep(min(self.retry.delay(attempt), TRANSPORT_RETRY_CAP_S))
        raise error

    async def post_json(self, path: str, params: Mapping[str, Any] | None = None, *, json: Any = None) -> Any:
        return self._json(await self.request("POST", path, params, json=json), path)

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._json(await self.get(path, params), path)

    def _json(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            log.warning("%s: unreadable JSON from %s: %s", self.name, path, exc)
            raise Unavailable(self.name, "answered with something that is not JSON") from exc

    def _remember_rate_limit(self, response: httpx.Response) -> None:
        headers = {k.lower(): v for k, v in response.headers.items() if k.lower().startswith("x-ratelimit")}
        if headers:
            self.rate_limit = headers

    def _classify(self, response: httpx.Response) -> tuple[SourceError, bool, float | None] | None:
        status = response.status_code
        if status < 400:
            return None
        detail = _error_detail(response)
        body = response.text[:4000]
        if status == 429:
            self.consecutive_429 += 1
            wait = parse_retry_after(response.headers.get("Retry-After"))
            long_wait = wait is not None and wait > self.retry.max_wait
            # Only a spent budget resets tomorrow; a long Retry-After alone is just a long pause.
            remaining = self.rate_limit.get("x-ratelimit-remaining", "").strip()
            # OpenAlex bills in USD per day and says so in its own header.
            usd_left = self.rate_limit.get("x-ratelimit-remaining-usd", "").strip()
            spent = usd_left not in ("", None) and _is_zero(usd_left)
            exhausted = "budget" in detail.lower() or spent or (long_wait and remaining == "0")
            if exhausted:
                message = "daily API budget is used up"
            elif long_wait and wait is not None:
                message = f"asks us to wait {_duration(wait)} before the next request"
            else:
                message = "is rate limiting us"
            error = RateLimited(self.name, message, retry_after=wait, budget_exhausted=exhausted)
            error.body = body
            return error, not exhausted, wait  # a spent budget will not come back within our retries
        if status >= 500:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            return Unavailable(self.name, f"is having trouble (HTTP {status})", status=status, body=body), True, wait
        if status in (404, 410):
            return NotFound(self.name, detail or "not found", status=status, body=body), False, None
        if status in (401, 403):
            message = "refused our credentials (check the API key)"
            return Unavailable(self.name, message, status=status, body=body), False, None
        message = detail or f"rejected the request (HTTP {status})"
        return BadRequest(self.name, message, status=status, body=body), False, None


def _is_zero(value: str) -> bool:
    try:
        return float(value) <= 0.0
    except ValueError:
        return False


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.0f} hours"


def _error_detail(response: httpx.Response) -> str:
    """A short human message from an error body (JSON `message`/`error`, else the first line of text)."""
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip().splitlines()
        return text[0][:200] if text and not text[0].lstrip().startswith("<") else ""
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value[:300]
    return ""


def build_http_client(
    base_url: str,
    user_agent: str,
    *,
    timeout: float,
    max_connections: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/") + "/",
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": user_agent, **(headers or {})},
        limits=limits,
        transport=transport,
        follow_redirects=True,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
