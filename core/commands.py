"""The one command language: text from Slack or the console, or Discord options, become these Commands.

`parse_command(text)` returns a Command or raises `UsageError` with a message a person can act on; it never
raises anything else (the grammar is fuzzed). `core.options.build_command(name, options)` does the same for options chosen
in a form (Discord's slash command options), through the same checks, so every usage message is worded once.
Arguments are kept as given here; their meaning (is this an ORCID, a valid time zone, a well-formed query?)
is checked where the command is handled.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from core.help import USAGE, suggest_command
from core.model.enums import AccessCause, ProblemCode
from core.views import Problem

MAX_COMMAND_LENGTH = 4000  # a generous cap; `import` payloads are the longest legitimate input


class UsageError(ValueError):
    """The text is not a command we understand; `usage` shows the right form."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


@dataclass(frozen=True)
class Command:
    """Base class; `mutates` marks commands that change the channel and need `can_manage`."""

    mutates = False
    needs_network = False  # may call an external API: adapters defer before handling
    from_platform = False  # said by Slack or Discord itself (an event), never by a person: see AccessLost


@dataclass(frozen=True)
class Help(Command):
    topic: str | None = None


@dataclass(frozen=True)
class LookupResearcher(Command):
    query: str
    needs_network = True


@dataclass(frozen=True)
class PickCandidate(Command):
    """`researcher pick 2` / `follow pick 2` / `iam pick 2`: choose from the last pick list shown in this channel."""

    action: str  # researcher | follow | iam
    number: int
    needs_network = True

    @property
    def mutates(self) -> bool:  # type: ignore[override]
        return self.action == "follow"


@dataclass(frozen=True)
class IAm(Command):
    """`iam <researcher>`: the person typing says which researcher record is them in this workspace (one each);
    `iam` alone shows it, `iam nobody` takes it back."""

    query: str = ""
    forget: bool = False

    @property
    def needs_network(self) -> bool:  # type: ignore[override]
        return bool(self.query)


@dataclass(frozen=True)
class FollowLab(Command):
    """`follow lab`: follow everyone who said who they are here with `iam`, and whoever does so later."""

    mutates = True


@dataclass(frozen=True)
class UnfollowLab(Command):
    """`unfollow lab`: stop following the lab; the people it added are unfollowed, those followed by hand stay."""

    mutates = True


@dataclass(frozen=True)
class LookupInstitution(Command):
    """`institution <name | ROR | OpenAlex I-id>`: an institution's card, or a pick list of namesakes."""

    query: str
    needs_network = True


@dataclass(frozen=True)
class PickInstitution(Command):
    """`institution pick 2` / `follow institution pick 2`: choose from the last institution pick list shown to
    this person here."""

    number: int
    follow: bool = False
    needs_network = True

    @property
    def mutates(self) -> bool:  # type: ignore[override]
        return self.follow


@dataclass(frozen=True)
class FollowInstitution(Command):
    """`follow institution <name | ROR | OpenAlex I-id>`: the institution's new papers come in the digest."""

    query: str
    mutates = True
    needs_network = True


@dataclass(frozen=True)
class LookupPaper(Command):
    query: str
    needs_network = True


@dataclass(frozen=True)
class Trending(Command):
    day: date | None = None
    needs_network = True


@dataclass(frozen=True)
class SubscribeTopic(Command):
    query: str
    mutates = True


@dataclass(frozen=True)
class SubscribeCategory(Command):
    category: str
    mutates = True


@dataclass(frozen=True)
class SubscribeTrending(Command):
    """`subscribe trending [top N]`: each digest gets a "Trending today" section of Hugging Face's daily papers."""

    top: int = 5
    mutates = True


@dataclass(frozen=True)
class FollowCitations(Command):
    """`follow citations <researcher | paper>`: the digest gets a "New citations" section of new works citing the
    paper, or the researcher's most cited papers."""

    target: str
    mutates = True
    needs_network = True


TRENDING_TOP_MAX = 20  # papers a "Trending today" section may hold: beyond that it is the trending list itself


@dataclass(frozen=True)
class Follow(Command):
    query: str
    mutates = True
    needs_network = True


@dataclass(frozen=True)
class ListSubscriptions(Command):
    pass


@dataclass(frozen=True)
class Unsubscribe(Command):
    ref: str
    mutates = True


