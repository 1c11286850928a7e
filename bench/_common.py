"""Helpers shared by the benchmarks: where the recordings are, and a machine description for the README."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def recordings() -> Path:
    path = Path(os.environ.get("RADAR_RECORDINGS") or ROOT.parent / "shared" / "fixtures")
    if not (path / "PROVENANCE.md").is_file():
        raise SystemExit(f"recorded API responses not found at {path}: set RADAR_RECORDINGS")
    return path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
