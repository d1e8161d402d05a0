import shutil
from datetime import date
from pathlib import Path

import pytest

from fravaer_cli.cli import clock
from tests.helpers import NO_SKIP, REPO, Fravaer, run_database


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch) -> Path:
    """A cache of each test's own (fravaer keeps large offices' entries there): no test reads
    the user's ~/.cache or leaves anything in it, and no test sees another's entries."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder


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


# -- the shared store: a real PostgreSQL server -----------------------------------------

# Command-level tests in these modules run against both stores, with the same
# expected output, unless they look at the store's files themselves (store_dir).
BOTH_STORES = {"test_cli", "test_import", "test_fixes", "test_plan", "test_calendar_formats", "test_field_reports"}


def pytest_generate_tests(metafunc):
    import inspect

    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if (
        module in BOTH_STORES
        and "fravaer" in metafunc.fixturenames
        and "store_dir" not in inspect.signature(metafunc.function).parameters
        and not metafunc.definition.get_closest_marker("files_only")
    ):
        metafunc.parametrize("store_kind", ["filer", "postgres"], indirect=True)


@pytest.fixture
def store_kind(request) -> str:
    return getattr(request, "param", "filer")


@pytest.fixture(scope="session")
def pg_server():
    from tests import pg

    if pg.binaries() is None:
        if NO_SKIP:
            pytest.fail("PostgreSQL's server binaries are not installed (.ci/run installs the package postgresql)")
        pytest.skip("PostgreSQL's server binaries are not installed (Debian package postgresql)")
    server = pg.Server().start()
    server.sql("postgres", "CREATE DATABASE mal OWNER eier")
    # The schema as `fravaer database init` makes it, once; every test gets a copy.
    result = run_database(server.dsn(database="mal"), "database", "init")
    assert result.returncode == 0, result.stderr
    yield server
    server.stop()


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def pg_dsn(pg_server) -> str:
    """A database of its own, with the schema, owned by `eier` (in fravaer_admin)."""
    name = f"t{next(_databases)}"
    pg_server.sql("postgres", f"CREATE DATABASE {name} TEMPLATE mal OWNER eier")
    return pg_server.dsn(database=name)


@pytest.fixture
def fravaer(store_kind, store_dir, request) -> Fravaer:
    if store_kind == "postgres":
        return Fravaer(None, database=request.getfixturevalue("pg_dsn"))
    return Fravaer(store_dir)