@dataclass(frozen=True)
class Unfollow(Command):
    query: str
    mutates = True


@dataclass(frozen=True)
class ShowSettings(Command):
    pass


@dataclass(frozen=True)
class ChangeSetting(Command):
    name: str  # time | timezone | days | max | updates | crosslists | quiet-notice
    value: str
    mutates = True


@dataclass(frozen=True)
class Pause(Command):
    mutates = True


@dataclass(frozen=True)
class Resume(Command):
    mutates = True


@dataclass(frozen=True)
class Export(Command):
    pass


@dataclass(frozen=True)
class Import(Command):
    payload: str
    mutates = True


@dataclass(frozen=True)
class Status(Command):
    pass


@dataclass(frozen=True)
class DigestNow(Command):
    anyway: bool = False  # send even though the channel is paused (the daily digest stays paused)
    mutates = True
    needs_network = True


@dataclass(frozen=True)
class DigestPreview(Command):
    needs_network = True


@dataclass(frozen=True)
class DigestMore(Command):
    pass


@dataclass(frozen=True)
class RatePaper(Command):
    """`like`, `dislike`, `unrate`, or a 👍/👎 button: one person's rating of a paper in this channel."""

    paper: str  # any form `paper` accepts; buttons send the canonical id
    value: int  # 1 like, -1 dislike, 0 take the rating back
    toggle: bool = False  # a button: clicking the rating one already gave takes it back
    needs_network = True  # a paper not stored yet is looked up


@dataclass(frozen=True)
class ShowFeedback(Command):
    """`feedback`: what the channel's ratings taught its digest."""


@dataclass(frozen=True)
class ResetFeedback(Command):
    """`feedback reset`: forget every rating of this channel."""

    mutates = True


@dataclass(frozen=True)
class SubscribeSimilar(Command):
    """`subscribe similar <paper> [<paper> ...]`: new papers close to these examples, from all of arXiv."""

    papers: tuple[str, ...]
    mutates = True
    needs_network = True


@dataclass(frozen=True)
class FindSimilar(Command):
    """`similar <paper>`: the stored recent papers closest to it (and Semantic Scholar's recommendations)."""

    paper: str
    needs_network = True


MAX_EXAMPLES = 10  # papers one `subscribe similar` may name


@dataclass(frozen=True)
class Suggest(Command):
    """What a person may mean while typing an option (autocomplete), answered with `Suggestions`.

    Never a Problem: anything that goes wrong answers with fewer or no suggestions, since a platform shows
    an error here as a broken form. `limit` is how many the adapter can show.
    """

    field: str  # researcher | institution | category | timezone | setting:<name> | subscription | followed
    text: str = ""
    limit: int = 25


# The channel of a Destination that means "every channel of this workspace or server" (access commands).
EVERY_CHANNEL = "*"


@dataclass(frozen=True)
class AccessLost(Command):
    """The platform took the bot's access to a whole workspace or server away (uninstalled, token revoked,
    removed from the server): pause every running channel there, keeping subscriptions.

    Sent by an adapter for a platform event, with `core.rules.platform_actor` and a Destination whose channel
    is EVERY_CHANNEL; the door refuses it from anyone else, and the text grammar has no word for it."""

    cause: AccessCause
    from_platform = True


@dataclass(frozen=True)
class AccessRegained(Command):
    """The workspace or server gave the bot its access back (installed again): resume the channels that
    AccessLost paused, and only those (a channel a manager paused stays paused)."""

    from_platform = True


SETTING_NAMES = ("time", "timezone", "days", "every", "max", "updates", "crosslists", "quiet-notice", "learning",
                 "summary")
_SETTING_ALIASES = {"tz": "timezone", "zone": "timezone", "weekdays": "days", "quiet": "quiet-notice",
                    "max-items": "max", "limit": "max", "cross-lists": "crosslists", "quietnotice": "quiet-notice",
                    "summaries": "summary", "tldr": "summary"}

# Control characters other than ordinary whitespace are dropped: they cannot mean anything in a command.
# So are lone surrogates (undecodable bytes from a terminal, or `\ud800` in JSON): no API or database takes them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Drop control and bidi-override characters and fold odd whitespace; keep everything else."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub("", text)
    return " ".join(text.split()) if "\n" not in text else text.strip()


def _rest(words: list[str], start: int) -> str:
    return " ".join(words[start:]).strip()


