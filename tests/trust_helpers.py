"""Running the installed fravaer as separate processes, for the trust tests."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

EXECUTABLE = shutil.which("fravaer", path=str(Path(sys.executable).parent))
# In CI nothing that depends on the machine may be skipped (.ci/run sets this).
NO_SKIP = os.environ.get("FRAVAER_NO_SKIP") == "1"


def command(store: Path, *args: str) -> list[str]:
    assert EXECUTABLE, "fravaer is not installed next to this Python: pip install '.[test]'"
    return [EXECUTABLE, "--data-dir", str(store), *args]


def run(store: Path, *args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(store, *args), capture_output=True, text=True, env={**os.environ, **(env or {})}, input=input
    )


def run_with_timeout(store: Path, *args: str, seconds: float = 60) -> subprocess.CompletedProcess:
    """A run that must end by itself: a hang is a failure here, not a wait for ever."""
    return subprocess.run(command(store, *args), capture_output=True, text=True, timeout=seconds)
