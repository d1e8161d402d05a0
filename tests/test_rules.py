"""The domain rules, tested on the core directly: no store, no CLI, 'today' passed in."""

import unicodedata
from datetime import date

import pytest

from fravaer_cli.domain import schedule
from fravaer_cli.domain.errors import ConflictError, InputError, NotFoundError
from fravaer_cli.domain.messages import citizen_message
from fravaer_cli.domain.model import make_draft
from fravaer_cli.domain.names import behandler_key
from fravaer_cli.domain.virksomhet import Virksomhet

TODAY = date(2024, 6, 1)
ALL = ["reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret", "timebestilling"]


def d(text: str) -> date:
    day, month, year = map(int, text.split("."))
    return date(year, month, day)


def add(office, behandler, fra, til, tjenester=("timebestilling",), vikar=(), today=TODAY, allow_past=False):
    draft = make_draft(behandler, d(fra), d(til), list(tjenester), list(vikar))
    return office.add(draft, today, allow_past, "tester", "2024-06-01T10:00:00+02:00")


def test_seed_example_reopens_the_day_after_til():
    office = Virksomhet("974760673", "DDFL Test")
    add(office, "Astrid Info", "12.06.2024", "08.07.2024", ALL)
    stretch = schedule.closed_until(office.fravaer, behandler_key("Astrid Info"), "timebestilling", d("20.06.2024"))
    assert stretch.apner_igjen == d("09.07.2024")
    assert citizen_message("timebestilling", stretch.apner_igjen) == (
        "Timebestilling er midlertidig stengt hos fastlegen din, og åpner igjen 9. juli 2024."
    )


def test_both_ends_are_inclusive():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "12.06.2024", "08.07.2024")
    key = behandler_key("Astrid Info")
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("11.06.2024")) is None
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("12.06.2024")) is not None
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("08.07.2024")) is not None
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("09.07.2024")) is None


def test_touching_fravaer_reopen_after_the_whole_stretch():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "12.06.2024", "30.06.2024")
    add(office, "Astrid Info", "01.07.2024", "08.07.2024")
    add(office, "Astrid Info", "09.07.2024", "14.07.2024", ["timebestilling", "reseptfornyelse"])
    key = behandler_key("Astrid Info")
    stretch = schedule.closed_until(office.fravaer, key, "timebestilling", d("13.06.2024"))
    assert stretch.apner_igjen == d("15.07.2024")
    assert stretch.ids == ("1", "2", "3")
    # Reseptfornyelse is only in the last one.
    assert schedule.closed_until(office.fravaer, key, "reseptfornyelse", d("10.07.2024")).apner_igjen == d("15.07.2024")
    assert schedule.closed_until(office.fravaer, key, "reseptfornyelse", d("08.07.2024")) is None


def test_a_gap_of_one_day_ends_the_stretch():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "12.06.2024", "30.06.2024")
    add(office, "Astrid Info", "02.07.2024", "08.07.2024")
    key = behandler_key("Astrid Info")
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("20.06.2024")).apner_igjen == d("01.07.2024")
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("01.07.2024")) is None


def test_overlapping_fravaer_for_different_tjenester_merge_per_tjeneste():
    # Overlaps with no shared closed tjeneste are allowed; each tjeneste has its own stretch.
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024", ["timebestilling"])
    add(office, "Astrid Info", "05.07.2024", "20.07.2024", ["reseptfornyelse"])
    key = behandler_key("Astrid Info")
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("06.07.2024")).apner_igjen == d("11.07.2024")
    assert schedule.closed_until(office.fravaer, key, "reseptfornyelse", d("06.07.2024")).apner_igjen == d("21.07.2024")


def test_stretches_are_per_behandler():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024")
    add(office, "Per Test", "11.07.2024", "20.07.2024")
    stretch = schedule.closed_until(office.fravaer, behandler_key("Astrid Info"), "timebestilling", d("05.07.2024"))
    assert stretch.apner_igjen == d("11.07.2024")


def test_vikar_tjeneste_stays_open():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024", ["reseptfornyelse"], vikar=["timebestilling"])
    key = behandler_key("Astrid Info")
    assert schedule.closed_until(office.fravaer, key, "timebestilling", d("05.07.2024")) is None
    assert schedule.closed_until(office.fravaer, key, "reseptfornyelse", d("05.07.2024")) is not None