def _usage(name: str) -> str:
    return USAGE.get(name, "help")


def _require(value: str, name: str, what: str) -> str:
    if not value:
        raise UsageError(f"`{name}` needs {what}.", _usage(name))
    return value


def parse_command(text: str) -> Command:
    """Turn command text (with or without a leading `/radar`) into a Command."""
    if not isinstance(text, str):
        raise UsageError("Commands are text.", _usage("help"))
    if len(text) > MAX_COMMAND_LENGTH * 4:
        raise UsageError(f"That is far too long for a command (at most {MAX_COMMAND_LENGTH} characters).")
    text = clean_text(text)
    if len(text) > MAX_COMMAND_LENGTH:
        raise UsageError(f"That is too long for a command (at most {MAX_COMMAND_LENGTH} characters).")
    # Any whitespace separates words: a text that ended in a line break was stripped but not folded.
    words = text.split()
    words = [w for w in words if w]
    if words and words[0].lower() in ("/radar", "radar"):
        words = words[1:]
    if not words:
        return Help()
    head = words[0].lower()
    parser = _PARSERS.get(head)
    if parser is None:
        guess = suggest_command(head)
        hint = f" Did you mean `{guess}`?" if guess else ""
        raise UsageError(f"I don't know the command `{words[0][:40]}`.{hint}", "help")
    if head == "import":
        # The JSON payload keeps its own spacing and newlines.
        match = _IMPORT.match(text)
        return import_command(match.group(1) if match else "")
    return parser(words)


_IMPORT = re.compile(r"^\s*(?:/?radar\s+)?import\b(.*)$", re.S | re.I)


# ---------------------------------------------------------------- one check per argument
# Typed words and chosen options (core/options.py) both end here: each check and its message exist once.


def help_command(topic: str) -> Help:
    return Help(topic.lower().lstrip("/")[:40]) if topic else Help()


def researcher_command(query: str) -> Command:
    return LookupResearcher(_require(query, "researcher", "a name, ORCID or OpenAlex id"))


LAB = "lab"
NOBODY = ("nobody", "none", "no one", "noone")


def institution_command(query: str) -> Command:
    return LookupInstitution(_require(query, "institution", "a name, ROR id or OpenAlex institution id"))


def follow_institution_command(query: str) -> Command:
    return FollowInstitution(_require(query, "follow", "a name, ROR id or OpenAlex id after `institution`"))


def follow_command(query: str) -> Command:
    if query.strip().lower() == LAB:
        return FollowLab()
    return Follow(_require(query, "follow", "a name, ORCID or OpenAlex id"))


def iam_command(query: str) -> Command:
    if query.strip().lower() in NOBODY:
        return IAm(forget=True)
    return IAm(query.strip())


def paper_command(query: str) -> Command:
    return LookupPaper(_require(query, "paper", "an arXiv id, DOI, link or title"))


def trending_command(day: str) -> Command:
    day = day.lower()
    if day in ("", "today"):
        return Trending()
    try:
        return Trending(date.fromisoformat(day))
    except ValueError:
        raise UsageError(f"`{day[:40]}` is not a date; use YYYY-MM-DD, like `trending 2026-08-21`.",
                         _usage("trending")) from None


def subscribe_topic_command(query: str) -> Command:
    return SubscribeTopic(_require(query, "subscribe", "a topic query after `topic`"))


def subscribe_category_command(value: str) -> Command:
    value = _require(value, "subscribe", "an arXiv category after `category`, like cs.LG")
    # Several codes (`cs.LG stat.ML`, `hep-th hep-ph`) are refused here; words (`machine learning`) are a
    # category's name, which the handler turns into the codes it may mean.
    words = value.split()
    if len(words) > 1 and all(any(mark in w for mark in ".-*") for w in words):
        raise UsageError("Subscribe to one category at a time, like `subscribe category cs.LG`.", _usage("subscribe"))
    return SubscribeCategory(value)


def unsubscribe_command(ref: str) -> Command:
    return Unsubscribe(_require(ref, "unsubscribe", "the number shown by `list`"))


def unfollow_command(query: str) -> Command:
    if query.strip().lower() == LAB:
        return UnfollowLab()
    return Unfollow(_require(query, "unfollow", "a name or id from `list`"))


