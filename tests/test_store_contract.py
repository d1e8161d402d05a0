"""The store interface's promises (fravaer_cli/store/base.py), each held against both stores:
the file store in a folder of its own, and the PostgreSQL store in a database of its own."""

from datetime import UTC, date, datetime, timedelta

import pytest

from fravaer_cli.domain.errors import InputError, NotFoundError
from fravaer_cli.domain.model import make_draft
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.base import Reading, Store

A, B, C = "974760673", "916620438", "982304474"  # valid orgnrs
TODAY = date(2030, 1, 1)
NOW = "2030-01-01T08:00:00+01:00"


@pytest.fixture(params=["filer", "postgres"])
def store(request, tmp_path) -> Store:
    if request.param == "postgres":
        from fravaer_cli.store.postgres.pgstore import PgStore

        return PgStore(request.getfixturevalue("pg_dsn"), "Kari Admin", clock=lambda: NOW)
    from fravaer_cli.store.files.filestore import FileStore

    return FileStore(tmp_path / "lager", av="Kari Admin", clock=lambda: NOW)


def add(store: Store, orgnr: str, behandler: str, day: int, tjenester=("timebestilling",)):
    with store.change(orgnr, create=True) as change:
        draft = make_draft(behandler, date(2030, 2, day), date(2030, 2, day), list(tjenester))
        fravaer, created = change.office.add(draft, TODAY, False, store.av, store.now())
        assert created
        change.record("add", fravaer)
    return fravaer


def test_a_change_is_read_back_and_logged_with_who_and_when(store):
    f = add(store, A, "Siri Hansen", 3)
    office = store.load(A)
    assert [(g.id, g.behandler, g.fra, g.tjenester) for g in office.fravaer] == [
        (f.id, "Siri Hansen", date(2030, 2, 3), ("timebestilling",))
    ]
    log = store.read_log(A)
    assert [entry["handling"] for entry in log] == ["add"] and log[0]["fravaer"]["id"] == f.id
    assert list(store.iter_log(A)) == log
    assert "Kari Admin" in (log[0]["av"], log[0].get("pa_vegne_av"))
    if type(store).__name__ == "PgStore":  # the server's clock, never the client's (issue 21)
        stamped = datetime.fromisoformat(log[0]["tid"])
        assert abs(stamped - datetime.now(UTC)) < timedelta(minutes=5) and stamped.utcoffset() is not None
    else:
        assert log[0]["tid"] == NOW


def test_orgnrs_and_exists(store):
    assert store.orgnrs() == []
    add(store, A, "Siri Hansen", 3)
    add(store, B, "Ola Berg", 4)
    assert store.orgnrs() == sorted([A, B]) and store.exists(A) and not store.exists(C)


def test_an_office_not_stored_is_not_found_and_an_orgnr_that_is_none_is_refused(store):
    add(store, A, "Siri Hansen", 3)
    with pytest.raises(NotFoundError):
        store.load(B)
    assert isinstance(store.not_found(B), NotFoundError)
    with pytest.raises(NotFoundError):
        with store.change(B):
            pass
    assert not store.exists(B)
    with pytest.raises(InputError):
        store.load("123456789")


def test_an_exception_or_a_dry_run_writes_nothing(store):
    add(store, A, "Siri Hansen", 3)
    with pytest.raises(RuntimeError):
        with store.change(A) as change:
            change.office.fravaer.clear()
            change.record("delete", None)
            raise RuntimeError
    with store.change(A, dry_run=True) as change:
        change.office.fravaer.clear()
        change.record("delete", None)
    assert len(store.load(A).fravaer) == 1 and len(store.read_log(A)) == 1


def test_change_many_is_all_or_nothing(store):
    add(store, A, "Siri Hansen", 3)
    with pytest.raises(RuntimeError):
        with store.change_many([A, B], create=True) as changes:
            assert set(changes) == {A, B} and changes[B].created_office and not changes[A].created_office
            for change in changes.values():
                draft = make_draft("Ola Berg", date(2030, 2, 5), date(2030, 2, 5), ["timebestilling"])
                f, _ = change.office.add(draft, TODAY, False, store.av, store.now())
                change.record("add", f)
            raise RuntimeError
    assert store.orgnrs() == [A] and len(store.load(A).fravaer) == 1
    with store.change_many([B, A], create=True) as changes:
        for change in changes.values():
            draft = make_draft("Ola Berg", date(2030, 2, 5), date(2030, 2, 5), ["timebestilling"])
            f, _ = change.office.add(draft, TODAY, False, store.av, store.now())
            change.record("add", f)
    assert store.orgnrs() == sorted([A, B]) and len(store.load(A).fravaer) == 2


def test_iter_offices_gives_every_office_in_orgnr_order_or_those_asked_for(store):
    for orgnr in (A, B, C):
        add(store, orgnr, "Siri Hansen", 3)
    reading = store.iter_offices()
    assert isinstance(reading, Reading)
    assert [o.orgnr for o in reading] == sorted([A, B, C]) and reading.unreadable == []
    assert [o.orgnr for o in store.iter_offices([C, A])] == sorted([A, C])
    assert all(len(o.fravaer) == 1 for o in store.iter_offices())


