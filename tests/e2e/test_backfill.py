"""arXiv down for a whole day: Wednesday's feed never came, and no later feed carries Wednesday's papers.

Once a feed is read again, ingest fetches the missed announcement day from the arXiv query API
(core/digest/backfill.py). What a channel would notice is asserted: Wednesday's digest says it is partial and
that the missing papers will come later; Thursday's digest brings them, each once; a paper that was already
delivered is not delivered again; a failed backfill is noted in the digest and in `status`, retried at the
next ingest, and nothing stored is lost on the way.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from sqlmodel import select

from core.bootstrap import App
from core.digest import backfill
from core.digest.backfill import BACKFILL_KEY
from core.digest.ingest import FEED_KEY, ingest
from core.storage.models import DeliveryRow, PaperRow
from core.subscriptions.scope import ALL_ARCHIVES
from tests.digest.conftest import THURSDAY
from tests.e2e.test_source_faults import (
    FRIDAY,
    TUESDAY_DIGEST,
    WEDNESDAY,
    a_day_passes,
    assert_nothing_lost,
    channel_app,
    clock_process,
    feed_status,
    fire_digest_job,
    journal_work,
    kept,
    open_channel,
    real_feed,
    status_text,
    works_listing,
    xml,
)
from tests.fakes import SourceRouter, ask_text

TUESDAY = datetime(2024, 11, 26, 12, 0, tzinfo=UTC)
MONDAY_DIGEST = TUESDAY_DIGEST - timedelta(days=1)
MISSED = "arXiv:2411.16001"  # announced in Wednesday's feed, the one that never came
ALREADY_DELIVERED = "arXiv:2412.00101"  # in Tuesday's feed, and listed again by the API
IN_THURSDAYS_FEED = "arXiv:2411.17702"


def tuesday_feed(synthetic: Path) -> bytes:
    """Our small synthetic feed, dated Tuesday 26 November instead of Monday 2 December."""
    text = (synthetic / "synthetic_arxiv_rss_small.xml").read_text(encoding="utf-8")
    return text.replace("Mon, 02 Dec 2024", "Tue, 26 Nov 2024").encode()


def entry(arxiv_id: str, title: str, published: str, category: str = "cs.LG") -> str:
    return f"""<entry><id>http://arxiv.org/abs/{arxiv_id}v1</id><title>{title}</title>
      <updated>{published}</updated><published>{published}</published>
      <summary>We study {title.lower()}.</summary>
      <author><name>Mina Okafor</name></author>
      <arxiv:primary_category term="{category}"/><category term="{category}"/></entry>"""


def api_page() -> bytes:
    """What the query API lists for Wednesday's submissions window (newest first)."""
    entries = [
        entry("2411.16001", "Diffusion Model Distillation for Fast Sampling", "2024-11-26T10:00:00Z"),
        entry("2412.00101", "A Different Title the Feed Never Showed", "2024-11-25T20:00:00Z"),
        entry("2411.17702", "Finding Good Views, as the API Lists It", "2024-11-25T19:30:00Z"),
    ]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>arXiv Query</title><id>http://arxiv.org/api/backfill</id><updated>2024-11-28T00:00:00Z</updated>
  <opensearch:totalResults>3</opensearch:totalResults><opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>3</opensearch:itemsPerPage>
  {"".join(entries)}
</feed>""".encode()


def atom(body: bytes, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=body, headers={"content-type": "application/atom+xml"})


def search_query(request: httpx.Request) -> str:
    return parse_qs(urlparse(str(request.url)).query)["search_query"][0]


async def stored(app: App, paper_id: str) -> PaperRow | None:
    async with app.db.session() as session:
        return await session.get(PaperRow, paper_id)


async def sent_papers(app: App, destination: int) -> list[str]:
    async with app.db.session() as session:
        rows = (await session.exec(select(DeliveryRow).where(DeliveryRow.destination_id == destination))).all()
    return sorted(r.paper_id for r in rows if r.state == "sent")


async def tuesday_then_wednesday_down(app_factory: Callable[..., App], synthetic: Path) -> tuple[int, App]:
    """Tuesday's feed arrives and its digest goes out; all of Wednesday arXiv answers 503."""
    router = SourceRouter().add("arxiv_rss", "/rss/", xml(tuesday_feed(synthetic)))
    router.add("openalex", "/works", works_listing())
    tuesday, sink = channel_app(app_factory, router, TUESDAY)
    destination = await open_channel(tuesday, last_digest=MONDAY_DIGEST)
    assert (await ingest(tuesday)).complete
    async with clock_process(tuesday) as scheduler:
        await fire_digest_job(scheduler, destination)
    assert ALREADY_DELIVERED in sink.paper_ids()
    await a_day_passes(tuesday)

    down = SourceRouter().add("arxiv_rss", "/", xml(b"<html>503 Service Unavailable</html>", 503, "text/html"))
    down.add("openalex", "/works", works_listing(journal_work()))  # OpenAlex still brings something
    wednesday, sink = channel_app(app_factory, down, WEDNESDAY)
    assert not (await ingest(wednesday)).complete
    async with clock_process(wednesday) as scheduler:
        await fire_digest_job(scheduler, destination)
    (partial,) = sink.views
    assert partial.note and "The missing papers will come in a later digest, once arXiv is back." in partial.note
    await a_day_passes(wednesday)
    return destination, wednesday