def setting_command(name: str, value: str) -> Command:
    key = _SETTING_ALIASES.get(name.lower(), name.lower())
    if key not in SETTING_NAMES:
        raise UsageError(f"There is no setting `{name[:40]}`. Settings: {', '.join(SETTING_NAMES)}.",
                         _usage("settings"))
    if not value:
        raise UsageError(f"`settings {key}` needs a value.", _usage("settings"))
    return ChangeSetting(key, value)


def import_command(payload: str) -> Command:
    return Import(_require(payload.strip(), "import", "the JSON that `export` produced"))


# ---------------------------------------------------------------- typed words


def _parse_help(words: list[str]) -> Command:
    return help_command(words[1] if len(words) > 1 else "")


def _parse_researcher(words: list[str]) -> Command:
    if len(words) >= 2 and words[1].lower() == "pick":
        return PickCandidate("researcher", _pick_number(words, "researcher"))
    return researcher_command(_rest(words, 1))


def follow_citations_command(target: str) -> Command:
    return FollowCitations(_require(target, "follow citations", "a researcher (ORCID, OpenAlex id or name) or a "
                                    "paper (OpenAlex work id W…, DOI or arXiv id)"))


def _parse_institution(words: list[str]) -> Command:
    if len(words) >= 2 and words[1].lower() == "pick":
        return PickInstitution(_pick_number(words, "institution"))
    return institution_command(_rest(words, 1))


def _parse_follow(words: list[str]) -> Command:
    if len(words) >= 2 and words[1].lower() in ("institution", "institute"):
        if len(words) >= 3 and words[2].lower() == "pick":
            return PickInstitution(_pick_number(words[1:], "follow institution"), follow=True)
        return follow_institution_command(_rest(words, 2))
    if len(words) >= 2 and words[1].lower() == "pick":
        return PickCandidate("follow", _pick_number(words, "follow"))
    if len(words) >= 2 and words[1].lower() == "citations":
        return follow_citations_command(_rest(words, 2))
    return follow_command(_rest(words, 1))


def _parse_iam(words: list[str]) -> Command:
    if len(words) >= 2 and words[1].lower() == "pick":
        return PickCandidate("iam", _pick_number(words, "iam"))
    return iam_command(_rest(words, 1))


def _pick_number(words: list[str], name: str) -> int:
    value = words[2] if len(words) > 2 else ""
    if len(words) != 3 or not value.isdecimal() or not 1 <= int(value) <= 25:
        raise UsageError(f"`{name} pick` takes the number shown in the list, like `{name} pick 2`.", _usage(name))
    return int(value)


def rate_command(value: int, paper: str) -> Command:
    name = {1: "like", -1: "dislike", 0: "unrate"}[value]
    if not paper:  # the three share one help entry, `like`
        raise UsageError(f"`{name}` needs a paper: an arXiv id, DOI or link.", _usage("like"))
    return RatePaper(paper, value)


def subscribe_similar_command(papers: list[str]) -> Command:
    papers = [p for p in papers if p]
    if not papers:
        raise UsageError("`subscribe similar` needs one or more papers: arXiv ids, DOIs or links.",
                         _usage("subscribe"))
    if len(papers) > MAX_EXAMPLES:
        raise UsageError(f"`subscribe similar` takes at most {MAX_EXAMPLES} example papers.", _usage("subscribe"))
    return SubscribeSimilar(tuple(papers))


def similar_command(paper: str) -> Command:
    return FindSimilar(_require(paper, "similar", "a paper: an arXiv id, DOI, link or title"))


def _parse_feedback(words: list[str]) -> Command:
    if len(words) == 1:
        return ShowFeedback()
    if len(words) == 2 and words[1].lower() == "reset":
        return ResetFeedback()
    raise UsageError("`feedback` shows what the channel's ratings taught it; `feedback reset` forgets them.",
                     _usage("feedback"))


def subscribe_trending_command(top: str) -> Command:
    """`top 8`, `8` or nothing (5)."""
    words = top.lower().split()
    if words[:1] == ["top"]:
        words = words[1:]
    if not words:
        return SubscribeTrending()
    if len(words) == 1 and words[0].isdecimal() and 1 <= int(words[0]) <= TRENDING_TOP_MAX:
        return SubscribeTrending(int(words[0]))
    raise UsageError(f"`subscribe trending` takes how many papers, from 1 to {TRENDING_TOP_MAX}, like "
                     "`subscribe trending top 5`.", _usage("subscribe"))


