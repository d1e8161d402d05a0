"""Issue 33: the shared store over the network. A real PostgreSQL server with ssl = on on
127.0.0.1, named db.fravaer.test (libpq's hostaddr points the name at the loopback address, so
that fravaer judges the connection by its name: a remote server), with a certificate authority
of the tests' own; offices log in with their enterprise certificate only."""

import json
import os

import pytest

from tests import certs, pg
from tests.helpers import EXECUTABLE, NO_SKIP, ORGNR, OTHER_ORGNR, add_args, run_database
from tests.pg import as_server_user

A, B = ORGNR, OTHER_ORGNR
KONTOR_A, KONTOR_B = f"kontor_{A}", f"kontor_{B}"
# The certificate's subject, as PostgreSQL gives it for clientname=DN (RFC 2253), maps to the
# office's login by its organisation number; the logins are members of virksomheter.
HBA = (
    "hostssl all +virksomheter 127.0.0.1/32 cert map=virksomhet clientname=DN\n"
    "hostssl all all 127.0.0.1/32 scram-sha-256\n"
)
IDENT = 'virksomhet "/(?:^|(?<!\\\\),)organizationIdentifier=NTRNO-([0-9]{9})(?:,|$)" kontor_\\1\n'
# ola's password is asked for in clear text (inside TLS): what require_auth=scram-sha-256 refuses.
CLEARTEXT = "hostssl all ola 127.0.0.1/32 password\n"


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
    server = pg.Server(tls=tls["server"], hba=CLEARTEXT + HBA, ident=IDENT).start()
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


def service_file(tmp_path, server, tls, **more: str) -> dict:
    """A service file (fravaer) for the server by name, and an environment that uses it."""
    settings = {"host": "db.fravaer.test", "hostaddr": "127.0.0.1", "port": str(server.port), "dbname": "fravaer",
                "user": "eier", "sslrootcert": str(tls["ca"]), **more}  # fmt: skip
    (tmp_path / "pg_service.conf").write_text("[fravaer]\n" + "".join(f"{k}={v}\n" for k, v in settings.items()))
    return {**clean_env(), "PGSERVICEFILE": str(tmp_path / "pg_service.conf"), "HOME": str(tmp_path)}


def test_a_service_file_libpq_cannot_use_is_named_with_its_line(tls_server, tls, tmp_path):
    env = service_file(tmp_path, tls_server, tls, sslmode="verify-full")
    one_line(run_database("service=finnes_ikke", "status", "--all", env=env), "«finnes_ikke»", env["PGSERVICEFILE"])
    missing = {**env, "PGSERVICEFILE": str(tmp_path / "borte.conf")}
    one_line(run_database("service=fravaer", "status", "--all", env=missing), "borte.conf", "finnes ikke")
    with open(env["PGSERVICEFILE"], "a") as file:
        file.write("sslmod=verify-full\n")  # a keyword libpq does not know: line 9
    one_line(run_database("service=fravaer", "status", "--all", env=env), "pg_service.conf", "linje 9")


def test_no_password_found_says_why_and_names_the_login_of_the_service_file(tls_server, tls, tmp_path):
    """The login of the service file, not the system user's name; and the password file to fix."""
    import subprocess

    env = service_file(tmp_path, tls_server, tls)
    pgpass = tmp_path / ".pgpass"
    one_line(run_database("service=fravaer", "database", "status", env=env), "«eier»", str(pgpass), "finnes ikke")
    pgpass.write_text(f"db.fravaer.test:{tls_server.port}:fravaer:kari:pw-kari\n")
    os.chmod(pgpass, 0o600)
    one_line(run_database("service=fravaer", "database", "status", env=env), "«eier»", "ingen linje", str(pgpass))
    pgpass.write_text(f"db.fravaer.test:{tls_server.port}:fravaer:eier:pw-eier\n")
    assert run_database("service=fravaer", "database", "status", env=env).returncode == 0
    os.chmod(pgpass, 0o644)
    result = run_database("service=fravaer", "database", "status", env=env)
    # libpq's own warning (English, from libpq itself) comes first; fravaer's line says what to do.
    assert result.returncode == 5 and "WARNING: password file" in result.stderr, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert f"chmod 600 {pgpass}" in last and "kan leses av andre" in last and "Traceback" not in result.stderr
    assert "pw-eier" not in result.stderr + subprocess.list2cmdline(result.args)


