"""A digest as Discord messages: a header, one embed per paper, split into labelled parts in order.

Each message holds at most 10 embeds and 6000 characters of embed text; a digest of any length becomes as
many messages as it needs, each labelled "part i of n" and each knowing which papers it carries, so the
sink can mark exactly those papers sent once Discord has accepted that message.

Below its embeds each message has 👍/👎 for each of its papers, two papers to an action row ("👍 3" "👎 3"
"👍 4" "👎 4"): ten papers fill the five rows Discord allows, and the last row keeps room for "Show more".
"""

from __future__ import annotations

from dataclasses import replace

import discord

from bots.discord import limits
from bots.discord.buttons import more_button, rate_buttons, rateable
from bots.discord.limits import fit, safe, web_url
from bots.discord.message import AMBER, BLUE, GREY, PURPLE, ButtonSpec, Outgoing, embed, link, safe_prose
from core.views import DigestItem, DigestView, digest_lines, matched_summary, plural, readable_latex, typed_id

ITEM_DESCRIPTION = 1000  # keeps a typical part at 8–10 papers without crowding the channel
SNIPPET = 320
WHY = 300
QUOTE = 320
AUTHORS = 300
_KIND_COLOR = {"researcher": PURPLE, "institution": PURPLE, "topic": BLUE, "category": GREY}
PAPERS_PER_ROW = 2  # a 👍/👎 pair each: four buttons, so the last row has room for "Show more"
SECTION_TAG = 24  # a section paper's buttons name it by its title's start: "👍 Attention Is All You…"


def item_embed(item: DigestItem, label: str, heading: str | None = None) -> discord.Embed:
    update = f" [{item.update_label}]" if item.update_label else ""
    lines = []
    if item.authors:
        lines.append(f"*{fit(safe(item.authors), AUTHORS)}*")
    if item.why:
        # Core's reason already says "(matched by name)" when it was: saying it again here read twice.
        reasons = "; ".join(safe(r.text) for r in item.why)
        lines.append(f"**Why:** {fit(reasons, WHY)}")
    if item.quote:  # a citation's citing sentence
        lines.append("> " + fit(safe(" ".join(item.quote.split())), QUOTE))
    if item.snippet:
        lines.append(fit(safe(readable_latex(item.snippet)), SNIPPET))
    if item.summary:
        lines.append("💡 " + fit(safe(readable_latex(item.summary)), SNIPPET))
    links = [link("PDF", item.pdf_url)] if web_url(item.pdf_url) else []
    links += [link(item.code_text, item.code_url)] if web_url(item.code_url) else []
    links += [link("project page", item.project_url)] if web_url(item.project_url) else []
    links += [f"*{fit(safe(item.venue), 140)}*"] if item.venue else []
    if links:
        lines.append(" · ".join(links))
    kind = item.why[0].kind if item.why else ""
    footer = ", ".join(item.categories[:8])
    if not rateable(item.paper_id):
        # Its id is too long for a button's custom id: typing works with any id.
        footer = " · ".join(p for p in (footer, f"rate it with /radar like {typed_id(item.paper_id)}") if p)
    card = embed(
        title=f"{label} " + fit(safe(item.title), limits.TITLE - len(update) - 8) + update,
        url=item.url,
        description=fit("\n".join(lines), ITEM_DESCRIPTION) or None,
        color=_KIND_COLOR.get(kind, BLUE),
        footer=footer or None,
    )
    if item.section:  # every section paper says which section it is in: a part may begin mid-section
        card.set_author(name=fit(safe(item.section if heading is None else f"── {heading} ──"), limits.TITLE))
    return card


def button_tags(view: DigestView) -> dict[str, str]:
    """What each paper's 👍/👎 say to tell them apart below a message's embeds: its number, or for a section
    paper (labelled • in the digest) the start of its title."""
    return {item.paper_id: label.rstrip(".") if label != "•" else fit(safe(item.title), SECTION_TAG)
            for label, item, _ in digest_lines(view.items, view.first_number)}


