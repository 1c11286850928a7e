"""A Slack channel's first setup: its time zone is the Slack time zone (users.info `tz`) of the manager who sets it
up, and the first confirmation says the time, the zone, where it came from and how to change them."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from core.storage.models import DestinationRow
from tests.slack.blockcheck import check_message
from tests.slack.conftest import MANAGER, MEMBER, Harness, text_of

BERLIN_ADMIN = "UBERLIN01"
TOKYO_ADMIN = "UTOKYO001"
BERLIN_MEMBER = "UBERLIN02"


def _visible(message: dict[str, Any]) -> str:
    check_message(message, may_mention=(BERLIN_ADMIN, TOKYO_ADMIN, MANAGER, MEMBER, BERLIN_MEMBER))
    assert message["response_type"] == "in_channel", message
    return text_of(message)


async def _zone(harness: Harness, channel: str) -> str | None:
    async with harness.app.db.session() as session:
        row = (await session.exec(select(DestinationRow).where(DestinationRow.channel_id == channel))).first()
    return row.timezone if row else None


async def test_the_first_manager_s_slack_time_zone_becomes_the_channel_s(harness: Harness) -> None:
    harness.fake.add_user(BERLIN_ADMIN, admin=True, name="Bea Berlin", tz="Europe/Berlin")
    harness.fake.add_user(TOKYO_ADMIN, admin=True, name="Taro Tokyo", tz="Asia/Tokyo")
    ack, key = await harness.command("subscribe category cs.LG", user=BERLIN_ADMIN, channel="CBERLIN01")
    assert ack.status_code == 200 and ack.content == b""  # users.info is asked after the ack, never within it
    (first,) = await harness.fake.wait_for_answers(1, key)
    text = _visible(first)
    assert ("Digests arrive at 08:00 Europe/Berlin (your Slack time zone), Monday to Friday. The first comes Fri 29 "
            "Nov.") in text
    assert "Change them with `settings time HH:MM` and `settings timezone &lt;zone&gt;`." in text
    assert await _zone(harness, "CBERLIN01") == "Europe/Berlin"
    # Another manager, elsewhere, adds to the channel: its zone stays the one it was set up with.
    (second,) = await harness.ask("subscribe category cs.RO", user=TOKYO_ADMIN, channel="CBERLIN01")
    assert "New matches arrive in the next digest (Fri 29 Nov 08:00 Europe/Berlin)." in _visible(second)
    assert await _zone(harness, "CBERLIN01") == "Europe/Berlin"
    (settings,) = await harness.ask("settings", user=TOKYO_ADMIN, channel="CBERLIN01")
    assert "*Time*\\n08:00 (Europe/Berlin)" in text_of(settings)


async def test_a_member_s_time_zone_sets_nothing(harness: Harness) -> None:
    harness.fake.add_user(BERLIN_MEMBER, name="Max Berlin", tz="Europe/Berlin")
    (denied,) = await harness.ask("subscribe category cs.LG", user=BERLIN_MEMBER, channel="CMEMBER01")
    assert "You can't change this channel" in text_of(denied)
    (shown,) = await harness.ask("settings", user=BERLIN_MEMBER, channel="CMEMBER01")
    assert "*Time*\\n08:00 (UTC)" in text_of(shown)


async def test_without_a_known_zone_the_first_confirmation_asks(harness: Harness) -> None:
    # Listed in SLACK_MANAGERS: allowed without users.info, so nothing tells where they are.
    (first,) = await harness.ask("subscribe category cs.LG", user=MANAGER, channel="CUNKNOWN1")
    text = _visible(first)
    assert "Digests arrive at 08:00 UTC, Monday to Friday." in text
    assert "Set your time zone with `settings timezone Europe/Berlin` or `settings timezone PST`" in text
    assert await _zone(harness, "CUNKNOWN1") == "UTC"
    (changed,) = await harness.ask("settings timezone PST", user=MANAGER, channel="CUNKNOWN1")
    text = _visible(changed)
    assert "Changed the time zone to America/Los_Angeles" in text
    assert "PST is taken as America/Los_Angeles (Pacific time, follows daylight saving)." in text
