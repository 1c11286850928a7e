"""`make bench`: run every benchmark in bench/ and print one table of their BENCH lines."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in {"run_all.py", "__init__.py"} and not p.name.startswith("_"))
    rows: list[tuple[str, str]] = []
    failed = 0
    for script in scripts:
        print(f"== {script.name}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, capture_output=True, text=True)
        print(result.stdout, end="")
        if result.returncode != 0:
            failed += 1
            print(result.stderr[-3000:], file=sys.stderr)
        lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
        summary = lines[-1] if lines else f"BENCH {script.stem} failed exit={result.returncode}"
        rows.append((script.name, f"{summary}  ({time.monotonic() - started:.0f}s)"))
    print("\n| benchmark | result |\n|---|---|")
    for name, line in rows:
        print(f"| {name} | `{line}` |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
