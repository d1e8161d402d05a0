"""The database's interface is one declared file (interface.sql), which `database init` makes anew
whenever it differs from what the database has; every list of a fravær's fields in it follows
Fravaer's declarations."""

import re

import psycopg2
import pytest

from fravaer_cli.domain.model import Draft, Fravaer
from fravaer_cli.store.postgres import pgschema
from tests.helpers import run_database

SQL = pgschema.INTERFACE.read_text(encoding="utf-8")
# Fravaer: a fravær's fields as stored; Draft: those a user gives, as a request carries them.
MARKER = re.compile(
    r"^\s*-- fields: (?P<cls>Fravaer|Draft)(?: also (?P<also>[\w, ]+?))?"
    r"(?: renamed (?P<renamed>\w+ as \w+(?:, \w+ as \w+)*))?(?: numbered from c(?P<first>\d+))?\s*$",
    re.M,
)
CLASSES = {"Fravaer": Fravaer, "Draft": Draft}


def _list_after(at: int) -> tuple[list[str], int]:
    """The items of the list that follows a marker: a SELECT's up to its FROM, or else the first
    parenthesised list's; each as the name it reads (n.vikar, coalesce(n.vikar, '{}'), c7::text[]: vikar, c7).
    And where in SQL the list ends."""
    skipped = len(SQL[at:]) - len(SQL[at:].lstrip())
    text = SQL[at + skipped :]
    select = text.startswith("SELECT")
    start = len("SELECT") if select else text.index("(") + 1
    depth, items, item = 0, [], ""
    for i, char in enumerate(text[start:], start):
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and char == ",":
            items.append(item)
            item = ""
            continue
        elif depth == 0 and select and re.match(r"\s+FROM\b", text[i:]):
            break
        item += char
    end = at + skipped + i
    items.append(item)
    names = []
    for item in items:
        inner = re.sub(r"^\s*(?:coalesce|NULLIF)\(", "", item.strip(), flags=re.I)
        names.append(re.match(r"(?:\w+\.)?(\w+)", inner.strip()).group(1))
    return names, end


def marked_lists() -> list[tuple[str, list[str]]]:
    lists = []
    for m in MARKER.finditer(SQL):
        names, _ = _list_after(m.end())
        also = {a.strip() for a in (m["also"] or "").split(",") if a.strip()}
        names = [n for n in names if n not in also]
        for pair in (m["renamed"] or "").split(", ") if m["renamed"] else []:
            old, new = pair.split(" as ")
            names = [old if n == new else n for n in names]
        fields = CLASSES[m["cls"]].FIELDS
        if m["first"]:
            first = int(m["first"])
            names = [fields[int(n[1:]) - first] if re.fullmatch(r"c\d+", n) and int(n[1:]) - first < len(
                fields) else n for n in names]  # fmt: skip
        line = SQL.count("\n", 0, m.start()) + 1
        lists.append((f"interface.sql line {line} ({m['cls']})", m["cls"], names))
    return lists


def test_every_marked_field_list_in_the_sql_is_fravaers_fields_in_order():
    lists = marked_lists()
    assert len(lists) >= 14  # the types, som_json, the requests', skriv_rader's, kontorer's, last_inn's
    for where, cls, names in lists:
        fields = list(CLASSES[cls].FIELDS)
        assert names == fields, f"{where}: {names} is not {cls}.FIELDS {fields}"


def test_every_list_of_a_fravaers_fields_in_the_sql_is_marked():
    """A list written without its marker would escape the test above: every statement naming the
    field before last (registrert_av) is within a marked list, or is the rule on its value."""
    spans = [(m.end(), _list_after(m.end())[1]) for m in MARKER.finditer(SQL)]
    code = re.sub(r"--[^\n]*", lambda c: " " * len(c.group()), SQL)  # comments out, places kept
    for found in re.finditer(r"\bregistrert_av\b", code):
        line = code[code.rfind("\n", 0, found.start()) + 1 : code.find("\n", found.start())]
        if "tekst_ok(registrert_av" in line:
            continue
        assert any(a <= found.start() < b for a, b in spans), f"an unmarked field list: {line.strip()}"


