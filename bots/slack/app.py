"""The Slack integration: a bolt AsyncApp with our listeners, its HTTP routes, Socket Mode, and the digest sink.

Two install modes, chosen from the settings:
- one workspace: SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET;
- any workspace through OAuth: SLACK_CLIENT_ID + SLACK_CLIENT_SECRET + SLACK_SIGNING_SECRET, with the
  installations (tokens sealed when RADAR_SECRET_KEY is set) and OAuth states in our database.
SLACK_APP_TOKEN adds Socket Mode for local development (no public URL); HTTP stays the production path.
Every Web API call, bolt's own included, goes to SLACK_API_URL, so tests and benchmarks use a loopback fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pydantic import SecretStr
from slack_bolt.adapter.starlette.async_handler import to_starlette_response
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize, AsyncInstallationStoreAuthorize
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bots.slack import gate
from bots.slack.actors import ActorDirectory
from bots.slack.listeners import Listeners, register
from bots.slack.oauth import InstallationStore, StateStore, TokenCipher
from bots.slack.render import missing_renderers
from bots.slack.sink import SlackSink, client_for
from bots.slack.workspace import access_regained
from core.bootstrap import App
from core.config import Settings

BOLT_LOGGER = "radar.slack.bolt"


class _ClientWinsNotice(logging.Filter):
    """bolt picks SLACK_BOT_TOKEN out of the environment by itself, then warns that the `client` we pass wins
    over it. It does, on purpose (our client carries SLACK_API_URL and the same token), so the line would only
    send an operator looking for a problem that is not there."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


class _NoBodies(logging.Filter):
    """bolt logs a request that fails its signature check with the whole body, at INFO. Our gate refuses those
    before bolt sees them, but a request can still pass ours and fail bolt's (the five minutes running out in
    between): its body is not logged either."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature detected"):
            record.msg, record.args = "Invalid request signature detected (body not logged)", None
        return True


def _bolt_logger() -> logging.Logger:
    # bolt's loggers copy the filters of this one when they are made (slack_bolt.logger.get_bolt_logger).
    logger = logging.getLogger(BOLT_LOGGER)
    for wanted in (_ClientWinsNotice, _NoBodies):
        if not any(isinstance(f, wanted) for f in logger.filters):
            logger.addFilter(wanted())
    return logger

log = logging.getLogger("radar.slack")

BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "users:read", "team:read", "channels:history",
              "groups:history", "files:write", "channels:join")
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
NOT_INSTALLED = (":warning: Paper Radar is not installed in this workspace (or was removed). "
                 "A workspace admin can install it again from the app's install page.")


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None and value.get_secret_value() else None


def api_url(settings: Settings) -> str:
    url = settings.slack_api_url.strip()
    return url if url.endswith("/") else url + "/"


def slack_mode(settings: Settings) -> str | None:
    """"oauth", "single", "socket" (Socket Mode only, no signing secret), or None when Slack is off."""
    oauth = bool(settings.slack_client_id and _secret(settings.slack_client_secret))
    signing = _secret(settings.slack_signing_secret)
    if oauth and signing:
        return "oauth"
    if _secret(settings.slack_bot_token):
        if signing:
            return "single"
        if _secret(settings.slack_app_token):
            return "socket"
    return None


@dataclass
class SlackIntegration:
    bolt: AsyncApp
    routes: list[BaseRoute]
    sink: SlackSink
    mode: str
    listeners: Listeners
    installation_store: InstallationStore | None = None
    app_token: str | None = None
    _socket: object | None = field(default=None, repr=False)

    async def run_socket_mode(self, stop: asyncio.Event | None = None) -> None:
        """Hold a Socket Mode connection until `stop` is set (or the task is cancelled)."""
        if not self.app_token:
            raise RuntimeError("Socket Mode needs SLACK_APP_TOKEN (an xapp- app-level token)")
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.bolt, self.app_token)
        self._socket = handler
        await handler.connect_async()
        log.info("slack: Socket Mode connected")
        try:
            await (stop.wait() if stop is not None else asyncio.Event().wait())
        finally:
            with contextlib.suppress(Exception):
                await handler.close_async()
            self._socket = None

    async def aclose(self) -> None:
        await self.listeners.aclose()
        await self.sink.aclose()


def _oauth_settings(app: App, client_id: str, client_secret: str, store: InstallationStore) -> AsyncOAuthSettings:
    async def installed(args: AsyncSuccessArgs) -> BoltResponse:
        # A workspace that reinstalls gets back the digests that stopped when it uninstalled.
        if args.installation.team_id:
            await access_regained(app, args.installation.team_id)
        log.info("slack: installed in workspace %s", args.installation.team_id)
        return await args.default.success(args)

    async def failed(args: AsyncFailureArgs) -> BoltResponse:
        # The reason can be the redirect's `error=` parameter, which anyone can write: %r keeps it one line.
        log.warning("slack: install failed: %r", args.reason[:200])
        return await args.default.failure(args)

    return AsyncOAuthSettings(
        client_id=client_id, client_secret=client_secret, scopes=list(BOT_SCOPES), user_scopes=[],
        install_path=INSTALL_PATH, redirect_uri_path=REDIRECT_PATH, installation_store=store,
        installation_store_bot_only=True, state_store=StateStore(app.db.engine),
        callback_options=AsyncCallbackOptions(success=installed, failure=failed), logger=log,
    )


class ConfiguredToken(AsyncAuthorize):
    """One workspace: every request is authorized with SLACK_BOT_TOKEN as it is.

    bolt's own single-workspace authorization calls `auth.test` before the first request it serves, so with
    Slack's API unreachable at that moment every command, even `help`, got HTTP 500. What it learns (the bot's
    user and bot ids) serves listeners we do not have; a revoked token shows up where it is used."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    async def __call__(self, *, context: AsyncBoltContext, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, actor_enterprise_id: str | None = None, actor_team_id: str | None = None,
                       actor_user_id: str | None = None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, bot_token=self.token)


