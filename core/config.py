"""Settings, read from the environment and `.env`.

Every external base URL is a setting so that a deployment can put a proxy in front of a service and a test
can point it at a loopback fake. Secrets are `SecretStr`: they never show up in a repr or a log line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The checkout's root: core/ sits directly under it.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = Path("var") / "radar.db"


def _async_database_url(url: str) -> str:
    """Map the plain URLs hosts hand out onto the async driver we ship."""
    url = url.strip()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    if url.startswith(("postgresql+psycopg2://", "postgresql+asyncpg://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def _sync_database_url(url: str) -> str:
    """The same database through a blocking driver (Alembic, APScheduler's job store)."""
    url = _async_database_url(url)
    if url.startswith("sqlite+aiosqlite://"):
        return "sqlite://" + url[len("sqlite+aiosqlite://") :]
    return url  # psycopg 3 serves both the sync and the async dialect.


class ConfigError(ValueError):
    """A setting whose value has the right type but cannot be used; the message names the setting. Raised when
    the app is built, so a deployment learns at start, in one line, instead of at the first digest."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = Field(default=f"sqlite:///{DEFAULT_SQLITE_PATH}", alias="DATABASE_URL")
    port: int = Field(default=8000, alias="PORT")
    host: str = Field(default="127.0.0.1", alias="RADAR_HOST")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    contact_email: str = Field(default="", alias="RADAR_CONTACT_EMAIL")
    recordings: Path = Field(default=PROJECT_ROOT.parent / "shared" / "fixtures", alias="RADAR_RECORDINGS")
    secret_key: SecretStr | None = Field(default=None, alias="RADAR_SECRET_KEY")

    # Data sources
    openalex_api_key: SecretStr | None = Field(default=None, alias="OPENALEX_API_KEY")
    semantic_scholar_api_key: SecretStr | None = Field(default=None, alias="SEMANTIC_SCHOLAR_API_KEY")
    arxiv_api_url: str = Field(default="https://export.arxiv.org/api", alias="RADAR_ARXIV_API_URL")
    arxiv_rss_url: str = Field(default="https://rss.arxiv.org", alias="RADAR_ARXIV_RSS_URL")
    openalex_url: str = Field(default="https://api.openalex.org", alias="RADAR_OPENALEX_URL")
    semantic_scholar_url: str = Field(
        default="https://api.semanticscholar.org/graph/v1", alias="RADAR_SEMANTIC_SCHOLAR_URL"
    )
    # Semantic Scholar's recommendations live beside its graph API, under their own path (`similar <paper>`).
    semantic_scholar_recommendations_url: str = Field(
        default="https://api.semanticscholar.org/recommendations/v1",
        alias="RADAR_SEMANTIC_SCHOLAR_RECOMMENDATIONS_URL",
    )
    huggingface_url: str = Field(default="https://huggingface.co", alias="RADAR_HUGGINGFACE_URL")
    http_timeout_s: float = Field(default=20.0, alias="RADAR_HTTP_TIMEOUT")
    arxiv_interval_s: float = Field(default=3.0, alias="RADAR_ARXIV_INTERVAL")
    # Time bounds beyond the per-read timeout above (a server trickling a byte every few seconds never trips
    # that one): one attempt of one request, from its turn to the last byte; everything one lookup asks of
    # the sources (retries and pacing included); and fetching one announcement feed (a large body) in ingest.
    source_deadline_s: float = Field(default=30.0, gt=0, alias="RADAR_SOURCE_DEADLINE_S")
    lookup_deadline_s: float = Field(default=60.0, gt=0, alias="RADAR_LOOKUP_DEADLINE_S")
    feed_deadline_s: float = Field(default=600.0, gt=0, alias="RADAR_FEED_DEADLINE_S")
    # Ingest's optional extras for the day's papers (Hugging Face summaries and code, Semantic Scholar TL;DRs),
    # all of them together; past it the papers simply go without. 0 turns them off.
    enrich_deadline_s: float = Field(default=60.0, ge=0, alias="RADAR_ENRICH_DEADLINE_S")
    # Semantic Scholar's citing sentences under a digest's "New citations", all of one digest's together; past it
    # (or on a 429 or 5xx) the citations go out without them. 0 turns them off.
    citation_context_deadline_s: float = Field(default=15.0, ge=0, alias="RADAR_CITATION_CONTEXT_DEADLINE_S")
    # Lookups (commands that ask a source) one process works on at once; past this, and when this many are
    # already waiting for arXiv's one-request-at-a-time pacer, a lookup is told "busy, try again" at once.
    # Commands that need no source never wait for these.
    source_slots: int = Field(default=10, ge=1, alias="RADAR_SOURCE_SLOTS")
    arxiv_queue_limit: int = Field(default=10, ge=1, alias="RADAR_ARXIV_QUEUE_LIMIT")

    # Slack
    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_managers: str = Field(default="", alias="SLACK_MANAGERS")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # Commands waiting for or being answered at once; past this a command is told "busy, try again" in its ack
    # instead of joining a queue that would answer it minutes later (and grow without bound under a surge).
    slack_answer_backlog: int = Field(default=200, ge=1, alias="RADAR_SLACK_ANSWER_BACKLOG")
    # Where answers to a command may be posted: Slack names a response_url in each payload, and only these hosts
    # (comma-separated; "host" means https on it, "http://127.0.0.1" spells out scheme and host, a port pins it)
    # are taken, so a payload cannot turn the bot into a client of any address it names.
    slack_response_hosts: str = Field(default="hooks.slack.com", alias="RADAR_SLACK_RESPONSE_HOSTS")

    # The web role's limits on what a client may send. Slack's payloads are small: a command is a few KiB, and the
    # largest is a click on one of our messages, which carries that message (at most ~10k characters of blocks,
    # form-encoded: ~100 KiB if all of it were non-ASCII). Anything past RADAR_WEB_MAX_BODY is refused
    # before it is read. A client gets RADAR_WEB_HEADER_TIMEOUT seconds to send its request line and headers and
    # RADAR_WEB_BODY_TIMEOUT seconds for the body, so a half-open or trickling connection cannot hold a socket
    # and a task forever.
    web_max_body: int = Field(default=256 * 1024, ge=1024, alias="RADAR_WEB_MAX_BODY")
    web_header_timeout_s: float = Field(default=10.0, gt=0, alias="RADAR_WEB_HEADER_TIMEOUT")
    web_body_timeout_s: float = Field(default=10.0, gt=0, alias="RADAR_WEB_BODY_TIMEOUT")

    # Discord
    discord_bot_token: SecretStr | None = Field(default=None, alias="DISCORD_BOT_TOKEN")
    discord_application_id: str | None = Field(default=None, alias="DISCORD_APPLICATION_ID")
    discord_shards: int | None = Field(default=None, alias="DISCORD_SHARDS")
    discord_api_url: str = Field(default="https://discord.com/api/v10", alias="DISCORD_API_URL")
    discord_gateway_url: str = Field(default="wss://gateway.discord.gg/", alias="DISCORD_GATEWAY_URL")

    # Channel limits and caches
    max_subscriptions_per_channel: int = Field(default=50, alias="RADAR_MAX_SUBSCRIPTIONS")
    max_query_length: int = Field(default=500, alias="RADAR_MAX_QUERY_LENGTH")
    lookup_ttl_hours: float = Field(default=24.0, alias="RADAR_LOOKUP_TTL_HOURS")
    # What the daily ingest reads of arXiv: "all" (every archive, one feed request), or a comma list of categories
    # and archives ("cs.*,stat.ML") that every channel's topics are then searched over. Checked against arXiv's
    # taxonomy when the app is built (core.subscriptions.scope).
    ingest_categories: str = Field(default="all", alias="RADAR_INGEST_CATEGORIES")
    # Digests one clock process runs at once. APScheduler starts every due job together; thousands of channels
    # set to the same minute would otherwise all plan at once and time out waiting for a database connection.
    digest_concurrency: int = Field(default=200, ge=1, alias="RADAR_DIGEST_CONCURRENCY")
    # Where the console (`radar ask`, `radar console`) writes a researcher card's pictures.
    image_dir: Path = Field(default=Path("var") / "images", alias="RADAR_IMAGE_DIR")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("DATABASE_URL is empty")
        return value

    @property
    def async_database_url(self) -> str:
        return _async_database_url(self.database_url)

    @property
    def sync_database_url(self) -> str:
        return _sync_database_url(self.database_url)

    @property
    def is_sqlite(self) -> bool:
        return self.async_database_url.startswith("sqlite")

    @property
    def user_agent(self) -> str:
        from core import __version__

        contact = f"; mailto:{self.contact_email}" if self.contact_email else ""
        return f"PaperRadar/{__version__} (research digest bot for Slack and Discord{contact})"

    @property
    def slack_manager_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.slack_managers.split(",") if part.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
