"""Core Views as Discord embeds: the same content as the console renderer, laid out the way Discord shows it.

Every renderer returns a list of `Outgoing` messages (usually one). Text from users and sources is escaped
(`safe`), core's sentences keep their `code spans` (`safe_prose`), and each part is cut to its limit, so
whatever a view holds the messages are valid. `can_manage` hides buttons the viewer could not use.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bots.discord import limits
from bots.discord.buttons import follow_button, pick_button, unsubscribe_button
from bots.discord.limits import fit, safe
from bots.discord.message import (
    AMBER,
    BLUE,
    GREEN,
    GREY,
    PURPLE,
    RED,
    ButtonSpec,
    Outgoing,
    add_field,
    embed,
    join_lines,
    lines_to_embeds,
    link,
    pack,
    safe_prose,
)
from bots.discord.render_digest import render_digest
from bots.discord.render_learning import render_feedback, render_similar
from core import views as v
from core.model.zones import zone_label
from core.rules import unrendered_views


def timestamp(moment: datetime | None, style: str = "f") -> str:
    """A Discord timestamp: every reader sees it in their own time zone."""
    if moment is None:
        return "never"
    return f"<t:{int(moment.timestamp())}:{style}>"


def _actor_line(actor_id: str | None) -> str:
    # A user mention inside an embed shows the name and never pings; ids are digits or nothing is shown.
    return f"\n— <@{actor_id}>" if actor_id and actor_id.isdigit() else ""


def render_notice(view: v.Notice, can_manage: bool = False) -> list[Outgoing]:
    body = safe_prose(view.text) + _actor_line(view.actor_id)
    return pack([embed(title=safe_prose(view.title) if view.title else None, description=body, color=GREEN)])


def render_problem(view: v.Problem, can_manage: bool = False) -> list[Outgoing]:
    card = embed(title=f"✖ {safe_prose(view.title)}", description=safe_prose(view.detail), color=RED)
    if view.hint:
        add_field(card, "What to do", safe_prose(view.hint))
    return pack([card])


def render_help(view: v.HelpView, can_manage: bool = False) -> list[Outgoing]:
    card = embed(title="Paper Radar" if not view.topic else f"/radar {safe(view.topic)}",
                 description=safe_prose(view.intro) or None, color=BLUE,
                 footer="Commands marked 🔒 change the channel and need the Manage Channels permission.")
    for entry in view.entries:
        value = safe_prose(entry.summary)
        if view.topic and entry.examples:
            value += "\n" + "\n".join(f"`/radar {example}`" for example in entry.examples)
        add_field(card, f"/radar {entry.usage}" + (" 🔒" if entry.manage else ""), value)
    if not view.topic:
        add_field(card, "More", "`/radar help command:<name>` shows examples for one command.")
    return pack([card])


def render_researcher(view: v.ResearcherCard, can_manage: bool = False) -> list[Outgoing]:
    card = embed(title=safe(view.name), url=view.profile_url, color=PURPLE,
                 description="; ".join(safe(i) for i in view.institutions) or None,
                 footer=" · ".join(p for p in (f"Source: {v.source_name(view.source)}" if view.source else "",
                                                "This channel follows them." if view.followed else "") if p))
    for label, value in (("Works", view.works_count), ("Citations", view.cited_by_count),
                         ("h-index", view.h_index), ("i10-index", view.i10_index)):
        if value is not None:
            add_field(card, label, f"{value:,}", inline=True)
    if view.orcid:
        add_field(card, "ORCID", link(view.orcid, view.orcid_url), inline=True)
    if view.topics:
        add_field(card, "Topics", ", ".join(safe(t) for t in view.topics))
    if view.sparkline_text:
        add_field(card, "Works per year", f"`{view.sparkline_text}`")
    if view.collaborators:
        add_field(card, "Frequent collaborators", ", ".join(f"{safe(n)} ({c})" for n, c in view.collaborators))
    if view.recent_papers:
        lines = []
        for paper in view.recent_papers:
            when = ", ".join(p for p in (str(paper.year) if paper.year else "", safe(paper.venue)) if p)
            lines.append("• " + link(paper.title, paper.url, 200) + (f" ({when})" if when else ""))
        add_field(card, "Recent papers", join_lines(lines, limits.FIELD_VALUE))
    here = []
    claimants = [f"<@{u}>" for u in view.claimed_by[:10] if u.isdigit()]  # Discord ids only: nothing else renders
    if claimants:
        here.append("**On this server:** " + ", ".join(claimants))
    if view.followers is not None:
        here.append(f"**Followed by** {v.plural(view.followers, 'channel')} of this server"
                    + (", this one included" if view.followed else ""))
    if view.identity_note:
        here.append(f"**How sure:** {safe(view.identity_note)}")
    add_field(card, "Here", "\n".join(here))
    key = view.openalex_id or (f"s2:{view.s2_id}" if view.s2_id else None) or view.orcid
    buttons = [b for b in [follow_button(key)] if b] if key and can_manage and not view.followed else []
    cards = [card]
    for index, image in enumerate(view.images):
        # The first picture sits in the card itself; the others get an embed each (one image per embed).
        target = card if index == 0 else embed(title=safe(image.title), color=PURPLE)
        target.set_image(url=f"attachment://{image.filename}")
        if index:
            cards.append(target)
    messages = pack(cards, buttons=buttons)
    messages[0].images = [(image.filename, image.png, fit(image.alt, limits.ATTACHMENT_DESCRIPTION))
                          for image in view.images]
    return messages


def render_institution(view: v.InstitutionCard, can_manage: bool = False) -> list[Outgoing]:
    about = " · ".join(safe(p) for p in (view.place, view.type or "", ", ".join(view.acronyms)) if p)
    card = embed(title=safe(view.name), url=view.profile_url, color=PURPLE, description=about or None,
                 footer=" · ".join(p for p in (view.note, f"Source: {view.source}" if view.source else "",
                                                "This channel follows it." if view.followed else "") if p))
    for label, value in (("Works", view.works_count), ("Citations", view.cited_by_count), ("h-index", view.h_index)):
        if value is not None:
            add_field(card, label, f"{value:,}", inline=True)
    if view.ror:
        add_field(card, "ROR", link(view.ror, view.ror_url), inline=True)
    if view.parents:
        add_field(card, "Part of", ", ".join(safe(p) for p in view.parents))
    if view.children:
        add_field(card, "Includes", ", ".join(safe(c) for c in view.children)
                  + (f" and {view.more_children} more" if view.more_children else ""))
    if view.topics:
        add_field(card, "Main topics", ", ".join(safe(t) for t in view.topics))
    if view.active_researchers:
        add_field(card, f"Most active since {view.active_since}",
                  ", ".join(f"{safe(n)} ({c})" for n, c in view.active_researchers))
    if view.recent_papers:
        lines = []
        for paper in view.recent_papers:
            names = ", ".join(f"**{safe(n)}**" if member else safe(n) for n, member in paper.authors)
            names += f" et al. (+{paper.more_authors})" if paper.more_authors else ""
            year = f" ({paper.year})" if paper.year else ""
            abstract = f"\n  *{fit(safe(paper.abstract), 200)}*" if paper.abstract else ""
            lines.append("• " + link(paper.title, paper.url, 200) + year + "\n  " + fit(names, 300) + abstract)
        add_field(card, "Recent papers (members in bold)", join_lines(lines, limits.FIELD_VALUE))
    return pack([card])


def render_picklist(view: v.PickList, can_manage: bool = False) -> list[Outgoing]:
    lines, buttons = [], []
    places = view.action.endswith("institution")
    # Chosen by typing the id: no buttons (those follow or open people).
    papers = view.action == "paper" or places
    for c in view.candidates:
        details = ", ".join(p for p in (
            safe(c.institution) if c.institution else "",
            f"{c.works_count:,} works" if c.works_count is not None else "",
            safe(c.main_topic) if c.main_topic else "",
        ) if p)
        identity = f" · *{safe(c.identity)}*" if c.identity else ""
        lines.append(f"**{c.number}.** {safe(c.name)}" + (f" — {details}" if details else "") + identity
                     + f"  `{fit(c.key.replace('`', ''), 100)}`")
        if not papers and (button := pick_button(view.action, c.key, f"{c.number}. {c.name}")):
            buttons.append(button)
    verb = {"follow": "follow", "iam": "say you are"}.get(view.action, "see")
    footer = (f"Press a button to {verb} one, or use /radar {view.action} with their id. "
              "Not listed? Try the full name as they publish it, or their ORCID.")
    if papers:
        footer = "Use /radar paper with the id shown. Not listed? Paste its DOI or link."
    if places:
        footer = f"Use /radar {view.action} with the id shown. Not listed? Try its full name or its ROR id."
    who = "institutions" if places else "papers" if papers else "people"
    cards = lines_to_embeds(f"Several {who} match “{fit(safe(view.query), 120)}”", lines, color=PURPLE,
                            footer=footer)
    return pack(cards, buttons=buttons)


def render_paper(view: v.PaperCard, can_manage: bool = False) -> list[Outgoing]:
    authors = ", ".join(safe(a) for a in view.authors) + (f" et al. (+{view.more_authors})" if view.more_authors else "")
    summary = (f"💡 **TL;DR:** {fit(safe(v.readable_latex(view.summary)), 600)}"
               + (f" *({safe(view.summary_source)})*" if view.summary_source else "")) if view.summary else ""
    description = "\n\n".join(p for p in (f"ℹ {safe_prose(view.note)}" if view.note else "",
                                          f"*{fit(authors, 600)}*" if authors else "", summary,
                                          fit(safe(v.readable_latex(view.abstract)), 3000)) if p)
    sources = ", ".join(v.source_name(name) for name in view.sources)
    card = embed(title=safe(view.title), url=view.abs_url, description=description or None, color=BLUE,
                 footer=f"Sources: {sources}" if sources else None)
    if view.date:
        add_field(card, "Date", view.date.isoformat(), inline=True)
    if view.categories:
        add_field(card, "Categories", ", ".join(safe(c) for c in view.categories), inline=True)
    if view.venue:
        add_field(card, "Venue", safe(view.venue), inline=True)
    if view.citation_count is not None:
        add_field(card, "Citations", f"{view.citation_count:,}", inline=True)
    links = [link(label, url) for label, url in (("Abstract", view.abs_url), ("PDF", view.pdf_url),
                                                  (view.code_text, view.code_url),
                                                  ("Project page", view.project_url)) if limits.web_url(url)]
    if view.doi:
        links.append(link(f"DOI {view.doi}", f"https://doi.org/{view.doi}"))
    add_field(card, "Links", " · ".join(links))
    buttons: list[ButtonSpec] = []
    if view.first_author_key and can_manage and (button := follow_button(view.first_author_key, "Follow first author")):
        buttons.append(button)
    return pack([card], buttons=buttons)


def render_trending(view: v.TrendingView, can_manage: bool = False) -> list[Outgoing]:
    title = f"Trending on Hugging Face — {view.day.isoformat()} ({view.day:%A})"
    if not view.items:
        return pack([embed(title=title, description=safe_prose(view.note) if view.note
                           else f"No Hugging Face daily papers for {view.day.isoformat()}.", color=GREY)])
    lines = []
    for item in view.items:
        extra = " · ".join(p for p in (link("code", item.code_url) if limits.web_url(item.code_url) else "",
                                        link("project", item.project_url) if limits.web_url(item.project_url) else "")
                           if p)
        lines.append(f"**{item.rank}.** {link(item.title, item.url, 250)}  ▲ {item.upvotes}" + (f" · {extra}" if extra else ""))
    if view.note:
        lines.insert(0, f"*{safe_prose(view.note)}*")
    return pack(lines_to_embeds(title, lines, color=BLUE))


def render_subscriptions(view: v.SubscriptionList, can_manage: bool = False) -> list[Outgoing]:
    if not view.items:
        return pack([embed(title="No subscriptions yet", color=GREY, description=(
            "This channel has no subscriptions yet. Try `/radar subscribe topic`, `/radar subscribe category` "
            "or `/radar follow`."))])
    lines = []
    for item in view.items:
        label = safe(item.label)
        line = f"`#{item.number}` **{item.kind}** · {fit(label, 300)} — {v.week_summary(item)}"
        if item.description and item.description != item.label:
            line += f"\n      {fit(safe(item.description), 300)}"
        lines.append(line)
    buttons = [b for b in (unsubscribe_button(i.number) for i in view.items) if b] if can_manage else []
    footer = "Remove one with the buttons or /radar unsubscribe." if can_manage else None
    return pack(lines_to_embeds(f"Subscriptions ({len(view.items)}/{view.limit})", lines, footer=footer),
                buttons=buttons)


def _onoff(value: bool) -> str:
    return "on" if value else "off"


def render_settings(view: v.SettingsView, can_manage: bool = False) -> list[Outgoing]:
    card = embed(title=safe(view.changed) if view.changed else "Digest settings",
                 color=GREEN if view.changed else BLUE,
                 footer="Change one with /radar settings name:<setting> value:<value>.")
    if view.note:
        card.description = safe_prose(view.note)
    add_field(card, "Time", f"{view.digest_time} ({safe(zone_label(view.timezone))})", inline=True)
    add_field(card, "Days", safe(view.weekdays), inline=True)
    add_field(card, "Max papers", str(view.max_items), inline=True)
    add_field(card, "Updates", f"{_onoff(view.include_updates)} (revised versions of older papers)", inline=True)
    add_field(card, "Cross-lists", _onoff(view.include_crosslists), inline=True)
    add_field(card, "Quiet notice", f"{_onoff(view.quiet_notice)} (say so on days with no new papers)", inline=True)
    add_field(card, "Learning", f"{_onoff(view.learning)} (order the digest by the channel's 👍/👎)", inline=True)
    add_field(card, "Summary", f"{safe(view.summary_mode)} (under each paper: tldr, abstract or off)", inline=True)
    if view.paused:
        card.color = AMBER
        add_field(card, "Paused", safe(view.paused_reason) or "paused by a channel manager")
    elif view.next_digest:
        add_field(card, "Next digest", f"{timestamp(view.next_digest, 'F')} ({timestamp(view.next_digest, 'R')})")
    return pack([card])


def render_status(view: v.StatusView, can_manage: bool = False) -> list[Outgoing]:
    card = embed(title="Paper Radar status", color=AMBER if view.problems or view.paused else GREEN)
    last = timestamp(view.last_run) + (f" ({safe(view.last_run_state)}, {v.plural(view.last_run_items, 'paper')})"
                                       if view.last_run else "")
    add_field(card, "Last digest", last, inline=True)
    add_field(card, "Next digest", "paused" if view.paused else timestamp(view.next_run), inline=True)
    add_field(card, "Papers ingested today", str(view.papers_today), inline=True)
    add_field(card, "Subscriptions", str(view.subscriptions), inline=True)
    if view.paused and view.paused_reason:
        add_field(card, "Paused", safe(view.paused_reason))
    if view.notes:
        add_field(card, "Notes", join_lines([f"ℹ {safe_prose(n)}" for n in view.notes], limits.FIELD_VALUE))
    add_field(card, "Problems", join_lines([f"⚠ {safe_prose(p)}" for p in view.problems], limits.FIELD_VALUE)
              if view.problems else "No problems.")
    return pack([card])


EXPORT_FILE = "paper-radar-export.json"


def render_export(view: v.ExportView, can_manage: bool = False) -> list[Outgoing]:
    title = f"Export: {v.plural(view.subscriptions, 'subscription')}"
    footer = "Paste it into /radar import (json option), or attach the file (file option), in another channel."
    block = f"```json\n{view.payload}\n```"
    if "```" not in view.payload and len(block) <= limits.DESCRIPTION:
        return pack([embed(title=title, description=block, color=BLUE, footer=footer)])
    # Too long (or unsafe) for a code block: the exact JSON goes as a file, which import also takes.
    try:
        pretty = json.dumps(json.loads(view.payload), ensure_ascii=False, indent=2)
    except ValueError:
        pretty = view.payload
    card = embed(title=title, description="The export is attached as a file.", color=BLUE, footer=footer)
    return pack([card], file=(EXPORT_FILE, pretty.encode("utf-8")))


def render_import(view: v.ImportReport, can_manage: bool = False) -> list[Outgoing]:
    card = embed(title=f"Imported {v.plural(len(view.added), 'subscription')}", color=GREEN if view.added else GREY)
    if view.added:
        add_field(card, "Added", join_lines([f"+ {safe(a)}" for a in view.added], limits.FIELD_VALUE))
    if view.skipped:
        add_field(card, f"Skipped {len(view.skipped)}", join_lines([f"– {safe(s)}" for s in view.skipped],
                                                                   limits.FIELD_VALUE))
    if view.settings_changed:
        add_field(card, "Settings changed", ", ".join(safe(s) for s in view.settings_changed))
    if not card.fields:
        card.description = "Nothing new to add."
    return pack([card])


def _render_digest(view: v.DigestView, can_manage: bool = False) -> list[Outgoing]:
    return render_digest(view)


# One renderer per view core answers with; `missing_renderers` (checked at start-up and in the tests) names
# any view that has neither a renderer here nor a place in NOT_RENDERED_HERE.
RENDERERS: dict[type[v.View], Callable[[Any, bool], list[Outgoing]]] = {
    v.Notice: render_notice,
    v.Problem: render_problem,
    v.HelpView: render_help,
    v.ResearcherCard: render_researcher,
    v.PickList: render_picklist,
    v.InstitutionCard: render_institution,
    v.PaperCard: render_paper,
    v.TrendingView: render_trending,
    v.SubscriptionList: render_subscriptions,
    v.SettingsView: render_settings,
    v.StatusView: render_status,
    v.DigestView: _render_digest,
    v.ExportView: render_export,
    v.ImportReport: render_import,
    v.FeedbackView: render_feedback,
    v.SimilarView: render_similar,
}


# Views never shown as a message, by name: autocomplete suggestions are answered as choices (autocomplete.py).
NOT_RENDERED_HERE: frozenset[str] = frozenset({"Suggestions"})


def missing_renderers() -> list[str]:
    return unrendered_views(RENDERERS, NOT_RENDERED_HERE)


def render(view: v.View, *, can_manage: bool = False) -> list[Outgoing]:
    """The messages that show `view` (one, or several for long lists and digests)."""
    renderer = RENDERERS.get(type(view))
    if renderer is None:
        raise TypeError(f"no Discord renderer for {type(view).__name__}")
    return renderer(view, can_manage)
