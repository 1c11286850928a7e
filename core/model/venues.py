"""Where a paper was accepted or published, read from what arXiv authors write, in the short form people use.

Authors say it in free text: a comment "Accepted at ICLR 2025 (oral)", a journal reference "Phys. Rev. B 85,
115117 (2012)" or "Physical Review B 71, 184511 (2005)", a proceedings title with its acronym in parentheses.
`comment_venue` and `journal_venue` turn those into one name ("ICLR 2025", "Phys. Rev. B"), so that a digest
line reads the same for every paper of a venue and `venue:ICLR` finds them all. Anything unrecognised is kept
as written, trimmed of volume, pages and year; a comment that only says "under review" gives no venue.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Conferences whose acronym people know better than the full name. Upper-case keys: matching ignores case;
# the value is the spelling shown.
ACRONYMS = {a.upper(): a for a in (
    "AAAI", "AISTATS", "ACL", "ACM MM", "CHI", "CIKM", "COLING", "COLT", "CoRL", "CVPR", "EACL", "ECCV",
    "ECIR", "EMNLP", "FAccT", "ICASSP", "ICCV", "ICDE", "ICDM", "ICLR", "ICML", "ICRA", "ICSE", "ICST",
    "ICSTW", "IJCAI", "IJCNLP", "Interspeech", "IROS", "ISSTA", "KDD", "MICCAI", "MLSys", "NAACL", "NeurIPS",
    "OSDI", "PLDI", "RecSys", "RSS", "SIGGRAPH", "SIGIR", "SIGMOD", "SODA", "STOC", "FOCS", "UAI", "USENIX",
    "VLDB", "WACV", "WSDM", "WWW", "3DV", "BMVC", "ICPR", "ACCV", "TMLR", "JMLR", "TPAMI", "IC2E",
    "AITest", "DeepTest", "SBES", "LREC", "CoNLL", "INLG", "SIGDIAL", "TACL",
)}
ACRONYMS["NIPS"] = "NeurIPS"  # the old name: one venue, one spelling

# Full names (and older spellings) of venues to the abbreviation their community cites them by.
LONG_NAMES = {
    "physical review letters": "Phys. Rev. Lett.",
    "physical review a": "Phys. Rev. A",
    "physical review b": "Phys. Rev. B",
    "physical review c": "Phys. Rev. C",
    "physical review d": "Phys. Rev. D",
    "physical review e": "Phys. Rev. E",
    "physical review x": "Phys. Rev. X",
    "physical review research": "Phys. Rev. Research",
    "physics letters b": "Phys. Lett. B",
    "annals of physics": "Ann. Phys.",
    "the astrophysical journal": "ApJ",
    "astrophysical journal": "ApJ",
    "the astrophysical journal letters": "ApJL",
    "monthly notices of the royal astronomical society": "MNRAS",
    "astronomy and astrophysics": "A&A",
    "astronomy & astrophysics": "A&A",
    "journal of high energy physics": "JHEP",
    "nature communications": "Nat. Commun.",
    "ieee transactions on information theory": "IEEE Trans. Inf. Theory",
    "ieee transactions on pattern analysis and machine intelligence": "TPAMI",
    "journal of machine learning research": "JMLR",
    "transactions on machine learning research": "TMLR",
    "advances in neural information processing systems": "NeurIPS",
    "neural information processing systems": "NeurIPS",
    "international conference on learning representations": "ICLR",
    "international conference on machine learning": "ICML",
    "conference on computer vision and pattern recognition": "CVPR",
    "ieee/cvf conference on computer vision and pattern recognition": "CVPR",
    "lect. notes phys.": "Lect. Notes Phys.",
}

# Comments that name a venue without being accepted there.
_NOT_ACCEPTED = re.compile(r"\b(under review|in review|submitted to|submission to|in submission|rejected|"
                           r"resubmitted|preprint of a paper submitted)\b", re.I)
_STATUS = re.compile(r"\b(accepted|to appear|appears|appearing|published|presented|camera[- ]ready|"
                     r"proceedings|conference|workshop|symposium|journal)\b", re.I)
_PRESENTED = re.compile(r"\bpresented\b", re.I)
_WORKSHOP = re.compile(r"\bworkshops?\b", re.I)
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
# "accepted at/to/by/in/for (the) X": X runs to the end of the clause.
_ACCEPTED_AT = re.compile(r"\b(?:accepted|to appear|appears|appearing|published|presented)\s+"
                          r"(?:for\s+publication\s+)?(?:as\s+an?\s+\w+(?:\s+paper)?\s+)?"
                          r"(?:at|to|by|in|for|on)\s+(?:the\s+)?"
                          r"(?P<venue>[^.;()\[\]]{3,120})", re.I)
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&]*")
# A journal reference's name ends where the volume, issue, pages or year begin.
_VOLUME = re.compile(r"(?:,\s*|\s+|(?<=[A-Za-z.]))(?:vol(?:ume)?\.?\s*:?\s*)?\(?\d(?!\d*(?:st|nd|rd|th)\b)"
                     r"|,\s*(?:vol|no|pp|issue|number)\b",
                     re.I)
_PAREN_ACRONYM = re.compile(r"\(\s*([A-Z][A-Za-z0-9&-]{1,11})(?:['’\s-]*((?:19|20)?\d{2}))?\s*\)")


def _acronym_in(text: str) -> tuple[str, str | None, int] | None:
    """A known conference acronym in `text`, with the year written next to it (or anywhere in `text`), and
    where it starts."""
    for match in re.finditer(r"(?<![A-Za-z])([A-Za-z][A-Za-z0-9]{1,10}(?: MM)?)(?:['’\s-]*(\d{4}|'\d{2}))?", text):
        name = ACRONYMS.get(match.group(1).upper())
        if name is None or (match.group(1).islower()):  # "acl" in prose is not the venue
            continue
        year = match.group(2)
        if year and year.startswith("'"):
            year = "20" + year[1:]
        if year is None:
            found = _YEAR.search(text)
            year = found.group(1) if found else None
        return name, year, match.start()
    return None


def _with_year(name: str, year: str | None, text: str) -> str:
    shown = f"{name} {year}" if year else name
    return f"{shown} workshop" if _WORKSHOP.search(text) and "workshop" not in shown.lower() else shown


_PROCEEDINGS = re.compile(r"^(?:in\s*)?(?:proc\.|proceedings)\s+(?:of\s+)?(?:the\s+)?", re.I)
_ORDINAL = re.compile(r"^(?:(?:19|20)\d{2}\s+)?(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|"
                      r"seventh|eighth|ninth|tenth)\s+", re.I)
_ABBREVIATED_END = re.compile(r"(?:^|\s)[A-Za-z]{1,6}\.$")  # "Phys. Rev. Lett." keeps its last dot


def short_name(name: str) -> str:
    """A venue's usual spelling: known long names abbreviated, `Phys.Rev.B` spaced as `Phys. Rev. B`."""
    cleaned = " ".join(name.replace("\n", " ").split()).strip(" ,:;-–(\"'“”‘’")
    cleaned = re.sub(r"(?<=[A-Za-z]{2})\.(?=[A-Z])", ". ", cleaned)  # Phys.Lett.B -> Phys. Lett. B
    if cleaned.endswith(".") and not _ABBREVIATED_END.search(cleaned):
        cleaned = cleaned[:-1]
    cleaned = _ORDINAL.sub("", _PROCEEDINGS.sub("", cleaned))
    cleaned = re.sub(r"^the\s+", "", cleaned, flags=re.I) if cleaned.lower() not in LONG_NAMES else cleaned
    known = LONG_NAMES.get(cleaned.lower()) or LONG_NAMES.get(cleaned.lower().rstrip("."))
    if known:
        return known
    acronym = ACRONYMS.get(cleaned.upper())
    return acronym or cleaned[:120]


