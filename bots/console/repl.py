"""`radar console`: an interactive prompt with history that acts as one channel."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from bots.console.adapter import ask
from bots.console.render import missing_renderers, render
from core import bootstrap
from core.config import Settings

HISTORY = Path("var") / "console_history"
BANNER = "Paper Radar console. Type `help` for commands, `quit` to leave. This terminal is one channel."


def run_console(settings: Settings) -> int:
    try:
        import readline
    except ImportError:  # not on every platform; the prompt still works without history
        readline = None  # type: ignore[assignment]
    if readline is not None:
        HISTORY.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            readline.read_history_file(HISTORY)
    missing = missing_renderers()
    if missing:  # at start-up, not after the first command that answers with such a view
        raise RuntimeError(f"the console has no renderer for {', '.join(missing)}")
    loop = asyncio.new_event_loop()
    from bots.console.sink import ConsoleSink

    # One App for the whole conversation, opened and closed on this loop (input() blocks between commands).
    session = bootstrap.running_app(settings, sinks={"console": ConsoleSink()})
    app = loop.run_until_complete(session.__aenter__())
    print(BANNER)
    try:
        while True:
            try:
                line = input("radar> ")
            except (EOFError, KeyboardInterrupt):
                print()
                break
            if line.strip().lower() in ("quit", "exit", ":q"):
                break
            if not line.strip():
                continue
            view = loop.run_until_complete(ask(app, line))
            print(render(view))
    finally:
        loop.run_until_complete(session.__aexit__(None, None, None))
        loop.close()
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(HISTORY)
    return 0
