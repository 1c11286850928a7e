"""When a revised paper first came out, as its digest line says it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.digest.items import first_posted
from core.model.papers import PaperRecord


def test_the_first_announcement_we_stored_dates_it() -> None:
    paper = PaperRecord(title="T", arxiv_id="2410.02345", announce_type="new", announced=date(2024, 10, 3))
    assert first_posted(paper) == "3 Oct 2024"
    # Submitted on the 31st, announced on the 1st of the next month.
    late = PaperRecord(title="T", arxiv_id="2410.09999", announce_type="new", announced=date(2024, 11, 1))
    assert first_posted(late) == "1 Nov 2024"


def test_the_arxiv_api_s_published_date_dates_it() -> None:
    paper = PaperRecord(title="T", arxiv_id="2410.02345", published=datetime(2024, 10, 2, 17, 59, tzinfo=UTC),
                        announce_type="replace", announced=date(2024, 11, 28))
    assert first_posted(paper) == "2 Oct 2024"


def test_only_the_id_s_month_when_nothing_else_fits() -> None:
    # First seen as a replacement (its announcement is the revision's), with a journal's publication date.
    paper = PaperRecord(title="T", arxiv_id="2410.02345", announce_type="replace", announced=date(2024, 11, 28),
                        published=datetime(2025, 3, 1, tzinfo=UTC))
    assert first_posted(paper) == "Oct 2024"
    assert first_posted(PaperRecord(title="T", arxiv_id="hep-th/9901001")) == "Jan 1999"
    assert first_posted(PaperRecord(title="T", arxiv_id="0704.0001")) == "Apr 2007"


def test_a_paper_without_an_arxiv_id_takes_the_earliest_date_known() -> None:
    paper = PaperRecord(title="T", doi="10.1000/x", published=datetime(2023, 3, 5, tzinfo=UTC))
    assert first_posted(paper) == "5 Mar 2023"
    assert first_posted(PaperRecord(title="T", doi="10.1000/y")) is None