def test_alle_with_vikar_closes_the_rest():
    draft = make_draft("Astrid Info", d("01.07.2024"), d("10.07.2024"), ALL, ["timebestilling"], all_tjenester=True)
    assert draft.tjenester == ("reseptfornyelse", "e-konsultasjon", "kontakt-legekontoret")
    assert draft.vikar == ("timebestilling",)


def test_same_tjeneste_closed_and_vikar_is_refused():
    with pytest.raises(InputError, match="Timebestilling er oppgitt både som stengt og med vikar"):
        make_draft("Astrid Info", d("01.07.2024"), d("10.07.2024"), ["timebestilling"], ["timebestilling"])


def test_fra_after_til_is_refused():
    with pytest.raises(InputError, match=r"Fra og med \(11.07.2024\) er etter til og med \(10.07.2024\)"):
        make_draft("Astrid Info", d("11.07.2024"), d("10.07.2024"), ["timebestilling"])


def test_one_day_fravaer_is_fine():
    assert make_draft("Astrid Info", d("10.07.2024"), d("10.07.2024"), ["timebestilling"]).fra == d("10.07.2024")


def test_identical_re_add_returns_the_existing_one():
    office = Virksomhet("974760673")
    first, created = add(office, "Astrid Info", "12.06.2024", "08.07.2024", ALL)
    again, created_again = add(office, "astrid info", "12.06.2024", "08.07.2024", list(reversed(ALL)))
    assert created and not created_again
    assert again is first
    assert len(office.fravaer) == 1 and office.next_id == 2


def test_identical_re_add_of_a_past_fravaer_is_still_harmless():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "12.06.2024", "08.07.2024", allow_past=True, today=d("01.08.2024"))
    _, created = add(office, "Astrid Info", "12.06.2024", "08.07.2024", today=d("01.08.2024"))
    assert not created


def test_overlap_with_shared_tjeneste_is_refused_naming_the_id():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "12.06.2024", "08.07.2024", ALL)
    with pytest.raises(ConflictError) as raised:
        add(office, "Astrid Info", "08.07.2024", "20.07.2024", ["timebestilling"])
    assert "fravær 1" in str(raised.value)
    assert raised.value.exit_code == 4
    assert len(office.fravaer) == 1


def test_overlap_without_shared_tjeneste_or_with_other_behandler_is_allowed():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "12.06.2024", "08.07.2024", ["timebestilling"])
    add(office, "Astrid Info", "12.06.2024", "08.07.2024", ["reseptfornyelse"])
    add(office, "Per Test", "12.06.2024", "08.07.2024", ["timebestilling"])
    assert len(office.fravaer) == 3


def test_same_dates_different_tjenester_is_not_identical_but_may_conflict():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "12.06.2024", "08.07.2024", ["timebestilling"])
    with pytest.raises(ConflictError):
        add(office, "Astrid Info", "12.06.2024", "08.07.2024", ["timebestilling", "reseptfornyelse"])


def test_past_fravaer_needs_allow_past():
    office = Virksomhet("974760673")
    with pytest.raises(InputError, match="--allow-past"):
        add(office, "Astrid Info", "12.06.2024", "08.07.2024", today=d("09.07.2024"))
    # Ending today is not past.
    add(office, "Astrid Info", "12.06.2024", "09.07.2024", today=d("09.07.2024"))
    add(office, "Per Test", "12.06.2024", "08.07.2024", today=d("09.07.2024"), allow_past=True)
    assert len(office.fravaer) == 2


@pytest.mark.parametrize(
    "spelling",
    [
        "Åse Ødegård",
        "åse ødegård",
        "ÅSE  ØDEGÅRD",
        " Åse Ødegård ",
        unicodedata.normalize("NFD", "Åse Ødegård"),
        "Åse\tØdegård",
    ],
)
def test_behandler_is_the_same_gp_whatever_the_spelling(spelling):
    assert behandler_key(spelling) == behandler_key("Åse Ødegård")