def _parse_subscribe(words: list[str]) -> Command:
    kind = words[1].lower() if len(words) > 1 else ""
    if kind == "trending":
        return subscribe_trending_command(_rest(words, 2))
    if kind in ("topic", "topics", "query"):
        return subscribe_topic_command(_rest(words, 2))
    if kind in ("similar", "like"):
        return subscribe_similar_command(words[2:])
    if kind in ("category", "cat", "categories"):
        return subscribe_category_command(_rest(words, 2))
    raise UsageError("Say what to subscribe to: `subscribe topic <query>`, `subscribe category <cs.LG>`, "
                     "`subscribe similar <paper>` or `subscribe trending [top N]`. "
                     "To follow a person, use `follow <name>`.", _usage("subscribe"))


def _parse_settings(words: list[str]) -> Command:
    return ShowSettings() if len(words) == 1 else setting_command(words[1], _rest(words, 2))


def _parse_digest(words: list[str]) -> Command:
    sub = words[1].lower() if len(words) > 1 else ""
    if sub == "now" and len(words) == 3 and words[2].lower().lstrip("-—–") == "anyway":
        return DigestNow(anyway=True)
    if len(words) > 2:
        raise UsageError("`digest` takes one word: now, preview or more (and `digest now --anyway`).",
                         _usage("digest"))
    if sub == "now":
        return DigestNow()
    if sub in ("preview", ""):
        return DigestPreview()
    if sub == "more":
        return DigestMore()
    raise UsageError(f"`digest {sub[:40]}` is not a digest command: use now, preview or more.", _usage("digest"))


def _no_args(command: Command, name: str) -> Callable[[list[str]], Command]:
    def parse(words: list[str]) -> Command:
        if len(words) > 1:
            raise UsageError(f"`{name}` takes no arguments.", _usage(name))
        return command

    return parse


_PARSERS: dict[str, Callable[[list[str]], Command]] = {
    "help": _parse_help,
    "researcher": _parse_researcher,
    "author": _parse_researcher,
    "institution": _parse_institution,
    "institute": _parse_institution,
    "paper": lambda words: paper_command(_rest(words, 1)),
    "trending": lambda words: trending_command(_rest(words, 1)),
    "subscribe": _parse_subscribe,
    "sub": _parse_subscribe,
    "follow": _parse_follow,
    "iam": _parse_iam,
    "list": _no_args(ListSubscriptions(), "list"),
    "subscriptions": _no_args(ListSubscriptions(), "list"),
    "unsubscribe": lambda words: unsubscribe_command(_rest(words, 1)),
    "unsub": lambda words: unsubscribe_command(_rest(words, 1)),
    "unfollow": lambda words: unfollow_command(_rest(words, 1)),
    "settings": _parse_settings,
    "pause": _no_args(Pause(), "pause"),
    "resume": _no_args(Resume(), "resume"),
    "export": _no_args(Export(), "export"),
    "import": lambda words: Import(""),  # handled before dispatch; kept so `import` is a known word
    "status": _no_args(Status(), "status"),
    "digest": _parse_digest,
    "like": lambda words: rate_command(1, _rest(words, 1)),
    "dislike": lambda words: rate_command(-1, _rest(words, 1)),
    "unrate": lambda words: rate_command(0, _rest(words, 1)),
    "feedback": _parse_feedback,
    "similar": lambda words: similar_command(_rest(words, 1)),
}
COMMAND_WORDS = tuple(_PARSERS)


def unusable_import_file(size: int | None = None) -> UsageError:
    """Why an export attached as a file cannot be imported: too large (`size` in bytes), or unreadable."""
    if size is not None:
        return UsageError(f"That file is too large for an export ({size:,} bytes).", _usage("import"))
    return UsageError("I couldn't read that file; paste the JSON into the `json` option instead.", _usage("import"))


def usage_problem(error: UsageError) -> Problem:
    """The one answer to a command that is not understood, in every adapter: what is wrong, and the right form.

    The hint names `/radar`, which every adapter accepts (the console and `radar ask` ignore the word)."""
    usage = error.usage if error.usage and error.usage != "help" else None
    hint = f"Usage: /radar {usage}" if usage else "Type `/radar help` for the list of commands."
    return Problem("That doesn't work as given", error.message, hint, code=ProblemCode.USAGE)