async def test_the_day_arxiv_was_down_comes_in_the_next_digest(
        app_factory: Callable[..., App], recordings: Path, synthetic: Path) -> None:
    destination, wednesday = await tuesday_then_wednesday_down(app_factory, synthetic)
    before = await kept(wednesday)
    tuesdays_title = (await stored(wednesday, ALREADY_DELIVERED)).title  # type: ignore[union-attr]

    back = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    back.add("arxiv_api", "/", atom(api_page()))
    back.add("openalex", "/works", works_listing())
    thursday, sink = channel_app(app_factory, back, THURSDAY)
    report = await ingest(thursday)
    assert report.complete and report.problems == []
    assert report.backfill is not None and report.backfill.fetched == 3 and report.backfill.new == 1
    (request,) = back.calls("arxiv_api")
    # Wednesday's feed held what was submitted between Monday's and Tuesday's 14:00 New York deadlines
    # (a day earlier for papers held in moderation), not Wednesday's own submissions.
    query = search_query(request)
    # The same names as the feed: every archive (`cs` is the whole archive, a wildcard for the API; `hep-th`
    # is an archive of one category, itself).
    assert report.feeds == ALL_ARCHIVES
    categories, dates = query.split(" AND ")
    assert categories.startswith("(cat:astro-ph.* OR cat:cond-mat.* OR ") and " OR cat:hep-th OR " in categories
    assert categories.count("cat:") == 20 and " OR cat:cs.* OR " in categories and categories.endswith("cat:stat.*)")
    assert dates == "submittedDate:[202411241900 TO 202411262000]", query

    # Known papers are left exactly as they were: not stored again as new, not renamed by the API's listing.
    assert (await stored(thursday, ALREADY_DELIVERED)).title == tuesdays_title  # type: ignore[union-attr]
    missed = await stored(thursday, MISSED)
    assert missed is not None and missed.title == "Diffusion Model Distillation for Fast Sampling"
    marker = await feed_status(thursday, BACKFILL_KEY)
    assert marker is not None and marker.ok and str(marker.feed_date) == "2024-11-28"

    await _ask_max(thursday, 50)
    async with clock_process(thursday) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination)
    assert delays == 0 and outcome.state == "done"
    (digest,) = sink.views
    assert digest.note is None
    delivered = sink.paper_ids()
    assert MISSED in delivered and delivered.count(MISSED) == 1
    assert ALREADY_DELIVERED not in delivered  # Tuesday's paper is not sent twice
    item = next(i for i in digest.items if i.paper_id == MISSED)
    assert item.title == "Diffusion Model Distillation for Fast Sampling" and item.why  # says why it matched
    assert "Diffusion Model Distillation for Fast Sampling" in sink.text.getvalue()
    assert "No problems." in await status_text(thursday)

    # The next ingest has no gap behind it: the API is not asked again.
    assert (await ingest(thursday)).backfill is None and len(back.calls("arxiv_api")) == 1
    after = await assert_nothing_lost(thursday, before)
    assert sorted(set(await sent_papers(thursday, destination))) == sorted(
        {k[1] for k, (state, _) in after.ledger.items() if state == "sent" and k[0] == destination})


async def _ask_max(app: App, count: int) -> None:
    """Room for the whole day in one digest, so that the test sees every paper it delivers."""
    _view, text = await ask_text(app, f"settings max {count}")
    assert "error" not in text.lower(), text


