"""Render core Views as Block Kit messages: one function per View, the same content as the console renderer.

Renderers return a list of messages because some answers (a long subscription list, a big export, a preview)
do not fit one Slack message; most return one. User text is escaped in `mrkdwn.escape` and never trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bots.slack import blocks as b
from bots.slack.actions import ACTION_FOLLOW, ACTION_IAM, ACTION_LINK, ACTION_RESEARCHER, ACTION_UNSUBSCRIBE
from bots.slack.mrkdwn import clip, escape, link, mention, safe_url
from bots.slack.render_digest import render_digest
from bots.slack.render_institution import render_institution
from bots.slack.render_learning import render_feedback, render_similar
from core import views as v
from core.model.zones import zone_label
from core.rules import unrendered_views

MAX_RESPONSES = 5  # a response_url takes at most five messages
PICK_BUTTONS = 20  # candidates shown with buttons (two blocks each); the rest are listed as text


def when(value: datetime | None, timezone: str = "UTC") -> str:
    """A time that each reader sees in their own zone, with the channel's zone as the fallback text."""
    if value is None:
        return "never"
    fallback = escape(v.local_time(value, timezone))
    return f"<!date^{int(value.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _message(text: str, blocks: list[b.Block]) -> b.SlackMessage:
    return b.SlackMessage(text=text, blocks=blocks)


def _packed(first: Sequence[b.Block], groups: Sequence[Sequence[b.Block]], text: str,
            tail: Sequence[b.Block] = ()) -> list[b.SlackMessage]:
    """Groups of blocks spread over as many messages as the limits need; `tail` closes the last one."""
    # Room for what `render` may add to the last message: who asked, and a note when answers are cut.
    packer = b.Packer(reserve_blocks=len(tail) + 2, reserve_chars=b.blocks_size(tail) + 600)
    packer.start(first)
    for group in groups:
        packer.add(group)
    pages = [page for page in packer.pages if page] or [[b.section(text)]]
    pages[-1].extend(tail)
    return [_message(text, page) for page in pages]


def render_notice(view: v.Notice) -> list[b.SlackMessage]:
    body = escape(view.text)
    text = f"*{escape(view.title)}*\n{body}" if view.title else body
    return [_message(body, [b.section(text)])]


def render_problem(view: v.Problem) -> list[b.SlackMessage]:
    blocks = [b.section(f":warning: *{escape(view.title)}*\n{escape(view.detail)}")]
    if view.hint:
        blocks.append(b.context(escape(view.hint)))
    return [_message(f"{escape(view.title)}: {escape(view.detail)}", blocks)]


def render_help(view: v.HelpView) -> list[b.SlackMessage]:
    first: list[b.Block] = [b.header(f"/radar {view.topic}" if view.topic else "Paper Radar")]
    if view.intro:
        first.append(b.section(escape(view.intro)))
    groups = []
    for entry in view.entries:
        lock = "  :lock: _channel managers_" if entry.manage else ""
        lines = [f"`/radar {escape(entry.usage)}`{lock}", escape(entry.summary)]
        if view.topic and entry.examples:
            lines.append("*Examples:* " + "  ".join(f"`/radar {escape(e)}`" for e in entry.examples))
        groups.append([b.section("\n".join(lines))])
    tail = [] if view.topic else [b.context("Type `/radar help &lt;command&gt;` for examples.")]
    return _packed(first, groups, "Paper Radar help", tail)


def _stat(label: str, value: int | None) -> str | None:
    return f"*{label}*\n{value:,}" if value is not None else None


