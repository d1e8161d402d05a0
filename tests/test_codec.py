"""One codec for a fravær and a roster entry (domain/model.py): every store and format goes
through it, the records are frozen, and each form gives back what it was made from."""

import json
import re
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fravaer_cli.domain.catalogue import catalogue
from fravaer_cli.domain.model import Draft, Fravaer, RosterEntry

KEYS = list(catalogue())
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def fravaer(draw) -> Fravaer:
    fra, til = sorted([draw(dates), draw(dates)])
    closed = tuple(k for k in KEYS if draw(st.booleans())) or (KEYS[0],)
    vikar = tuple(k for k in KEYS if k not in closed and draw(st.booleans()))
    return Fravaer(
        draw(st.from_regex(r"[0-9A-Za-z_-]{1,8}", fullmatch=True)),
        draw(texts.filter(str.strip)),
        fra,
        til,
        closed,
        vikar,
        *(draw(texts) for _ in Fravaer.OPTIONAL),
    )


@settings(max_examples=300, deadline=None)
@given(fravaer())
def test_every_form_gives_back_the_fravaer_it_was_made_from(f):
    assert Fravaer.from_values(f.values()) == f
    assert Fravaer.from_values([list(v) if isinstance(v, tuple) else v for v in f.values()]) == f  # a database row
    assert Fravaer.from_text_values(json.loads(json.dumps(f.text_values()))) == f  # the cache
    shown = f.to_dict()
    assert list(shown) == list(Fravaer.FIELDS) and shown["hpr"] == (f.hpr or None)
    assert f.to_record() == {k: v for k, v in shown.items() if k not in Fravaer.OPTIONAL or v} | {
        "fra": f.fra,
        "til": f.til,
    }


@settings(max_examples=100, deadline=None)
@given(fravaer())
def test_the_file_store_writes_and_reads_back_every_field(f):
    from fravaer_cli.domain.virksomhet import Virksomhet
    from fravaer_cli.store.files import documents, writer

    office = Virksomhet("974760673", "Navn", "Info", 10**9, [f], [RosterEntry("Siri Hansen", "1234567")])
    for suffix in (".toml", ".json"):
        raw = writer.serialise(writer.document_of(office), suffix)
        back = documents.office_from(documents.parse_document(raw, suffix), office.orgnr)
        assert back.fravaer == [f] and back.roster == office.roster
    raw, _ = writer.toml_office(office)
    assert documents.office_from(documents.parse_document(raw, ".toml"), office.orgnr).fravaer == [f]
    # A change writes each fravær through the compiled fravaer_toml(), a copy the whole document:
    # the same bytes either way.
    assert raw == writer.serialise(writer.document_of(office), ".toml")


@settings(max_examples=100, deadline=None)
@given(fravaer())
def test_the_log_writes_a_fravaer_as_json_writes_its_dict(f):
    from fravaer_cli.store.files import writer

    assert writer.fravaer_json()(f) == json.dumps(f.to_dict(), ensure_ascii=False)


def test_an_added_fravaers_log_line_is_what_json_writes(tmp_path):
    """The file store writes an add's and an import's log lines itself (the common shape, fast):
    each is the line json.dumps() makes of the same entry."""
    from fravaer_cli.domain.model import make_draft
    from fravaer_cli.store.files.filestore import FileStore

    store = FileStore(tmp_path, clock=lambda: "2030-01-01T08:00:00+01:00")
    with store.change("974760673", create=True) as change:
        f, _ = change.office.add(
            make_draft('Ærlig "Øystein" \\', date(2030, 1, 1), date(2030, 1, 2), ["timebestilling"], hpr="9144889"),
            date(2024, 1, 1), False, "kari", "t",
        )  # fmt: skip
        change.record("add", f)
        change.record("info", None, virksomhet={"navn": "X"})
    lines = (tmp_path / "974760673.log").read_text(encoding="utf-8").splitlines()
    assert [json.dumps(json.loads(line), ensure_ascii=False) for line in lines] == lines
    assert json.loads(lines[0])["fravaer"] == f.to_dict() and json.loads(lines[0])["handling"] == "add"


def test_every_store_names_the_fields_the_codec_has():
    """A field is added in one place: the database's columns, the file's keys and the cache's
    values all come from Fravaer.FIELDS."""
    from fravaer_cli.store.files import documents
    from fravaer_cli.store.postgres import pgschema, rows

    assert documents._FRAVAER_KEYS == set(Fravaer.FIELDS)
    # Every migration in order, then the interface (from schema 8): the last definition of each
    # thing is the one in force.
    sql = "".join(path.read_text() for path in pgschema.MIGRATIONS.values()) + pgschema.INTERFACE.read_text()

    def defined(what: str) -> str:
        """The text from the last CREATE [OR REPLACE] of what on."""
        return sql[[m.start() for m in re.finditer(rf"CREATE (OR REPLACE )?{re.escape(what)}", sql)][-1] :]

    # The server's kontorer() gives a fravær's fields from rows.FIRST_FIELD on, in FIELDS' order.
    kontorer = defined("FUNCTION fravaer_api.kontorer(")
    returned = kontorer[kontorer.index("RETURNS TABLE (") + len("RETURNS TABLE (") :].split(")")[0]
    columns = [column.split()[0] for column in returned.split(",")]
    assert columns[rows.FIRST_FIELD :] == [("hpr_nr" if name == "hpr" else name) for name in Fravaer.FIELDS]
    # The server writes a fravær into its log entries itself, as a row of the type logg_fravaer:
    # a new field is named there, in som_json(), and (one a user gives) in the type a request
    # asks for a fravær as (onsket).
    logged = defined("TYPE fravaer_intern.logg_fravaer AS (").split("(", 1)[1].split(";")[0]
    assert [column.split()[0] for column in logged.split(",")] == list(Fravaer.FIELDS)
    as_json = defined("FUNCTION fravaer_intern.som_json(").split("$$")[1]
    asked = defined("TYPE fravaer_intern.onsket AS (").split("(", 1)[1].split(";")[0]
    assert [name for name in Fravaer.FIELDS if f"f.{name}" not in as_json] == []
    assert [column.split()[0] for column in asked.split(",")] == list(Draft.FIELDS)


def test_records_are_frozen():
    f = Fravaer("1", "Siri Hansen", date(2030, 1, 1), date(2030, 1, 2), ("timebestilling",))
    with pytest.raises(AttributeError, match="replace"):
        f.til = date(2030, 1, 3)
    with pytest.raises(AttributeError):
        del f.kommentar
    assert f.replace(til=date(2030, 1, 3)).til == date(2030, 1, 3) and f.til == date(2030, 1, 2)
    entry = RosterEntry("Siri Hansen")
    with pytest.raises(AttributeError, match="replace"):
        entry.hpr = "1234567"
    assert RosterEntry.from_record(entry.replace(hpr="1234567").to_record()) == RosterEntry("Siri Hansen", "1234567")
    assert entry.to_record() == {"behandler": "Siri Hansen"}