def test_behandler_name_is_stored_as_first_written():
    office = Virksomhet("974760673")
    add(office, "Åse Ødegård", "01.07.2024", "10.07.2024", ["timebestilling"])
    second, _ = add(
        office, unicodedata.normalize("NFD", "ÅSE ødegård"), "01.07.2024", "10.07.2024", ["reseptfornyelse"]
    )
    assert second.behandler == "Åse Ødegård"
    with pytest.raises(ConflictError):
        add(office, "åse  ødegård", "05.07.2024", "06.07.2024", ["timebestilling"])


@pytest.mark.parametrize("name", ["", "   ", "Astrid\x00Info", "Astrid\nInfo", "Astrid\u202eofnI", "A" * 101])
def test_bad_behandler_names_are_refused(name):
    with pytest.raises(InputError):
        make_draft(name, d("01.07.2024"), d("10.07.2024"), ["timebestilling"])


@pytest.mark.parametrize("hpr", ["12a", "-1", "1 2", "٣٣٣", "12345678901"])
def test_hpr_is_digits_only(hpr):
    with pytest.raises(InputError, match="HPR-nummer"):
        make_draft("Astrid Info", d("01.07.2024"), d("10.07.2024"), ["timebestilling"], hpr=hpr)


def test_no_closed_tjeneste_is_refused():
    with pytest.raises(InputError, match="minst én --tjeneste"):
        make_draft("Astrid Info", d("01.07.2024"), d("10.07.2024"), [])


def test_ids_are_never_reused_after_delete():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024")
    add(office, "Per Test", "01.07.2024", "10.07.2024")
    office.delete("2")
    third, _ = add(office, "Kari Test", "01.07.2024", "10.07.2024")
    assert third.id == "3"
    with pytest.raises(NotFoundError):
        office.delete("2")


def test_edit_keeps_the_id_and_applies_the_same_rules():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024")
    add(office, "Astrid Info", "20.07.2024", "30.07.2024")
    old, new = office.edit("1", TODAY, False, til=d("15.07.2024"))
    assert (new.id, new.til, old.til) == ("1", d("15.07.2024"), d("10.07.2024"))
    with pytest.raises(ConflictError, match="fravær 2"):
        office.edit("1", TODAY, False, til=d("20.07.2024"))
    with pytest.raises(InputError):
        office.edit("1", TODAY, False, fra=d("16.07.2024"))
    with pytest.raises(InputError):
        office.edit("1", TODAY, False, vikar=["timebestilling"])
    # Refused edits changed nothing.
    assert office.get("1") == new
    # Moving it so it no longer overlaps another is fine; touching is allowed.
    office.edit("1", TODAY, False, til=d("19.07.2024"))


def test_editing_only_the_comment_of_a_past_fravaer_needs_no_allow_past():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024")
    later = d("01.09.2024")
    _, new = office.edit("1", later, False, kommentar="Ferie")
    assert new.kommentar == "Ferie"
    with pytest.raises(InputError, match="--allow-past"):
        office.edit("1", later, False, til=d("11.07.2024"))


def test_day_status_closed_starting_and_reopening():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024", ["timebestilling"])
    add(office, "Per Test", "11.07.2024", "20.07.2024", ["reseptfornyelse"])
    status = schedule.day_status(office.fravaer, d("10.07.2024"))
    assert [(s.behandler, s.tjeneste) for s in status.closed] == [("Astrid Info", "timebestilling")]
    assert [(s.behandler, s.tjeneste) for s in status.starts_tomorrow] == [("Per Test", "reseptfornyelse")]
    assert [(s.behandler, s.apner_igjen) for s in status.reopens_tomorrow] == [("Astrid Info", d("11.07.2024"))]


def test_touching_fravaer_do_not_reopen_and_close_again():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "01.07.2024", "10.07.2024")
    add(office, "Astrid Info", "11.07.2024", "20.07.2024")
    status = schedule.day_status(office.fravaer, d("10.07.2024"))
    assert status.reopens_tomorrow == [] and status.starts_tomorrow == []
    assert status.closed[0].apner_igjen == d("21.07.2024")