def comment_venue(comment: str | None) -> tuple[str, str] | None:
    """(venue, "accepted" | "presented") from an arXiv comment; None when it names none or only a submission."""
    if not comment or _NOT_ACCEPTED.search(comment):
        return None
    found = _acronym_in(comment)
    if found is not None:
        return _with_year(found[0], found[1], comment), _status(comment[max(0, found[2] - 80):found[2]])
    named = _paren_acronym(comment)
    if named is not None:
        return named, _status(comment)
    match = _ACCEPTED_AT.search(comment)
    if match is None:
        return None
    status = _status(match.group(0)[:20])
    venue = short_name(match.group("venue").split(",")[0])
    if not _WORD.search(venue):
        return None
    year = _YEAR.search(match.group("venue"))  # the clause's own year, not one of another venue it mentions
    return (f"{venue} {year.group(1)}" if year and year.group(1) not in venue else venue), status


def _status(text: str) -> str:
    """How the words just before a venue say the paper relates to it."""
    return "presented" if _PRESENTED.search(text) else "accepted"


def _paren_acronym(text: str) -> str | None:
    """A proceedings' acronym in parentheses, "(ISSTA 2020)", "(MET'21)", "(ICST2023)", with its year."""
    for match in _PAREN_ACRONYM.finditer(text):
        word, year = match.group(1), match.group(2)
        glued = re.fullmatch(r"(.*?[A-Za-z])((?:19|20)\d{2})", word)
        if glued:
            word, year = glued.group(1), year or glued.group(2)
        name = ACRONYMS.get(word.upper())
        if name is None and not (sum(ch.isupper() for ch in word) >= 3 and word[0].isupper()):
            continue
        if year is None:
            found = _YEAR.search(text)
            year = found.group(1) if found else None
        elif len(year) == 2:
            year = "20" + year
        return _with_year(name or word, year, text)
    return None


def journal_venue(journal_ref: str | None) -> str | None:
    """The venue of an arXiv journal reference, without volume, pages and year: `Phys. Rev. B`, `ISSTA 2020`."""
    if not journal_ref:
        return None
    text = " ".join(journal_ref.split())
    # Proceedings name their acronym in parentheses: "... Symposium on Software Testing and Analysis (ISSTA 2020)".
    named = _paren_acronym(text)
    if named is not None:
        return named
    known = _acronym_in(text)
    first = text.split()[0].rstrip(",:;'’0123456789").upper()
    if known is not None and (len(text.split()) <= 4 or ACRONYMS.get(first) == known[0]):  # "ICLR 2025", "SBES 2025 ..."
        return _with_year(known[0], known[1], text)
    head = _VOLUME.split(re.sub(r"^(?:19|20)\d{2}\s+", "", text), maxsplit=1)[0]
    name = short_name(head)
    if not _WORD.search(name) or name.lower().startswith(("vol", "no")):
        return None
    return name


def venue_words(text: str) -> tuple[str, ...]:
    """Lower-case words of a venue name, for `venue:` filters: punctuation and spacing never matter."""
    return tuple(word.lower() for word in re.findall(r"[A-Za-z0-9&]+", text))


def venue_matches(wanted: Iterable[str], venue: str | None) -> bool:
    """Whether a paper's venue ("ICLR 2025") is one of `wanted` ("ICLR", "iclr 2025"): every word of one of them
    is among the venue's words, whatever the punctuation."""
    if not venue:
        return False
    have = set(venue_words(venue))
    return any(words and set(words) <= have for words in map(venue_words, wanted))
