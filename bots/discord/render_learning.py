"""What the channel's ratings taught it (`feedback`, `feedback reset`) and `similar <paper>`, as embeds.

Text from papers (titles, authors, the terms learned from them) is escaped with `safe`; core's sentences keep
their `code spans` (`safe_prose`). Each answer is one message: the lists are short, and `lines_to_embeds`
would carry on into a second embed rather than cut a line.
"""

from __future__ import annotations

from bots.discord import limits
from bots.discord.limits import fit, safe
from bots.discord.message import (
    BLUE,
    GREEN,
    GREY,
    Outgoing,
    add_field,
    embed,
    join_lines,
    lines_to_embeds,
    link,
    pack,
    safe_prose,
)
from core import views as v

RESET_HINT = "/radar feedback reset:True forgets every rating here (Manage Channels)."


def _paper(line: v.PaperLine) -> str:
    return "• " + link(line.title, line.url, 200) + (f" ({line.year})" if line.year else "")


def render_feedback(view: v.FeedbackView, can_manage: bool = False) -> list[Outgoing]:
    sentences = "\n".join(v.feedback_sentences(view))
    if view.reset:
        return pack([embed(title="Ratings forgotten", description=safe_prose(sentences), color=GREEN)])
    if not view.ratings:
        return pack([embed(title="No ratings yet", description=safe_prose(sentences), color=GREY)])
    card = embed(title="What this channel's ratings taught it", description=safe_prose(sentences), color=BLUE,
                 footer=RESET_HINT if can_manage else None)
    if view.terms_for:
        add_field(card, "Terms that weigh for a paper 👍", fit(", ".join(safe(t) for t in view.terms_for),
                                                               limits.FIELD_VALUE))
    if view.terms_against:
        add_field(card, "Terms that weigh against 👎", fit(", ".join(safe(t) for t in view.terms_against),
                                                           limits.FIELD_VALUE))
    for title, papers in (("Liked papers closest to what it learned", view.liked_examples),
                          ("Disliked papers furthest from it", view.disliked_examples)):
        if papers:
            add_field(card, title, join_lines([_paper(p) for p in papers], limits.FIELD_VALUE))
    return pack([card])


def _similar_line(item: v.SimilarItem) -> str:
    details = [fit(safe(item.authors), 150) if item.authors else ""]
    if item.similarity is not None:
        details.append(f"similarity {item.similarity:.2f}")
    if item.paper_id:
        details.append(f"`{fit(v.typed_id(item.paper_id).replace('`', ''), 100)}`")
    extra = " · ".join(d for d in details if d)
    return "• " + link(item.title, item.url, 200) + (f"\n  {extra}" if extra else "")


def render_similar(view: v.SimilarView, can_manage: bool = False) -> list[Outgoing]:
    lines: list[str] = []
    for title, items in (("Closest papers that arrived this week", view.items),
                         ("Recommended by Semantic Scholar", view.recommended)):
        if items:
            lines += [f"**{title}**", *[_similar_line(i) for i in items]]
    if not lines:
        lines.append("No close papers found.")
    if view.note:
        lines.append(f"ℹ {safe_prose(view.note)}")
    footer = ("/radar paper shows one; /radar like tells the digest this channel wants more like it."
              if view.items or view.recommended else None)
    title = "Papers like “" + fit(safe(view.paper.title), 200) + "”"
    return pack(lines_to_embeds(title, lines, color=BLUE, footer=footer, url=view.paper.url))
