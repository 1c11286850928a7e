"""Identifiers people paste: arXiv ids, DOIs, ORCIDs, OpenAlex and Semantic Scholar ids.

Each parser accepts the forms that turn up in chat (bare ids, URLs, `arXiv:` / `doi:` prefixes, stray case and
whitespace) and returns one normalised form, or raises `InvalidId` with a sentence a user can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse


class InvalidId(ValueError):
    """The text is not an identifier of the expected kind."""


# Archives of the pre-2007 scheme (archive/YYMMNNN). Subject classes (math.GT/...) are accepted as aliases.
OLD_ARCHIVES = frozenset(
    """acc-phys adap-org alg-geom ao-sci astro-ph atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas cond-mat cs
    dg-ga funct-an gr-qc hep-ex hep-lat hep-ph hep-th math math-ph mtrl-th nlin nucl-ex nucl-th patt-sol physics
    plasm-ph q-alg q-bio quant-ph solv-int supr-con""".split()
)

_NEW_ID = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})(?:v(?P<v>[1-9]\d{0,3}))?$")
_OLD_ID = re.compile(
    r"^(?P<archive>[a-z][a-z-]*[a-z])(?:\.(?P<subj>[A-Za-z]{2}))?/(?P<yy>\d{2})(?P<mm>\d{2})(?P<num>\d{3})"
    r"(?:v(?P<v>[1-9]\d{0,3}))?$"
)
_ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org", "rss.arxiv.org")


@dataclass(frozen=True, order=True)
class ArxivId:
    """An arXiv identifier: `base` has no version (`2401.01234`, `hep-th/9901001`)."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return f"{self.base}v{self.version}" if self.version else self.base

    @property
    def is_old_style(self) -> bool:
        return "/" in self.base

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self}"