def _refusal(request: Request, refused: gate.Refused) -> Response:
    client = request.client.host if request.client else "?"
    log.warning("slack: refused %s %s from %s: %s (%d)", request.method, request.url.path, client, refused.reason,
                refused.status)
    return JSONResponse({"error": refused.reason}, status_code=refused.status)


def http_endpoint(bolt: AsyncApp, signing_secret: str, response_hosts: str) -> Callable[[Request], Awaitable[Response]]:
    """Slack's routes: the gate (bots/slack/gate.py) first, then bolt. The OAuth pages read only the query."""

    async def endpoint(request: Request) -> Response:
        body = await request.body()  # bounded in size and time by the web role (bots/web.py)
        try:
            text = ""
            if request.method == "POST":
                gate.verify(signing_secret, request.headers, body)
                text = gate.utf8(body)
            try:
                bolt_request = AsyncBoltRequest(body=text, query=request.query_params,  # type: ignore[arg-type]
                                                headers=request.headers)  # type: ignore[arg-type]
            except Exception:  # bolt's parser on a signed body it cannot read: any error of it means that
                raise gate.Refused(400, "the body is not a Slack payload") from None
            gate.check_payload(bolt_request.body, response_hosts)
        except gate.Refused as refused:
            return _refusal(request, refused)
        flow = bolt.oauth_flow
        if request.method == "POST":
            return to_starlette_response(await bolt.async_dispatch(bolt_request))
        if flow is not None and request.url.path == flow.install_path:
            return to_starlette_response(await flow.handle_installation(bolt_request))
        if flow is not None and request.url.path == flow.redirect_uri_path:
            return to_starlette_response(await flow.handle_callback(bolt_request))
        return Response("Not found", status_code=404)

    return endpoint


def check_renderers() -> None:
    """Fail at start-up, not in a channel, when core can answer with a view this adapter cannot show."""
    missing = missing_renderers()
    if missing:
        log.error("slack: no renderer for %s", ", ".join(missing))
        raise RuntimeError(f"the Slack adapter has no renderer for {', '.join(missing)}")


def build_slack(app: App) -> SlackIntegration | None:
    """The Slack integration for this App, or None when the settings do not turn Slack on."""
    settings = app.settings
    mode = slack_mode(settings)
    if mode is None:
        return None
    check_renderers()
    base_url = api_url(settings)
    signing = _secret(settings.slack_signing_secret) or ""
    directory = ActorDirectory(settings.slack_manager_ids)
    store: InstallationStore | None = None
    if mode == "oauth":
        assert settings.slack_client_id is not None
        client_secret = _secret(settings.slack_client_secret) or ""
        secret_key = _secret(settings.secret_key)
        if secret_key is None:
            log.warning("slack: RADAR_SECRET_KEY is not set; workspace tokens are stored unencrypted")
        store = InstallationStore(settings.slack_client_id, app.db.engine,
                                  TokenCipher(secret_key) if secret_key else None)
        client = client_for(None, base_url)
        # auth.test once per token, not once per request: the installation lookup still runs every time.
        authorize = AsyncInstallationStoreAuthorize(
            logger=log, installation_store=store, client_id=settings.slack_client_id,
            client_secret=client_secret, bot_only=True, cache_enabled=True, client=client)
        bolt = AsyncApp(name="paper-radar", logger=_bolt_logger(), signing_secret=signing,
                        process_before_response=True, client=client, installation_store=store,
                        authorize=authorize,  # type: ignore[arg-type]  # bolt takes an AsyncAuthorize as is
                        installation_store_bot_only=True, user_facing_authorize_error_message=NOT_INSTALLED,
                        oauth_settings=_oauth_settings(app, settings.slack_client_id, client_secret, store))
        sink = SlackSink(store.bot_token, base_url=base_url)
        revocation = AsyncTokenRevocationListeners(store)
    else:
        token = _secret(settings.slack_bot_token)
        assert token is not None  # slack_mode said "single" or "socket"
        # The client carries no token: ConfiguredToken gives each request's client its own (a client with one
        # as well would make bolt warn that authorize wins over it).
        bolt = AsyncApp(name="paper-radar", logger=_bolt_logger(), signing_secret=signing,
                        process_before_response=True, client=client_for(None, base_url),
                        authorize=ConfiguredToken(token),  # type: ignore[arg-type]  # an AsyncAuthorize, taken as is
                        request_verification_enabled=mode == "single")

        async def single_token(team_id: str) -> str | None:
            return token

        sink = SlackSink(single_token, base_url=base_url)
        revocation = None
    # process_before_response: Slack gets its answer as soon as the listener returns, instead of bolt polling
    # every 10 ms for the ack; our listeners ack first and hand the rest to a task (Listeners.after_ack).
    listeners = Listeners(app, directory, revocation)
    register(bolt, listeners)
    routes: list[BaseRoute] = []
    if mode != "socket":  # without a signing secret nothing may listen on HTTP
        endpoint = http_endpoint(bolt, signing, settings.slack_response_hosts)
        routes.append(Route(EVENTS_PATH, endpoint, methods=["POST"]))
        if mode == "oauth":
            routes += [Route(INSTALL_PATH, endpoint, methods=["GET"]), Route(REDIRECT_PATH, endpoint, methods=["GET"])]
    log.info("slack: %s mode%s", mode, ", Socket Mode available" if settings.slack_app_token else "")
    return SlackIntegration(bolt=bolt, routes=routes, sink=sink, mode=mode, listeners=listeners,
                            installation_store=store, app_token=_secret(settings.slack_app_token))