def _add_buttons(parts: list[Outgoing], tags: dict[str, str], more: ButtonSpec | None) -> None:
    """Each part's rating buttons, tagged as its papers are (`button_tags`), and `more` at the end of the last
    part."""
    for part in parts:
        buttons: list[ButtonSpec] = []
        for paper_id in part.paper_ids:
            buttons += rate_buttons(paper_id, tags.get(paper_id, "?"), row=len(buttons) // (2 * PAPERS_PER_ROW))
        part.buttons = buttons
    if more is not None:
        last = parts[-1].buttons
        row = last[-1].row if last else 0
        if row is not None and sum(1 for b in last if b.row == row) >= limits.BUTTONS_PER_ROW:
            row += 1
        parts[-1].buttons = [*last, replace(more, row=row)]


def header_embed(view: DigestView, *, continued: bool = False) -> discord.Embed:
    title = f"{safe(view.title)} — {view.day:%a %d %b %Y}"
    if view.preview:
        title = f"Preview (only you see this): {title}"
    lines = []
    matched = view.matched_items
    if not matched:
        lines.append("No new papers match this channel's subscriptions today.")
    elif view.subscriptions:
        verb = "matches" if view.total_matched == 1 else "match"
        lines.append(f"{plural(view.total_matched, 'new paper')} {verb} this channel's "
                     f"{plural(view.subscriptions, 'subscription')}.")
        if len(view.matched_by) > 1:
            lines.append(fit(safe(matched_summary(view.matched_by)), 1000))
    elif view.total_matched:
        lines.append(f"{len(matched)} of {plural(view.total_matched, 'paper')}.")
    if continued:
        lines.append("Continuing a digest that was interrupted: these papers had not been posted yet.")
    if view.note:
        lines.append(f"⚠ {safe_prose(view.note)}")
    if view.more_count and not view.preview:
        lines.append(f"Showing {len(matched)}; {view.more_count} more with the button at the end "
                     "or `/radar digest more`.")
    elif view.more_count:
        lines.append(f"…and {view.more_count} more past this channel's cap.")
    return embed(title=title, description="\n".join(lines) or None, color=AMBER if view.note else BLUE)


def _no_lone_paper(parts: list[Outgoing]) -> None:
    """A last part holding one paper reads like a stray message: it takes the previous part's last paper.

    A part is closed by its 10 embeds or 6,000 characters, and one paper's embed is far below either, so the
    moved embed always fits and the previous part keeps at least two papers."""
    if len(parts) < 2 or len(parts[-1].paper_ids) != 1 or len(parts[-2].paper_ids) < 3:
        return
    previous, last = parts[-2], parts[-1]
    last.embeds.insert(0, previous.embeds.pop())
    last.paper_ids = previous.paper_ids[-1:] + last.paper_ids
    previous.paper_ids = previous.paper_ids[:-1]


def render_digest(view: DigestView, *, continued: bool = False) -> list[Outgoing]:
    """The messages of a digest, in order; `continued` when resuming a run that already posted some. A run's
    digest (`view.pages` set) keeps the messages it was cut into, numbered as they were."""
    if view.pages:
        return _fixed(view, continued=continued or view.resumed)
    parts: list[Outgoing] = [Outgoing(embeds=[header_embed(view, continued=continued)])]
    used = limits.embed_length(parts[0].embeds[0].to_dict())
    for label, item, heading in digest_lines(view.items, view.first_number):
        card = item_embed(item, label, heading)
        size = limits.embed_length(card.to_dict())
        current = parts[-1]
        if len(current.embeds) >= limits.EMBEDS_PER_MESSAGE or used + size > limits.EMBED_TOTAL:
            parts.append(Outgoing())
            used = 0
        parts[-1].embeds.append(card)
        parts[-1].paper_ids += (item.paper_id,)
        used += size
    _no_lone_paper(parts)
    _add_buttons(parts, button_tags(view), more_button(view.more_count)
                 if view.more_count and not view.preview else None)
    if len(parts) > 1:
        heading = f"**{safe(view.title)}** — {view.day:%a %d %b %Y}"
        for index, part in enumerate(parts, 1):
            part.content = fit(f"{heading} · part {index} of {len(parts)}", limits.CONTENT)
    return parts


def _fixed(view: DigestView, *, continued: bool) -> list[Outgoing]:
    """One message per page fixed when the run claimed its papers: the first (page 0) opens with the header,
    the others hold only their papers, so each stays within the limits it was cut under. A run resumed past
    its first message says so in the label instead of adding a header embed that might not fit."""
    by_id = {item.paper_id: item for item in view.items}
    total = max(view.page_count, view.pages[-1].index + 1)
    heading = f"**{safe(view.title)}** — {view.day:%a %d %b %Y}"
    continued = continued and view.pages[0].index > 0
    parts: list[Outgoing] = []
    lines = iter(digest_lines([by_id[i] for page in view.pages for i in page.paper_ids], view.first_number))
    for page in view.pages:
        part = Outgoing(embeds=[header_embed(view)] if page.index == 0 else [], paper_ids=page.paper_ids)
        for label, item, section in (next(lines) for _ in page.paper_ids):
            part.embeds.append(item_embed(item, label, section))
        label = f"part {page.index + 1} of {total}" + (" (continued)" if continued else "")
        if total > 1:
            part.content = fit(f"{heading} · {label}", limits.CONTENT)
        parts.append(part)
    last = view.more_count and not view.preview and view.pages[-1].index == total - 1
    _add_buttons(parts, button_tags(view), more_button(view.more_count) if last else None)
    return parts
