"""A digest as Slack messages: a top message with the header and the first papers, the rest as thread replies.

Core builds a digest of any length; here it is cut into messages that each stay within Block Kit's limits,
never splitting a paper across messages, every reply labelled "part k of n" so that a thread read out of
order still makes sense. Each message knows which papers it carries, so the sink can mark exactly those
sent once Slack has taken it.
"""

from __future__ import annotations

from bots.slack import blocks as b
from bots.slack.actions import ACTION_DIGEST_MORE, ACTION_RATE_DISLIKE, ACTION_RATE_LIKE
from bots.slack.mrkdwn import clip, escape, link, safe_url
from core import views as v

TOP_ITEMS = 5  # papers beside the header: enough to read in the channel, the rest one click away
REPLY_ITEMS = 10  # per reply; the size budget may cut sooner
LABEL_CHARS = 300  # room kept in every message for its "part k of n" label
FOOTER_CHARS = 600  # and in the last one for "…and N more" with its button


def _why(item: v.DigestItem) -> str:
    # Core's reason already says "(matched by name)" when it was: saying it again here read twice.
    reasons = [escape(r.text) for r in item.why]
    return ":dart: " + clip("; ".join(reasons), 1500) if reasons else ""


def rate_buttons(item: v.DigestItem) -> b.Block | None:
    """👍 and 👎 under a paper: anyone in the channel may rate it, and a second click takes the rating back.

    An actions block of its own (one block per paper: a page of ten papers is 31 blocks of Slack's 50), since a
    section's single accessory could hold only one of the two. The value is the paper's id, which `like` takes."""
    if not item.paper_id or len(item.paper_id) > b.BUTTON_VALUE:
        return None
    # Kept as small as Block Kit allows, since ten of these share a message's size budget with ten papers: no
    # accessibility label (a screen reader says "thumbs up" right after the paper) and no `emoji` flag (that
    # only turns :codes: into emoji; these are emoji already).
    return b.actions(*[{"type": "button", "text": {"type": "plain_text", "text": mark}, "action_id": action,
                        "value": item.paper_id} for mark, action in (("👍", ACTION_RATE_LIKE),
                                                                     ("👎", ACTION_RATE_DISLIKE))])


def item_blocks(label: str, item: v.DigestItem, heading: str | None = None) -> list[b.Block]:
    """One paper: a section with title, authors and snippet, a context line saying why it is here, and its
    rating buttons; the first paper of a digest section opens with the section's title. The page cut
    (`render_digest`, and the sink's `paginate` at claim time) packs these blocks together, so a paper, its
    section's title and its buttons are never in different messages."""
    flag = f"  `{escape(item.update_label)}`" if item.update_label else ""
    lines = [f"*{label} {link(item.url, item.title, label_limit=600)}*{flag}"]
    if item.authors:
        lines.append(clip(escape(item.authors), 400))
    if item.quote:  # a citation's citing sentence
        lines.append(":speech_balloon: " + clip(escape(" ".join(item.quote.split())), 420))
    if item.snippet:
        lines.append(clip(escape(v.readable_latex(" ".join(item.snippet.split()))), 900))
    if item.summary:
        lines.append(":bulb: " + clip(escape(v.readable_latex(item.summary)), 400))
    extras = [link(item.pdf_url, "PDF")] if safe_url(item.pdf_url) else []
    extras += paper_links(item)
    if item.categories:
        extras.append(escape(", ".join(item.categories[:6])))
    if extras:
        lines.append(" · ".join(extras))
    blocks = [b.section(f"*{escape(heading)}*")] if heading else []
    blocks.append(b.section(b.fit_lines(lines)))
    why = _why(item)
    if why:
        blocks.append(b.context(why))
    if (rate := rate_buttons(item)) is not None:
        blocks.append(rate)
    return blocks


def paper_links(item: v.DigestItem) -> list[str]:
    """Code (with stars), project page and venue, as they sit beside the PDF link."""
    found = [link(item.code_url, item.code_text)] if safe_url(item.code_url) else []
    if safe_url(item.project_url):
        found.append(link(item.project_url, "project page"))
    if item.venue:
        found.append("_" + clip(escape(item.venue), 140) + "_")
    return found


def _heading(view: v.DigestView) -> str:
    return f"{view.title} — {view.day:%a %d %b %Y}"


def _top_blocks(view: v.DigestView) -> list[b.Block]:
    blocks = [b.header(_heading(view))]
    if view.preview:
        blocks.append(b.context(":eyes: Preview: only you see this, and nothing is marked as sent."))
    if matched := view.matched_items:
        shown = f" Showing {len(matched)}." if view.total_matched > len(matched) else ""
        verb = "matches" if view.total_matched == 1 else "match"
        subs = f" {verb} {v.plural(view.subscriptions, 'subscription')}" if view.subscriptions else ""
        papers = "new paper" if view.total_matched == 1 else "new papers"
        blocks.append(b.section(f"*{view.total_matched:,}* {papers}{subs}.{shown}"))
        if len(view.matched_by) > 1:
            blocks.append(b.context(clip(escape(v.matched_summary(view.matched_by)), 1500)))
    else:
        blocks.append(b.section("No new papers match this channel's subscriptions since the last digest."))
    if view.note:
        blocks.append(b.context(":hourglass_flowing_sand: " + clip(escape(view.note), 1000)))
    return blocks