def render_researcher(view: v.ResearcherCard) -> list[b.SlackMessage]:
    blocks: list[b.Block] = [b.header(view.name)]
    entries = [
        f"*Affiliation*\n{escape('; '.join(view.institutions))}" if view.institutions else None,
        _stat("Works", view.works_count), _stat("Citations", view.cited_by_count),
        _stat("h-index", view.h_index), _stat("i10-index", view.i10_index),
        f"*ORCID*\n{link(view.orcid_url, view.orcid or '')}" if view.orcid_url else None,
    ]
    present = [e for e in entries if e]
    if present:
        blocks.append(b.fields(present))
    if view.topics:
        blocks.append(b.section("*Topics:* " + escape(", ".join(view.topics))))
    if view.sparkline_text:
        blocks.append(b.section(f"*Works per year*\n`{escape(view.sparkline_text)}`"))
    if view.collaborators:
        names = ", ".join(f"{escape(name)} ({count})" for name, count in view.collaborators)
        blocks.append(b.section(f"*Frequent collaborators:* {names}"))
    if view.recent_papers:
        lines = ["*Recent papers*"]
        for paper in view.recent_papers:
            when_where = ", ".join(p for p in (str(paper.year) if paper.year else "", escape(paper.venue)) if p)
            lines.append(f"• {link(paper.url, paper.title)}" + (f" ({when_where})" if when_where else ""))
        blocks.append(b.section(b.fit_lines(lines)))  # one section: a card, not a bibliography
    buttons = []
    key = view.openalex_id or (f"s2:{view.s2_id}" if view.s2_id else None) or view.orcid
    if key and not view.followed:
        buttons.append(b.button("Follow in this channel", ACTION_FOLLOW, value=key, style="primary"))
    if safe_url(view.profile_url):
        buttons.append(b.button("Profile", f"{ACTION_LINK}_profile", url=view.profile_url))
    if safe_url(view.orcid_url):
        buttons.append(b.button("ORCID", f"{ACTION_LINK}_orcid", url=view.orcid_url))
    if buttons:
        blocks.append(b.actions(*buttons))
    here = []
    claimants = [m for m in (mention(u) for u in view.claimed_by[:10]) if m]
    if claimants:
        here.append("*On this workspace:* " + ", ".join(claimants))
    if view.followers is not None:
        here.append(f"*Followed by* {v.plural(view.followers, 'channel')} of this workspace"
                    + (", this one included" if view.followed else ""))
    if view.identity_note:
        here.append(f"*How sure:* {escape(view.identity_note)}")
    if here:
        blocks.append(b.section(clip("\n".join(here), 2000)))
    notes = [f"Source: {escape(v.source_name(view.source))}" if view.source else "",
             "This channel follows them." if view.followed else ""]
    if any(notes):
        blocks.append(b.context(*[n for n in notes if n]))
    return [_message(escape(view.name), blocks)]


def _identity(candidate: v.Candidate) -> str:
    return f" · _{escape(candidate.identity)}_" if candidate.identity else ""


def render_picklist(view: v.PickList) -> list[b.SlackMessage]:
    if view.action in ("paper", "institution", "follow institution"):
        return _paper_choices(view)
    blocks = [b.section(f"Several people match “{clip(escape(view.query), 500)}”. Pick one:")]
    rest = []
    for candidate in view.candidates:
        details = ", ".join(p for p in (
            escape(candidate.institution), f"{candidate.works_count:,} works" if candidate.works_count is not None
            else "", escape(candidate.main_topic)) if p)
        line = f"*{candidate.number}. {escape(candidate.name)}*" + (f" — {details}" if details else "")
        line += _identity(candidate)
        if candidate.number > PICK_BUTTONS:
            rest.append(f"{line}  `{escape(candidate.key)}`")
            continue
        blocks.append(b.section(f"{line}\n`{escape(candidate.key)}`"))
        if view.action == "iam":
            blocks.append(b.actions(b.button("This is me", ACTION_IAM, value=candidate.key, style="primary"),
                                    b.button("View profile", ACTION_RESEARCHER, value=candidate.key)))
            continue
        primary = view.action != "follow"
        blocks.append(b.actions(
            b.button("View profile", ACTION_RESEARCHER, value=candidate.key, style="primary" if primary else None),
            b.button("Follow", ACTION_FOLLOW, value=candidate.key, style=None if primary else "primary"),
        ))
    if rest:
        blocks += [b.section(piece) for piece in b.split_text("\n".join(rest))]
    blocks.append(b.context(f"Or type `/radar {view.action} pick &lt;n&gt;` or `/radar {view.action} &lt;id&gt;`. "
                            "Not listed? Try the full name as they publish it, or their ORCID."))
    return _packed([], [[block] for block in blocks], f"Several people match “{escape(view.query)}”")


