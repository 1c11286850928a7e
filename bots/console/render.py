"""Render core Views as plain terminal text (the console adapter and `radar ask`)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import datetime
from typing import Any

from core import views as v
from core.model.zones import zone_label
from core.rules import unrendered_views

WIDTH = 88


def _clean(text: str | None) -> str:
    """Terminal-safe: drop control characters (escape sequences could repaint the user's screen)."""
    if not text:
        return ""
    # C1 too: U+009B is an 8-bit CSI that some terminals act on like ESC [.
    return "".join(ch for ch in text if ch in "\n\t" or (ord(ch) >= 32 and not 127 <= ord(ch) <= 159))


def _wrap(text: str, indent: str = "  ") -> str:
    return "\n".join(
        textwrap.fill(line, WIDTH, initial_indent=indent, subsequent_indent=indent) if line else ""
        for line in _clean(text).splitlines()
    )


def _when(value: datetime | None, tz: str = "UTC") -> str:
    return "never" if value is None else v.local_time(value, tz)


def render_notice(view: v.Notice) -> str:
    head = f"{_clean(view.title)}\n" if view.title else ""
    return head + _clean(view.text)


def render_problem(view: v.Problem) -> str:
    lines = [f"✖ {_clean(view.title)}", _wrap(view.detail)]
    if view.hint:
        lines.append(_wrap(view.hint))
    return "\n".join(lines)


def render_help(view: v.HelpView) -> str:
    lines: list[str] = []
    if view.intro:
        lines += [textwrap.fill(view.intro, WIDTH), ""]
    for entry in view.entries:
        lock = "  (channel managers)" if entry.manage else ""
        lines.append(f"/radar {entry.usage}{lock}")
        lines.append(_wrap(entry.summary, "    "))
        if view.topic and entry.examples:
            lines.append("    Examples:")
            lines += [f"      /radar {example}" for example in entry.examples]
    if not view.topic:
        lines += ["", "Type `help <command>` for examples."]
    return "\n".join(lines)


def render_researcher(view: v.ResearcherCard) -> str:
    lines = [_clean(view.name)]
    if view.institutions:
        lines.append("  " + "; ".join(_clean(i) for i in view.institutions))
    stats = []
    for label, value in (("works", view.works_count), ("citations", view.cited_by_count),
                         ("h-index", view.h_index), ("i10", view.i10_index)):
        if value is not None:
            stats.append(f"{label} {value:,}")
    if stats:
        lines.append("  " + " · ".join(stats))
    if view.orcid_url:
        lines.append(f"  ORCID {view.orcid_url}")
    if view.profile_url:
        lines.append(f"  Profile {view.profile_url}")
    if view.topics:
        lines.append("  Topics: " + ", ".join(_clean(t) for t in view.topics))
    if view.sparkline_text:
        lines.append(f"  Works per year: {view.sparkline_text}")
    if view.collaborators:
        lines.append("  Frequent collaborators: " + ", ".join(f"{_clean(n)} ({c})" for n, c in view.collaborators))
    if view.recent_papers:
        lines.append("  Recent papers:")
        for paper in view.recent_papers:
            when = ", ".join(part for part in (str(paper.year) if paper.year else "", _clean(paper.venue)) if part)
            lines.append(f"    • {_clean(paper.title)}" + (f" ({when})" if when else ""))
            if paper.url:
                lines.append(f"      {_clean(paper.url)}")
    if view.claimed_by:
        lines.append("  On this workspace: " + ", ".join(f"@{_clean(u)}" for u in view.claimed_by[:10]))
    if view.followers is not None:
        lines.append(f"  Followed by {v.plural(view.followers, 'channel')} of this workspace")
    if view.identity_note:
        lines.append(_wrap(f"How sure: {view.identity_note}"))
    if view.source:
        lines.append(f"  Source: {_clean(v.source_name(view.source))}")
    key = view.openalex_id or (f"s2:{view.s2_id}" if view.s2_id else None) or view.orcid
    if view.followed:
        lines.append("  This channel follows them.")
    elif key:
        lines.append(f"  Follow in this channel: `follow {key}`")
    return "\n".join(lines)


def render_institution(view: v.InstitutionCard) -> str:
    lines = [_clean(view.name)]
    about = " · ".join(_clean(p) for p in (view.place, view.type or "", ", ".join(view.acronyms)) if p)
    if about:
        lines.append("  " + about)
    stats = [f"{label} {value:,}" for label, value in (("works", view.works_count), ("citations", view.cited_by_count),
                                                       ("h-index", view.h_index)) if value is not None]
    if stats:
        lines.append("  " + " · ".join(stats))
    if view.ror_url:
        lines.append(f"  ROR {view.ror_url}")
    lines.append(f"  OpenAlex {view.profile_url}")
    if view.parents:
        lines.append("  Part of: " + ", ".join(_clean(p) for p in view.parents))
    if view.children:
        more = f" and {view.more_children} more" if view.more_children else ""
        lines.append("  Includes: " + ", ".join(_clean(c) for c in view.children) + more)
    if view.topics:
        lines.append("  Main topics: " + ", ".join(_clean(t) for t in view.topics))
    if view.active_researchers:
        lines.append(f"  Most active since {view.active_since}: "
                     + ", ".join(f"{_clean(n)} ({c})" for n, c in view.active_researchers))
    if view.recent_papers:
        lines.append(f"  Recent papers († at {_clean(view.name)}):")
        for paper in view.recent_papers:
            lines.append(f"    • {_clean(paper.title)}" + (f" ({paper.year})" if paper.year else ""))
            names = ", ".join(_clean(n) + ("†" if member else "") for n, member in paper.authors)
            lines.append("      " + names + (f" et al. (+{paper.more_authors})" if paper.more_authors else ""))
            if paper.abstract:
                lines.append("      " + _clean(paper.abstract))
            if paper.url:
                lines.append(f"      {_clean(paper.url)}")
    if view.note:
        lines.append("  " + _clean(view.note))
    if view.source:
        lines.append(f"  Source: {_clean(view.source)}")
    if view.followed:
        lines.append("  This channel follows it.")
    return "\n".join(lines)


def render_picklist(view: v.PickList) -> str:
    papers = view.action == "paper"
    if view.action.endswith("institution"):
        return _institution_choices(view)
    lines = [f"Several {'papers' if papers else 'people'} match “{_clean(view.query)}”. Pick one:"]
    for c in view.candidates:
        details = ", ".join(
            part for part in (
                _clean(c.institution) if c.institution else "",
                f"{c.works_count:,} works" if c.works_count is not None else "",
                _clean(c.main_topic) if c.main_topic else "",
            ) if part
        )
        identity = f" · {_clean(c.identity)}" if c.identity else ""
        lines.append(f"  {c.number}. {_clean(c.name)}" + (f" — {details}" if details else "") + identity
                     + f"  [{_clean(c.key)}]")
    if papers:
        lines.append("Choose with `paper <id>`, the id in brackets. Not listed? Paste its DOI or link.")
        return "\n".join(lines)
    lines.append(f"Choose with `{view.action} pick <n>` or `{view.action} <id>`.")
    lines.append("Not listed? Try the full name as they publish it, or their ORCID.")
    return "\n".join(lines)


def _institution_choices(view: v.PickList) -> str:
    lines = [f"Several institutions match “{_clean(view.query)}”. Pick one:"]
    for c in view.candidates:
        details = ", ".join(p for p in (_clean(c.institution) if c.institution else "",
                                        f"{c.works_count:,} works" if c.works_count is not None else "") if p)
        lines.append(f"  {c.number}. {_clean(c.name)}" + (f" — {details}" if details else "") + f"  [{_clean(c.key)}]")
    lines.append(f"Choose with `{view.action} pick <n>` or `{view.action} <id>`. Not listed? Try its full name or ROR id.")
    return "\n".join(lines)


def render_paper(view: v.PaperCard) -> str:
    authors = ", ".join(_clean(a) for a in view.authors)
    if view.more_authors:
        authors += f" et al. (+{view.more_authors})"
    meta = " · ".join(p for p in (
        view.date.isoformat() if view.date else "", ", ".join(view.categories), _clean(view.venue),
        f"{view.citation_count:,} citations" if view.citation_count is not None else "",
    ) if p)
    lines = [f"Note: {_clean(view.note)}" if view.note else "", _clean(view.title), f"  {authors}" if authors else "",
             f"  {meta}" if meta else ""]
    if view.summary:
        source = f" ({_clean(view.summary_source)})" if view.summary_source else ""
        lines.append(_wrap(f"TL;DR: {v.readable_latex(view.summary)}{source}"))
    if view.abstract:
        lines.append(_wrap(v.readable_latex(view.abstract)))
    for label, url in (("Abstract", view.abs_url), ("PDF", view.pdf_url), (view.code_text, view.code_url),
                       ("Project page", view.project_url)):
        if url:
            lines.append(f"  {label}: {url}")
    if view.sources:
        lines.append("  Sources: " + ", ".join(v.source_name(name) for name in view.sources))
    return "\n".join(line for line in lines if line)


def render_trending(view: v.TrendingView) -> str:
    if not view.items:
        return view.note or f"No Hugging Face daily papers for {view.day.isoformat()}."
    lines = [f"Trending on Hugging Face, {view.day.isoformat()} ({view.day:%A}):"]
    if view.note:
        lines.append(f"  {_clean(view.note)}")
    for item in view.items:
        lines.append(f"  {item.rank:>2}. {_clean(item.title)}  ▲{item.upvotes}")
        lines.append(f"      {item.url}" + (f"  code: {item.code_url}" if item.code_url else ""))
    return "\n".join(lines)


def render_subscriptions(view: v.SubscriptionList) -> str:
    if not view.items:
        return "This channel has no subscriptions yet. Try `subscribe topic <query>` or `follow <name>`."
    lines = [f"Subscriptions ({len(view.items)}/{view.limit}):"]
    for item in view.items:
        label = _clean(item.label)
        week = v.week_summary(item)
        lines.append(f"  #{item.number:<3} {item.kind:<10} {label}  ({week})")
        if item.description and item.description != label:
            lines.append(f"        {_clean(item.description)}")
    return "\n".join(lines)


def render_settings(view: v.SettingsView) -> str:
    onoff = {True: "on", False: "off"}
    lines = [f"{view.changed}." if view.changed else "Digest settings:",
             *([_clean(view.note)] if view.note else []),
             f"  time        {view.digest_time} ({zone_label(view.timezone)})",
             f"  days        {view.weekdays}",
             f"  max         {view.max_items} papers",
             f"  updates     {onoff[view.include_updates]} (revised versions of older papers)",
             f"  crosslists  {onoff[view.include_crosslists]}",
             f"  quiet-notice {onoff[view.quiet_notice]} (say so on days with no new papers)",
             f"  learning    {onoff[view.learning]} (order the digest by the channel's 👍/👎)",
             f"  summary     {view.summary_mode} (under each paper: tldr, abstract or off)"]
    if view.paused:
        lines.append(f"  PAUSED: {_clean(view.paused_reason) or 'paused by a channel manager'}")
    elif view.next_digest:
        lines.append(f"  next digest {_when(view.next_digest, view.timezone)}")
    return "\n".join(lines)


def render_status(view: v.StatusView) -> str:
    lines = [
        f"Last digest: {_when(view.last_run, view.timezone)}"
        + (f" ({view.last_run_state}, {v.plural(view.last_run_items, 'paper')})" if view.last_run else ""),
        f"Next digest: {'paused' if view.paused else _when(view.next_run, view.timezone)}",
        f"Papers ingested today: {view.papers_today}",
        f"Subscriptions: {view.subscriptions}",
    ]
    if view.paused and view.paused_reason:
        lines.append(f"Paused: {_clean(view.paused_reason)}")
    lines += [f"ℹ {_clean(n)}" for n in view.notes]
    lines += [f"⚠ {_clean(p)}" for p in view.problems] or ["No problems."]
    return "\n".join(lines)


def render_digest(view: v.DigestView) -> str:
    head = f"{_clean(view.title)} — {view.day.isoformat()}"
    if view.preview:
        head = "Preview (only you see this): " + head
    if not view.items and view.preview:
        return (f"{head}\nNothing new matches yet. New papers arrive after arXiv's nightly announcement "
                "(Paper Radar fetches them at 00:30 US Eastern; `radar ingest` fetches now).")
    matched = f"{v.plural(view.total_matched, 'new paper')} {'matches' if view.total_matched == 1 else 'match'}"
    lines = [head, f"{matched} {v.plural(view.subscriptions, 'subscription')}." if view.subscriptions
             else f"{v.plural(view.total_matched, 'paper')}."]
    if len(view.matched_by) > 1:
        lines.append(f"By subscription: {_clean(v.matched_summary(view.matched_by))}")
    if view.note:
        lines.append(f"Note: {_clean(view.note)}")
    for label, item, heading in v.digest_lines(view.items, view.first_number):
        if heading:
            lines.append(f"── {_clean(heading)} ──")
        lines.append(f"{label:>4} {_clean(item.title)}" + (f" [{item.update_label}]" if item.update_label else ""))
        if item.authors:
            lines.append(f"     {_clean(item.authors)}")
        # The id is what `like`, `dislike` and `paper` take, so it leads the link line.
        lines.append(f"     {_clean(v.typed_id(item.paper_id))}  {_clean(item.url)}")
        if item.why:
            lines.append("     why: " + "; ".join(_clean(r.text) for r in item.why))
        if item.quote:
            lines.append(_wrap("cited as: " + item.quote, "     "))
        if item.snippet:
            lines.append(_wrap(v.readable_latex(item.snippet), "     "))
        if item.summary:
            lines.append(_wrap("TL;DR: " + v.readable_latex(item.summary), "     "))
        extras = [f"{item.code_text}: {item.code_url}" if item.code_url else "",
                  f"project: {item.project_url}" if item.project_url else "", _clean(item.venue)]
        if any(extras):
            lines.append("     " + " · ".join(e for e in extras if e))
    if view.more_count:
        lines.append(f"…and {view.more_count} more. Type `digest more` to see them.")
    if view.items:
        lines.append("Rate a paper with `like <id>` or `dislike <id>`: the digest learns what this channel reads.")
    return "\n".join(lines)


def _papers(title: str, papers: tuple[v.PaperLine, ...]) -> list[str]:
    lines = [f"{title}:"] if papers else []
    for paper in papers:
        lines.append(f"  • {_clean(paper.title)}" + (f" ({paper.year})" if paper.year else ""))
        if paper.url:
            lines.append(f"    {_clean(paper.url)}")
    return lines


def render_feedback(view: v.FeedbackView) -> str:
    lines = [_wrap(sentence, "") for sentence in v.feedback_sentences(view)]
    if view.reset or not view.ratings:
        return "\n".join(lines)
    if view.terms_for:
        lines.append(_wrap("Terms that weigh for a paper: " + ", ".join(view.terms_for), ""))
    if view.terms_against:
        lines.append(_wrap("Terms that weigh against: " + ", ".join(view.terms_against), ""))
    lines += _papers("Liked papers closest to what it learned", view.liked_examples)
    lines += _papers("Disliked papers furthest from it", view.disliked_examples)
    lines.append("`feedback reset` forgets every rating of this channel (channel managers).")
    return "\n".join(lines)


def _similar(title: str, items: tuple[v.SimilarItem, ...]) -> list[str]:
    lines = [f"{title}:"] if items else []
    for item in items:
        details = [_clean(item.authors)] if item.authors else []
        if item.similarity is not None:
            details.append(f"similarity {item.similarity:.2f}")
        lines.append(f"  • {_clean(item.title)}" + (f" ({', '.join(details)})" if details else ""))
        where = "  ".join(_clean(p) for p in (v.typed_id(item.paper_id), item.url or "") if p)
        if where:
            lines.append(f"    {where}")
    return lines


def render_similar(view: v.SimilarView) -> str:
    lines = [f"Papers like “{_clean(view.paper.title)}”"]
    lines += _similar("Closest papers that arrived this week", view.items)
    lines += _similar("Recommended by Semantic Scholar", view.recommended)
    if not view.items and not view.recommended:
        lines.append("No close papers found.")
    if view.note:
        lines.append(_wrap(view.note, ""))
    if view.items or view.recommended:
        lines.append("`paper <id>` shows one; `like <id>` tells the digest this channel wants more like it.")
    return "\n".join(lines)


def render_export(view: v.ExportView) -> str:
    return view.payload


def render_import(view: v.ImportReport) -> str:
    lines = [f"Imported {v.plural(len(view.added), 'subscription')}."]
    lines += [f"  + {_clean(a)}" for a in view.added]
    if view.skipped:
        lines.append(f"Skipped {len(view.skipped)}:")
        lines += [f"  - {_clean(s)}" for s in view.skipped]
    if view.settings_changed:
        lines.append("Settings changed: " + ", ".join(view.settings_changed))
    return "\n".join(lines)


# One renderer per view core answers with; `missing_renderers` (checked at start-up and in the tests) names
# any view that has neither a renderer here nor a place in NOT_RENDERED_HERE.
RENDERERS: dict[type[v.View], Callable[[Any], str]] = {
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
    v.DigestView: render_digest,
    v.ExportView: render_export,
    v.ImportReport: render_import,
    v.FeedbackView: render_feedback,
    v.SimilarView: render_similar,
}


# Views never shown as text, by name: autocomplete suggestions (a terminal prompt has no autocomplete).
NOT_RENDERED_HERE: frozenset[str] = frozenset({"Suggestions"})


def missing_renderers() -> list[str]:
    return unrendered_views(RENDERERS, NOT_RENDERED_HERE)


def render(view: v.View) -> str:
    renderer = RENDERERS.get(type(view))
    if renderer is None:
        raise TypeError(f"no console renderer for {type(view).__name__}")
    return renderer(view)
