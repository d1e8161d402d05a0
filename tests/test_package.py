"""The package as others get it: the database driver an extra, the sdist a source the tests run
from, the wheel with its data and man page."""

import os
import subprocess
import sys

import pytest

from fravaer_cli.store.postgres.connect import MISSING_DRIVER
from tests.helpers import REPO

# The program as the console script runs it, in an interpreter where psycopg2 is not installed:
# the path finder (the one that looks in site-packages) finds no psycopg2, so `import psycopg2`
# fails as it does when the extra was left out.
WITHOUT = """
import sys
from importlib.machinery import PathFinder

class Without(PathFinder):
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return None if (name + ".").startswith(HIDDEN + ".") else super().find_spec(name, path, target)

sys.meta_path[sys.meta_path.index(PathFinder)] = Without
from fravaer_cli.entry import main
main()
"""


def without_driver(*args: str, env: dict | None = None, hidden: str = "psycopg2") -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "FRAVAER_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-c", f"HIDDEN = {hidden!r}\n{WITHOUT}", *args],
        capture_output=True,
        text=True,
        env={**environment, **(env or {})},
    )


@pytest.mark.parametrize(
    "args, env",
    [
        (["--database", "host=/nonexistent dbname=x", "status", "--all"], {}),
        (["status", "--all"], {"FRAVAER_DATABASE_URL": "postgresql:///fravaer"}),
        (["--database", "postgresql:///fravaer", "database", "init"], {}),
    ],
    ids=["--database", "FRAVAER_DATABASE_URL", "database init"],
)
def test_the_database_without_its_driver_names_the_extra(args, env):
    result = without_driver(*args, env=env)
    assert (result.returncode, result.stdout, result.stderr) == (5, "", MISSING_DRIVER + "\n")


def test_files_need_no_driver():
    result = without_driver("--data-dir", str(REPO / "data" / "eksempel"), "status", "--all", "--date", "12.07.2028")
    assert (result.returncode, result.stderr) == (0, "") and "stengt hos 5 leger" in result.stdout


def test_the_simulated_absence_is_psycopg2_not_found():
    """The wrapper above makes psycopg2 missing as an uninstalled package is, and nothing else."""
    check = "HIDDEN = 'psycopg2'\n" + WITHOUT.replace(
        "from fravaer_cli.entry import main\nmain()",
        "import typer, tomli\ntry:\n    import psycopg2\nexcept ModuleNotFoundError as e:\n    print(e.name, e)",
    )
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert result.stdout == "psycopg2 No module named 'psycopg2'\n", result.stderr


def test_a_broken_driver_is_not_taken_for_a_missing_one():
    """psycopg2 installed but its C part not importable: a bug to report, not an extra to install."""
    result = without_driver("--database", "postgresql:///fravaer", "status", "--all", hidden="psycopg2._psycopg")
    assert result.returncode == 70 and "psycopg2._psycopg" in result.stderr, result.stderr
    assert "fravaer[postgres]" not in result.stderr and "Traceback" not in result.stderr