def _paper_choices(view: v.PickList) -> list[b.SlackMessage]:
    """Papers with close titles (or institutions with close names): each with what tells them apart, and the
    id the command takes."""
    places = view.action.endswith("institution")
    lines = []
    for c in view.candidates:
        works = f"{c.works_count:,} works" if places and c.works_count is not None else ""
        details = ", ".join(p for p in (escape(c.institution), escape(c.main_topic), works) if p)
        lines.append(f"*{c.number}. {escape(c.name)}*" + (f" — {details}" if details else "") + f"  `{escape(c.key)}`")
    what = "institutions" if places else "papers"
    blocks = [b.section(f"Several {what} match “{clip(escape(view.query), 500)}”. Pick one:")]
    blocks += [b.section(piece) for piece in b.split_text("\n".join(lines))]
    blocks.append(b.context(
        f"Type `/radar {view.action} pick &lt;n&gt;` or `/radar {view.action} &lt;id&gt;`. Not listed? Try its "
        "full name or its ROR id." if places else
        "Type `/radar paper &lt;id&gt;` with the id shown. Not listed? Paste its DOI or link."))
    return _packed([], [[block] for block in blocks], f"Several {what} match “{escape(view.query)}”")


def render_paper(view: v.PaperCard) -> list[b.SlackMessage]:
    blocks = [b.context(f":information_source: {escape(view.note)}")] if view.note else []
    blocks.append(b.section(f"*{link(view.abs_url, view.title, label_limit=1000)}*"))
    authors = escape(", ".join(view.authors)) + (f" et al. (+{view.more_authors})" if view.more_authors else "")
    meta = " · ".join(p for p in (
        view.date.isoformat() if view.date else "", escape(", ".join(view.categories)), escape(view.venue),
        f"{view.citation_count:,} citations" if view.citation_count is not None else "") if p)
    if authors or meta:
        blocks.append(b.section("\n".join(p for p in (clip(authors, 1500), meta) if p)))
    if view.summary:
        source = f" _({escape(view.summary_source)})_" if view.summary_source else ""
        blocks.append(b.section(f":bulb: *TL;DR:* {clip(escape(v.readable_latex(view.summary)), 1000)}{source}"))
    if view.abstract:
        blocks += [b.section(piece) for piece in b.split_text(clip(escape(v.readable_latex(view.abstract)), 4500))]
    buttons = [b.button(label, f"{ACTION_LINK}_{key}", url=url)
               for key, label, url in (("abstract", "Abstract", view.abs_url), ("pdf", "PDF", view.pdf_url),
                                       ("code", view.code_text, view.code_url),
                                       ("project", "Project page", view.project_url),
                                       ("doi", "DOI", f"https://doi.org/{view.doi}" if view.doi else None))
               if safe_url(url)]
    if view.first_author_key:
        buttons.append(b.button("Follow first author", ACTION_FOLLOW, value=view.first_author_key))
    if buttons:
        blocks.append(b.actions(*buttons))
    if view.sources:
        blocks.append(b.context("Sources: " + escape(", ".join(v.source_name(name) for name in view.sources))))
    return [_message(escape(view.title), blocks)]


def render_trending(view: v.TrendingView) -> list[b.SlackMessage]:
    day = view.day.isoformat()
    if not view.items:
        empty = escape(view.note or f"No Hugging Face daily papers for {day}.")
        return [_message(empty, [b.section(empty)])]
    groups = []
    for item in view.items:
        lines = [f"*{item.rank}.* {link(item.url, item.title)}  ▲{item.upvotes}"]
        if item.authors:
            lines.append(clip(escape(item.authors), 500))
        extras = [link(url, label) for label, url in (("code", item.code_url), ("project", item.project_url))
                  if safe_url(url)]
        if extras:
            lines.append(" · ".join(extras))
        groups.append([b.section(b.fit_lines(lines))])
    first = [b.header(f"Trending on Hugging Face, {day} ({view.day:%A})")]
    if view.note:
        first.append(b.context(escape(view.note)))
    return _packed(first, groups, f"Trending on Hugging Face, {day}")


