import shutil
from datetime import date
from pathlib import Path

import pytest

from fravaer_cli import clock
from tests.helpers import REPO, Fravaer


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


@pytest.fixture
def fravaer(store_dir) -> Fravaer:
    return Fravaer(store_dir)
