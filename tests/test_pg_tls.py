"""Issue 33: the shared store over the network. A real PostgreSQL server with ssl = on on
127.0.0.1, named db.fravaer.test (libpq's hostaddr points the name at the loopback address, so
that fravaer judges the connection by its name: a remote server), with a certificate authority
of the tests' own; offices log in with their enterprise certificate only."""

import json
import os

import pytest

from tests import certs, pg
from tests.helpers import NO_SKIP, ORGNR, OTHER_ORGNR, add_args, run_database

A, B = ORGNR, OTHER_ORGNR
KONTOR_A, KONTOR_B = f"kontor_{A}", f"kontor_{B}"
# The certificate's subject, as PostgreSQL gives it for clientname=DN (RFC 2253), maps to the
# office's login by its organisation number; the logins are members of virksomheter.
HBA = (
    "hostssl all +virksomheter 127.0.0.1/32 cert map=virksomhet clientname=DN\n"
    "hostssl all all 127.0.0.1/32 scram-sha-256\n"
)
IDENT = 'virksomhet "/(?:^|,)organizationIdentifier=NTRNO-([0-9]{9})(?:,|$)" kontor_\\1\n'


@pytest.fixture(scope="session")
def tls(tmp_path_factory) -> dict:
    import shutil

    if pg.binaries() is None or shutil.which("openssl") is None:
        if NO_SKIP:
            pytest.fail("PostgreSQL's server binaries and openssl are needed (.ci/run installs them)")
        pytest.skip("PostgreSQL's server binaries or openssl are not installed")
    return certs.make(tmp_path_factory.mktemp("certs"), (A, B))


@pytest.fixture(scope="session")
def tls_server(tls):
    server = pg.Server(tls=tls["server"], hba=HBA, ident=IDENT).start()
    server.sql("postgres", "CREATE DATABASE fravaer OWNER eier")
    assert run_database(server.dsn(database="fravaer"), "database", "init").returncode == 0
    server.sql("postgres", "CREATE ROLE virksomheter NOLOGIN")
    for login in (KONTOR_A, KONTOR_B):
        server.sql("postgres", f"CREATE ROLE {login} LOGIN IN ROLE virksomheter")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def plain_server():
    """A server on 127.0.0.1 without TLS (ssl = off)."""
    if pg.binaries() is None:
        pytest.skip("PostgreSQL's server binaries are not installed")
    server = pg.Server(tcp=True, hba="host all all 127.0.0.1/32 scram-sha-256\n").start()
    yield server
    server.stop()


def network(server, name: str = "db.fravaer.test", **settings: str) -> str:
    words = " ".join(f"{k}={v}" for k, v in settings.items())
    return f"host={name} hostaddr=127.0.0.1 port={server.port} dbname=fravaer {words}".strip()


def as_eier(server, tls, **settings) -> str:
    return network(server, **{"user": "eier", "password": "pw-eier", "sslrootcert": str(tls["ca"]), **settings})


def as_office(server, tls, which: str = "office", login: str = KONTOR_A) -> str:
    cert = tls[which]
    return network(server, user=login, sslrootcert=str(tls["ca"]), sslcert=str(cert["cert"]), sslkey=str(cert["key"]))


def one_line(result, *said: str) -> str:
    assert result.returncode == 5, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(s in lines[0] for s in said), result.stderr
    return lines[0]


def clean_env() -> dict:
    """The environment's libpq settings are the tests' own: none of them set."""
    assert not any(os.environ.get(v) for v in ("PGSSLMODE", "PGSERVICE", "PGSSLROOTCERT", "PGSSLCERT", "PGHOST"))
    return {}


# -- the server proves who it is ---------------------------------------------------------------


def test_with_no_sslmode_given_a_tcp_connection_verifies_the_server(tls_server, tls):
    result = run_database(as_eier(tls_server, tls), "database", "status", "--json", env=clean_env())
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["tls"].startswith("TLSv1.3") and "verify-full" in shown["tls"], shown
    assert str(tls["ca"]) in shown["tls"]


def test_a_server_certificate_for_another_name_is_refused_in_one_line(tls_server, tls):
    dsn = network(tls_server, "annen.fravaer.test", user="eier", password="pw-eier", sslrootcert=str(tls["ca"]))
    result = run_database(dsn, *add_args())
    one_line(result, "annen.fravaer.test", "sertifikat")


def test_a_server_from_an_unknown_authority_is_refused_in_one_line(tls_server, tls):
    result = run_database(as_eier(tls_server, tls, sslrootcert=str(tls["other_ca"])), *add_args())
    one_line(result, "db.fravaer.test", "sslrootcert")


def test_a_server_checked_against_the_systems_authorities_by_default_is_refused(tls_server, tls, tmp_path):
    dsn = network(tls_server, user="eier", password="pw-eier")
    result = run_database(dsn, "status", "--all", env={**clean_env(), "HOME": str(tmp_path)})
    one_line(result, "db.fravaer.test", "sslrootcert")


def test_a_server_without_tls_is_refused_in_one_line(plain_server):
    result = run_database(network(plain_server, user="eier", password="pw-eier"), *add_args())
    one_line(result, "db.fravaer.test", "TLS")


def test_a_weaker_mode_chosen_by_the_string_or_pgsslmode_works_and_is_shown(tls_server, tls, plain_server):
    for dsn, env in (
        (as_eier(tls_server, tls, sslmode="require"), {}),
        (as_eier(tls_server, tls), {"PGSSLMODE": "require"}),
    ):
        result = run_database(dsn, "database", "status", "--json", env={**clean_env(), **env})
        assert result.returncode == 0, result.stderr
        assert "sslmode=require" in json.loads(result.stdout)["tls"]
    plain = network(plain_server, user="eier", password="pw-eier", sslmode="disable")
    result = run_database(plain.replace("dbname=fravaer", "dbname=postgres"), "database", "status", "--json")
    assert result.returncode == 5 and "fravaer-skjemaet" in result.stderr  # connected, in clear text as asked


def test_a_service_file_may_choose_the_mode(tls_server, tls, tmp_path):
    services = tmp_path / "pg_service.conf"
    services.write_text(f"[fravaer]\nhost=db.fravaer.test\nhostaddr=127.0.0.1\nport={tls_server.port}\n"
                        f"dbname=fravaer\nuser=eier\nsslmode=verify-ca\nsslrootcert={tls['ca']}\n")  # fmt: skip
    (tmp_path / "pgpass").write_text(f"db.fravaer.test:{tls_server.port}:fravaer:eier:pw-eier\n")
    os.chmod(tmp_path / "pgpass", 0o600)
    env = {**clean_env(), "PGSERVICEFILE": str(services), "PGPASSFILE": str(tmp_path / "pgpass")}
    result = run_database("service=fravaer", "database", "status", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "sslmode=verify-ca" in json.loads(result.stdout)["tls"]