def render_subscriptions(view: v.SubscriptionList) -> list[b.SlackMessage]:
    if not view.items:
        text = "This channel has no subscriptions yet. Try `/radar subscribe topic &lt;query&gt;` or `/radar follow &lt;name&gt;`."
        return [_message(text, [b.section(text)])]
    groups = []
    for item in view.items:
        label = clip(escape(item.label), 600)
        lines = [f"*#{item.number}* · {escape(item.kind)} · {label}"]
        if item.description and item.description != item.label:
            lines.append(f"_{clip(escape(item.description), 600)}_")
        lines.append(v.week_summary(item))
        remove = b.button("Unsubscribe", ACTION_UNSUBSCRIBE, value=str(item.number), style="danger",
                          confirm=b.confirm(f"Remove #{item.number}?", f"This channel stops receiving papers "
                                            f"for #{item.number} ({item.label}).", "Unsubscribe"))
        groups.append([b.section("\n".join(lines), accessory=remove)])
    title = f"Subscriptions ({len(view.items)}/{view.limit})"
    messages = _packed([b.header(title)], groups, title)
    return messages if len(messages) <= MAX_RESPONSES - 1 else _compact_subscriptions(view, title)


COMPACT_LABEL = 300


def _compact_subscriptions(view: v.SubscriptionList, title: str) -> list[b.SlackMessage]:
    """Many long subscriptions: one line each, without buttons, so that every one is shown within the five
    answers a command may have (a card with a button each would need a dozen messages for 50 long topics)."""
    lines = [f"*#{item.number}* · {escape(item.kind)} · {clip(escape(item.label), COMPACT_LABEL)} · "
             f"{v.week_summary(item)}" for item in view.items]
    groups, page = [], []
    for line in lines:
        if page and len("\n".join([*page, line])) > b.SECTION_TEXT - 100:
            groups.append([b.section("\n".join(page))])
            page = []
        page.append(line)
    groups.append([b.section("\n".join(page))])
    tail = [b.context("Remove one with `/radar unsubscribe &lt;number&gt;`.")]
    return _packed([b.header(title)], groups, title, tail)


def _onoff(value: bool) -> str:
    return "on" if value else "off"


def render_settings(view: v.SettingsView) -> list[b.SlackMessage]:
    title = view.changed or "Digest settings"
    entries = [
        f"*Time*\n{escape(view.digest_time)} ({escape(zone_label(view.timezone))})",
        f"*Days*\n{escape(view.weekdays)}",
        f"*Max papers*\n{view.max_items}", f"*Updates*\n{_onoff(view.include_updates)} (revised versions of older papers)",
        f"*Cross-lists*\n{_onoff(view.include_crosslists)}",
        f"*Quiet notice*\n{_onoff(view.quiet_notice)} (say so on days with no new papers)",
        f"*Learning*\n{_onoff(view.learning)} (order the digest by the channel's 👍/👎)",
        f"*Summary*\n{escape(view.summary_mode)} (under each paper: tldr, abstract or off)",
    ]
    if view.paused:
        entries.append(f"*Paused*\n{escape(view.paused_reason) or 'paused by a channel manager'}")
    elif view.next_digest:
        entries.append(f"*Next digest*\n{when(view.next_digest, view.timezone)}")
    blocks = [b.header(title), *([b.context(escape(view.note))] if view.note else []), b.fields(entries),
              b.context("Change with `/radar settings time 08:30`, `settings timezone Europe/Paris`, "
                        "`settings max 15` … (channel managers)")]
    return [_message(escape(title), blocks)]


def render_status(view: v.StatusView) -> list[b.SlackMessage]:
    last = when(view.last_run, view.timezone)
    if view.last_run:
        last += f"\n{escape(view.last_run_state)}, {v.plural(view.last_run_items, 'paper')}"
    entries = [f"*Last digest*\n{last}",
               f"*Next digest*\n{'paused' if view.paused else when(view.next_run, view.timezone)}",
               f"*Papers ingested today*\n{view.papers_today}", f"*Subscriptions*\n{view.subscriptions}"]
    blocks = [b.header("Paper Radar status"), b.fields(entries)]
    if view.paused and view.paused_reason:
        blocks.append(b.section(f":double_vertical_bar: *Paused:* {escape(view.paused_reason)}"))
    if view.notes:
        notes = "\n".join(f":information_source: {escape(n)}" for n in view.notes)
        blocks += [b.section(piece) for piece in b.split_text(clip(notes, 3000))]
    problems = "\n".join(f":warning: {escape(p)}" for p in view.problems) or ":white_check_mark: No problems."
    blocks += [b.section(piece) for piece in b.split_text(clip(problems, 5000))]
    return [_message("Paper Radar status", blocks)]


