"""A researcher card's pictures in Slack: both PNGs uploaded into the conversation in one files upload (the
fake's files.getUploadURLExternal, upload URL and files.completeUploadExternal), each with its alt text; the
card says where they are, or why they are not there."""

from __future__ import annotations

import io

from PIL import Image

from tests.slack.blockcheck import check_message
from tests.slack.conftest import ADMIN, CHANNEL, Harness, text_of


async def test_card_pictures_are_uploaded_into_the_conversation(harness: Harness) -> None:
    (card,) = await harness.ask("researcher A5100000002")
    check_message(card, may_mention=(ADMIN,))
    graph, chart = harness.fake.shared_files()
    assert graph["channel"] == chart["channel"] == CHANNEL
    assert graph["filename"] == "researcher-A5100000002-collaborators.png"
    assert chart["filename"] == "researcher-A5100000002-per-year.png"
    assert graph["title"] == "Maria Garcia: frequent co-authors"
    assert graph["comment"] == ("Researcher card of Maria Garcia: frequent co-authors and works and citations "
                                "per year.")
    # What a screen reader says: the co-authors and the papers shared, the years and their counts.
    assert graph["alt"].startswith("Collaboration graph of Maria Garcia, last 3 years: Kenji Tanaka (3 papers "
                                   "together); Ana Ruiz (2 papers together); Lars Berg (1 paper together).")
    assert "Kenji Tanaka and Ana Ruiz (2)" in graph["alt"]
    assert chart["alt"].startswith("Bar charts of Maria Garcia's works and citations per year, 2015–2024:")
    for shared in (graph, chart):
        picture = Image.open(io.BytesIO(shared["content"]))
        assert picture.format == "PNG" and picture.width == 800
    assert "Pictures posted in this channel" in text_of(card)
    assert "researcher-A5100000002-collaborators.png" in text_of(card)


async def test_a_refused_upload_still_gives_the_card_and_says_why(harness: Harness) -> None:
    harness.fake.files_error = "missing_scope"
    (card,) = await harness.ask("researcher A5100000002")
    check_message(card, may_mention=(ADMIN,))
    assert harness.fake.shared_files() == []
    assert "Maria Garcia" in text_of(card) and "could not be posted here" in text_of(card)


async def test_a_public_channel_the_bot_is_not_in_is_joined_for_the_pictures(harness: Harness) -> None:
    harness.fake.members = set()  # invited nowhere
    (card,) = await harness.ask("researcher A5100000002")
    assert [c.params["channel"] for c in harness.fake.called("conversations.join")] == [CHANNEL]
    assert len(harness.fake.shared_files()) == 2 and "Pictures posted in this channel" in text_of(card)