def test_iter_offices_by_behandler_gives_the_offices_with_that_gp_and_their_fravaer_of_the_gp(store):
    add(store, A, "Siri Hansen", 3)
    add(store, A, "Ola Berg", 4)
    add(store, B, "Ola Berg", 5)
    found = list(store.iter_offices(behandler="hansen siri"))
    assert [o.orgnr for o in found] == [A]
    assert "Siri Hansen" in {f.behandler for f in found[0].fravaer}
    assert [o.orgnr for o in store.iter_offices(behandler="Berg")] == sorted([A, B])
    assert list(store.iter_offices(behandler="Nobody Here")) == []


def test_office_names_gives_each_office_its_name(store):
    add(store, A, "Siri Hansen", 3)
    with store.change(A) as change:
        change.office.navn = "Legekontoret Grünerløkka"
        change.record("info", None)
    add(store, B, "Ola Berg", 5)
    assert {(o.orgnr, o.navn) for o in store.office_names()} == {(A, "Legekontoret Grünerløkka"), (B, "")}


def test_load_for_change_gives_a_new_office_no_stamp_and_a_stored_one_a_stamp(store):
    office, stamp = store.load_for_change(A)
    assert office.orgnr == A and office.fravaer == [] and stamp is None
    add(store, A, "Siri Hansen", 3)
    office, stamp = store.load_for_change(A)
    assert len(office.fravaer) == 1 and stamp is not None


def test_write_copies_stores_offices_as_they_are_and_leaves_a_stored_one_alone(store):
    add(store, A, "Siri Hansen", 3)
    copy = Virksomhet(B, "Bryn", "Stengt i juli", next_id=7)
    draft = make_draft("Ola Berg", date(2030, 2, 5), date(2030, 2, 6), ["timebestilling", "e-konsultasjon"])
    f, _ = copy.add(draft, TODAY, False, "Kari Admin", NOW)
    log = [{"tid": NOW, "av": "Kari Admin", "handling": "add", "fravaer": f.to_dict()}]
    written = store.write_copies([(copy, log), (Virksomhet(A, "Not this"), [])])
    assert written == [B]
    back = store.load(B)
    assert (back.navn, back.info, back.next_id) == ("Bryn", "Stengt i juli", 8)
    assert [g.to_dict() for g in back.fravaer] == [f.to_dict()]
    assert [(e["handling"], e["fravaer"]["id"]) for e in store.read_log(B)] == [("add", "7")]
    assert store.load(A).navn == "" and len(store.load(A).fravaer) == 1


def test_the_two_stores_copy_into_each_other_unchanged(pg_dsn, tmp_path):
    """database load and dump: files -> database -> files gives the same offices and logs."""
    from fravaer_cli.store.files.filestore import FileStore
    from fravaer_cli.store.postgres.pgstore import PgStore

    files = FileStore(tmp_path / "inn", av="Kari Admin", clock=lambda: NOW)
    for orgnr, name, day in ((A, "Siri Hansen", 3), (B, "Ola Berg", 4), (A, "Per Vik", 9)):
        add(files, orgnr, name, day)
    db = PgStore(pg_dsn, "Kari Admin", clock=lambda: NOW)
    assert db.write_copies((o, files.read_log(o.orgnr)) for o in files.iter_offices()) == sorted([A, B])
    out = FileStore(tmp_path / "ut")
    assert out.write_copies((o, db.read_log(o.orgnr)) for o in db.iter_offices()) == sorted([A, B])

    def whole(office):
        return office.navn, office.info, office.next_id, [f.to_dict() for f in office.fravaer], office.roster

    for orgnr in (A, B):
        assert whole(out.load(orgnr)) == whole(files.load(orgnr))
        assert out.read_log(orgnr) == files.read_log(orgnr)


def test_a_report_for_a_day_gets_the_stretches_that_reach_it_whole(store):
    """days: at least what ends on or after the first day, and what makes one stretch with it; the
    database leaves out the rest (issue 21: a report for today reads no history)."""
    chain = [add(store, A, "Siri Hansen", day).id for day in (3, 4, 5)]  # one stretch, 3-5 Feb
    other_gp = add(store, A, "Ola Vik", 1).id
    other_service = add(store, A, "Siri Hansen", 4, tjenester=("reseptfornyelse",)).id
    got = {f.id for office in store.iter_offices(days=(date(2030, 2, 5), None)) for f in office.fravaer}
    assert set(chain) <= got
    if type(store).__name__ == "PgStore":
        assert got == set(chain) and other_gp not in got and other_service not in got


def test_a_report_for_a_day_gets_the_stretches_ahead_whole_too(store):
    chain = [add(store, A, "Siri Hansen", day).id for day in (5, 6, 7)]  # one stretch, 5-7 Feb
    later = add(store, A, "Siri Hansen", 20).id  # the same GP and service, another stretch
    got = {f.id for o in store.iter_offices(days=(date(2030, 2, 4), date(2030, 2, 5))) for f in o.fravaer}
    assert set(chain) <= got
    if type(store).__name__ == "PgStore":
        assert got == set(chain) and later not in got
