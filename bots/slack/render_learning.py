"""What the channel's ratings taught it (`feedback`, `feedback reset`) and `similar <paper>`, as Block Kit.

Both answers are short by construction (eight terms each way, three example papers each way, at most eight
stored papers and eight recommendations), so each is one message; every text from a paper is escaped and clipped.
"""

from __future__ import annotations

from bots.slack import blocks as b
from bots.slack.mrkdwn import clip, escape, link
from core import views as v

TERMS_CHARS = 900


def _paper(line: v.PaperLine) -> str:
    year = f" ({line.year})" if line.year else ""
    return f"• {link(line.url, line.title, label_limit=300)}{year}"


def render_feedback(view: v.FeedbackView) -> list[b.SlackMessage]:
    sentences = [escape(s) for s in v.feedback_sentences(view)]
    if view.reset or not view.ratings:
        text = " ".join(sentences)
        return [b.SlackMessage(text=text, blocks=[b.section(text)])]
    blocks: list[b.Block] = [b.header("What this channel's ratings taught it"), b.section("\n".join(sentences))]
    entries = []
    if view.terms_for:
        entries.append("*Terms that weigh for a paper* 👍\n" + clip(escape(", ".join(view.terms_for)), TERMS_CHARS))
    if view.terms_against:
        entries.append("*Terms that weigh against* 👎\n" + clip(escape(", ".join(view.terms_against)), TERMS_CHARS))
    if entries:
        blocks.append(b.fields(entries))
    for title, papers in (("Liked papers closest to what it learned", view.liked_examples),
                          ("Disliked papers furthest from it", view.disliked_examples)):
        if papers:
            blocks.append(b.section(b.fit_lines([f"*{title}*", *[_paper(p) for p in papers]])))
    blocks.append(b.context("`/radar feedback reset` forgets every rating of this channel (channel managers). "
                            "`/radar settings learning off` keeps them but orders the digest without them."))
    return [b.SlackMessage(text=sentences[0], blocks=blocks)]


def _similar_line(item: v.SimilarItem) -> str:
    details = [clip(escape(item.authors), 300) if item.authors else ""]
    if item.similarity is not None:
        details.append(f"similarity {item.similarity:.2f}")
    if item.paper_id:
        details.append(f"`{escape(v.typed_id(item.paper_id))}`")
    extra = " · ".join(d for d in details if d)
    # Never clipped as a whole: a cut inside the link would leave half a control sequence.
    return f"• {link(item.url, item.title, label_limit=300)}" + (f"\n   {extra}" if extra else "")


def render_similar(view: v.SimilarView) -> list[b.SlackMessage]:
    asked = link(view.paper.url, view.paper.title, label_limit=500)
    blocks: list[b.Block] = [b.section(f"*Papers like* {asked}")]
    for title, items in (("Closest papers that arrived this week", view.items),
                         ("Recommended by Semantic Scholar", view.recommended)):
        if items:
            blocks.append(b.section(b.fit_lines([f"*{title}*", *[_similar_line(i) for i in items]])))
    if not view.items and not view.recommended:
        blocks.append(b.section("No close papers found."))
    if view.note:
        blocks.append(b.context(":information_source: " + clip(escape(view.note), 1000)))
    if view.items or view.recommended:
        blocks.append(b.context("`/radar paper &lt;id&gt;` shows one; `/radar like &lt;id&gt;` tells the digest "
                                "this channel wants more like it."))
    return [b.SlackMessage(text=f"Papers like {escape(view.paper.title)}", blocks=blocks)]