async def test_a_failed_backfill_is_noted_and_retried_at_the_next_ingest(
        app_factory: Callable[..., App], recordings: Path, synthetic: Path) -> None:
    destination, wednesday = await tuesday_then_wednesday_down(app_factory, synthetic)
    before = await kept(wednesday)
    api_answers: list[httpx.Response] = [atom(b"upstream timeout", 503)] * 4  # one ingest's retries

    def api(request: httpx.Request) -> httpx.Response:
        return api_answers.pop(0) if api_answers else atom(api_page())

    back = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    back.add("arxiv_api", "/", api)
    back.add("openalex", "/works", works_listing())
    thursday, sink = channel_app(app_factory, back, THURSDAY)
    report = await ingest(thursday)
    # Thursday's own papers are in; Wednesday's are owed, so the clock will ingest again.
    assert report.stored >= 1504 and not report.complete
    assert report.backfill is not None and report.backfill.failed
    assert any(p.startswith(f"{BACKFILL_KEY}: the papers announced on Wed 27 Nov could not be fetched yet — arXiv is having trouble (HTTP 503)")
               for p in report.problems), report.problems
    feed = await feed_status(thursday, FEED_KEY)
    assert feed is not None and feed.ok
    marker = await feed_status(thursday, BACKFILL_KEY)
    assert marker is not None and not marker.ok and str(marker.feed_date) == "2024-11-26"  # pinned
    assert "⚠ arXiv backfill: the papers announced on Wed 27 Nov could not be fetched yet" in await status_text(thursday)
    assert await stored(thursday, MISSED) is None

    # The digest is not held up for it (today's papers are in), but it says what is missing.
    async with clock_process(thursday) as scheduler:
        outcome, delays = await fire_digest_job(scheduler, destination)
    assert delays == 0 and outcome.state == "done"
    (partial,) = sink.views
    assert partial.note and partial.note.startswith(
        "Partial digest: arXiv backfill: the papers announced on Wed 27 Nov could not be fetched yet")
    assert MISSED not in sink.paper_ids()

    # The clock's retry, twenty minutes later: the API answers, the marker moves on, the missed paper arrives.
    thursday, _ = channel_app(app_factory, back, THURSDAY + timedelta(minutes=20))
    retry = await ingest(thursday)
    assert retry.complete and retry.backfill is not None and retry.backfill.new == 1
    text = await status_text(thursday)
    assert "⚠ arXiv backfill" not in text, text  # the last digest was partial (status says so), nothing fails now
    await a_day_passes(thursday)
    friday_router = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    friday, sink = channel_app(app_factory, friday_router, THURSDAY + timedelta(hours=20))
    await _ask_max(friday, 50)
    async with clock_process(friday) as scheduler:
        outcome, _ = await fire_digest_job(scheduler, destination)
    assert outcome.state == "done"
    assert sink.paper_ids().count(MISSED) == 1
    await assert_nothing_lost(friday, before)


async def test_an_outage_too_long_to_fetch_in_full_says_so_and_moves_on(
        app_factory: Callable[..., App], recordings: Path, synthetic: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _destination, wednesday = await tuesday_then_wednesday_down(app_factory, synthetic)
    before = await kept(wednesday)
    # Caps small enough for the three-paper listing: one page of two, and the third is left out.
    monkeypatch.setattr(backfill, "PAGE_SIZE", 2)
    monkeypatch.setattr(backfill, "MAX_RESULTS", 2)
    back = SourceRouter().add("arxiv_rss", "/rss/", xml(real_feed(recordings)))
    back.add("arxiv_api", "/", atom(api_page()))
    thursday, _sink = channel_app(app_factory, back, THURSDAY)
    report = await ingest(thursday, researchers=False)
    assert report.backfill is not None and report.backfill.capped and report.backfill.fetched == 2
    assert report.complete  # asking again would only fetch the same newest papers: nothing is owed
    assert await stored(thursday, MISSED) is not None  # newest first: the most recent part is in
    assert "⚠ arXiv backfill: the outage was too long to fetch in full: brought in the 2 most recent of 3" in (
        await status_text(thursday))
    marker = await feed_status(thursday, BACKFILL_KEY)
    assert marker is not None and str(marker.feed_date) == "2024-11-28"
    # The next day's feed follows on: the warning clears and the API is not asked again.
    friday_feed = real_feed(recordings).replace(b"Thu, 28 Nov 2024", b"Fri, 29 Nov 2024")
    friday, _sink = channel_app(app_factory, SourceRouter().add("arxiv_rss", "/rss/", xml(friday_feed))
                                .add("arxiv_api", "/", atom(api_page())), FRIDAY)
    assert (await ingest(friday, researchers=False)).backfill is None
    assert "⚠ arXiv backfill" not in await status_text(friday)
    await assert_nothing_lost(friday, before)
