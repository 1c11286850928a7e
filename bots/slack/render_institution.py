"""The institution card as Block Kit: the record, its people and its recent papers with its members in bold."""

from __future__ import annotations

from bots.slack import blocks as b
from bots.slack.actions import ACTION_LINK
from bots.slack.mrkdwn import clip, escape, link, safe_url
from core import views as v


def _stat(label: str, value: int | None) -> str | None:
    return f"*{label}*\n{value:,}" if value is not None else None


def _member_authors(paper: v.MemberPaper) -> str:
    names = ", ".join(f"*{escape(name)}*" if member else escape(name) for name, member in paper.authors)
    return names + (f" et al. (+{paper.more_authors})" if paper.more_authors else "")


def render_institution(view: v.InstitutionCard) -> list[b.SlackMessage]:
    blocks: list[b.Block] = [b.header(view.name)]
    about = " · ".join(p for p in (escape(view.place), escape(view.type), escape(", ".join(view.acronyms))) if p)
    if about:
        blocks.append(b.context(about))
    entries = [_stat("Works", view.works_count), _stat("Citations", view.cited_by_count), _stat("h-index", view.h_index),
               f"*ROR*\n{link(view.ror_url, view.ror or '')}" if view.ror_url else None]
    if present := [e for e in entries if e]:
        blocks.append(b.fields(present))
    lines = []
    if view.parents:
        lines.append("*Part of:* " + escape(", ".join(view.parents)))
    if view.children:
        more = f" and {view.more_children} more" if view.more_children else ""
        lines.append("*Includes:* " + escape(", ".join(view.children)) + more)
    if view.topics:
        lines.append("*Main topics:* " + escape(", ".join(view.topics)))
    if view.active_researchers:
        names = ", ".join(f"{escape(name)} ({count})" for name, count in view.active_researchers)
        lines.append(f"*Most active since {view.active_since}:* {names}")
    if lines:
        blocks.append(b.section(b.fit_lines(lines)))
    if view.recent_papers:
        papers = [f"*Recent papers* (authors at {escape(view.name)} in bold)"]
        for paper in view.recent_papers:
            year = f" ({paper.year})" if paper.year else ""
            papers.append(f"• {link(paper.url, paper.title)}{year}\n   {clip(_member_authors(paper), 600)}"
                          + (f"\n   _{escape(paper.abstract)}_" if paper.abstract else ""))
        blocks.append(b.section(b.fit_lines(papers)))
    buttons = [b.button(label, f"{ACTION_LINK}_{label.lower()}", url=url)
               for label, url in (("OpenAlex", view.profile_url), ("Homepage", view.homepage)) if safe_url(url)]
    if buttons:
        blocks.append(b.actions(*buttons))
    notes = [escape(view.note), f"Source: {escape(view.source)}" if view.source else "",
             "This channel follows it." if view.followed else ""]
    if any(notes):
        blocks.append(b.context(*[n for n in notes if n]))
    return [b.SlackMessage(text=escape(view.name), blocks=blocks)]
