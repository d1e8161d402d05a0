import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fravaer_cli import clock
from fravaer_cli.cli import app

REPO = Path(__file__).resolve().parent.parent
ORGNR = "974760673"
OTHER_ORGNR = "988077917"
EPJ_REMINDER = "Husk å skru av tjenester i EPJ som ikke skal være tilgjengelig for innbygger."
VIKAR_REMINDER = "For tjenester som har vikar, må vikar registreres i EPJ."
SEED_LINE = "Timebestilling er midlertidig stengt hos fastlegen din, og åpner igjen 9. juli 2024."


@pytest.fixture
def store_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "store"
    monkeypatch.delenv("FRAVAER_DATA_DIR", raising=False)
    monkeypatch.delenv("FRAVAER_STORE_FORMAT", raising=False)
    monkeypatch.setenv("FRAVAER_LOCK_TIMEOUT", "2")
    return folder


@pytest.fixture
def example_store(tmp_path) -> Path:
    """A copy of data/eksempel, so tests can change it."""
    folder = tmp_path / "eksempel"
    shutil.copytree(REPO / "data" / "eksempel", folder)
    return folder


@pytest.fixture
def today() -> date:
    return clock.today()


def add_args(*more: str, orgnr: str = ORGNR, behandler="Per Test", fra="01.08.2030", til="02.08.2030", tjeneste="alle"):
    """The arguments of one `fravaer add`; more options after them."""
    return [
        "add",
        "--virksomhet",
        orgnr,
        "--behandler",
        behandler,
        "--fra",
        fra,
        "--til",
        til,
        "--tjeneste",
        tjeneste,
        *more,
    ]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the store folder with its bytes, to show nothing changed."""
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(".lock")}


class Fravaer:
    """Runs the real CLI in-process against one store folder."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        return self.runner.invoke(app, ["--data-dir", str(self.folder), *args], input=input, env=env)

    def add(self, *args: str, orgnr: str = ORGNR):
        result = self("add", "--virksomhet", orgnr, *args)
        assert result.exit_code == 0, result.stderr
        return result.stdout.strip()


@pytest.fixture
def fravaer(store_dir) -> Fravaer:
    return Fravaer(store_dir)
