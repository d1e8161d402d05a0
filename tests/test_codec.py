"""One codec for a fravær and a roster entry (domain/model.py): every store and format goes
through it, the records are frozen, and each form gives back what it was made from."""

import json
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fravaer_cli.domain.catalogue import catalogue
from fravaer_cli.domain.model import Fravaer, RosterEntry

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


def test_every_store_names_the_fields_the_codec_has():
    """A field is added in one place: the database's columns, the file's keys and the cache's
    values all come from Fravaer.FIELDS."""
    from fravaer_cli.store.files import documents
    from fravaer_cli.store.postgres import pgschema, rows

    assert documents._FRAVAER_KEYS == set(Fravaer.FIELDS)
    sql = pgschema.MIGRATIONS[pgschema.SCHEMA].read_text()
    # The server's kontorer() gives a fravær's fields from rows.FIRST_FIELD on, in FIELDS' order.
    kontorer = sql[sql.index("CREATE FUNCTION fravaer_api.kontorer(") :]
    returned = kontorer[kontorer.index("RETURNS TABLE (") + len("RETURNS TABLE (") :].split(")")[0]
    columns = [column.split()[0] for column in returned.split(",")]
    assert columns[rows.FIRST_FIELD :] == [("hpr_nr" if name == "hpr" else name) for name in Fravaer.FIELDS]
    # The server writes a fravær into its log entries itself (migration 6, frozen SQL): a new field
    # needs a new migration that names it there, and in the type a new fravær is sent as.
    as_json = sql[sql.index("CREATE FUNCTION som_json") :].split("$$")[1]
    sent = sql[sql.index("CREATE TYPE ny_fravaer") :].split(";")[0]
    assert [name for name in Fravaer.FIELDS if f"'{name}', " not in as_json or f" {name} " not in sent] == []


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
