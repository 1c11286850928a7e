"""One shared HTTP layer for every data source.

One `httpx.AsyncClient` per host, built from settings (base URL, timeout, a User-Agent naming Paper Radar and
the operator's contact address). Requests go through a pacer (arXiv asks for one request every 3 s on a single
connection, across its API and feeds) and are retried with exponential backoff on connection errors, 429 and
5xx, honouring `Retry-After`. Failures reach callers as one of five classified errors, so a source that is down
never crashes a caller: callers catch `SourceError` and turn it into a friendly message.

Time is bounded twice. Each attempt (connect, send, read the whole body) has its own deadline, `deadline`
(RADAR_SOURCE_DEADLINE_S): per attempt rather than per call, because the wait for a pacer turn is our queue,
not the source's slowness (a request behind arXiv's 3 s spacing must not expire before it is even sent), and
because a retry after a dropped connection deserves a whole attempt, not the dregs of the first. A call alone
is still bounded (attempts x deadline plus capped back-off), and whoever needs a tighter bound over everything
(a lookup someone waits for, a feed fetch) opens an overall deadline (`core.sources.timing`) that every
request inside it shares, queueing and retries included.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

# Clock, Pacer and Sleep are re-exported: callers get the timing types with the client that uses them.
from core.sources.timing import Clock as Clock
from core.sources.timing import Pacer as Pacer
from core.sources.timing import Sleep as Sleep
from core.sources.timing import current_budget

log = logging.getLogger(__name__)

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


class Busy(SourceError):
    """Too much is already waiting for this source (or for Paper Radar's lookups): a person waiting for the
    answer is told at once rather than queued for minutes. `waiting` is how many are ahead."""

    def __init__(self, source: str, message: str, *, waiting: int) -> None:
        super().__init__(source, message)
        self.waiting = waiting


def out_of_time(source: str) -> Unavailable:
    return Unavailable(source, "did not answer in time")


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
    # Seconds one attempt may take from its pacer turn to the last byte of the body (None: no bound).
    deadline: float | None = None

    async def get(
        self, path: str, params: Mapping[str, Any] | None = None, *, deadline: float | None = None
    ) -> httpx.Response:
        return await self.request("GET", path, params, deadline=deadline)

    async def request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, *, json: Any = None,
        deadline: float | None = None,
    ) -> httpx.Response:
        """Send with pacing and retries; return a 2xx/3xx response or raise a classified SourceError.

        `deadline` overrides the client's per-attempt deadline (a day's feed is a large body). Inside an
        overall deadline nothing outlasts it: out of time, the call fails with `Unavailable` at once."""
        merged = {**self.default_params, **(params or {})}
        budget = current_budget()
        attempts = min(self.retry.attempts, budget.attempts or self.retry.attempts) if budget else self.retry.attempts
        per_attempt = deadline if deadline is not None else self.deadline
        error: SourceError
        for attempt in range(1, attempts + 1):
            last_try = attempt == attempts
            try:
                response = await self._attempt(method, path, merged, json, per_attempt)
            except TimeoutError as exc:
                if _budget_spent():
                    log.warning("%s: %s %s ran out of its deadline (attempt %d/%d)", self.name, method, path,
                                attempt, attempts)
                    raise out_of_time(self.name) from exc
                # One attempt overran its own deadline (a server trickling its answer): like a read timeout.
                error = out_of_time(self.name)
                log.warning("%s: no full answer on %s within %.0fs (attempt %d/%d)", self.name, path,
                            per_attempt or 0.0, attempt, attempts)
            except httpx.TimeoutException as exc:
                error = out_of_time(self.name)
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
                    _within_budget(delay, error)
                    log.info("%s: %s on %s, retrying in %.1fs", self.name, response.status_code, path, delay)
                    await self.sleep(delay)
                continue
            if not last_try:
                # A connection that failed outright is retried soon: a person may be waiting for the answer.
                delay = min(self.retry.delay(attempt), TRANSPORT_RETRY_CAP_S)
                _within_budget(delay, error)
                await self.sleep(delay)
        raise error

    async def _attempt(
        self, method: str, path: str, params: Mapping[str, Any], json: Any, per_attempt: float | None
    ) -> httpx.Response:
        """One exchange: the pacer turn and the request within what is left of the overall deadline, the
        request (connect, send, the whole body) within `per_attempt`. Raises TimeoutError when out of time."""
        budget = current_budget()
        if budget is not None and budget.interactive and self.pacer.backed_up():
            waiting = self.pacer.waiting
            raise Busy(self.name, f"has {waiting} lookups waiting for it already", waiting=waiting)
        left = None if budget is None else budget.remaining()
        if left is not None and left <= 0:
            raise TimeoutError
        async with asyncio.timeout(left), self.pacer.slot():
            self.requests_sent += 1
            async with asyncio.timeout(per_attempt):
                return await self.http.request(method, path, params=params, json=json)

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


def _budget_spent() -> bool:
    budget = current_budget()
    return budget is not None and budget.remaining() <= 0


def _within_budget(delay: float, error: SourceError) -> None:
    """Give up now rather than sleep past the overall deadline: the answer would come too late anyway."""
    budget = current_budget()
    if budget is not None and delay >= budget.remaining():
        raise error


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
