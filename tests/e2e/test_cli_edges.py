"""The `radar` command's rough edges (issue 21), as a person at a terminal meets them: a port in use, a pipe
closed early, Ctrl-C and Ctrl-D at the console prompt and where its history lives, log lines kept out of the
answers, and what `radar ingest` says. Each runs the real command as a process, against loopback fakes."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.config import PROJECT_ROOT
from tests.fakes import SourceRouter, read_json
from tests.loopback import serve_sources

RADAR = [sys.executable, "-m", "bots.cli"]


def _radar(*args: str, env: dict[str, str] | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RADAR, *args], capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT,
                          env={**os.environ, **(env or {})})


def test_serve_on_a_port_in_use_says_so_in_one_line(database_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _radar("serve", "--role", "web", "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    problem = [line for line in result.stderr.splitlines() if str(port) in line]
    assert len(problem) == 1 and "already in use" in problem[0] and "--port" in problem[0], result.stderr
    assert "listening" not in result.stdout + result.stderr


def test_ask_into_a_pipe_closed_early_ends_quietly(database_url: str) -> None:
    # `radar ask help | head -1`: head leaves after one line, and the rest of the answer has nowhere to go.
    process = subprocess.Popen([*RADAR, "ask", "help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=PROJECT_ROOT, env=os.environ.copy())
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors


class _Terminal:
    """What the console wrote to its terminal, read in order: output arrives in pieces of any size, so a
    prompt can be split across two reads, and what follows one answer may already sit in the same read."""

    def __init__(self, fd: int) -> None:
        self.fd, self.seen, self.at = fd, "", 0

    def until(self, wanted: str, within: float = 60) -> str:
        """Wait for `wanted` after everything already consumed; consume up to its end and return that part."""
        deadline = time.monotonic() + within
        while wanted not in self.seen[self.at:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {wanted!r}; the console said:\n{self.seen[self.at:]}")
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096).decode(errors="replace")
                except OSError:
                    break
        end = self.seen.index(wanted, self.at) + len(wanted)
        part, self.at = self.seen[self.at:end], end
        return part


def test_console_ctrl_c_clears_the_line_ctrl_d_leaves_history_in_the_state_dir(database_url: str,
                                                                                tmp_path: Path) -> None:
    state, workdir = tmp_path / "state", tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "XDG_STATE_HOME": str(state), "PYTHONPATH": str(PROJECT_ROOT)}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console on a terminal, started from some other folder
        os.chdir(workdir)
        os.execve(sys.executable, [*RADAR, "console"], env)
    terminal = _Terminal(fd)
    try:
        terminal.until("radar> ")
        os.write(fd, b"researcher half typed")
        time.sleep(0.3)
        os.write(fd, b"\x03")  # Ctrl-C: the line is dropped and the prompt comes back
        terminal.until("radar> ")
        os.write(fd, b"status\r")
        answer = terminal.until("Subscriptions: 0")
        assert "researcher" not in answer.split("status", 1)[-1]  # the dropped line was never run
        terminal.until("radar> ")
        os.write(fd, b"\x04")  # Ctrl-D leaves
        _, code = os.waitpid(pid, 0)
        pid = 0
        assert os.waitstatus_to_exitcode(code) == 0
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    history = state / "paper-radar" / "console_history"
    assert history.exists() and "status" in history.read_text()
    assert not (workdir / "var").exists()


def _paper_router(recordings: Path, synthetic: Path) -> SourceRouter:
    router = SourceRouter()
    router.add("arxiv_api", "/api/query", httpx.Response(
        200, content=(recordings / "arxiv_api" / "id_1605.08386_s0_m100_199195aa31ad.xml").read_bytes(),
        headers={"content-type": "application/atom+xml"}))
    router.add("semantic_scholar", "/", httpx.Response(503))  # logged at INFO: the card comes without extras
    router.add("huggingface", "/api/papers/", read_json(synthetic / "synthetic_hf_paper_page.json"))
    return router


def test_log_lines_only_with_verbose(database_url: str, recordings: Path, synthetic: Path) -> None:
    with serve_sources(_paper_router(recordings, synthetic)) as env:
        quiet = _radar("ask", "paper 1605.08386", env=env)
        assert quiet.returncode == 0 and "Heat-bath random walks" in quiet.stdout
        assert quiet.stderr == ""
        verbose = _radar("ask", "paper 1605.08386v1", "--verbose", env=env)
        assert verbose.returncode == 0 and "Heat-bath random walks" in verbose.stdout
        assert "no Semantic Scholar extras" in verbose.stderr and "no Semantic Scholar extras" not in verbose.stdout


def _feed_router(recordings: Path) -> SourceRouter:
    feed = (recordings / "arxiv_rss" / "rss_all_archives_2024-11-28.xml").read_bytes()
    return SourceRouter().add("arxiv_rss", "/", httpx.Response(200, content=feed,
                                                               headers={"content-type": "application/rss+xml"}))


def test_ingest_counts_new_papers_once_and_prints_its_summary_once(database_url: str, recordings: Path) -> None:
    with serve_sources(_feed_router(recordings)) as env:
        assert _radar("ask", "subscribe category cs.LG", env=env).returncode == 0
        first = _radar("ingest", "--date", "2024-11-28", "--no-researchers", env=env)
        assert first.returncode == 0, first.stderr
        stored = [line for line in first.stdout.splitlines() if line.startswith("stored ")]
        assert len(stored) == 1 and " 0 not stored before" not in stored[0]
        assert "feeds: all 20 arXiv archives, in one request" in first.stdout.splitlines()
        assert "ingest:" not in first.stderr  # the summary is not repeated as a log line
        second = _radar("ingest", "--date", "2024-11-28", "--no-researchers", env=env)
        (again,) = [line for line in second.stdout.splitlines() if line.startswith("stored ")]
        assert ": 0 not stored before" in again, second.stdout


def test_a_misspelt_ingest_scope_is_one_line_at_start(database_url: str) -> None:
    result = _radar("ask", "help", env={"RADAR_INGEST_CATEGORIES": "cs.*,stat.ML,cs.XX"})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("radar: RADAR_INGEST_CATEGORIES: 'cs.XX' is not an arXiv category.")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_ingest_says_the_feed_is_older_and_a_wrong_date_leaves_no_warning(database_url: str,
                                                                         recordings: Path) -> None:
    with serve_sources(_feed_router(recordings)) as env:
        assert _radar("ask", "subscribe category cs.LG", env=env).returncode == 0
        older = _radar("ingest", "--date", "2024-11-29", "--no-researchers", env=env)
        assert older.returncode == 1
        assert "the feed is dated 2024-11-28, older than the announcement day expected (2024-11-29)" in older.stdout
        assert "nothing from it was stored" in older.stdout
        status = _radar("ask", "status", env=env)
        assert "No problems." in status.stdout and "Papers ingested today: 0" in status.stdout, status.stdout
        future = _radar("ingest", "--date", "2999-01-01", "--no-researchers", env=env)
        assert future.returncode == 2 and "has not been announced yet" in future.stderr
        assert "Traceback" not in future.stderr
        assert "No problems." in _radar("ask", "status", env=env).stdout