def _strip_arxiv_wrapping(text: str) -> str:
    text = text.strip()
    lowered = text.lower()
    if lowered.startswith(("http://", "https://")) or lowered.startswith(_ARXIV_HOSTS):
        url = urlparse(text if "://" in text else "https://" + text)
        if (url.hostname or "").lower() not in _ARXIV_HOSTS:
            raise InvalidId(f"{text!r} is not an arXiv link")
        path = unquote(url.path)
        for prefix in ("/abs/", "/pdf/", "/html/", "/format/"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
                break
        else:
            raise InvalidId(f"{text!r} does not point at an arXiv paper (expected /abs/ or /pdf/)")
        text = path.rstrip("/")
        if text.lower().endswith(".pdf"):
            text = text[:-4]
    if text[:6].lower() == "arxiv:":
        text = text[6:].strip()
    return text


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any common spelling of an arXiv id; raise `InvalidId` otherwise."""
    if not isinstance(text, str) or len(text) > 300:
        raise InvalidId("that is not an arXiv id")
    core = _strip_arxiv_wrapping(text)
    match = _NEW_ID.match(core)
    if match:
        yy, mm, num = int(match["yy"]), int(match["mm"]), match["num"]
        if not 1 <= mm <= 12 or (yy, mm) < (7, 4):
            raise InvalidId(f"{core!r} has no valid year and month (new-style ids start at 0704)")
        # Four-digit sequence numbers were used until 1412, five digits from 1501 on.
        if (len(num) == 4) != (yy < 15):
            raise InvalidId(f"{core!r} has the wrong number of digits for {yy:02d}{mm:02d}")
        version = int(match["v"]) if match["v"] else None
        return ArxivId(f"{match['yy']}{match['mm']}.{num}", version)
    match = _OLD_ID.match(core)
    if match:
        archive = match["archive"].lower()
        if archive not in OLD_ARCHIVES:
            raise InvalidId(f"{archive!r} is not an arXiv archive")
        yy, mm = int(match["yy"]), int(match["mm"])
        if not 1 <= mm <= 12 or (91 > yy > 7):
            raise InvalidId(f"{core!r} has no valid year and month (old-style ids run from 9108 to 0703)")
        version = int(match["v"]) if match["v"] else None
        return ArxivId(f"{archive}/{match['yy']}{match['mm']}{match['num']}", version)
    raise InvalidId(f"{text.strip()[:80]!r} is not an arXiv id (examples: 2401.01234, hep-th/9901001v2)")


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidId:
        return False
    return True


_DOI = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")
_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")


def normalize_doi(text: str) -> str:
    """Return a DOI in lower case without resolver or prefix (`10.1038/nphys1170`)."""
    if not isinstance(text, str) or len(text) > 500:
        raise InvalidId("that is not a DOI")
    value = text.strip()
    lowered = value.lower()
    if lowered.startswith(("http://", "https://")) or lowered.startswith(_DOI_HOSTS):
        url = urlparse(value if "://" in value else "https://" + value)
        if (url.hostname or "").lower() not in _DOI_HOSTS:
            raise InvalidId(f"{value[:80]!r} is not a doi.org link")
        value = unquote(url.path.lstrip("/"))
    elif lowered.startswith("doi:"):
        value = value[4:].strip()
    value = value.lower()
    if not _DOI.match(value):
        raise InvalidId(f"{text.strip()[:80]!r} is not a DOI (example: 10.1038/nphys1170)")
    return value


def is_doi(text: str) -> bool:
    try:
        normalize_doi(text)
    except InvalidId:
        return False
    return True


_ORCID = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")


def orcid_checksum(digits15: str) -> str:
    """ISO 7064 MOD 11-2 check character over the first fifteen digits."""
    total = 0
    for ch in digits15:
        total = (total + int(ch)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalize_orcid(text: str) -> str:
    """Return `0000-0002-1825-0097` for any common spelling; the checksum must hold."""
    if not isinstance(text, str) or len(text) > 200:
        raise InvalidId("that is not an ORCID")
    value = text.strip()
    lowered = value.lower()
    if lowered.startswith(("http://", "https://", "orcid.org/", "www.orcid.org/")):
        url = urlparse(value if "://" in value else "https://" + value)
        if (url.hostname or "").lower() not in ("orcid.org", "www.orcid.org", "sandbox.orcid.org"):
            raise InvalidId(f"{value[:80]!r} is not an orcid.org link")
        value = url.path.strip("/")
    elif lowered.startswith("orcid:"):
        value = value[6:].strip()
    match = _ORCID.match(value.upper())
    if not match:
        raise InvalidId(f"{text.strip()[:80]!r} is not an ORCID (example: 0000-0002-1825-0097)")
    digits = "".join(match.groups())
    if orcid_checksum(digits[:15]) != digits[15]:
        raise InvalidId(f"{text.strip()[:80]!r} is not a valid ORCID (its check digit does not match)")
    return "-".join(match.groups())


def is_orcid(text: str) -> bool:
    try:
        normalize_orcid(text)
    except InvalidId:
        return False
    return True


# OpenAlex entity letters: Works, Authors, Sources, Institutions, Concepts, Publishers, Funders, Topics.
_OPENALEX = re.compile(r"^([WASICPFT])(\d{2,12})$")


def normalize_openalex_id(text: str, kind: str | None = None) -> str:
    """Return `A5023888391` from a bare id or an openalex.org URL; `kind` pins the entity letter."""
    if not isinstance(text, str) or len(text) > 200:
        raise InvalidId("that is not an OpenAlex id")
    value = text.strip()
    lowered = value.lower()
    if lowered.startswith(("http://", "https://", "openalex.org/", "api.openalex.org/")):
        url = urlparse(value if "://" in value else "https://" + value)
        if (url.hostname or "").lower() not in ("openalex.org", "api.openalex.org", "www.openalex.org"):
            raise InvalidId(f"{value[:80]!r} is not an openalex.org link")
        value = url.path.strip("/").rsplit("/", 1)[-1]
    match = _OPENALEX.match(value.upper())
    if not match:
        raise InvalidId(f"{text.strip()[:80]!r} is not an OpenAlex id (example: A5023888391)")
    if kind is not None and match[1] != kind.upper():
        raise InvalidId(f"{match[0]} is an OpenAlex id of another kind (expected one starting with {kind.upper()})")
    return match[0]


def is_openalex_id(text: str, kind: str | None = None) -> bool:
    try:
        normalize_openalex_id(text, kind)
    except InvalidId:
        return False
    return True


# arXiv registers a DataCite DOI for every paper: 10.48550/arXiv.<id>. It names the paper arXiv itself holds.
ARXIV_DOI_PREFIX = "10.48550/arxiv."


def arxiv_id_from_doi(doi: str) -> ArxivId | None:
    """The arXiv id inside arXiv's own DOI (`10.48550/arXiv.1707.08567`), or None for any other DOI."""
    value = doi.strip().lower()
    if not value.startswith(ARXIV_DOI_PREFIX):
        return None
    try:
        return parse_arxiv_id(value[len(ARXIV_DOI_PREFIX):])
    except InvalidId:
        return None


# A DOI somewhere in a link: publishers put it in the path (`/doi/10.1145/...`, `/content/10.1101/...`).
_DOI_IN_TEXT = re.compile(r"10\.\d{4,9}(?:\.\d+)*/[^\s?#]+", re.I)
# What publishers append after the DOI in a link; never part of the DOIs people cite.
_LINK_SUFFIX = re.compile(r"(?:/(?:full|abstract|pdf|epdf|html|meta|references|figures)|\.(?:full|abstract|pdf)"
                          r"|\.full\.pdf|\+html)+$", re.I)
# bioRxiv and medRxiv DOIs (10.1101/2020.01.01.123456) get a version in their links (…123456v2).
_PREPRINT_VERSION = re.compile(r"^(10\.1101/\d{4}\.\d{2}\.\d{2}\.\d+)v\d+$", re.I)


def doi_in_link(text: str) -> str | None:
    """The DOI a web link carries (a bioRxiv or medRxiv page, a publisher's article page), or None.

    doi.org links are `normalize_doi`'s; this reads any other http(s) URL whose path holds a DOI."""
    if not isinstance(text, str) or len(text) > 500:
        return None
    value = text.strip()
    if not value.lower().startswith(("http://", "https://", "www.")):
        return None
    url = urlparse(value if "://" in value else "https://" + value)
    found = _DOI_IN_TEXT.search(unquote(url.path))
    if found is None:
        return None
    doi = _LINK_SUFFIX.sub("", found.group(0).rstrip("/."))
    doi = _PREPRINT_VERSION.sub(r"\1", doi)
    try:
        return normalize_doi(doi)
    except InvalidId:
        return None


def normalize_openalex_work(text: str) -> str:
    """`W2741809807` from a bare work id or an openalex.org link; `InvalidId` for anything else."""
    return normalize_openalex_id(text, "W")


_S2_HEX = re.compile(r"^[0-9a-f]{40}$")
_S2_CORPUS = re.compile(r"^corpus\s*id\s*:\s*(\d{1,12})$", re.I)
_S2_HOSTS = ("www.semanticscholar.org", "semanticscholar.org", "api.semanticscholar.org")


def normalize_s2_paper_id(text: str) -> str:
    """A Semantic Scholar paper id as its API takes it: `CorpusId:215416146` or the 40-hex paper id.

    Accepts `CorpusID:…`, the bare hex id, and semanticscholar.org links (`/paper/<slug>/<hex>`,
    `/paper/<hex>`, `api.semanticscholar.org/CorpusID:…`)."""
    if not isinstance(text, str) or len(text) > 500:
        raise InvalidId("that is not a Semantic Scholar id")
    value = text.strip()
    if value.lower().startswith(("http://", "https://", *_S2_HOSTS)):
        url = urlparse(value if "://" in value else "https://" + value)
        if (url.hostname or "").lower() not in _S2_HOSTS:
            raise InvalidId(f"{value[:80]!r} is not a semanticscholar.org link")
        value = unquote(url.path).strip("/").rsplit("/", 1)[-1]
    corpus = _S2_CORPUS.match(value)
    if corpus:
        return f"CorpusId:{int(corpus.group(1))}"
    if _S2_HEX.match(value.lower()):
        return value.lower()
    raise InvalidId(f"{text.strip()[:80]!r} is not a Semantic Scholar paper id (example: CorpusID:215416146)")


def canonical_paper_id(arxiv_id: str | ArxivId | None, doi: str | None) -> str:
    """The key papers are deduplicated on: the arXiv id without version, else the DOI."""
    if arxiv_id:
        parsed = arxiv_id if isinstance(arxiv_id, ArxivId) else parse_arxiv_id(arxiv_id)
        return f"arXiv:{parsed.base}"
    if doi:
        return f"doi:{normalize_doi(doi)}"
    raise InvalidId("a paper needs an arXiv id or a DOI")