def test_a_new_field_fails_the_test_until_the_sql_has_it(monkeypatch):
    monkeypatch.setattr(Fravaer, "FIELDS", (*Fravaer.FIELDS, "ny_kolonne"))
    with pytest.raises(AssertionError, match="is not Fravaer.FIELDS"):
        test_every_marked_field_list_in_the_sql_is_fravaers_fields_in_order()


def test_the_migrations_from_the_interface_on_make_no_function_type_or_trigger():
    """Tables, indexes and data only: what a migration made of the interface would be in no one file."""
    for version, path in pgschema.MIGRATIONS.items():
        if version > pgschema.INTERFACE_FROM:
            sql = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
            assert not re.search(r"CREATE\s+(OR\s+REPLACE\s+)?(FUNCTION|TYPE|TRIGGER|POLICY)", sql, re.I), path.name


def _fingerprint(pg_server, database):
    from tests.test_pg_migrations import schema_of

    return schema_of(pg_server, database)


def test_init_twice_changes_nothing_and_a_function_changed_by_hand_is_made_again(pg_server):
    pg_server.sql("postgres", "CREATE DATABASE grensesnitt OWNER eier")
    dsn = pg_server.dsn(database="grensesnitt")
    assert run_database(dsn, "database", "init").returncode == 0
    schema = _fingerprint(pg_server, "grensesnitt")
    again = run_database(dsn, "database", "init")
    assert again.returncode == 0 and "(allerede oppdatert)" in again.stderr
    assert _fingerprint(pg_server, "grensesnitt") == schema

    # A superuser "fixes" a function by hand: init puts the declared one back.
    pg_server.sql(
        "grensesnitt",
        "CREATE OR REPLACE FUNCTION fravaer_intern.skriver_alt() RETURNS boolean LANGUAGE sql STABLE "
        "AS $$ SELECT true $$",
    )
    assert _fingerprint(pg_server, "grensesnitt") != schema
    renewed = run_database(dsn, "database", "init")
    assert renewed.returncode == 0 and "(funksjonene laget på nytt)" in renewed.stderr, renewed.stderr
    assert _fingerprint(pg_server, "grensesnitt") == schema


def test_init_refuses_to_replace_a_newer_programs_interface(pg_server):
    pg_server.sql("postgres", "CREATE DATABASE nyere OWNER eier")
    dsn = pg_server.dsn(database="nyere")
    assert run_database(dsn, "database", "init").returncode == 0
    pg_server.sql("nyere", "UPDATE fravaer.fravaer_schema SET program = '99.0.0', grensesnitt = 'annen'")
    refused = run_database(dsn, "database", "init")
    assert refused.returncode == 5
    assert "laget av fravaer 99.0.0, nyere enn denne" in refused.stderr and "Traceback" not in refused.stderr


def test_the_catalogue_is_a_table_init_fills(pg_server):
    from fravaer_cli.domain.catalogue import catalogue

    pg_server.sql("postgres", "CREATE DATABASE katalog OWNER eier")
    dsn = pg_server.dsn(database="katalog")
    assert run_database(dsn, "database", "init").returncode == 0
    rows = pg_server.sql("katalog", "SELECT nokkel, nb, kort FROM fravaer.tjeneste ORDER BY plass")
    assert rows == [(t.key, t.nb, t.kort) for t in catalogue().values()]
    # A key by hand that is no service is refused by the rule, whoever writes.
    pg_server.sql("katalog", "INSERT INTO fravaer.virksomhet (orgnr) VALUES ('910000004')")
    with pytest.raises(Exception, match="finnes ikke i katalogen"):
        pg_server.sql(
            "katalog",
            "INSERT INTO fravaer.fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester) "
            "VALUES ('910000004', '1', 'Per', 'per', '2030-01-01', '2030-01-02', '{timebestilling,tannlege}')",
        )