EXPORT_FILE = "paper-radar-export.json"


@dataclass(frozen=True)
class FileAnswer:
    """An answer that goes up as one file (files upload) with a short message, instead of many messages."""

    filename: str
    content: bytes
    title: str
    comment: str  # posted with the file in the channel
    messages: list[b.SlackMessage]  # what the person who asked is told once the file is there


def export_file(view: v.ExportView, actor_id: str | None = None) -> FileAnswer | None:
    """A large export as one JSON file, as Discord sends it; None when it fits one message as a code block."""
    if len(render_export(view)) <= 1:
        return None
    count = v.plural(view.subscriptions, "subscription")
    who = mention(actor_id)
    comment = (f"{who + ' exported' if who else 'Export of'} this channel's {count} and settings. "
               "To copy them to another channel, give this file's contents to `/radar import` there.")
    told = f"The export ({count}) is attached as a file in this channel: {EXPORT_FILE}."
    return FileAnswer(EXPORT_FILE, view.payload.encode("utf-8"), f"Paper Radar export ({count})", comment,
                      [_message(told, [b.section(escape(told))])])


def render_export(view: v.ExportView) -> list[b.SlackMessage]:
    intro = (f"This channel's {v.plural(view.subscriptions, 'subscription')} and settings. Paste everything after "
             "`/radar import` in another channel to copy them there.")
    chunks = b.split_text(escape(view.payload), b.SECTION_TEXT - 8)
    groups = [[b.section(f"```{chunk}```")] for chunk in chunks]
    return _packed([b.section(intro)], groups, "Export of this channel's subscriptions")


def render_import(view: v.ImportReport) -> list[b.SlackMessage]:
    imported = f"Imported {v.plural(len(view.added), 'subscription')}."
    lines = [f"*{imported}*", *[f"+ {escape(a)}" for a in view.added]]
    if view.skipped:
        lines += [f"*Skipped {len(view.skipped)}:*", *[f"– {escape(s)}" for s in view.skipped]]
    if view.settings_changed:
        lines.append("*Settings changed:* " + escape(", ".join(view.settings_changed)))
    groups = [[b.section(piece)] for piece in b.split_text("\n".join(lines))]
    return _packed([], groups, imported)


def render_digest_view(view: v.DigestView) -> list[b.SlackMessage]:
    return render_digest(view)


# One renderer per view core answers with; `missing_renderers` (checked at start-up and in the tests) names
# any view that has neither a renderer here nor a place in NOT_RENDERED_HERE.
RENDERERS: dict[type[v.View], Callable[[Any], list[b.SlackMessage]]] = {
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
    v.DigestView: render_digest_view,
    v.ExportView: render_export,
    v.ImportReport: render_import,
    v.FeedbackView: render_feedback,
    v.SimilarView: render_similar,
}


# Views core never hands this adapter to show, by name: autocomplete suggestions (Slack's /radar has none).
NOT_RENDERED_HERE: frozenset[str] = frozenset({"Suggestions"})


def missing_renderers() -> list[str]:
    return unrendered_views(RENDERERS, NOT_RENDERED_HERE)


def render(view: v.View, *, actor_id: str | None = None, max_messages: int = MAX_RESPONSES,
           visibility: v.Visibility | None = None) -> list[b.SlackMessage]:
    """The messages that answer a command; channel-visible answers say who asked. `visibility` is what
    core's answer rules said (`core.rules.answer_visibility`); without it, the view's own."""
    renderer = RENDERERS.get(type(view))
    if renderer is None:
        raise TypeError(f"no Slack renderer for {type(view).__name__}")
    messages = renderer(view)
    visible = (visibility or view.visibility) == v.Visibility.CHANNEL
    who = mention(getattr(view, "actor_id", None) or actor_id)
    if visible and who:
        messages[-1].blocks.append(b.context(f"{who} via `/radar`"))
    if len(messages) > max_messages:
        dropped = len(messages) - max_messages
        messages = messages[:max_messages]
        messages[-1].blocks.append(b.context(f"…{v.plural(dropped, 'more message')} not shown: Slack takes at most "
                                             f"{max_messages} answers to one command."))
    for message in messages:
        message.in_channel = visible
    return messages
