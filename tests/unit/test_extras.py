"""A paper's extras as a reader sees them: one-line summary, code with stars, venue in its usual short form.

Read from the recordings: arXiv comments and journal references (query API), the real day's feed (repository
links in abstracts), Hugging Face's daily papers (`ai_summary`, `githubRepo`, `githubStars`, `projectPage`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.model.extras import cut_at_word, first_sentence, paper_extras
from core.model.papers import PaperRecord
from core.model.venues import comment_venue, journal_venue
from core.sources.arxiv_api import parse_api_response
from core.sources.arxiv_feed import parse_feed
from core.sources.huggingface import parse_daily_item


def _api(recordings: Path, name: str) -> dict[str, PaperRecord]:
    page = parse_api_response((recordings / "arxiv_api" / name).read_bytes())
    return {r.arxiv_id or "": r for r in page.records}


def test_journal_references_read_as_the_journal_people_cite(recordings: Path) -> None:
    papers = _api(recordings, "q_au_del_maestro_2016.xml")
    # "Physical Review B 71, 184511 (2005)" and "Phys. Rev. B 74, 024520 (2006)" are one venue.
    assert paper_extras(papers["cond-mat/0412498"]).venue_phrase == "published in Phys. Rev. B"
    assert paper_extras(papers["cond-mat/0603029"]).venue_phrase == "published in Phys. Rev. B"
    assert paper_extras(papers["1201.4869"]).venue == "Int. J. Mod. Phys. B"
    assert paper_extras(papers["0807.2873"]).venue == "Ann. Phys."
    assert paper_extras(_api(recordings, "id_1111.2011v2_2016.xml")["1111.2011"]).venue == "Phys. Rev. B"


def test_comments_that_say_where_a_paper_was_accepted(recordings: Path) -> None:
    papers = _api(recordings, "q_testing_s0_m100_cfe7536492ca.xml")
    assert paper_extras(papers["2005.06826"]).venue_phrase == "accepted at ISSTA 2020"
    assert paper_extras(papers["2301.13615"]).venue_phrase == "accepted at ICST 2023"
    # "(ICST2023)" with the year glued on is the same venue.
    assert paper_extras(papers["2301.05651"]).venue == "ICST 2023"
    assert paper_extras(papers["2502.07719"]).venue == "DeepTest 2025 workshop"
    moriond = _api(recordings, "id_hep-ex_0406020v1_s0_m100_84b15d66c0ce.xml")["hep-ex/0406020"]
    assert paper_extras(moriond).venue_phrase.startswith("presented at XXXIX Rencontres de Moriond")
    # A comment with only pages and figures names no venue.
    assert paper_extras(_api(recordings, "id_1605.08386_s0_m100_199195aa31ad.xml")["1605.08386"]).venue is None


@pytest.mark.parametrize(("comment", "venue"), [
    ("Accepted at ICLR 2025 (oral)", ("ICLR 2025", "accepted")),
    ("NeurIPS'24 camera ready", ("NeurIPS 2024", "accepted")),
    ("To appear in Physical Review Letters", ("Phys. Rev. Lett.", "accepted")),
    ("Under review at ICLR 2025", None),
    ("Submitted to NeurIPS 2024; 9 pages", None),
    ("12 pages, 3 figures", None),
])
def test_comment_venues(comment: str, venue: tuple[str, str] | None) -> None:
    assert comment_venue(comment) == venue


def test_journal_venue_drops_volume_pages_and_year() -> None:
    assert journal_venue("Phys.Lett.B573:94-100,2003") == "Phys. Lett. B"
    assert journal_venue("Nature Communications 15, 10121 (2024)") == "Nat. Commun."
    assert journal_venue("In Proc. ACM SIGSOFT International Symposium on Software Testing and Analysis "
                         "(ISSTA 2020), pages 14-26. ACM, 2020") == "ISSTA 2020"
    assert journal_venue("Vol. 1 No. 1 (2024): AI-Linguistica") is None


def test_openalex_source_is_the_venue_unless_it_is_a_repository() -> None:
    assert paper_extras(PaperRecord(title="t", venue="Physical Review Letters")).venue == "Phys. Rev. Lett."
    assert paper_extras(PaperRecord(title="t", venue="arXiv (Cornell University)")).venue is None


def test_repository_and_project_links_in_the_real_feed(recordings: Path) -> None:
    feed = parse_feed((recordings / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes())
    papers = {r.arxiv_id: r for r in feed.items}
    # "...is available at https://github.com/Kanyooo/EEG-DCNet}{here}." keeps only the repository.
    assert paper_extras(papers["2411.17705"]).code_url == "https://github.com/Kanyooo/EEG-DCNet"
    assert paper_extras(papers["2411.17702"]).code_url == "https://github.com/mandiehyewon/goodviews_ecg"
    with_code = [r for r in feed.items if paper_extras(r).code_url]
    assert 40 <= len(with_code) <= 60  # 55 mentions of github.com in the day, a few twice or not repositories
    assert all(paper_extras(r).code_url.count("/") >= 4 for r in with_code)  # owner/repo, not a bare host
    pages = [paper_extras(r).project_url for r in feed.items if paper_extras(r).project_url]
    assert "https://hi-slam2.github.io" in pages


def test_hugging_face_summary_code_stars_and_project(recordings: Path) -> None:
    import json

    daily = json.loads((recordings / "hf_daily_papers" / "daily_papers_date_2026-08-21.json").read_text())
    items = {i["paper"]["id"]: parse_daily_item(i) for i in daily}
    forge = paper_extras(items["2608.14022"].paper)
    assert forge.code_url == "https://github.com/asdfo123/ForgeWM" and forge.code_stars == 76
    assert forge.project_url == "https://asdfo123.github.io/ForgeWM/"
    assert forge.summary_source == "huggingface" and forge.summary.startswith("ForgeWM progressively distills")
    # No ai_summary: the abstract's first sentence stands in.
    guide = paper_extras(items["2608.19861"].paper)
    assert guide.summary_source == "abstract" and guide.code_stars == 0


def test_first_sentence_is_whole_and_never_cut_mid_word() -> None:
    assert first_sentence("We use e.g. transformers. Then more.") == "We use e.g. transformers."
    assert first_sentence("Smith et al. showed it. We extend it.") == "Smith et al. showed it."
    assert first_sentence("A value of 3.5 K is reached. Next.") == "A value of 3.5 K is reached."
    long = "word " * 100
    cut = first_sentence(long)
    assert len(cut) <= 300 and cut.endswith("word…")
    assert cut_at_word("supercalifragilistic expialidocious", 25) == "supercalifragilistic…"
