"""The bolt listeners: `/radar`, the buttons, and the events that take our access away.

All of them go through `core.handle`, like the console. Slack gives three seconds for the ack, so the ack never
waits on anything: usage errors and what core says needs neither database nor source (help: core's own view,
through the door) ride in the ack itself; every other command is acked empty at once and answered through
`response_url` by a task that starts after the ack. A slow data source, `users.info`, or a database busy
with the clock's writes (SQLite waits up to ten seconds for a lock) can then never make Slack show
"operation timed out". In a surge, once RADAR_SLACK_ANSWER_BACKLOG commands are waiting for their answers,
the next ones are told "busy, try again" in the ack: an answer minutes late helps nobody, and a queue without
a bound grows until the process runs out of memory. Losing and regaining a workspace's access are core
commands too (bots/slack/workspace.py).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Coroutine, Sequence
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bots.slack import workspace
from bots.slack.actions import (
    ACTION_DIGEST_MORE,
    ACTION_FOLLOW,
    ACTION_IAM,
    ACTION_LINK,
    ACTION_RATE_DISLIKE,
    ACTION_RATE_LIKE,
    ACTION_RESEARCHER,
    ACTION_UNSUBSCRIBE,
)
from bots.slack.actors import ActorDirectory, destination_of, user_of
from bots.slack.blocks import SlackMessage
from bots.slack.gate import allowed_url
from bots.slack.mrkdwn import unescape_incoming
from bots.slack.pictures import post_pictures
from bots.slack.render import FileAnswer, export_file, render
from core.bootstrap import App
from core.commands import Command, RatePaper
from core.model.context import Destination
from core.model.enums import AccessCause
from core.rules import answer_visibility, answers_at_once
from core.service import handle, read_command, source_bound
from core.views import ExportView, HelpView, Problem, ResearcherCard, View, Visibility

log = logging.getLogger(__name__)
QUIET_S = 0.005
LONGEST_WAIT_S = 0.05
# Answers worked on at once: below the database pool (5 + 10 overflow), so that a burst of commands queues
# here, in order, instead of timing out after 30 s waiting for a connection.
ANSWER_SLOTS = 8

# What a click means, as the command a person would have typed.
TYPED = {
    ACTION_RESEARCHER: "researcher {value}",
    ACTION_FOLLOW: "follow {value}",
    ACTION_IAM: "iam {value}",
    ACTION_UNSUBSCRIBE: "unsubscribe {value}",
    ACTION_DIGEST_MORE: "digest more",
}
# 👍/👎 under a digest paper: `like`/`dislike` of the paper in the value, except that clicking the rating one
# already gave takes it back (`toggle`), which typed text cannot say.
RATINGS = {ACTION_RATE_LIKE: 1, ACTION_RATE_DISLIKE: -1}
NO_CHANNEL = Problem("Paper Radar works in channels", "This request did not say which channel it came from.",
                     code="usage")
# A surge: more commands than the answer slots can work through soon. Said in the ack, which costs nothing.
BUSY = Problem("Paper Radar is busy right now", "A lot of commands arrived at once, so this one was not started.",
               "Try it again in a minute.", code="busy")
BROKEN = Problem("Something went wrong on our side", "Paper Radar could not show that answer.",
                 "Try again; if it keeps happening, tell whoever runs the bot.", code="internal")


def _render(view: View, actor_id: str, visibility: Visibility | None = None) -> list[SlackMessage]:
    try:
        return render(view, actor_id=actor_id, visibility=visibility)
    except Exception:  # a renderer bug must still leave the person with an answer
        log.exception("slack: could not render %s", type(view).__name__)
        return render(BROKEN)


def _ack_args(message: SlackMessage) -> dict[str, Any]:
    return {"text": message.payload()["text"], "blocks": message.blocks,
            "response_type": "in_channel" if message.in_channel else "ephemeral",
            "unfurl_links": False, "unfurl_media": False}


@functools.lru_cache(maxsize=64)
def _help_ack(view: HelpView) -> dict[str, Any]:
    """Core's help never changes while the process runs: render each page once, not on every `/radar help`
    (the view is still asked of core each time; only its Block Kit is kept)."""
    return _ack_args(render(view)[0])


def _ack_for(view: View, actor_id: str) -> dict[str, Any]:
    return _help_ack(view) if isinstance(view, HelpView) else _ack_args(_render(view, actor_id)[0])


@functools.lru_cache(maxsize=1)
def _busy_ack() -> dict[str, Any]:
    return _ack_args(render(BUSY)[0])


class Responder:
    """Posts answers to response_url over one shared connection pool.

    bolt's `respond()` opens a new HTTP session (and, against Slack, a new TLS connection) for every answer;
    a busy workspace answers many commands a minute, so the connections are kept and reused here.
    """

    def __init__(self, allowed_hosts: str = "hooks.slack.com") -> None:
        self._session: aiohttp.ClientSession | None = None
        # A payload names where its answers go; only Slack's hosts are taken (RADAR_SLACK_RESPONSE_HOSTS), so that
        # a payload cannot point the bot at an address of its choosing. The web gate checks this too; Socket
        # Mode payloads come here without it.
        self.allowed_hosts = allowed_hosts

    async def send(self, response_url: str, messages: Sequence[SlackMessage]) -> None:
        """Post answers in order (a response_url takes five; `render` never makes more)."""
        if not allowed_url(response_url, self.allowed_hosts):
            log.warning("slack: no usable response_url to answer with (not on RADAR_SLACK_RESPONSE_HOSTS)")
            return
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        client = AsyncWebhookClient(response_url, session=self._session)
        for message in messages:
            try:
                answer = await client.send_dict({**_ack_args(message), "replace_original": False})
            except Exception as error:
                log.warning("slack: response_url post failed: %s", type(error).__name__)
                return
            if answer.status_code != 200:
                log.warning("slack: response_url answered %s: %s", answer.status_code, answer.body[:200])
                return

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


class Listeners:
    def __init__(self, app: App, directory: ActorDirectory,
                 revocation: AsyncTokenRevocationListeners | None = None) -> None:
        self.app = app
        self.directory = directory
        self.revocation = revocation
        self.responder = Responder(app.settings.slack_response_hosts)
        self._running: set[asyncio.Task[None]] = set()
        self._last_ack = 0.0
        self._slots = asyncio.Semaphore(ANSWER_SLOTS)
        # Typed commands acked and not yet answered, and how many of them may be: a surge past that is told
        # "busy" in the ack (costs nothing) instead of waiting minutes in a queue that holds its memory.
        self.backlog = app.settings.slack_answer_backlog
        self.waiting = 0
        self.turned_away = 0  # commands told "busy" since start (logged now and then, not each time)

    def after_ack(self, work: Coroutine[Any, Any, None], *, holds_room: bool = False, slotted: bool = True) -> None:
        """Run `work` once the ack is out; `holds_room`: it took a place in the backlog, freed when done;
        `slotted`: it waits for an answer slot. (bolt's lazy listeners would deep-copy the whole request for
        this, which costs more than everything else in an ack put together.)"""
        self._last_ack = time.monotonic()
        self.waiting += holds_room
        task = asyncio.create_task(self._when_quiet(work, slotted))
        self._running.add(task)
        task.add_done_callback(functools.partial(self._finished, holds_room=holds_room))

    async def _when_quiet(self, work: Coroutine[Any, Any, None], slotted: bool = True) -> None:
        """Start once no ack has gone out for QUIET_S, or after LONGEST_WAIT_S at most.

        Slack's three seconds are for the ack, the answer has minutes: in a burst of commands, the acks go
        out first instead of queueing behind the database work the earlier ones started. The bound keeps
        steady traffic from starving the answers."""
        give_up = time.monotonic() + LONGEST_WAIT_S
        while True:
            wait = min(self._last_ack + QUIET_S, give_up) - time.monotonic()
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        if not slotted:
            await work
            return
        async with self._slots:
            await work

    def _finished(self, task: asyncio.Task[None], *, holds_room: bool) -> None:
        self._running.discard(task)
        if holds_room:
            self.waiting -= 1
        if not task.cancelled() and task.exception() is not None:
            log.error("slack: answering failed", exc_info=task.exception())

    async def aclose(self, grace: float = 10.0) -> None:
        """Let answers in progress reach Slack (within `grace`), then close the connections."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=grace)
        await self.responder.aclose()

    async def answer(self, command: Command, client: AsyncWebClient, user_id: str, where: Destination) -> View:
        actor = await self.directory.actor(client, where.workspace_id, user_id, check_role=command.mutates)
        return await handle(command, actor, where, app=self.app)

    async def quick_answer(self, body: dict[str, Any], client: AsyncWebClient) -> View | Command:
        """Core's answer when it needs nothing but the text (a usage error, help), else the command to run
        later. Help still goes through the door: core answers it, this only knows it costs no I/O."""
        where = destination_of(body)
        if where is None:
            return NO_CHANNEL
        command = read_command(unescape_incoming(str(body.get("text") or "")))
        if isinstance(command, Command) and answers_at_once(command):
            return await self.answer(command, client, user_of(body), where)
        return command

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The ack waits on nothing; the answer to anything but help follows through response_url."""
        answer = await self.quick_answer(body, client)
        if isinstance(answer, View):
            await ack(**_ack_for(answer, user_of(body)))
        elif self.waiting >= self.backlog:
            await ack(**_busy_ack())
            self._turn_away()
        else:
            # Scheduled (and counted) before the ack is awaited, so the next command's check sees it; the
            # task itself starts only after this listener has returned the ack.
            self.after_ack(self.run_command(answer, body, client), holds_room=True, slotted=_slotted(answer))
            await ack()

    def _turn_away(self) -> None:
        # A surge turns away commands by the hundred: one log line per hundred, not one each.
        if self.turned_away % 100 == 0:
            log.warning("slack: busy (%d answers in progress or waiting); turned away %d command(s) so far",
                        self.waiting, self.turned_away + 1)
        self.turned_away += 1

    async def run_command(self, command: Command, body: dict[str, Any], client: AsyncWebClient) -> None:
        where, user_id = destination_of(body), user_of(body)
        assert where is not None  # quick_answer answered requests without a channel
        view = await self.answer(command, client, user_id, where)
        messages = None
        if isinstance(view, ExportView) and (upload := export_file(view, user_id)):
            messages = await self.upload(client, where, upload)
        if messages is None:
            messages = _render(view, user_id, answer_visibility(command, view))
        if isinstance(view, ResearcherCard):
            await post_pictures(client, where, view, messages)
        await self.responder.send(str(body.get("response_url") or ""), messages)

    async def upload(self, client: AsyncWebClient, where: Destination, upload: FileAnswer) -> list[SlackMessage] | None:
        """Post `upload` as one file in the channel (files upload), as Discord attaches it; the short answer
        for the person who asked, or None when Slack refused it (no files:write scope, not in a private
        channel): then the answer goes as messages after all, which are many but complete."""
        try:
            await client.files_upload_v2(channel=where.channel_id, filename=upload.filename, content=upload.content,
                                         title=upload.title, initial_comment=upload.comment)
        except SlackApiError as error:
            log.warning("slack: file upload refused (%s); answering with messages", error.response.get("error"))
            return None
        except Exception as error:  # a network failure: the answer must still reach the person
            log.warning("slack: file upload failed (%s); answering with messages", type(error).__name__)
            return None
        return upload.messages

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                        client: AsyncWebClient) -> None:
        await ack()
        # A click is someone answering a card we sent: it is always taken, and does not count against the
        # backlog that holds back surges of typed commands. The answer goes to response_url as an ephemeral
        # message, so a click on a digest in the channel is acknowledged to the clicker alone.
        self.after_ack(self.run_action(body, action, client), slotted=_slotted(clicked_command(action)))

    async def run_action(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        where, user_id = destination_of(body), user_of(body)
        view: View
        visibility = None
        if where is None:
            view = NO_CHANNEL
        else:
            command = clicked_command(action)
            if isinstance(command, Command):
                view = await self.answer(command, client, user_id, where)
                visibility = answer_visibility(command, view)
            else:
                view = command
        messages = _render(view, user_id, visibility)
        if isinstance(view, ResearcherCard) and where is not None:
            await post_pictures(client, where, view, messages)
        await self.responder.send(str(body.get("response_url") or ""), messages)

    async def on_link(self, ack: AsyncAck) -> None:
        await ack()  # the browser opens the link; Slack still tells us about the click

    async def on_app_uninstalled(self, body: dict[str, Any], context: AsyncBoltContext) -> None:
        team_id = context.team_id or body.get("team_id")
        if team_id:
            await workspace.access_lost(self.app, str(team_id), AccessCause.UNINSTALLED)
        if self.revocation is not None:
            await self.revocation.handle_app_uninstalled_events(context)

    async def on_tokens_revoked(self, event: dict[str, Any], body: dict[str, Any],
                                context: AsyncBoltContext) -> None:
        team_id = context.team_id or body.get("team_id")
        if team_id and (event.get("tokens") or {}).get("bot"):
            await workspace.access_lost(self.app, str(team_id), AccessCause.TOKENS_REVOKED)
        if self.revocation is not None:
            await self.revocation.handle_tokens_revoked_events(event, context)


def clicked_command(action: dict[str, Any]) -> Command | View:
    """What a click means: the command its button stands for, or core's usage answer for a value it cannot use."""
    action_id, value = str(action.get("action_id")), str(action.get("value") or "")
    rating = RATINGS.get(action_id)
    if rating is not None and value.strip():
        return RatePaper(value.strip(), rating, toggle=True)
    if rating is not None:
        return read_command("like")  # no paper: the same usage answer as `like` typed alone
    return read_command(TYPED.get(action_id, "").format(value=value))


def _slotted(command: Command | View) -> bool:
    """Lookups skip the answer slots: core bounds them with its own pool and deadline (and says "busy" at once
    when that is full), and they hold no database connection while a source keeps them waiting; in a slot,
    eight lookups hanging on arXiv would keep `list` and `status` waiting with them."""
    return not (isinstance(command, Command) and source_bound(command))


def register(bolt: AsyncApp, listeners: Listeners) -> None:
    # Any command name starting with /radar, so a second app for development can use /radar-dev.
    bolt.command(re.compile(r"^/radar"))(listeners.on_command)
    actions = "|".join(re.escape(a) for a in (*TYPED, *RATINGS))
    bolt.action(re.compile(rf"^(?:{actions})$"))(listeners.on_action)
    bolt.action(re.compile(rf"^{ACTION_LINK}"))(listeners.on_link)
    bolt.event("app_uninstalled")(listeners.on_app_uninstalled)
    bolt.event("tokens_revoked")(listeners.on_tokens_revoked)