# -- require_auth: the password only by SCRAM, never in clear text ----------------------------


def test_require_auth_scram_logs_in_by_password_and_refuses_a_server_that_asks_for_it_in_clear(tls_server, tls):
    result = run_database(as_eier(tls_server, tls, require_auth="scram-sha-256"), "database", "status", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["autentisering"].startswith("passord"), result.stderr
    # Without it libpq sends ola's password in clear text to a server that asks (inside TLS here).
    clear = as_eier(tls_server, tls, user="ola", password="pw-ola")
    assert run_database(clear, "database", "status").returncode == 0
    refused = run_database(f"{clear} require_auth=scram-sha-256", "status", "--all")
    one_line(refused, "db.fravaer.test", "klartekst", "require_auth=scram-sha-256", "sendte ikke passordet")


# -- offices log in with their enterprise certificate ------------------------------------------


def no_password() -> dict:
    """Nothing to find a password in: no PGPASSWORD, and a password file that is not there."""
    assert not os.environ.get("PGPASSWORD")
    return {"PGPASSFILE": "/nonexistent/pgpass"}


@pytest.fixture(scope="session")
def granted(tls_server, tls):
    eier = as_eier(tls_server, tls)
    for login, orgnr in ((KONTOR_A, A), (KONTOR_B, B)):
        result = run_database(eier, "access", "grant", login, "--virksomhet", orgnr)
        assert result.returncode == 0, result.stderr
    return tls_server


def test_an_office_adds_lists_and_imports_with_its_certificate_only(granted, tls, tmp_path):
    office = as_office(granted, tls)
    assert "password" not in office
    added = run_database(office, *add_args(behandler="Per Sertifikat"), env=no_password())
    assert added.returncode == 0, added.stderr
    sheet = tmp_path / "plan.csv"
    sheet.write_text(f"virksomhet;behandler;fra;til;tjenester\n{A};Kari Sertifikat;01.09.2030;02.09.2030;alle\n")
    imported = run_database(office, "import", str(sheet), env=no_password())
    assert imported.returncode == 0, imported.stderr
    listed = run_database(office, "list", "--virksomhet", A, "--json", env=no_password())
    assert listed.returncode == 0, listed.stderr
    assert {"Per Sertifikat", "Kari Sertifikat"} <= {r["behandler"] for r in json.loads(listed.stdout)}
    logged = json.loads(run_database(office, "log", "--virksomhet", A, "--json", env=no_password()).stdout)
    assert KONTOR_A in json.dumps(logged)


def test_an_office_is_refused_another_offices_fravaer(granted, tls):
    office_b = as_office(granted, tls, "other_office", login=KONTOR_B)
    assert run_database(office_b, "info", "--virksomhet", B, "--navn", "Legekontoret B").returncode == 0
    result = run_database(as_office(granted, tls), *add_args(orgnr=B), env=no_password())
    assert result.returncode == 3 and f"{KONTOR_A} har tilgang til" in result.stderr, result.stderr
    listed = run_database(office_b, "list", "--virksomhet", B, "--json", env=no_password())
    assert listed.returncode == 0 and json.loads(listed.stdout) == [], listed.stderr


def test_a_certificate_for_another_office_does_not_log_in_as_this_one(granted, tls):
    result = run_database(as_office(granted, tls, "other_office", login=KONTOR_A), "status", "--all")
    one_line(result, KONTOR_A, "sertifikat-autentisering")


def test_another_offices_number_smuggled_into_the_name_does_not_log_in_as_that_office(granted, tls):
    result = run_database(as_office(granted, tls, "smuggled", login=KONTOR_B), "status", "--all")
    one_line(result, KONTOR_B, "sertifikat-autentisering")
    assert run_database(as_office(granted, tls, "smuggled"), "status", "--all").returncode == 0


@pytest.mark.parametrize("which, said", [("expired", "utløpt"), ("foreign", "utsteder")])
def test_an_expired_or_foreign_certificate_is_refused_in_one_line(granted, tls, which, said):
    result = run_database(as_office(granted, tls, which), *add_args(), env=no_password())
    one_line(result, "sertifikat", said)


def test_status_shows_tls_the_verification_the_method_and_the_certificate(granted, tls):
    result = run_database(as_office(granted, tls), "database", "status", "--json", env=no_password())
    assert result.returncode == 0 and result.stderr == "", result.stderr
    shown = json.loads(result.stdout)
    assert shown["tls"].startswith("TLSv1.3, serveren verifisert") and "sslmode=verify-full" in shown["tls"]
    assert shown["autentisering"] == "sertifikat"
    assert f"organizationIdentifier=NTRNO-{A}" in shown["sertifikat"] and "gyldig til" in shown["sertifikat"]
    by_password = json.loads(run_database(as_eier(granted, tls), "database", "status", "--json").stdout)
    assert by_password["autentisering"].startswith("passord") and by_password["sertifikat"] == "ingen"
    table = run_database(as_office(granted, tls), "database", "status", env=no_password()).stdout
    assert "TLS" in table and "Autentisering" in table and "Sertifikat" in table


def test_status_warns_of_a_certificate_in_its_last_30_days(granted, tls):
    result = run_database(as_office(granted, tls, "ending"), "database", "status", "--json", env=no_password())
    assert result.returncode == 0, result.stderr
    assert "Advarsel" in result.stderr and "utløper" in result.stderr and len(result.stderr.splitlines()) == 1
    assert "utløper om" in json.loads(result.stdout)["sertifikat"]


def test_require_auth_scram_refuses_a_login_that_asks_for_no_password(granted, tls):
    """So the guide gives require_auth to password logins only, not to an office's certificate."""
    office = as_office(granted, tls)
    one_line(run_database(f"{office} require_auth=scram-sha-256", "status", "--all"), KONTOR_A, "uten å be om passord")


def test_a_refused_login_names_the_method_the_server_used(granted, tls):
    refused = run_database(as_eier(granted, tls, password="feil"), "status", "--all")
    one_line(refused, "passord-autentisering")


# -- through PgBouncer: TLS between the client and PgBouncer ----------------------------------


@pytest.fixture
def tls_bouncer(pg_server, pg_dsn, tls):
    """PgBouncer on 127.0.0.1 with TLS towards its clients (the server certificate for
    db.fravaer.test), passwords checked by scram-sha-256, pooling by transaction, in front of the
    test server's socket; returns the test database's DSN through it, by name."""
    import shutil
    import subprocess
    import time

    from tests.test_pg_pgbouncer import _binary

    binary = _binary()
    if binary is None:
        if NO_SKIP:
            pytest.fail("PgBouncer is not installed (.ci/run installs the package pgbouncer)")
        pytest.skip("PgBouncer is not installed (Debian package pgbouncer)")
    import tempfile
    from pathlib import Path

    base = Path(tempfile.mkdtemp(prefix="fravaer-pgbouncer-tls-"))  # a folder PgBouncer's user can reach
    port = pg.free_port()
    for name in ("cert", "key"):
        shutil.copy(tls["server"][name], base / f"server.{name}")
    (base / "users.txt").write_text('"eier" "pw-eier"\n')
    (base / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={pg_server.socket} port=5432\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = scram-sha-256\nauth_file = {base}/users.txt\npool_mode = transaction\n"
        f"client_tls_sslmode = require\nclient_tls_cert_file = {base}/server.cert\n"
        f"client_tls_key_file = {base}/server.key\n"
        f"logfile = {base}/log\npidfile = {base}/pid\n"
    )
    command = as_server_user([binary, "-q", str(base / "pgbouncer.ini")], base, pg_server.user)
    proc = subprocess.Popen(command)
    database = pg_dsn.split("dbname=")[1].split()[0]
    dsn = f"host=db.fravaer.test hostaddr=127.0.0.1 port={port} dbname={database} user=eier password=pw-eier"
    deadline = time.monotonic() + 10
    while run_database(dsn + " sslmode=require", "database", "status").returncode != 0:
        assert proc.poll() is None and time.monotonic() < deadline, (base / "log").read_text(errors="replace")
        time.sleep(0.1)
    yield dsn
    proc.terminate()
    proc.wait(timeout=10)
    shutil.rmtree(base, ignore_errors=True)


def test_through_pgbouncer_the_client_verifies_pgbouncer_by_tls(tls_bouncer, tls):
    checked = f"{tls_bouncer} sslrootcert={tls['ca']}"
    shown = json.loads(run_database(checked, "database", "status", "--json").stdout)
    assert shown["tls"].startswith("TLSv1") and "sslmode=verify-full" in shown["tls"], shown
    assert run_database(checked, *add_args()).returncode == 0
    listed = run_database(checked, "list", "--virksomhet", A, "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1
    unknown = run_database(
        f"{tls_bouncer} sslrootcert={tls['other_ca']}", *add_args(fra="01.10.2030", til="02.10.2030")
    )
    one_line(unknown, "db.fravaer.test", "sslrootcert")
    # PgBouncer 1.18 has no channel binding (SCRAM-SHA-256-PLUS); require_auth=scram-sha-256 goes through.
    assert run_database(f"{checked} require_auth=scram-sha-256", "database", "status").returncode == 0
    one_line(run_database(f"{checked} channel_binding=require", "status", "--all"), "kanalbinding")


def test_the_guide_shows_the_lines_these_tests_use():
    from tests.helpers import REPO

    guide = (REPO / "docs" / "database.md").read_text(encoding="utf-8")
    for line in (HBA + IDENT).splitlines():
        assert line.replace("127.0.0.1/32", "10.0.0.0/8") in guide, line
    for setting in ("client_tls_sslmode = require", "client_tls_cert_file", "client_tls_key_file"):
        assert setting in guide


@pytest.mark.parametrize("which", ["office", "expired", "ending", "smuggled"])
def test_a_certificates_subject_and_expiry_are_read_as_openssl_reads_them(tls, which):
    import subprocess
    from datetime import UTC, datetime

    from fravaer_cli.store.postgres import certificate

    path = tls[which]["cert"]
    subject, expires = certificate.read(path.read_text())
    said = subprocess.run(["openssl", "x509", "-in", str(path), "-noout", "-enddate"], capture_output=True, text=True)
    ends = datetime.strptime(said.stdout.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)
    assert expires == ends
    assert subject.startswith("C=NO, O=Legekontoret A") and f"organizationIdentifier=NTRNO-{A}" in subject


def test_what_is_no_certificate_is_unreadable():
    from fravaer_cli.store.postgres import certificate

    for text in (
        "",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        "-----BEGIN CERTIFICATE-----\n!",
    ):
        with pytest.raises(certificate.Unreadable):
            certificate.read(text)


# -- the guide's set-up over the network, as written ------------------------------------------


def _guide() -> str:
    from tests.helpers import REPO

    return (REPO / "docs" / "database.md").read_text(encoding="utf-8")


def _block(after: str, kind: str = "", nth: int = 0) -> str:
    """The nth fenced block of the guide (```kind) after the first place the text `after` is."""
    import re

    text = _guide()
    start = re.search(r"\s+".join(map(re.escape, after.split())), text).start()  # type: ignore[union-attr]
    blocks = re.findall(rf"^```{kind}\n(.*?)^```$", text[start:], re.S | re.M)
    return blocks[nth]


def _run_as_written(line: str, folder) -> None:
    import subprocess

    done = subprocess.run(line, shell=True, cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, (line, done.stderr)


def _services(text: str, paths: dict, addresses: dict) -> str:
    """A service file of the guide, its paths put in the test's folders, and after each host= line
    where its names are: hostaddr= and port= for each name (the only lines the test adds)."""
    for old, new in paths.items():
        text = text.replace(old, str(new))
    lines = []
    for line in text.splitlines():
        lines.append(line)
        if line.startswith("host="):
            names = line.split("=", 1)[1].split(",")
            lines.append("hostaddr=" + ",".join("127.0.0.1" for _ in names))
            lines.append("port=" + ",".join(str(addresses[name]) for name in names))
    return "\n".join(lines) + "\n"


def test_the_guides_set_up_over_the_network_works_as_written(tmp_path):
    """docs/database.md, as an operator follows it: the server's certificate made by its openssl
    commands, its pg_hba.conf and pg_ident.conf lines, the office's certificate from a .p12 and its
    service file, the helpdesk's service file with primary and replica and its ~/.pgpass, the
    guide's own commands; names resolved by hostaddr, the network 127.0.0.1/32."""
    import shlex
    import shutil
    import subprocess

    if pg.binaries() is None or shutil.which("openssl") is None:
        if NO_SKIP:
            pytest.fail("PostgreSQL's server binaries and openssl are needed (.ci/run installs them)")
        pytest.skip("PostgreSQL's server binaries or openssl are not installed")
    etc = tmp_path / "tls"  # /etc/postgresql/tls, /etc/fravaer and /etc/pgbouncer in one
    etc.mkdir()
    openssl = _block("an\nauthority of your own", "sh").strip().splitlines()
    for line in openssl:
        if line.startswith("chown") and os.geteuid() != 0:
            line = line.split("&&", 1)[1]  # only root gives a file to postgres; the server's copy is chowned
        _run_as_written(line, etc)
    conf = dict(
        (k.strip(), v.strip().strip("'"))
        for k, v in (line.split("=", 1) for line in _block("### The server", "ini").splitlines() if "=" in line)
    )
    assert conf["ssl"] == "on" and conf["ssl_cert_file"].endswith("/db1.fravaer.helsenett.no.crt")
    offices = certs.make(tmp_path, (A, B))  # the enterprise certificates' issuer: ssl_ca_file
    tls_files = {
        "cert": etc / os.path.basename(conf["ssl_cert_file"]),
        "key": etc / os.path.basename(conf["ssl_key_file"]),
        "ca": offices["ca"],
    }
    hba = _block("`pg_hba.conf` (offices", "").replace("10.0.0.0/8", "127.0.0.1/32")
    ident = _block("`pg_ident.conf`:", "")
    server = pg.Server(tls=tls_files, hba=hba, ident=ident).start()
    try:
        server.sql("postgres", "CREATE DATABASE fravaer OWNER eier")
        eier = f"host={server.socket} port={server.port} dbname=fravaer user=eier password=pw-eier"
        assert run_database(eier, "database", "init").returncode == 0
        for line in _block("The logins are", "sh").strip().splitlines():
            words = shlex.split(line)
            if words[0] == "psql":
                server.sql("fravaer", words[words.index("-c") + 1])
            else:
                assert run_database(eier, *words[1:]).returncode == 0, line
        server.sql("postgres", "CREATE ROLE kundesenter_kari LOGIN IN ROLE fravaer_kundesenter PASSWORD 'Kari:pw\\7'")
        dead = pg.free_port()  # db2 is down: the multi-host strings go on to db1
        addresses = {"db1.fravaer.helsenett.no": server.port, "db2.fravaer.helsenett.no": dead}

        # The office: its .p12 as the issuer delivers it, made PEM by the guide's commands.
        office = tmp_path / "kontor"
        office.mkdir()
        _run_as_written(
            f"openssl pkcs12 -export -in {offices['office']['cert']} -inkey {offices['office']['key']}"
            " -out virksomhet.p12 -passout pass:p12",
            office,
        )
        guide = _guide()
        clcerts = "openssl pkcs12 -in\nvirksomhet.p12 -clcerts -nokeys -out virksomhet.crt"
        assert clcerts in guide and "`… -nocerts -nodes\n-out virksomhet.key`" in guide
        for line in (
            clcerts.replace("\n", " "),
            "openssl pkcs12 -in virksomhet.p12 -nocerts -nodes -out virksomhet.key",
        ):
            _run_as_written(f"{line} -passin pass:p12", office)  # the password the operator types
        os.chmod(office / "virksomhet.key", 0o600)
        paths = {"/etc/fravaer/db-ca.crt": etc / "db-ca.crt", "/etc/fravaer/": f"{office}/"}
        (office / "pg_service.conf").write_text(
            _services(_block("libpq refuses a key others can read", "ini"), paths, addresses)
        )
        env = {**clean_env(), "PGSERVICEFILE": str(office / "pg_service.conf"), "HOME": str(office), **no_password()}
        check = shlex.split(_block("need no `sslcert` and", "sh").strip())
        assert check == ["fravaer", "--database", "service=fravaer", "database", "status"]
        status = subprocess.run([EXECUTABLE, *check[1:]], capture_output=True, text=True, env={**os.environ, **env})
        assert status.returncode == 0 and "sertifikat" in status.stdout, status.stderr
        assert "db1.fravaer.helsenett.no" in status.stdout and "verify-full" in status.stdout
        assert run_database("service=fravaer", *add_args(), env=env).returncode == 0
        listed = run_database("service=fravaer", "list", "--virksomhet", A, "--json", env=env)
        assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1, listed.stderr

        # The helpdesk: primary and replica, the password in ~/.pgpass only.
        helpdesk = tmp_path / "kundesenter"
        helpdesk.mkdir()
        services = _block("The helpdesk's primary and\nreplica", "ini")
        assert services.count("require_auth=scram-sha-256") == 2
        (helpdesk / "pg_service.conf").write_text(_services(services, paths, addresses))
        pgpass = _block("one line for each server", "")
        for name, port in addresses.items():
            pgpass = pgpass.replace(f"{name}:5432:", f"{name}:{port}:")
        (helpdesk / ".pgpass").write_text(pgpass.replace("PASSORDET", "Kari\\:pw\\\\7"))
        os.chmod(helpdesk / ".pgpass", 0o600)
        env = {**clean_env(), "PGSERVICEFILE": str(helpdesk / "pg_service.conf"), "HOME": str(helpdesk)}
        check = shlex.split(_block("for\nreports), and check it with", "sh").strip())
        assert check == ["fravaer", "--database", "service=fravaer-les", "database", "status"]
        for service in ("fravaer-les", "fravaer"):
            check[2] = f"service={service}"
            status = subprocess.run([EXECUTABLE, *check[1:]], capture_output=True, text=True, env={**os.environ, **env})
            assert status.returncode == 0, (service, status.stderr)
            assert "db1.fravaer.helsenett.no" in status.stdout and "passord" in status.stdout
            assert "fravaer_kundesenter" in status.stdout
        refused = run_database("service=fravaer", *add_args(fra="01.09.2030", til="02.09.2030"), env=env)
        assert refused.returncode == 5 and "kundesenter_kari" in refused.stderr, refused.stderr
        _the_guides_pgbouncer(server, etc, openssl, helpdesk, env)
    finally:
        server.stop()


def _the_guides_pgbouncer(server, etc, openssl: list[str], helpdesk, env: dict) -> None:
    """The guide's PgBouncer: its certificate made as the server's, its ini, its userlist.txt made
    by the guide's query; the helpdesk through it by name, with require_auth=scram-sha-256. Towards
    PostgreSQL it goes by the server's socket: the guide's server_tls lines need the name db1 in DNS,
    which the tests cannot give it."""
    import shlex
    import subprocess
    import time

    from tests.test_pg_pgbouncer import _binary

    binary = _binary()
    if binary is None:
        if NO_SKIP:
            pytest.fail("PgBouncer is not installed (.ci/run installs the package pgbouncer)")
        return
    for line in openssl[1:]:
        _run_as_written(
            line.replace("db1.fravaer.helsenett.no", "pgbouncer.fravaer.helsenett.no").replace(
                "db1.csr", "pgbouncer.csr"
            ),
            etc,
        )
    import shutil
    import tempfile
    from pathlib import Path

    here = Path(tempfile.mkdtemp(prefix="fravaer-pgbouncer-guide-"))  # a folder PgBouncer's user can reach
    for name in ("pgbouncer.fravaer.helsenett.no.crt", "pgbouncer.fravaer.helsenett.no.key", "db-ca.crt"):
        shutil.copy(etc / name, here / name)
    query = shlex.split(_block("made by a superuser on the database server", "sh").strip())
    assert query[:2] == ["psql", "-Atc"] and query[3:] == [">", "userlist.txt"]
    (here / "userlist.txt").write_text("".join(f"{row[0]}\n" for row in server.sql("postgres", query[2])))
    port = pg.free_port()
    ini = []
    for line in _block("### PgBouncer over the network", "ini").replace("/etc/pgbouncer/", f"{here}/").splitlines():
        if line.startswith("fravaer=host=db1.fravaer.helsenett.no"):
            line = f"fravaer = host={server.socket} port={server.port} dbname=fravaer"
        elif line == "listen_addr = *":
            line = f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nlogfile = {here}/log"
        if not line.startswith("server_tls_"):
            ini.append(line)
    (here / "pgbouncer.ini").write_text("\n".join(ini) + "\n")
    command = as_server_user([binary, "-q", str(here / "pgbouncer.ini")], here, server.user)
    services = helpdesk / "pg_service.conf"
    services.write_text(
        services.read_text() + f"\n[fravaer-pgbouncer]\nhost=pgbouncer.fravaer.helsenett.no\nhostaddr=127.0.0.1\n"
        f"port={port}\ndbname=fravaer\nuser=kundesenter_kari\nsslrootcert={etc}/db-ca.crt\nrequire_auth=scram-sha-256\n"
    )
    pgpass = helpdesk / ".pgpass"
    pgpass.write_text(
        pgpass.read_text() + f"pgbouncer.fravaer.helsenett.no:{port}:fravaer:kundesenter_kari:Kari\\:pw\\\\7\n"
    )
    proc = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 10
        while (status := run_database("service=fravaer-pgbouncer", "database", "status", env=env)).returncode != 0:
            assert proc.poll() is None and time.monotonic() < deadline, (status.stderr, (here / "log").read_text())
            time.sleep(0.2)
        assert "pgbouncer.fravaer.helsenett.no" in status.stdout and "verify-full" in status.stdout
        listed = run_database("service=fravaer-pgbouncer", "list", "--virksomhet", A, "--json", env=env)
        assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 1, listed.stderr
        # A database PgBouncer does not list under [databases]: PgBouncer's own refusal, in one line,
        # naming the server of the service file.
        with open(pgpass, "a") as file:
            file.write(f"pgbouncer.fravaer.helsenett.no:{port}:annen:kundesenter_kari:Kari\\:pw\\\\7\n")
        unlisted = run_database("service=fravaer-pgbouncer dbname=annen", "status", "--all", env=env)
        one_line(unlisted, "PgBouncer", f"«annen» på pgbouncer.fravaer.helsenett.no:{port}", "[databases]")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(here, ignore_errors=True)
