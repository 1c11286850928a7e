"""`radar console`: an interactive prompt with history that acts as one channel."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from bots.console.adapter import ask
from bots.console.pictures import picture_lines
from bots.console.render import missing_renderers, render
from core import bootstrap
from core.config import Settings

BANNER = ("Paper Radar console. Type `help` for commands; Ctrl-C clears the line, Ctrl-D or `quit` leaves. "
          "This terminal is one channel.")
HISTORY_LENGTH = 1000


def history_file() -> Path:
    """Where the prompt's history lives: the user's state directory (XDG), not the folder radar started in."""
    state = os.environ.get("XDG_STATE_HOME", "").strip()
    base = Path(state) if state and Path(state).is_absolute() else Path.home() / ".local" / "state"
    return base / "paper-radar" / "console_history"


def run_console(settings: Settings, *, verbose: bool = False) -> int:
    try:
        import readline
    except ImportError:  # not on every platform; the prompt still works without history
        readline = None  # type: ignore[assignment]
    history = history_file()
    if readline is not None:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.read_history_file(history)
        readline.set_history_length(HISTORY_LENGTH)
    missing = missing_renderers()
    if missing:  # at start-up, not after the first command that answers with such a view
        raise RuntimeError(f"the console has no renderer for {', '.join(missing)}")
    loop = asyncio.new_event_loop()
    from bots.console.sink import ConsoleSink

    # One App for the whole conversation, opened and closed on this loop (input() blocks between commands).
    session = bootstrap.running_app(settings, sinks={"console": ConsoleSink()})
    app = loop.run_until_complete(session.__aenter__())
    print(BANNER + ("" if verbose else " Log lines are shown with --verbose."))
    try:
        while True:
            try:
                line = input("radar> ")
            except KeyboardInterrupt:  # as in a shell: drop what was typed, ask again
                print()
                continue
            except EOFError:  # Ctrl-D
                print()
                break
            if line.strip().lower() in ("quit", "exit", ":q"):
                break
            if not line.strip():
                continue
            view = loop.run_until_complete(ask(app, line))
            pictures = picture_lines(view, settings.image_dir)
            print(render(view) + (f"\n{pictures}" if pictures else ""), flush=True)
    finally:
        loop.run_until_complete(session.__aexit__(None, None, None))
        loop.close()
        if readline is not None:
            with contextlib.suppress(OSError):
                history.parent.mkdir(parents=True, exist_ok=True)
                readline.write_history_file(history)
    return 0
