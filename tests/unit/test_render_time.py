"""What every adapter's renderer says about time and revisions: a revised paper's label, the rule a typed zone was
read by, a zone offset shown the way it was asked, and `status`'s notes apart from its problems."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from bots.discord.limits import check_message_limits
from bots.discord.render import render as discord_render
from core import views as v
from tests.slack.blockcheck import check_message
from tests.unit.test_render_wording import console_text, discord_text, slack_text

ADAPTERS = pytest.mark.parametrize("text_of", [console_text, slack_text, discord_text], ids=["console", "slack", "discord"])
WHY = (v.DigestReason("category", "new in cs.LG"),)


def _digest() -> v.DigestView:
    new = v.DigestItem(paper_id="arXiv:2411.00001", title="A new paper", url="https://arxiv.org/abs/2411.00001",
                       authors="Ada Lovelace", why=WHY, version=1)
    revised = v.DigestItem(paper_id="arXiv:2410.02345", title="An older paper", url="https://arxiv.org/abs/2410.02345",
                           authors="Alan Turing", why=WHY, version=2, is_update=True, first_posted="3 Oct 2024")
    return v.DigestView(day=date(2024, 11, 28), title="Paper Radar digest", items=(new, revised), total_matched=2,
                        subscriptions=1)


@ADAPTERS
def test_a_revised_paper_says_so_and_when_it_first_came_out(text_of: Any) -> None:
    text = text_of(_digest())
    assert text.count("revised to v2, first posted 3 Oct 2024") == 1
    assert "updated" not in text  # one wording everywhere


def test_the_label_without_what_is_unknown() -> None:
    item = _digest().items[1]
    assert v.DigestItem(**{**item.__dict__, "first_posted": None}).update_label == "revised to v2"
    assert v.DigestItem(**{**item.__dict__, "version": None}).update_label == "revised, first posted 3 Oct 2024"
    assert _digest().items[0].update_label is None


def _settings() -> v.SettingsView:
    return v.SettingsView(timezone="Etc/GMT-2", digest_time="08:00", weekdays="mon-fri", max_items=10, paused=False,
                          paused_reason=None, include_updates=False, include_crosslists=True, quiet_notice=False,
                          next_digest=datetime(2024, 11, 29, 6, 0, tzinfo=UTC),
                          changed="Changed the time zone to UTC+02:00",
                          note="UTC+2 is taken as a fixed offset, UTC+02:00 all year (no daylight saving).")


@ADAPTERS
def test_a_typed_zone_shows_its_rule_and_its_offset_the_way_it_was_asked(text_of: Any) -> None:
    text = text_of(_settings())
    assert "UTC+2 is taken as a fixed offset, UTC+02:00 all year" in text
    assert "08:00 (UTC+02:00)" in text and "GMT-2" not in text


def _status() -> v.StatusView:
    return v.StatusView(last_run=None, last_run_state=None, last_run_items=0, next_run=None, papers_today=0,
                        subscriptions=1, paused=False, paused_reason=None,
                        problems=("arXiv feeds: HTTP 503. Paper Radar tries again by itself.",),
                        notes=("The last digest made up for a missed one: Catching up on 2 days.",))


@ADAPTERS
def test_status_shows_notes_apart_from_problems(text_of: Any) -> None:
    text = text_of(_status())
    note, problem = text.index("made up for a missed one"), text.index("HTTP 503")
    assert note < problem and "No problems" not in text
    quiet = text_of(v.StatusView(last_run=None, last_run_state=None, last_run_items=0, next_run=None,
                                 papers_today=0, subscriptions=1, paused=False, paused_reason=None,
                                 notes=("Nothing to do about this.",)))
    assert "Nothing to do about this." in quiet and "No problems." in quiet


def test_long_notes_stay_within_the_platforms_limits() -> None:
    from bots.slack.render import render as slack_render

    many = v.StatusView(last_run=None, last_run_state=None, last_run_items=0, next_run=None, papers_today=0,
                        subscriptions=1, paused=False, paused_reason=None, notes=("n" * 900,) * 12,
                        problems=("p" * 900,) * 12)
    for message in slack_render(many):
        check_message(message.payload())
    for outgoing in discord_render(many):
        check_message_limits(outgoing.payload())