def _footer(view: v.DigestView) -> list[b.Block]:
    if not view.more_count:
        return []
    text = f"…and *{view.more_count}* more past this channel's cap."
    if view.preview:
        return [b.context(text)]
    more = b.button(f"Show {view.more_count} more", ACTION_DIGEST_MORE, value="more")
    return [b.section(text + " Only you will see them.", accessory=more)]


def _pack(view: v.DigestView, resume_after: int, reserve_blocks: int,
          reserve_chars: int) -> list[tuple[list[b.Block], int]]:
    packer = b.Packer(reserve_blocks=reserve_blocks, reserve_chars=reserve_chars,
                      max_groups_first=None if resume_after else TOP_ITEMS, max_groups=REPLY_ITEMS)
    packer.start([] if resume_after else _top_blocks(view))
    for label, item, heading in v.digest_lines(view.items, view.first_number):
        packer.add(item_blocks(label, item, heading))
    return [(page, count) for page, count in zip(packer.pages, packer.groups_per_page, strict=True) if page]


def _packed(view: v.DigestView, footer: list[b.Block], resume_after: int) -> list[tuple[list[b.Block], int]]:
    """Each message's blocks and how many papers it holds, packed under Block Kit's budgets.

    Every message keeps room for its "part k of n" label, but only the last one carries the footer ("…and N
    more" with its button): the papers are packed with room for the label alone, and packed again with room
    for the footer in every message only when the last one turns out to have none left for it. Keeping the
    footer's room everywhere cut a reply of ten ordinary papers with their 👍/👎 to nine."""
    pages = _pack(view, resume_after, 1, LABEL_CHARS)
    if footer and pages:
        last = pages[-1][0]
        if (len(last) + 1 + len(footer) > b.MAX_BLOCKS
                or b.blocks_size([*last, *footer]) + LABEL_CHARS > b.MESSAGE_BUDGET):
            pages = _pack(view, resume_after, 1 + len(footer), LABEL_CHARS + FOOTER_CHARS)
    return pages


def _fixed(view: v.DigestView) -> list[tuple[list[b.Block], int]]:
    """The messages fixed when the run claimed its papers (`view.pages`): each exactly its page's papers, the
    first (page 0) under the header. They fitted when they were cut, so they are not packed again."""
    by_id = {item.paper_id: item for item in view.items}
    lines = iter(v.digest_lines([by_id[i] for page in view.pages for i in page.paper_ids], view.first_number))
    blocks: list[tuple[list[b.Block], int]] = []
    for page in view.pages:
        message = _top_blocks(view) if page.index == 0 else []
        for label, item, heading in (next(lines) for _ in page.paper_ids):
            message += item_blocks(label, item, heading)
        blocks.append((message, len(page.paper_ids)))
    return blocks


def render_digest(view: v.DigestView, *, resume_after: int = 0) -> list[b.SlackMessage]:
    """The messages of a digest, in order. `resume_after` > 0 continues a thread that already has that many
    messages (a resumed run): then every message is a reply and the labels count on from there. A run's
    digest (`view.pages` set) keeps the messages it was cut into, numbered as they were."""
    footer = _footer(view)
    if view.pages:
        pages = _fixed(view)
        first = view.pages[0].index
        total = max(view.page_count, view.pages[-1].index + 1)
        continued = first > 0 and (view.resumed or resume_after > 0)
    else:
        pages = _packed(view, footer, resume_after)
        first, continued = resume_after, resume_after > 0
        if not pages:  # a resumed run with nothing left still needs one message to say so
            pages = [([b.section("Nothing more to send for this digest.")], 0)]
        total = resume_after + len(pages)
    heading = escape(_heading(view))
    messages: list[b.SlackMessage] = []
    start = 0
    for index, (page, count) in enumerate(pages):
        part = (view.pages[index].index if view.pages else first + index) + 1
        ids = view.pages[index].paper_ids if view.pages else tuple(
            item.paper_id for item in view.items[start : start + count])
        start += count
        blocks = list(page)
        if total > 1:
            label = f"part {part} of {total}"
            if part == 1:
                blocks.insert(1, b.context(f"{label} · the rest are in the thread :thread:"))
            else:
                blocks.insert(0, b.context(f"{heading} · {label}" + (" (continued)" if continued else "")))
        if index == len(pages) - 1:
            blocks.extend(footer)
        text = (f"{heading}: {v.plural(view.total_matched, 'new paper')}" if part == 1
                else f"{heading} · part {part} of {total}")
        messages.append(b.SlackMessage(text=text, blocks=blocks, paper_ids=ids))
    return messages
