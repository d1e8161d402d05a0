"""The package as others get it: the database driver an extra, the sdist a source the tests run
from, the wheel with its data and man page."""

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from fravaer_cli import __version__
from fravaer_cli.store.postgres.connect import MISSING_DRIVER
from tests.helpers import EXECUTABLE, NO_SKIP, REPO

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


# -- the sdist and the wheel -----------------------------------------------------------------

# The build backend pyproject.toml names, called as a front end calls it (PEP 517), in this
# environment: no isolation, nothing downloaded.
BUILD = "import sys\nfrom setuptools import build_meta\ngetattr(build_meta, 'build_' + sys.argv[1])(sys.argv[2])"
# What the sdist must hold besides the package: all that the tests, the example and CI use.
SOURCE = ("tests/", "data/", "fravaer_cli/", "completions/", "docs/", ".ci/", "LICENSE", "README.md", "pyproject.toml")


def build(kind: str, source: Path, out: Path) -> Path:
    out.mkdir(exist_ok=True)
    result = subprocess.run([sys.executable, "-c", BUILD, kind, str(out)], cwd=source, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    (built,) = out.glob("*.tar.gz" if kind == "sdist" else "*.whl")
    return built


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The sdist of this checkout, unpacked: its folder."""
    work = tmp_path_factory.mktemp("sdist")
    with tarfile.open(build("sdist", REPO, work / "dist")) as archive:
        archive.extractall(work, filter="data")
    return work / f"fravaer-{__version__}"


def tracked(*paths: str) -> set[str]:
    """What git has under paths in this checkout."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        if NO_SKIP:
            pytest.fail("the package tests compare the sdist with git's files: run them in a git checkout")
        pytest.skip("not a git checkout (an unpacked sdist, say): nothing to compare the sdist with")
    listed = subprocess.run(["git", "ls-files", "-z", *paths], cwd=REPO, capture_output=True, text=True, check=True)
    return set(listed.stdout.split("\0")) - {""}


def test_the_sdist_holds_every_file_of_the_source_the_tests_use(sdist):
    held = {str(p.relative_to(sdist)) for p in sdist.rglob("*") if p.is_file()}
    missing = tracked(*SOURCE) - held
    assert not missing, f"not in the sdist (MANIFEST.in): {sorted(missing)}"
    assert not {name for name in held if "__pycache__" in name or name.endswith(".pyc")}
    if (REPO / "CHANGELOG.md").exists():
        assert "CHANGELOG.md" in held


def test_the_tests_run_from_the_sdist(sdist):
    """A part of the suite, run in the unpacked sdist against its own copy of the code."""
    own = subprocess.run(
        [sys.executable, "-c", "import fravaer_cli; print(fravaer_cli.__file__)"],
        cwd=sdist,
        capture_output=True,
        text=True,
    )
    assert own.stdout.strip() == str(sdist / "fravaer_cli" / "__init__.py"), own.stderr
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_docs.py", "tests/test_rules.py"],
        cwd=sdist,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST")},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", result.stdout) and " failed" not in result.stdout


@pytest.fixture(scope="module")
def wheel(sdist, tmp_path_factory) -> Path:
    """The wheel made from the sdist, as pip makes it."""
    return build("wheel", sdist, tmp_path_factory.mktemp("wheel"))


def test_the_wheel_holds_the_package_data_the_man_page_and_the_licence(wheel, sdist):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        man_page = archive.read(f"fravaer-{__version__}.data/data/share/man/man1/fravaer.1")
        metadata = archive.read(f"fravaer-{__version__}.dist-info/METADATA").decode()
    migrations = {str(p.relative_to(sdist)) for p in (sdist / "fravaer_cli/store/postgres/migrations").glob("*.sql")}
    assert migrations and migrations <= names
    assert "fravaer_cli/domain/tjenester.toml" in names
    assert "fravaer_cli/store/postgres/interface.sql" in names
    assert f"fravaer-{__version__}.dist-info/licenses/LICENSE" in names
    assert man_page == (REPO / "docs" / "fravaer.1").read_bytes()
    # The driver only with the extra.
    assert 'Requires-Dist: psycopg2-binary>=2.9; extra == "postgres"' in metadata
    assert not re.search(r"^Requires-Dist: psycopg2-binary[^;]*$", metadata, re.M)
    assert "License-Expression: MIT" in metadata and "Project-URL: Documentation, https://" in metadata


def test_an_install_puts_the_man_page_where_man_finds_it(wheel, tmp_path):
    """Into a virtual environment of its own (pip's --prefix would uninstall this environment's fravaer)."""
    prefix = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    install = ["install", "-q", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(prefix / "bin" / "python"), *install],
        check=True,
        capture_output=True,
    )
    assert (prefix / "bin" / "fravaer").exists() and EXECUTABLE and Path(EXECUTABLE).exists()
    installed = prefix / "share" / "man" / "man1" / "fravaer.1"
    assert installed.read_bytes() == (REPO / "docs" / "fravaer.1").read_bytes()
    if shutil.which("man") is None:
        if NO_SKIP:
            pytest.fail("man is not installed (.ci/run installs it)")
        pytest.skip("man is not installed")
    shown = subprocess.run(
        ["man", "-M", str(prefix / "share" / "man"), "fravaer"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "MANPAGER": "cat", "MANWIDTH": "80"},
    )
    assert (shown.returncode, shown.stderr) == (0, "") and "fravaer database init" in shown.stdout