@pytest.mark.parametrize(
    "tjenester, vikar, refused",
    [
        ("{timebestilling,timebestilling}", "{}", "står to ganger"),
        ("{timebestilling}", "{e-konsultasjon,e-konsultasjon}", "står to ganger"),
        ("{timebestilling}", "{timebestilling}", "både stenges og ha vikar"),
        ("{}", "{}", "minst én tjeneste"),
        ("{timebestilling,tannlege}", "{}", "finnes ikke i katalogen"),
        ("{timebestilling}", "{e-konsultasjon}", None),
        ("{}", "{e-konsultasjon}", None),
    ],
)
def test_the_server_refuses_the_services_the_program_refuses(pg_server, pg_dsn, tjenester, vikar, refused):
    """The same rules as the program's (model.check_tjenester, and the catalogue), whoever writes: for
    SQL by hand too, as the superuser; an UPDATE as an INSERT."""
    database = pg_dsn.split("dbname=")[1].split()[0]

    def insert(id_: str, closed: str, served: str) -> str:
        return (
            "INSERT INTO fravaer.fravaer (orgnr, id, behandler, behandler_sok, fra, til, tjenester, vikar) "
            f"VALUES ('910000004', '{id_}', 'Per', 'per', '2030-01-01', '2030-01-02', '{closed}', '{served}')"
        )

    pg_server.sql(database, "INSERT INTO fravaer.virksomhet (orgnr) VALUES ('910000004')")
    if refused is None:
        pg_server.sql(database, insert("2", tjenester, vikar))
        return
    with pytest.raises(psycopg2.errors.CheckViolation, match=refused):
        pg_server.sql(database, insert("2", tjenester, vikar))
    pg_server.sql(database, insert("1", "{reseptfornyelse}", "{}"))
    with pytest.raises(psycopg2.errors.CheckViolation, match=refused):
        pg_server.sql(
            database, f"UPDATE fravaer.fravaer SET tjenester = '{tjenester}', vikar = '{vikar}' WHERE id = '1'"
        )


def test_no_login_stops_database_init_by_holding_its_lock(pg_server, pg_dsn):
    """Issue 30, finding 7: init locks a table of the store's own, which a login without the owner's
    rights can neither lock nor hold; an advisory lock on init's old key held by such a login is no
    matter; another init's lock is waited for, and named when it is held too long."""
    database = pg_dsn.split("dbname=")[1].split()[0]
    pg_server.sql(
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nils') THEN "
        "CREATE ROLE nils LOGIN PASSWORD 'pw-nils'; END IF; END $$",
    )
    nils = psycopg2.connect(pg_dsn.replace("user=eier password=pw-eier", "user=nils password=pw-nils"))
    try:
        with nils.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(hashtext('fravaer database init'))")
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("LOCK TABLE fravaer.fravaer_schema IN ACCESS SHARE MODE")
        nils.rollback()
        with nils.cursor() as cur:  # (held by the session, past the rollback)
            cur.execute("SELECT pg_advisory_lock(hashtext('fravaer database init'))")
        done = run_database(pg_dsn, "database", "init", env={"FRAVAER_LOCK_TIMEOUT": "2"}, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        nils.close()

    other = psycopg2.connect(f"host={pg_server.socket} dbname={database} user=postgres")
    try:
        with other.cursor() as cur:
            cur.execute("LOCK TABLE fravaer.fravaer_schema IN SHARE ROW EXCLUSIVE MODE")  # as an init does
            waited = run_database(pg_dsn, "database", "init", env={"FRAVAER_LOCK_TIMEOUT": "1"}, timeout=60)
        assert waited.returncode == 5
        assert "en annen «database init» kjører (postgres (prosess" in waited.stderr, waited.stderr
        assert "ventet 1 sekunder" in waited.stderr and "Traceback" not in waited.stderr
    finally:
        other.close()


def _accepted_by_the_program(text: str, length: int) -> bool:
    """What the program would store as a text of that length: clean_text() takes it, as it is."""
    from fravaer_cli.domain.errors import InputError
    from fravaer_cli.domain.model import clean_text

    try:
        return clean_text(text, "Tekst", length) == text
    except InputError:
        return False


# Characters where the two rules could differ: white space of every kind, controls, bidi and zero-width
# characters, separators, combining marks (NFC), letters the program's users type.
_CHARS = (
    "aZæøåÆØÅ -'.,é\u0301\u0308"
    "\t\n\x0b\x0c\r\x1c\x1f\x7f\x80\x85\x9f\xa0\u1680\u2000\u200a\u200b\u200c\u200d\u200e\u200f"
    "\u2028\u2029\u202a\u202e\u202f\u205f\u2060\u2066\u2069\u3000\ufeff\U0001f600"
)


def test_the_servers_rule_on_a_text_is_the_programs(pg_server, pg_dsn):
    """One rule set: for many texts, the server's check (fravaer_intern.tekst_ok) says what the program's
    clean_text says: white space at the ends, control, bidi and other characters, the length in NFC."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    database = pg_dsn.split("dbname=")[1].split()[0]
    conn = psycopg2.connect(f"host={pg_server.socket} dbname={database} user=postgres")
    texts = st.text(alphabet=st.sampled_from(_CHARS), max_size=12)
    try:

        @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.lists(texts, min_size=1, max_size=50), st.sampled_from([3, 5, 8]))
        def same_answers(batch, length):
            with conn.cursor() as cur:
                cur.execute("SELECT fravaer_intern.tekst_ok(t, %s) FROM unnest(%s::text[]) t", (length, batch))
                server = [row[0] for row in cur.fetchall()]
            assert server == [_accepted_by_the_program(t, length) for t in batch], batch

        same_answers()
    finally:
        conn.close()


def _a_name_for_the_program(text: str) -> bool:
    from fravaer_cli.domain.errors import InputError
    from fravaer_cli.domain.model import clean_name

    try:
        return clean_name(text) == text
    except InputError:
        return False


def test_the_servers_rule_on_a_name_is_the_programs(pg_server, pg_dsn):
    """A GP's or an office's name: the text's rule, not empty, and no invisible format character (Cf)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    database = pg_dsn.split("dbname=")[1].split()[0]
    conn = psycopg2.connect(f"host={pg_server.socket} dbname={database} user=postgres")
    # (Format characters that are Cf in the Unicode of every Python the project runs on.)
    names = st.text(alphabet=st.sampled_from(_CHARS + "\u00ad\u061c\u2061\ufff9\U000e0041"), max_size=8)
    try:

        @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.lists(names, min_size=1, max_size=50))
        def same_answers(batch):
            with conn.cursor() as cur:
                cur.execute("SELECT fravaer_intern.navn_ok(t) FROM unnest(%s::text[]) t", (batch,))
                server = [row[0] for row in cur.fetchall()]
            assert server == [_a_name_for_the_program(t) for t in batch], batch

        same_answers()
    finally:
        conn.close()


