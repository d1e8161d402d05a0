"""Issue 30: the shared store makes its own record. A login says what it wants done (fravaer_api.endre,
skriv_rader); the server gives ids, who and when, the keys and every log entry. Whatever a login
sends, bent as it likes, the log replays to exactly what is stored, each entry names the login that
made it, no stored text has a control character, every row is one the rules allow, and no other
office changes. The program's own calls are recorded and replayed by hand with one value bent at a time."""

import copy
import csv
import io
import json
import random
import re

import psycopg2
import pytest
from typer.testing import CliRunner

from fravaer_cli.domain import catalogue
from fravaer_cli.domain.model import clean_name, clean_text
from fravaer_cli.domain.names import behandler_key, search_key
from fravaer_cli.store.postgres import pgstore, streaming
from tests.helpers import ORGNR, OTHER_ORGNR, add_args, run_database
from tests.test_pg_trust import as_login, by_hand, database_of

A, B = ORGNR, OTHER_ORGNR

# == The server's folding is the program's ==========================================================

# Names as offices type them, and beyond: Norwegian, Sami, Nordic, European letters with accents,
# Greek, Cyrillic, combining marks written apart, ligatures, white space of every kind.
LETTERS = (
    "abcdefghijklmnopqrstuvwxyzæøåABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ -'.,"
    "éèêëáàâäãóòôöõúùûüíìîïñçčšžłđðþßẞœŒÐÞŁĐŋŊŧŦáÁ"
    "ĀāĂăĄąĆćĈĉĊċĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįĴĵĶķĹĺĻļĽľĿŀŃńŅņŇňŉŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž"
    "αβγδεζηθικλμνξοπρστυφχψωςΑΒΓΔΣΩάέήίόύώᾳᾼᾀῳΐΰ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЖЯ"
    "\u0301\u0308\u030a\u0327\u00a0\u2009\u3000ﬁﬂµſİıĲĳǅǄ"
)
IOTA_SUBSCRIPT = "ᾳᾼᾀῳ"
COMBINING = "\u0301\u0308\u030a\u0327"


