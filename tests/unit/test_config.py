"""Settings read the plain database URLs hosts hand out and pick the async driver themselves."""

from __future__ import annotations

import pytest

from core.config import Settings


@pytest.mark.parametrize(
    ("given", "async_url", "sync_url"),
    [
        ("sqlite:///var/radar.db", "sqlite+aiosqlite:///var/radar.db", "sqlite:///var/radar.db"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("postgres://u:p@db:5432/radar", "postgresql+psycopg://u:p@db:5432/radar", "postgresql+psycopg://u:p@db:5432/radar"),
        ("postgresql://u@db/radar", "postgresql+psycopg://u@db/radar", "postgresql+psycopg://u@db/radar"),
        ("postgresql+asyncpg://u@db/radar", "postgresql+psycopg://u@db/radar", "postgresql+psycopg://u@db/radar"),
    ],
)
def test_database_urls(monkeypatch: pytest.MonkeyPatch, given: str, async_url: str, sync_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", given)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.async_database_url == async_url
    assert settings.sync_database_url == sync_url


def test_defaults_run_on_one_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.is_sqlite and "var/radar.db" in settings.database_url
    assert settings.port == 8000


def test_every_external_url_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {
        "RADAR_ARXIV_API_URL": "arxiv_api_url", "RADAR_ARXIV_RSS_URL": "arxiv_rss_url",
        "RADAR_OPENALEX_URL": "openalex_url", "RADAR_SEMANTIC_SCHOLAR_URL": "semantic_scholar_url",
        "RADAR_HUGGINGFACE_URL": "huggingface_url", "SLACK_API_URL": "slack_api_url",
        "RADAR_SEMANTIC_SCHOLAR_RECOMMENDATIONS_URL": "semantic_scholar_recommendations_url",
        "DISCORD_API_URL": "discord_api_url", "DISCORD_GATEWAY_URL": "discord_gateway_url",
    }
    for i, env in enumerate(names):
        monkeypatch.setenv(env, f"http://127.0.0.1:{9000 + i}/")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    for i, attr in enumerate(names.values()):
        assert getattr(settings, attr) == f"http://127.0.0.1:{9000 + i}/"


def test_env_example_lists_every_setting() -> None:
    from core.config import PROJECT_ROOT

    example = (PROJECT_ROOT / ".env.example").read_text()
    listed = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")}
    aliases = {field.alias for field in Settings.model_fields.values()}
    assert aliases <= listed, f"missing from .env.example: {sorted(aliases - listed)}"
    for line in example.splitlines():
        if "=" in line and not line.startswith("#"):
            assert example.splitlines()[example.splitlines().index(line) - 1].startswith("#"), line


def test_secrets_stay_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token-value")
    monkeypatch.setenv("OPENALEX_API_KEY", "openalex-secret-key-1234")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    dumped = repr(settings) + str(settings.model_dump())
    assert "xoxb-very-secret-token-value" not in dumped
    assert "openalex-secret-key-1234" not in dumped


def test_empty_values_in_env_file_mean_unset(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = tmp_path / ".env"
    env.write_text("DISCORD_SHARDS=\nSLACK_BOT_TOKEN=\nPORT=9001\n")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.discord_shards is None and settings.slack_bot_token is None and settings.port == 9001


def test_the_retired_default_categories_setting_is_named_at_start(monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    from core.bootstrap import check_settings

    monkeypatch.setenv("RADAR_DEFAULT_CATEGORIES", "cs.*,stat.ML")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.ingest_categories == "all"  # not taken for a restriction: topics search all of arXiv
    with caplog.at_level("WARNING", logger="core.bootstrap"):
        check_settings(settings)
    (warning,) = [r.getMessage() for r in caplog.records if "RADAR_DEFAULT_CATEGORIES" in r.getMessage()]
    assert "no longer read" in warning and "RADAR_INGEST_CATEGORIES" in warning