def test_an_office_name_is_at_most_as_long_on_the_server_as_in_the_program(pg_server, pg_dsn):
    from fravaer_cli.domain.model import MAX_NAME

    database = pg_dsn.split("dbname=")[1].split()[0]
    pg_server.sql(database, f"INSERT INTO fravaer.virksomhet (orgnr, navn) VALUES ('910000004', '{'x' * MAX_NAME}')")
    with pytest.raises(psycopg2.errors.CheckViolation):
        pg_server.sql(database, f"UPDATE fravaer.virksomhet SET navn = '{'x' * (MAX_NAME + 1)}'")


@pytest.mark.parametrize("login", ["eier", "postgres"])  # (the superuser takes no membership on the way)
def test_two_first_inits_at_once_both_end_well_and_no_login_holds_up_the_first(pg_server, login):
    """A new database has no table of the store's to lock: nothing any login could take stands
    before its first init (a login's advisory lock on init's old key is no matter), and of two first
    inits at once the second waits for the first's tables, then runs again on the store there is."""
    import subprocess

    from tests.helpers import EXECUTABLE

    database = f"forste_{login}"
    pg_server.sql("postgres", f"CREATE DATABASE {database} OWNER eier")
    pg_server.sql(
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nils') THEN "
        "CREATE ROLE nils LOGIN PASSWORD 'pw-nils'; END IF; END $$",
    )
    dsn = pg_server.dsn(database=database)
    if login == "postgres":
        dsn = f"host={pg_server.socket} dbname={database} user=postgres"
    nils = psycopg2.connect(pg_server.dsn(login="nils", database=database))
    try:
        with nils.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(hashtext('fravaer database init'))")
        env = {**__import__("os").environ, "FRAVAER_DATABASE_URL": dsn, "FRAVAER_LOCK_TIMEOUT": "20"}
        out = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        both = [subprocess.Popen([EXECUTABLE, "database", "init"], env=env, **out) for _ in range(2)]
        done = [p.communicate(timeout=120) for p in both]
    finally:
        nils.close()
    assert [p.returncode for p in both] == [0, 0], done
    assert pg_server.sql(database, "SELECT versjon FROM fravaer.fravaer_schema") == [(pgschema.SCHEMA,)]
