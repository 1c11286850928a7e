"""`has:code` and `venue:` in the topic language: parsed, refused with a hint, and matched the same paper by paper
and through the index (on the real day's feed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.digest.evaluate import Evaluator
from core.digest.index import PaperBatch
from core.model.extras import has_code, venue_of
from core.sources.arxiv_feed import parse_feed
from core.subscriptions.query import QueryError, match, parse_query
from core.subscriptions.text import tokenize


def test_filters_parse_and_read_back() -> None:
    query = parse_query('diffusion has:code venue:"Phys. Rev. B" venue:ICLR')
    assert query.needs_code and query.venues == ("Phys. Rev. B", "ICLR")
    assert query.describe() == "diffusion; with code; at Phys. Rev. B or ICLR"
    assert parse_query(query.canonical()) == query
    # Spelling and order do not make another subscription.
    assert parse_query("venue:iclr diffusion has:CODE venue:phys.rev.b") == query


@pytest.mark.parametrize(("text", "says"), [
    ("has:code", "only narrow it"),
    ("venue:ICLR", "only narrow it"),
    ("diffusion has:data", "has: takes code"),
    ("diffusion -has:code", "not supported"),
    ("diffusion venue:", "needs a venue right after it"),
    ("diffusion journal:Nature", "has:code and venue:"),
])
def test_filters_refused_with_a_hint(text: str, says: str) -> None:
    with pytest.raises(QueryError) as error:
        parse_query(text)
    assert says in error.value.message


def test_a_word_venue_is_still_a_word() -> None:
    assert parse_query("venue selection").groups[0].terms == ("venue", "selection")


@pytest.fixture(scope="module")
def batch(recordings: Path) -> PaperBatch:
    return PaperBatch(parse_feed((recordings / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes()).items)


@pytest.mark.parametrize("text", ["learning has:code", 'model venue:"Phys. Rev. B"', "model venue:Phys.Rev",
                                  "data venue:ApJ,JHEP", "learning has:code venue:ICLR", "network has:code cat:cs.CV"])
def test_index_gives_what_paper_by_paper_matching_gives(batch: PaperBatch, text: str) -> None:
    query = parse_query(text)
    evaluator = Evaluator(batch)
    fast = {batch.ids[hit[0]] for hit in evaluator.hits(evaluator.topic(query))}
    slow = {batch.ids[pos] for pos, paper in enumerate(batch.papers)
            if match(query, tokenize(paper.title), tokenize(paper.abstract), paper.categories,
                     has_code=has_code(paper), venue=venue_of(paper)[0])}
    assert fast == slow


def test_filters_narrow_what_the_words_find(batch: PaperBatch) -> None:
    evaluator = Evaluator(batch)

    def found(text: str) -> set[str]:
        return {batch.ids[hit[0]] for hit in evaluator.hits(evaluator.topic(parse_query(text)))}

    everything, with_code = found("learning"), found("learning has:code")
    assert with_code and with_code < everything
    assert all(has_code(batch.papers[batch.ids.index(i)]) for i in with_code)
    at_prb = found('the venue:"Phys. Rev. B"')
    assert at_prb and all(venue_of(batch.papers[batch.ids.index(i)])[0] == "Phys. Rev. B" for i in at_prb)
    # The same words with a filter are a different subscription, evaluated apart.
    assert evaluator.topic(parse_query("learning")) != evaluator.topic(parse_query("learning has:code"))


async def test_subscribing_with_filters_and_again_written_otherwise(app_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes import ask_text

    app = app_factory()
    _view, text = await ask_text(app, 'subscribe topic diffusion has:code venue:"Phys. Rev. B"')
    assert 'to topic #1: diffusion has:code venue:"Phys. Rev. B"' in text, text
    _, listed = await ask_text(app, "list")
    assert 'diffusion has:code venue:"Phys. Rev. B"' in listed
    # The same topic written another way is the same subscription.
    _, again = await ask_text(app, "subscribe topic venue:phys.rev.b has:code diffusion")
    assert "already" in again, again
