"""What to tell a person about the topic query they typed, beyond whether it parses.

`too_vague` refuses a query that would match nearly every paper (an alternative of only common words or single
letters); `operator_notes` says what became of operators the language does not have (AND, &&, parentheses),
which the parser reads without complaint so that stored subscriptions keep working.
"""

from __future__ import annotations

from core.subscriptions.query import QueryError, TopicQuery, _clean, _lex, required_tokens
from core.subscriptions.text import normalize_token

__all__ = ["STOP_WORDS", "operator_notes", "too_vague"]


# Words nearly every abstract contains: an alternative made only of these (or of single letters) matches
# every paper in the feed, which is a flood, not a topic.
STOP_WORDS = frozenset(normalize_token(w) for w in """
    a an the of and or not in on at to for from by with without into onto over under about as is are was were
    be been being this that these those it its we our us you your they their there here which who whom what
    when where how why via using use based new paper papers study approach method methods result results
""".split())


def too_vague(query: TopicQuery) -> str | None:
    """Why `query` would match nearly every paper, or None: an OR alternative of only stop words or letters."""
    for group in query.groups:
        tokens = required_tokens(group)
        if all(t in STOP_WORDS or len(t) < 2 for t in tokens):
            shown = ", ".join(f'"{t}"' for t in sorted(tokens))
            if len(tokens) == 1:
                what = "is a single letter" if len(next(iter(tokens))) < 2 else "is a word"
            else:
                what = "are all single letters or words"
            return (f"{shown} {what} that nearly every paper contains. Give a word or phrase that names the "
                    "topic, at least two letters long.")
    return None


def operator_notes(text: str) -> tuple[str, ...]:
    """Operators the query language does not have, as the person wrote them, each with what happened to it.

    They are read (AND is left out, symbols have no words in them), so the subscription works; these notes
    make sure that is said rather than silently done."""
    try:
        lexemes = _lex(_clean(text))
    except QueryError:
        return ()
    bare = [lx.text for lx in lexemes if not lx.quoted]
    notes = []
    if "AND" in bare:
        notes.append("AND is not needed: every word must match already, so it was left out.")
    symbols = sorted({w for w in bare if w in ("&", "&&", "|", "||", "+", "!")})
    if symbols:
        notes.append(f"{' and '.join(symbols)} {'is' if len(symbols) == 1 else 'are'} not an operator here and "
                     "matched nothing: every word must match already, OR (in capitals) gives alternatives, and -word "
                     "excludes.")
    if "OR" not in bare and any("(" in w or ")" in w for w in bare):
        notes.append("Parentheses group nothing here: every word must match, and OR splits the whole query.")
    return tuple(notes)