@pytest.mark.parametrize(
    "lang, closed, available",
    [
        (
            "nb",
            "Timebestilling er midlertidig stengt hos fastlegen din, og åpner igjen 9. juli 2024.",
            "Timebestilling er tilgjengelig.",
        ),
        (
            "nn",
            "Timebestilling er mellombels stengd hos fastlegen din, og opnar igjen 9. juli 2024.",
            "Timebestilling er tilgjengeleg.",
        ),
        (
            "en",
            "Appointment booking is temporarily closed at your GP and reopens on 9 July 2024.",
            "Appointment booking is available.",
        ),
    ],
)
def test_citizen_message_in_three_languages(lang, closed, available):
    assert citizen_message("timebestilling", d("09.07.2024"), lang) == closed
    assert citizen_message("timebestilling", None, lang) == available


@pytest.mark.parametrize(
    "key, nb, nn, en",
    [
        ("reseptfornyelse", "Reseptfornyelse", "Reseptfornying", "Prescription renewal"),
        ("e-konsultasjon", "E-konsultasjon", "E-konsultasjon", "E-consultation"),
        ("kontakt-legekontoret", "Kontakt legekontoret", "Kontakt legekontoret", "Contact with the doctor's surgery"),
    ],
)
def test_every_tjeneste_in_every_language(key, nb, nn, en):
    day = d("01.03.2024")
    assert (
        citizen_message(key, day, "nb") == f"{nb} er midlertidig stengt hos fastlegen din, og åpner igjen 1. mars 2024."
    )
    assert (
        citizen_message(key, day, "nn") == f"{nn} er mellombels stengd hos fastlegen din, og opnar igjen 1. mars 2024."
    )
    assert citizen_message(key, day, "en") == f"{en} is temporarily closed at your GP and reopens on 1 March 2024."


def test_reopening_on_a_leap_day():
    office = Virksomhet("974760673")
    add(office, "Astrid Info", "20.02.2024", "28.02.2024", allow_past=True)
    stretch = schedule.closed_until(office.fravaer, behandler_key("Astrid Info"), "timebestilling", d("28.02.2024"))
    assert citizen_message("timebestilling", stretch.apner_igjen) == (
        "Timebestilling er midlertidig stengt hos fastlegen din, og åpner igjen 29. februar 2024."
    )


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SPANS = st.lists(
    st.tuples(
        st.integers(0, 60),
        st.integers(0, 10),
        st.sets(st.sampled_from(ALL[:2]), min_size=1),
        st.sampled_from(["A", "B"]),
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(SPANS)
def test_overlap_index_agrees_with_checking_every_pair(spans):
    office = Virksomhet("974760673")
    accepted = []
    for start, length, tjenester, name in spans:
        fra = date(2030, 1, 1).fromordinal(date(2030, 1, 1).toordinal() + start)
        til = fra.fromordinal(fra.toordinal() + length)
        draft = make_draft(name, fra, til, sorted(tjenester))
        identical = any(
            (a.key, a.fra, a.til, set(a.tjenester)) == (behandler_key(name), fra, til, tjenester) for a in accepted
        )
        clash = any(
            a.key == behandler_key(name) and a.fra <= til and fra <= a.til and set(a.tjenester) & tjenester
            for a in accepted
        )
        try:
            f, created = office.add(draft, TODAY, False, "t", "t")
        except ConflictError:
            assert clash and not identical
            continue
        assert created == (not identical)
        assert identical or not clash
        if created:
            accepted.append(f)


@settings(max_examples=200, deadline=None)
@given(SPANS, st.integers(0, 70))
def test_day_status_agrees_with_merging_everything(spans, offset):
    office = Virksomhet("974760673")
    for start, length, tjenester, name in spans:
        fra = date.fromordinal(date(2030, 1, 1).toordinal() + start)
        try:
            office.add(
                make_draft(name, fra, date.fromordinal(fra.toordinal() + length), sorted(tjenester)),
                TODAY,
                False,
                "t",
                "t",
            )
        except ConflictError:
            pass
    day = date.fromordinal(date(2030, 1, 1).toordinal() + offset)
    every = schedule.stretches(office.fravaer)
    status = schedule.day_status(office.fravaer, day)
    key = lambda s: (s.behandler, s.tjeneste, s.fra)  # noqa: E731
    assert sorted(status.closed, key=key) == sorted((s for s in every if s.covers(day)), key=key)
    assert sorted(status.starts_tomorrow, key=key) == sorted(
        (s for s in every if s.fra == day + schedule.ONE_DAY), key=key
    )
    assert sorted(status.reopens_tomorrow, key=key) == sorted((s for s in every if s.til == day), key=key)
