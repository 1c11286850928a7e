"""`radar ask` as a separate process, against loopback fakes of the sources serving recorded answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from core.config import PROJECT_ROOT
from tests.fakes import SourceRouter, read_json
from tests.loopback import serve_sources


def _ask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bots.cli", "ask", *args], capture_output=True, text=True,
                          timeout=90, cwd=PROJECT_ROOT, env={**os.environ, **env})


def _router(recordings: Path, synthetic: Path) -> SourceRouter:
    router = SourceRouter()
    router.add("arxiv_api", "/api/query", httpx.Response(
        200, content=(recordings / "arxiv_api" / "id_1605.08386_s0_m100_199195aa31ad.xml").read_bytes(),
        headers={"content-type": "application/atom+xml"}))
    router.add("semantic_scholar", "/", httpx.Response(404, json={"error": "Paper not found"}))
    router.add("huggingface", "/api/papers/", read_json(synthetic / "synthetic_hf_paper_page.json"))
    router.add("huggingface", "/api/daily_papers",
               read_json(recordings / "hf_daily_papers" / "daily_papers_date_2026-08-21.json"))
    router.add("openalex", "/authors/A5023888391", read_json(recordings / "openalex" / "single_author_mmgeorge.json"))
    router.add("openalex", "/works", {"meta": {"count": 0, "next_cursor": None}, "results": []})
    return router


def test_every_kind_of_command_through_radar_ask(database_url: str, recordings: Path, synthetic: Path) -> None:
    with serve_sources(_router(recordings, synthetic)) as env:
        env["OPENALEX_API_KEY"] = "test-key-not-secret"
        paper = _ask(env, "paper https://arxiv.org/abs/1605.08386")
        assert paper.returncode == 0, paper.stderr
        assert "Heat-bath random walks with Markov bases" in paper.stdout
        assert "Code: https://github.com/example/markov-bases" in paper.stdout

        trending = _ask(env, "trending 2026-08-21")
        assert trending.returncode == 0 and "▲163" in trending.stdout

        researcher = _ask(env, "researcher A5023888391")
        assert researcher.returncode == 0, researcher.stderr
        assert "Works per year" in researcher.stdout and "ORCID" in researcher.stdout

        follow = _ask(env, "follow https://openalex.org/A5023888391")
        assert follow.returncode == 0, follow.stderr
        subscribe = _ask(env, '/radar subscribe topic "random walks" -quantum cat:math.CO')
        assert subscribe.returncode == 0 and "#2" in subscribe.stdout
        listed = _ask(env, "list")
        assert "researcher" in listed.stdout and '"random walks" -quantum cat:math.CO' in listed.stdout
        exported = _ask(env, "export", "--json")
        assert '"view": "ExportView"' in exported.stdout
        status = _ask(env, "status")
        assert status.returncode == 0 and "Subscriptions: 2" in status.stdout

        bad = _ask(env, "subscribe topic")
        assert bad.returncode == 2 and "needs a topic query" in bad.stderr
        missing = _ask(env, "paper 2401.99999x")
        assert missing.returncode != 0 and "Traceback" not in missing.stdout + missing.stderr


def test_ratings_feedback_and_similar_through_radar_ask(database_url: str, recordings: Path) -> None:
    from tests.digest.conftest import learning_router

    with serve_sources(learning_router(recordings)) as env:
        assert _ask(env, "subscribe category cs.LG").returncode == 0
        assert _ask(env, "settings max 5").returncode == 0
        ingested = subprocess.run([sys.executable, "-m", "bots.cli", "ingest", "--date", "2024-11-28",
                                   "--no-researchers"], capture_output=True, text=True, timeout=90, cwd=PROJECT_ROOT,
                                  env={**os.environ, **env})
        assert ingested.returncode == 0, ingested.stderr
        before = _ask(env, "digest preview")
        assert before.returncode == 0 and "Rate a paper with `like <id>`" in before.stdout
        ids = [line.split()[0] for line in before.stdout.splitlines() if line.startswith("     24")]
        assert len(ids) == 5, before.stdout  # each paper's id, as `like` takes it, leads its link line

        liked = _ask(env, f"like {ids[3]}")
        assert liked.returncode == 0 and "👍 You like “" in liked.stdout
        after = _ask(env, "digest preview")
        now = [line.split()[0] for line in after.stdout.splitlines() if line.startswith("     24")]
        assert now[0] == ids[3], after.stdout  # the liked paper leads; papers like it may come in with it

        feedback = _ask(env, "feedback")
        assert feedback.returncode == 0 and feedback.stdout.startswith("1 rating by 1 person: 1 paper liked")
        assert "Terms that weigh for a paper:" in feedback.stdout
        as_json = _ask(env, "feedback", "--json")
        assert '"view": "FeedbackView"' in as_json.stdout and '"liked": 1' in as_json.stdout

        similar = _ask(env, f"similar {ids[3]}")
        assert similar.returncode == 0, similar.stderr
        assert "Closest papers that arrived this week:" in similar.stdout and "similarity 0." in similar.stdout
        assert "Recommended by Semantic Scholar:" in similar.stdout

        subscribed = _ask(env, f"subscribe similar {ids[3]} {ids[1]}")
        assert subscribed.returncode == 0 and "as #2" in subscribed.stdout, subscribed.stdout
        listed = _ask(env, "list")
        assert "similar" in listed.stdout

        reset = _ask(env, "feedback reset")
        assert reset.returncode == 0
        assert reset.stdout.strip() == "Forgot this channel's 1 rating: the digest is back to its subscriptions' own order."
        assert _ask(env, "feedback").stdout.startswith("No ratings in this channel yet.")
        bad = _ask(env, "dislike")
        assert bad.returncode == 2 and "`dislike` needs a paper" in bad.stderr


def test_researcher_card_pictures_are_written_and_their_paths_printed(
        database_url: str, recordings: Path, synthetic: Path, tmp_path: Path) -> None:
    # The process runs on today's clock, so the recorded 2018 work is no recent collaboration: only the chart.
    with serve_sources(_router(recordings, synthetic)) as env:
        env |= {"OPENALEX_API_KEY": "test-key-not-secret", "RADAR_IMAGE_DIR": str(tmp_path / "pictures")}
        researcher = _ask(env, "researcher A5023888391")
        assert researcher.returncode == 0, researcher.stderr
        lines = [line for line in researcher.stdout.splitlines() if line.startswith("  Picture: ")]
        assert [line.split()[1] for line in lines] == [
            str(tmp_path / "pictures" / "researcher-A5023888391-per-year.png")]
        assert "(Jason Priem: works and citations per year)" in lines[0]
        for line in lines:
            assert Path(line.split()[1]).read_bytes().startswith(b"\x89PNG")
        assert "How sure: linked to ORCID 0000-0001-6187-6610" in researcher.stdout
        # `iam` in the console: the card then says who this is on this workspace.
        claimed = _ask(env, "iam A5023888391")
        assert claimed.returncode == 0 and "On this workspace you are Jason Priem" in claimed.stdout
        again = _ask(env, "researcher A5023888391")
        assert "On this workspace: @" in again.stdout
