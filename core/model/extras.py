"""What a paper's line shows besides its title: a one-line summary, its code, and where it was accepted.

Each comes from the first source that has it, and only from what is already stored with the paper (ingest
and lookups put it there), so a digest never waits on a source for them:

* summary: Hugging Face's `ai_summary`, else Semantic Scholar's TL;DR, else the abstract's first sentence;
* code: Hugging Face's `githubRepo` (with its stars) and `projectPage`, else a repository or project page
  named in the abstract or the arXiv comment;
* venue: the arXiv journal reference, else "accepted at ..." in the comment, else OpenAlex's source (a
  repository such as arXiv itself is not a venue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.model.papers import PaperRecord
from core.model.venues import comment_venue, journal_venue, short_name

SUMMARY_MODES = ("tldr", "abstract", "off")
DEFAULT_SUMMARY_MODE = "tldr"
SUMMARY_CHARS = 300  # one line in a chat message; a longer first sentence ends at a word with "…"
SUMMARY_SOURCES = {"huggingface": "Hugging Face", "semanticscholar": "Semantic Scholar", "abstract": "abstract"}

_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co", "sr.ht")
_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\[\]]+", re.I)
_TRAILING = ".,;:!?)]}>'\"*/"
_PROJECT_CUE = re.compile(r"(project\s+page|project\s+website|website|homepage|demo|page)\s*(?:is\s+)?(?:at|:)?\s*$",
                          re.I)
# Abbreviations that end in a dot without ending the sentence.
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "et al", "al", "vs", "fig", "figs", "eq", "eqs", "ref", "refs",
                            "cf", "approx", "resp", "no", "vol", "sec", "dr", "prof", "st", "mr", "ms", "viz", "ca"})
_SENTENCE_END = re.compile(r"[.!?](?=\s+[\"“'(\[]?[A-Z0-9$\\])")
# Repositories that are no venue: OpenAlex names arXiv and friends as a preprint's "source".
_REPOSITORIES = re.compile(r"arxiv|biorxiv|medrxiv|ssrn|research square|zenodo|preprints|chemrxiv|hal\b|"
                           r"repository|openreview|cornell university", re.I)


@dataclass(frozen=True)
class PaperExtras:
    summary: str = ""
    summary_source: str = ""  # huggingface | semanticscholar | abstract (keys of SUMMARY_SOURCES)
    code_url: str | None = None
    code_stars: int | None = None
    project_url: str | None = None
    venue: str | None = None  # "ICLR 2025", "Phys. Rev. B"
    venue_status: str = ""  # accepted | presented | published

    @property
    def venue_phrase(self) -> str:
        """`accepted at ICLR 2025`, `published in Phys. Rev. B`: how a line says it."""
        if not self.venue:
            return ""
        verb = {"presented": "presented at", "published": "published in"}.get(self.venue_status, "accepted at")
        return f"{verb} {self.venue}"


def cut_at_word(text: str, limit: int = SUMMARY_CHARS) -> str:
    """`text` within `limit` characters, ended at a word with "…" when it had to be cut (never mid-word)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return cut.rstrip(" ,;:-–") + "…"


def first_sentence(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The abstract's first sentence, whole when it fits `limit`, else cut at a word with "…"."""
    text = " ".join(text.split())
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        word = text[:end].rsplit(" ", 1)[-1].lower().lstrip("(")
        if match.group(0) == "." and (word in _ABBREVIATIONS or len(word) == 1 or word.endswith(" et al")):
            continue  # "e.g. Transformers", "J. Smith", "et al. Then"
        return cut_at_word(text[: end + 1], limit)
    return cut_at_word(text, limit)


def summary_of(record: PaperRecord) -> tuple[str, str]:
    """(one-line summary, its source key); ("", "") for a paper with no abstract and no summary."""
    for text, source in ((record.ai_summary, "huggingface"), (record.tldr, "semanticscholar")):
        if text and text.strip():
            return cut_at_word(text), source
    if record.abstract.strip():
        return first_sentence(record.abstract), "abstract"
    return "", ""


def _clean_url(url: str) -> str:
    url = url.rstrip(_TRAILING)
    if url.endswith(".git"):
        url = url[:-4]
    return url


def _is_repository(url: str) -> bool:
    host, _, path = url.split("://", 1)[-1].partition("/")
    host = host.lower().removeprefix("www.")
    if host not in _CODE_HOSTS:
        return False
    parts = [p for p in path.split("/") if p]
    if host == "huggingface.co":  # a model or dataset page, not a paper's page
        return len(parts) >= 2 and parts[0] not in ("papers", "blog", "docs")
    return len(parts) >= 2


def links_in_text(*texts: str | None) -> tuple[str | None, str | None]:
    """(repository, project page) named in free text (an abstract, an arXiv comment)."""
    code = project = None
    for text in texts:
        for match in _URL.finditer(text or ""):
            url = _clean_url(match.group(0))
            if _is_repository(url):
                code = code or url
            elif ".github.io" in url.lower() or _PROJECT_CUE.search((text or "")[max(0, match.start() - 40):match.start()]):
                project = project or url
    return code, project


def venue_of(record: PaperRecord) -> tuple[str | None, str]:
    """(venue, status) from the journal reference, the comment, then OpenAlex's source."""
    from_journal = journal_venue(record.journal_ref)
    if from_journal:
        return from_journal, "published"
    from_comment = comment_venue(record.comment)
    if from_comment:
        return from_comment
    if record.venue and not _REPOSITORIES.search(record.venue):
        return short_name(record.venue), "published"
    return None, ""


def paper_extras(record: PaperRecord) -> PaperExtras:
    summary, source = summary_of(record)
    code, project = record.links.get("code"), record.links.get("project")
    stars = record.code_stars if code else None
    if not code or not project:
        found_code, found_project = links_in_text(record.comment, record.abstract)
        code = code or found_code
        project = project or (found_project if found_project != code else None)
    venue, status = venue_of(record)
    return PaperExtras(summary=summary, summary_source=source, code_url=code, code_stars=stars,
                       project_url=project, venue=venue, venue_status=status)


def has_code(record: PaperRecord) -> bool:
    """Whether `has:code` holds: a repository known from Hugging Face or named in the abstract or comment."""
    if record.links.get("code"):
        return True
    return links_in_text(record.comment, record.abstract)[0] is not None
