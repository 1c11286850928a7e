"""Identifiers as people paste them: every spelling normalises to one form, junk is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.ids import (
    ArxivId,
    InvalidId,
    canonical_paper_id,
    is_arxiv_id,
    normalize_doi,
    normalize_openalex_id,
    normalize_orcid,
    orcid_checksum,
    parse_arxiv_id,
)


@pytest.mark.parametrize(
    ("text", "base", "version"),
    [
        ("2401.01234", "2401.01234", None),
        ("2401.01234v2", "2401.01234", 2),
        ("arXiv:2401.01234v3", "2401.01234", 3),
        ("ARXIV:2401.01234", "2401.01234", None),
        ("0704.0001", "0704.0001", None),
        ("1412.6980v9", "1412.6980", 9),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("quant-ph/0201082v1", "quant-ph/0201082", 1),
        ("math.GT/0309136", "math/0309136", None),
        ("https://arxiv.org/abs/2401.01234v2", "2401.01234", 2),
        ("https://arxiv.org/pdf/2401.01234v2.pdf", "2401.01234", 2),
        ("http://export.arxiv.org/abs/hep-th/9901001", "hep-th/9901001", None),
        ("arxiv.org/abs/1706.03762", "1706.03762", None),
        ("  https://arxiv.org/pdf/1706.03762  ", "1706.03762", None),
    ],
)
def test_arxiv_spellings(text: str, base: str, version: int | None) -> None:
    assert parse_arxiv_id(text) == ArxivId(base, version)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2401.1234",  # 2015+ ids have five digits
        "1412.12345",  # before 2015 they had four
        "2413.01234",  # month 13
        "0703.0001",  # new-style ids start at 0704
        "foo/9901001",  # no such archive
        "hep-th/990100",
        "2401.01234v0",
        "https://example.com/abs/2401.01234",
        "https://arxiv.org/list/cs.LG/new",
        "10.1038/nphys1170",
    ],
)
def test_arxiv_junk_rejected(text: str) -> None:
    with pytest.raises(InvalidId):
        parse_arxiv_id(text)


def test_arxiv_links() -> None:
    arxiv = parse_arxiv_id("2401.01234v2")
    assert arxiv.abs_url == "https://arxiv.org/abs/2401.01234v2"
    assert arxiv.pdf_url == "https://arxiv.org/pdf/2401.01234v2"
    assert not arxiv.is_old_style and parse_arxiv_id("hep-th/9901001").is_old_style


new_ids = st.builds(
    lambda yy, mm, n, v: (f"{yy:02d}{mm:02d}.{n:05d}" if yy >= 15 else f"{yy:02d}{mm:02d}.{n % 10000:04d}", v),
    st.integers(8, 30), st.integers(1, 12), st.integers(0, 99999), st.one_of(st.none(), st.integers(1, 50)),
)


@given(new_ids, st.sampled_from(["{}", "arXiv:{}", "https://arxiv.org/abs/{}", "https://arxiv.org/pdf/{}.pdf"]))
def test_arxiv_round_trip(pair: tuple[str, int | None], wrapper: str) -> None:
    base, version = pair
    text = base + (f"v{version}" if version else "")
    parsed = parse_arxiv_id(wrapper.format(text))
    assert parsed == ArxivId(base, version)
    assert parse_arxiv_id(str(parsed)) == parsed


@given(st.text(max_size=60))
def test_arxiv_never_crashes(text: str) -> None:
    try:
        parsed = parse_arxiv_id(text)
    except InvalidId:
        return
    assert parse_arxiv_id(str(parsed)) == parsed


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("10.1038/nphys1170", "10.1038/nphys1170"),
        ("doi:10.1038/NPHYS1170", "10.1038/nphys1170"),
        ("https://doi.org/10.1093/mind/LIX.236.433", "10.1093/mind/lix.236.433"),
        ("http://dx.doi.org/10.1000/182", "10.1000/182"),
        ("doi.org/10.48550/arXiv.1706.03762", "10.48550/arxiv.1706.03762"),
    ],
)
def test_doi_spellings(text: str, doi: str) -> None:
    assert normalize_doi(text) == doi


@pytest.mark.parametrize("text", ["", "10.1/x", "https://doi.org/10.1000/a%20b", "11.1038/abc", "https://example.org/10.1038/x", "doi:", "1706.03762"])
def test_doi_junk(text: str) -> None:
    with pytest.raises(InvalidId):
        normalize_doi(text)


@given(st.integers(1000, 99999999), st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-_()/", min_size=1, max_size=30))
def test_doi_round_trip(registrant: int, suffix: str) -> None:
    doi = f"10.{registrant}/{suffix}"
    for form in (doi, f"doi:{doi.upper()}", f"https://doi.org/{doi}"):
        assert normalize_doi(form) == doi.lower()


def test_orcid() -> None:
    assert normalize_orcid("0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert normalize_orcid("https://orcid.org/0000-0002-1825-0097") == "0000-0002-1825-0097"
    assert normalize_orcid("0000000218250097") == "0000-0002-1825-0097"
    assert normalize_orcid("0000-0002-1694-233x") == "0000-0002-1694-233X"
    with pytest.raises(InvalidId, match="check digit"):
        normalize_orcid("0000-0002-1825-0098")
    with pytest.raises(InvalidId):
        normalize_orcid("https://example.org/0000-0002-1825-0097")


@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_orcid_checksum_round_trip(digits: str) -> None:
    full = digits + orcid_checksum(digits)
    formatted = "-".join(full[i : i + 4] for i in range(0, 16, 4))
    assert normalize_orcid(full) == formatted
    wrong = digits + ("0" if full[-1] != "0" else "1")
    with pytest.raises(InvalidId):
        normalize_orcid(wrong)


def test_openalex_ids() -> None:
    assert normalize_openalex_id("A5023888391") == "A5023888391"
    assert normalize_openalex_id("a5023888391") == "A5023888391"
    assert normalize_openalex_id("https://openalex.org/A5023888391") == "A5023888391"
    assert normalize_openalex_id("https://api.openalex.org/authors/A5023888391") == "A5023888391"
    assert normalize_openalex_id("W2741809807", kind="W") == "W2741809807"
    with pytest.raises(InvalidId, match="another kind"):
        normalize_openalex_id("W2741809807", kind="A")
    for junk in ("", "X123", "A", "https://example.org/A5023888391", "Geoffrey Hinton"):
        with pytest.raises(InvalidId):
            normalize_openalex_id(junk)


def test_canonical_paper_id_prefers_arxiv() -> None:
    assert canonical_paper_id("2401.01234v3", "10.1/x") == "arXiv:2401.01234"
    assert canonical_paper_id(None, "DOI:10.1038/NPHYS1170") == "doi:10.1038/nphys1170"
    with pytest.raises(InvalidId):
        canonical_paper_id(None, None)


@given(st.text(max_size=200))
def test_all_parsers_refuse_or_normalise(text: str) -> None:
    for parse in (normalize_doi, normalize_orcid, normalize_openalex_id):
        try:
            value = parse(text)
        except InvalidId:
            continue
        assert parse(value) == value
    assert isinstance(is_arxiv_id(text), bool)
