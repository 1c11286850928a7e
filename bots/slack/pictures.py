"""A researcher card's pictures in Slack: uploaded into the conversation as files (files.getUploadURLExternal,
the upload, files.completeUploadExternal: slack_sdk's `files_upload_v2`), each with its alt text.

Slack shows images only from a public URL or from a file it holds, so the PNGs go up as files, both in one
upload with a short comment, and the card (which may be for the person who asked only) says where they are.
The card never waits on them failing: without `files:write`, or in a private channel the bot is not in, the
card goes out with a note instead.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import blocks as b
from bots.slack.mrkdwn import escape
from core.model.context import Destination
from core.views import ResearcherCard

log = logging.getLogger(__name__)


def uploads(view: ResearcherCard) -> list[dict[str, object]]:
    """What `files_upload_v2(file_uploads=...)` takes for the card's pictures."""
    return [{"content": image.png, "filename": image.filename, "title": image.title, "alt_txt": image.alt}
            for image in view.images]


def comment(view: ResearcherCard) -> str:
    what = " and ".join(image.title.split(": ", 1)[-1] for image in view.images)
    return f"Researcher card of {view.name}: {what}."


def _code(error: SlackApiError) -> str:
    """Slack's error code; a body that was not JSON (a proxy's page) has none."""
    data = getattr(error.response, "data", None)
    return str(data.get("error") or "") if isinstance(data, dict) else "unreadable answer"


async def _upload(client: AsyncWebClient, where: Destination, view: ResearcherCard) -> None:
    try:
        await client.files_upload_v2(channel=where.channel_id, file_uploads=uploads(view),
                                     initial_comment=comment(view))
    except SlackApiError as error:
        if _code(error) != "not_in_channel":
            raise
        # A public channel the bot was never invited to: it may join (channels:join), as digests do. A private
        # one refuses the join, and that refusal is what the card reports.
        await client.conversations_join(channel=where.channel_id)
        await client.files_upload_v2(channel=where.channel_id, file_uploads=uploads(view),
                                     initial_comment=comment(view))


async def post_pictures(client: AsyncWebClient, where: Destination, view: ResearcherCard,
                        messages: list[b.SlackMessage]) -> bool:
    """Upload the card's pictures into the conversation and say so on the card (or say why not)."""
    if not view.images or not messages:
        return False
    try:
        await _upload(client, where, view)
    except SlackApiError as error:
        log.warning("slack: card pictures refused (%s)", _code(error))
        note = ":frame_with_picture: The collaboration graph and the per-year chart could not be posted here " \
               "(Paper Radar needs to be in this channel and allowed to upload files)."
    except Exception as error:  # a network failure: the card still goes out
        log.warning("slack: card pictures failed (%s)", type(error).__name__)
        note = ":frame_with_picture: The card's pictures could not be posted just now."
    else:
        names = ", ".join(f"`{escape(image.filename)}`" for image in view.images)
        messages[0].blocks.append(b.context(f":frame_with_picture: Pictures posted in this channel: {names}"))
        return True
    messages[0].blocks.append(b.context(note))
    return False