def names(count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    found = ["Øystein Åsheim", "ÆRLIG Strauß", "Ođđ Þór", "  Per   Hansen ", "ΟΔΟΣ Σίσυφος", "ᾼδης", "Ǆemal Ĳsselmeer"]
    while len(found) < count:
        name = "".join(rnd.choice(LETTERS) for _ in range(rnd.randint(1, 30)))
        # Known apart: a Greek iota subscript followed by another combining mark. Python folds the
        # subscript to ι before the mark, PostgreSQL's NFD puts the mark first (the GP key only).
        if not re.search(f"[{IOTA_SUBSCRIPT}][{COMBINING}]", name):
            found.append(name)
    return found


def test_the_servers_search_key_and_gp_key_are_the_programs(pg_server, pg_dsn):
    sample = names(6000, seed=30)
    rows = folded_on_the_server(pg_server, database_of(pg_dsn), sample)
    wrong = [(n, got) for n, got in zip(sample, rows, strict=True) if got != (search_key(n), behandler_key(n))]
    assert wrong == []


def test_the_folding_holds_under_a_database_whose_locale_lowers_only_ascii(pg_server):
    """lower() under the C locale leaves Ø as it is; the server's folding asks ICU."""
    pg_server.sql("postgres", "CREATE DATABASE c_locale TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' OWNER eier")
    assert run_database(pg_server.dsn(database="c_locale"), "database", "init").returncode == 0
    rows = pg_server.sql(
        "c_locale", "SELECT fravaer_intern.sokenokkel('ØYSTEIN Åsheim'), fravaer_intern.gp_nokkel('ØYSTEIN')"
    )
    assert rows == [(search_key("ØYSTEIN Åsheim"), behandler_key("ØYSTEIN"))] == [("oystein asheim", "øystein")]


# == The program's own calls, recorded ================================================================


@pytest.fixture
def offices(pg_server, pg_dsn):
    """Office A (kari's) with a roster of two and two fravær; office B (ola's) with one."""
    run = lambda *args: run_database(pg_dsn, *args)  # noqa: E731
    for name in ("Lege A", "Anne Berg"):
        assert run("roster", "add", "--virksomhet", A, "--behandler", name).returncode == 0
    assert run(*add_args(orgnr=A, behandler="Lege A")).returncode == 0
    assert run(*add_args(orgnr=A, behandler="Anne Berg", fra="01.09.2030", til="05.09.2030")).returncode == 0
    assert run(*add_args(orgnr=B, behandler="Lege B")).returncode == 0
    assert run("access", "grant", "kari", "--virksomhet", A).returncode == 0
    assert run("access", "grant", "ola", "--virksomhet", B).returncode == 0
    return pg_dsn


def record_calls(monkeypatch, dsn: str, commands: list[list[str]]) -> list[tuple]:
    """Each writing command run in this process as the login of dsn; what it sent the server:
    ("endre", request) or ("rader", rows, handling, pa_vegne_av)."""
    from fravaer_cli.cli.app import app

    calls: list[tuple] = []
    requests_of, rows_of = pgstore.requests_of, streaming.request_rows

    def recording_requests(pending, sent):
        requests, expected = requests_of(pending, sent)
        calls.append(("endre", {"pa_vegne_av": stores[-1].on_behalf_of, "handlinger": copy.deepcopy(requests)}))
        return requests, expected

    def recording_rows(records):
        sent = rows_of(records)
        rows = list(csv.reader(io.StringIO(sent.text.getvalue())))
        calls.append(("rader", rows, "import", stores[-1].on_behalf_of if stores else None))
        return sent

    stores: list = []
    made = pgstore.PgStore.__init__

    def remembered(self, *args, **kwargs):
        made(self, *args, **kwargs)
        stores.append(self)

    monkeypatch.setattr(pgstore, "requests_of", recording_requests)
    monkeypatch.setattr(streaming, "request_rows", recording_rows)
    monkeypatch.setattr(pgstore.PgStore, "__init__", remembered)
    for command in commands:
        result = CliRunner().invoke(app, [*command], env={"FRAVAER_DATABASE_URL": dsn})
        assert result.exit_code == 0, (command, result.output)
    return calls


def commands(tmp_path) -> list[list[str]]:
    sheet = tmp_path / "plan.csv"
    sheet.write_text(
        "Virksomhet;Navn;Behandler;Fra og med;Til og med;Tjenester;Kommentar\n"
        f"{A};;Lege A;01.10.2030;02.10.2030;timebestilling;Høstferie\n"
        f"{A};;Anne Berg;01.10.2030;02.10.2030;alle;\n"
    )
    v = ["--virksomhet", A]
    return [
        add_args(orgnr=A, behandler="Lege A", fra="01.11.2030", til="03.11.2030"),
        [*add_args(orgnr=A, behandler="Anne Berg", fra="01.12.2030", til="03.12.2030"), "--kommentar", "Kurs"],
        ["--av", "Siri Sekretær", "edit", "1", *v, "--til", "04.08.2030"],
        ["delete", "2", *v, "--yes"],
        ["restore", "2", *v],
        ["restore", "1", *v],
        ["info", *v, "--navn", "Legekontoret A", "--set", "Stengt i jula"],
        ["roster", "add", *v, "--behandler", "Lege A", "--hpr", "1234567"],
        ["roster", "add", *v, "--behandler", "Ny Lege"],
        ["roster", "remove", *v, "--behandler", "Ny Lege"],
        ["--av", "Siri Sekretær", "import", str(sheet)],
        ["roster", "rename", *v, "--behandler", "Anne Berg", "--til-navn", "Anne Bergh"],
    ]


# == A log that replays to what is stored =============================================================


def replayed(entries: list[dict]) -> dict:
    """An office as its log tells it, from nothing; each entry's before must be what the log had."""
    from fravaer_cli.domain.virksomhet import former_names

    office: dict = {"navn": "", "info": "", "behandlere": [], "fravaer": {}, "tidligere": {}}
    roster = office["behandlere"]
    for e in entries:
        handling, f = e["handling"], e.get("fravaer")
        if handling in ("add", "import") or (handling == "restore" and f["id"] not in office["fravaer"]):
            assert f["id"] not in office["fravaer"], e
            office["fravaer"][f["id"]] = f
        elif handling in ("edit", "restore"):
            assert office["fravaer"][f["id"]] == e["forrige"], e
            office["fravaer"][f["id"]] = f
        elif handling == "delete":
            assert office["fravaer"].pop(f["id"]) == f, e
        elif handling == "info":
            assert {"navn": office["navn"], "info": office["info"]} == e["forrige"], e
            office.update(e["virksomhet"])
        elif handling == "roster_add":
            if e["forrige"] is None:
                assert behandler_key(e["behandler"]["behandler"]) not in [behandler_key(p["behandler"]) for p in roster]
                roster.append(e["behandler"])
            else:
                roster[roster.index(e["forrige"])] = e["behandler"]
        elif handling == "roster_remove":
            roster.remove(e["behandler"])
        elif handling == "rename":
            old, new = behandler_key(e["behandler"]["fra"]), behandler_key(e["behandler"]["til"])
            keys = [behandler_key(p["behandler"]) for p in roster]
            i = keys.index(old) if old in keys else None
            j = keys.index(new) if new in keys and new != old else None
            target = e["behandler"]["til"]
            if new != old:  # a merge keeps the name the other GP has
                stored = sorted(
                    (x for x in office["fravaer"].values() if behandler_key(x["behandler"]) == new),
                    key=lambda x: (len(x["id"]), x["id"]),
                )
                target = roster[j]["behandler"] if j is not None else stored[0]["behandler"] if stored else target
            if i is not None and j is not None:
                roster[j] = {**roster[j], "hpr": roster[j]["hpr"] or roster[i]["hpr"]}
                del roster[i]
            elif i is not None:
                roster[i] = {**roster[i], "behandler": target}
            office["tidligere"] = former_names(office["tidligere"], e["behandler"]["fra"], target)
        else:
            raise AssertionError(f"an entry the program does not know: {e}")
    return office


CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def texts_of(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from texts_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from texts_of(v)


def stored(pg_server, database: str) -> dict:
    """Every office as the tables have it, and its log: (av column, entry)."""
    offices = {}
    for orgnr, navn, info, behandlere, neste_id, tidligere in pg_server.sql(
        database,
        "SELECT orgnr, navn, info, behandlere, neste_id, tidligere_navn FROM fravaer.virksomhet ORDER BY orgnr",
    ):
        offices[orgnr] = {"navn": navn, "info": info, "behandlere": behandlere, "neste_id": neste_id,
                          "tidligere": tidligere}  # fmt: skip
    for orgnr, row in pg_server.sql(
        database, "SELECT orgnr, fravaer_intern.som_json(f) FROM fravaer.fravaer f ORDER BY orgnr, length(id), id"
    ):
        offices[orgnr].setdefault("fravaer", {})[row["id"]] = row
    for orgnr, nr, av, entry in pg_server.sql(
        database, "SELECT orgnr, nr, av, oppforing FROM fravaer.logg ORDER BY orgnr, nr"
    ):
        offices[orgnr].setdefault("logg", []).append((nr, av, entry))
    return offices


def check_record(pg_server, database: str, logins: dict[int, str]) -> dict:
    """The promises, for every office; logins: who made the entries from each log number on."""
    offices = stored(pg_server, database)
    for orgnr, office in offices.items():
        entries = [entry for _, _, entry in office.get("logg", [])]
        again = replayed(entries)
        assert again["fravaer"] == office.get("fravaer", {}), orgnr
        assert (again["navn"], again["info"], again["behandlere"], again["tidligere"]) == (
            office["navn"], office["info"], office["behandlere"], office["tidligere"]), orgnr  # fmt: skip
        assert all(int(i) < office["neste_id"] for i in office.get("fravaer", {}))
        for nr, av, entry in office.get("logg", []):
            maker = logins[max(n for n in logins if n <= nr)]
            assert entry["av"] == av == maker, (nr, entry)
        for text in texts_of([office["navn"], office["info"], office["behandlere"], entries]):
            assert not CONTROL.search(text) and len(text) <= 500, repr(text[:80])
        for f in office.get("fravaer", {}).values():  # rows the rules allow
            assert (
                clean_name(f["behandler"]) == f["behandler"] and clean_text(f["kommentar"], "k", 500) == f["kommentar"]
            )
            keys = f["tjenester"] + f["vikar"]
            assert keys and len(set(keys)) == len(keys) and set(keys) <= set(catalogue.catalogue()), f
            assert f["fra"] <= f["til"] < "9999-12-31"
        for entry in office["behandlere"]:
            assert clean_name(entry["behandler"]) == entry["behandler"] and re.fullmatch(r"\d{0,10}", entry["hpr"])
        assert len(office["behandlere"]) <= 1000
    return offices


# == Bending ==========================================================================================

LONG = "x" * 200_000
BENT_TEXTS = ["Siri\n01.01.2027 09:00  admin_kari  slettet", "\x1b[31mrødt", LONG, "", " ", "Per\u202eHand"]


def bent(value, path=()):
    """Every variant of value with one thing in it bent: each text, a key added or dropped, a list
    item repeated or dropped, an office number made another office's."""
    if isinstance(value, str):
        for text in BENT_TEXTS + ([B] if re.fullmatch(r"\d{9}", value) else []):
            yield path, text
    elif isinstance(value, dict):
        for extra in ({"id": "99"}, {"registrert_av": "admin_kari"}, {"forrige": None}):
            yield path, {**value, **extra}
        for key in value:
            yield path, {k: v for k, v in value.items() if k != key}
            yield from bent(value[key], (*path, key))
    elif isinstance(value, list):
        if value:
            yield path, value + value[-1:]
            yield path, value[:-1]
        for i, item in enumerate(value):
            yield from bent(item, (*path, i))
    elif value is None:
        yield path, "1"


def put(value, path, new):
    if not path:
        return new
    value = copy.deepcopy(value)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value


def send(dsn: str, call: tuple) -> bool:
    """A recorded call, as bent, by hand in a transaction of its own: whether the server took it."""
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cur:
            if call[0] == "endre":
                cur.execute("SELECT * FROM fravaer_api.endre(%s::json)", (json.dumps(call[1]),))
            else:
                _, rows, handling, on_behalf_of = call
                width = max(len(r) for r in rows) if rows else 1
                columns = ", ".join(["tabell", *(f"c{n}" for n in range(width - 1))])
                text = io.StringIO()
                csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(
                    [r + [""] * (width - len(r)) for r in rows])  # fmt: skip
                text.seek(0)
                cur.copy_expert(f"COPY fravaer_inn.rader ({columns}) FROM STDIN WITH (FORMAT csv)", text)
                cur.execute("SELECT fravaer_api.skriv_rader(%s, %s)", (handling, on_behalf_of))
        return True
    except psycopg2.Error:
        return False
    finally:
        conn.close()


def variants(call: tuple):
    if call[0] == "endre":
        for path, new in bent(call[1]):
            yield ("endre", put(call[1], path, new))
        yield ("endre", {**call[1], "handlinger": call[1]["handlinger"] * 10_001})
    else:
        _, rows, handling, on_behalf_of = call
        for path, new in bent([r[1:] for r in rows]):
            yield ("rader", [["fravaer", *r] for r in put([r[1:] for r in rows], path, new)], handling, on_behalf_of)
        yield ("rader", rows * 10_001, handling, on_behalf_of)  # past what a transaction may send
        for bad in BENT_TEXTS + [None]:
            yield ("rader", rows, handling, bad)
        yield ("rader", rows, "delete", on_behalf_of)


@pytest.mark.parametrize("login", ["kari", "eier"])
def test_the_programs_own_calls_bent_one_value_at_a_time_leave_a_true_record(
    offices, pg_server, monkeypatch, tmp_path, login
):
    dsn = as_login(offices, login)
    database = database_of(offices)
    first = stored(pg_server, database)
    calls = record_calls(monkeypatch, dsn, commands(tmp_path))
    kinds = {c[0] for c in calls}
    assert kinds == {"endre", "rader"} and len(calls) >= 12, calls
    logins = {0: "eier", max(nr for o in first.values() for nr, _, _ in o["logg"]) + 1: login}
    after_program = check_record(pg_server, database, logins)
    assert after_program[B] == first[B]

    taken = refused = 0
    for call in calls:
        for variant in variants(call):
            if send(dsn, variant):
                taken += 1
            else:
                refused += 1
    offices_now = check_record(pg_server, database, logins)
    if login == "kari":  # the other office, which only an admin may write: as it was
        assert offices_now[B] == first[B]
    assert taken and refused > taken  # (what was taken: texts the rules allow, dates, names)


def test_a_roster_of_more_than_a_thousand_is_refused_on_the_server(offices, pg_server):
    requests = [{"orgnr": A, "handling": "roster_add", "behandler": f"Lege {n:04}", "hpr": None} for n in range(3000)]
    with pytest.raises(psycopg2.errors.ProgramLimitExceeded):
        by_hand(as_login(offices, "kari"), "SELECT * FROM fravaer_api.endre(%s::json)",
                args=(json.dumps({"handlinger": requests}),))  # fmt: skip
    count = pg_server.sql(
        database_of(offices), f"SELECT jsonb_array_length(behandlere) FROM fravaer.virksomhet WHERE orgnr = '{A}'"
    )
    assert count == [(2,)]


def test_rows_sent_and_left_behind_are_bounded(offices, pg_server):
    """A login may not leave more than 20,000 rows in fravaer_inn.rader in a transaction, and what a
    transaction that ended left is cleared by the next insert."""
    dsn = as_login(offices, "kari")
    with pytest.raises(psycopg2.errors.ProgramLimitExceeded):
        by_hand(dsn, "INSERT INTO fravaer_inn.rader (tabell) SELECT 'fravaer' FROM generate_series(1, 20001)")
    by_hand(dsn, "INSERT INTO fravaer_inn.rader (tabell) SELECT 'fravaer' FROM generate_series(1, 20000)")
    by_hand(dsn, "INSERT INTO fravaer_inn.rader (tabell) VALUES ('logg')")
    left = pg_server.sql(database_of(offices), "SELECT count(*) FROM fravaer_inn.rader")
    assert left == [(1,)]


def test_a_national_report_gets_each_office_once(offices, pg_server):
    """kontorer() gives an office's roster and info on its first row only, not once a fravær."""
    rows = by_hand(offices, "SELECT orgnr, behandlere, info FROM fravaer_api.kontorer()")
    assert [r[0] for r in rows] == [A, A, B]
    assert [r[1] is not None for r in rows] == [True, False, True]


def test_an_hpr_number_on_the_roster_finds_the_gp_on_the_database(offices, pg_server):
    """Issue 31, item 1: the roster's HPR number finds the GP in a national search."""
    pg_server.sql("postgres", "GRANT fravaer_kundesenter TO kim")
    assert (
        run_database(
            offices, "roster", "add", "--virksomhet", A, "--behandler", "Anne Berg", "--hpr", "9144889"
        ).returncode
        == 0
    )
    listed = run_database(as_login(offices, "kim"), "list", "--all", "--behandler", "9144889", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(r["behandler"], r["fra"]) for r in json.loads(listed.stdout)] == [("Anne Berg", "2030-09-01")]


def folded_on_the_server(pg_server, database: str, sample: list[str]) -> list[tuple[str, str]]:
    """(search key, GP key) of each text, as the server makes them (as the superuser: the functions
    are the store's own, which no login may call)."""
    literals = ", ".join("'" + text.replace("'", "''") + "'" for text in sample)
    return pg_server.sql(
        database,
        "SELECT fravaer_intern.sokenokkel(t), fravaer_intern.gp_nokkel(t) "
        f"FROM unnest(ARRAY[{literals}]::text[]) WITH ORDINALITY AS x (t, n) ORDER BY n",
    )


def test_every_letter_python_casefolds_otherwise_than_it_lowers_is_folded_alike(pg_server, pg_dsn):
    """The letters interface.sql's casefold() writes out, each alone and in a word: none left out."""
    import unicodedata

    letters = [
        chr(c)
        for c in range(0x110000)
        if unicodedata.normalize("NFC", chr(c).casefold()) != unicodedata.normalize("NFC", chr(c).lower())
        and unicodedata.category(chr(c)) != "Mn"
    ]
    assert len(letters) > 200
    sample = [w for c in letters for w in (c, f"Ola{c}sen")]
    rows = folded_on_the_server(pg_server, database_of(pg_dsn), sample)
    wrong = [(w, got) for w, got in zip(sample, rows, strict=True) if got != (search_key(w), behandler_key(w))]
    assert wrong == []


def test_a_record_other_than_the_programs_decision_stores_nothing(offices, pg_server):
    """What the server logged is held against what the domain decided under the same locks: a
    client whose idea of the office differs (here: of the next id) stores nothing, and says so."""
    from datetime import date

    from fravaer_cli.domain.errors import StoreError
    from fravaer_cli.domain.model import Fravaer
    from fravaer_cli.store.postgres.pgstore import PgStore

    before = pg_server.sql(database_of(offices), "SELECT count(*) FROM fravaer.logg")
    store = PgStore(offices)
    wrong = Fravaer("7", "Lege A", date(2031, 1, 1), date(2031, 1, 2), ("timebestilling",))
    with pytest.raises(StoreError, match="førte en annen endring enn fravaer ventet .*add 3 i .*ventet: add 7 i"):
        with store.change(A) as change:
            change.office.fravaer.append(wrong)
            change.record("add", wrong)
    store.close()
    assert pg_server.sql(database_of(offices), "SELECT count(*) FROM fravaer.logg") == before


def _endre(dsn: str, requests: list):
    call = {"pa_vegne_av": None, "handlinger": requests}
    return by_hand(dsn, "SELECT orgnr, handling, id FROM fravaer_api.endre(%s::json)", args=(json.dumps(call),))


ALLE = ["reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret", "timebestilling"]


@pytest.mark.parametrize(
    "request_, code",
    [
        # The roster's rule: with a roster, only its GPs (a GP stored by hand past it: «ikke på listen»).
        ({"handling": "add", "fravaer": {"behandler": "Ukjent Person", "fra": "2031-01-01", "til": "2031-01-02",
                                         "tjenester": ["timebestilling"]}}, "23514"),
        ({"handling": "edit", "id": "1", "fravaer": {"behandler": "Ukjent Person"}}, "23514"),
        # Values of the type the program sends, not made text or a date by a cast.
        ({"handling": "add", "fravaer": {"behandler": 5, "fra": "2031-01-01", "til": "2031-01-02",
                                         "tjenester": ["timebestilling"]}}, "22023"),
        ({"handling": "add", "fravaer": {"behandler": "Lege A", "fra": "now", "til": "2031-01-02",
                                         "tjenester": ["timebestilling"]}}, "22023"),
        ({"handling": "add", "fravaer": {"behandler": "Lege A", "fra": "2031-01-01 12:00", "til": "2031-01-02",
                                         "tjenester": ["timebestilling"]}}, "22023"),
        ({"handling": "add", "fravaer": {"behandler": "Lege A", "fra": "2031-01-01", "til": "2031-01-02",
                                         "tjenester": "[0:0]={timebestilling}"}}, "22023"),
        # The services in another order are the same services: no change, as on files.
        ({"handling": "edit", "id": "1", "fravaer": {"tjenester": ALLE}}, "23514"),
    ],
)  # fmt: skip
def test_the_servers_rules_are_the_programs_for_what_a_request_says(offices, request_, code):
    with pytest.raises(psycopg2.Error) as refused:
        _endre(as_login(offices, "kari"), [{"orgnr": A, **request_}])
    assert refused.value.pgcode == code, refused.value


def test_an_entry_is_stamped_when_its_call_came_not_when_its_transaction_began(offices):
    """A login that holds its transaction open cannot backdate what it does next."""
    import time

    conn = psycopg2.connect(as_login(offices, "kari"))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_char(clock_timestamp() AT TIME ZONE 'Europe/Oslo', 'YYYY-MM-DD\"T\"HH24:MI:SS')")
            opened = cur.fetchone()[0]
            time.sleep(2.2)
            cur.execute("SELECT * FROM fravaer_api.endre(%s::json)", (json.dumps({"handlinger": [
                {"orgnr": A, "handling": "delete", "id": "2"}]}),))  # fmt: skip
        conn.commit()
    finally:
        conn.close()
    entry = json.loads(run_database(offices, "log", "--virksomhet", A, "--json").stdout)[-1]
    assert entry["handling"] == "delete" and entry["tid"][:19] > opened, (entry["tid"], opened)


def test_a_login_whose_name_is_no_name_writes_nothing(offices, pg_server):
    """A login named with a line break would stand in the log as a second entry that never was."""
    forged = "ev\n08.12.2026 03:40  kari  slettet"
    pg_server.sql(
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = E'ev\\n08.12.2026 03:40  kari  slettet') "
        "THEN CREATE ROLE \"ev\n08.12.2026 03:40  kari  slettet\" LOGIN PASSWORD 'pw-ev'; END IF; END $$",
    )
    with pytest.raises(psycopg2.errors.CheckViolation):  # access is not given to it
        by_hand(offices, "SELECT fravaer_api.gi_tilgang(%s, %s)", args=(forged, A))
    database = database_of(offices)
    superuser = psycopg2.connect(host=str(pg_server.socket), dbname=database, user="postgres")
    try:
        with superuser, superuser.cursor() as cur:  # as an operator could, past the program
            cur.execute("INSERT INTO fravaer.tilgang (login, orgnr, gitt_av) VALUES (%s, %s, 'x')", (forged, A))
            cur.execute(f'GRANT fravaer_kontor TO "{forged}"')
    finally:
        superuser.close()
    before = pg_server.sql(database, "SELECT count(*) FROM fravaer.logg")
    login_dsn = offices.replace("user=eier password=pw-eier", "") + f" user='{forged}' password=pw-ev"
    with pytest.raises(psycopg2.errors.CheckViolation):  # and given by hand, it writes nothing
        _endre(login_dsn, [{"orgnr": A, "handling": "delete", "id": "1"}])
    assert pg_server.sql(database, "SELECT count(*) FROM fravaer.logg") == before


def test_an_imports_rows_keep_the_roster_rule_on_the_server(offices):
    """Rows staged by hand for a GP not on the office's roster are refused whole, as the program's
    import refuses them; rows of GPs on it (in any case and spacing) are taken."""
    conn = psycopg2.connect(as_login(offices, "kari"))
    try:
        for name, taken in (("Ukjent Person", False), ("LEGE  a", True)):
            with conn.cursor() as cur:
                cur.execute(
                    "INSERT INTO fravaer_inn.rader (tabell, c0, c1, c2, c3, c4, c5, c6, c7, c8) VALUES "
                    "('fravaer', %(o)s, 'Lege A', '2032-01-01', '2032-01-01', '{timebestilling}', '{}', '', '', '0'), "
                    "('fravaer', %(o)s, %(navn)s, '2032-02-01', '2032-02-01', '{timebestilling}', '{}', '', '', '1')",
                    {"o": A, "navn": name},
                )
                if taken:
                    cur.execute("SELECT fravaer_api.skriv_rader('import', NULL)")
                else:
                    with pytest.raises(psycopg2.errors.CheckViolation, match="Ukjent Person står ikke på listen"):
                        cur.execute("SELECT fravaer_api.skriv_rader('import', NULL)")
            conn.commit() if taken else conn.rollback()
    finally:
        conn.close()
    listed = json.loads(run_database(offices, "list", "--virksomhet", A, "--json", "--include-past").stdout)
    assert [f["behandler"] for f in listed if f["fra"] >= "2032"] == ["Lege A", "LEGE  a"]
