import pytest

from fravaer_cli.domain import catalogue, orgnr
from fravaer_cli.domain.errors import InputError


@pytest.mark.parametrize("value", ["123456785", "988077917", "701730496", "974760673", "910000004"])
def test_valid_orgnr(value):
    assert orgnr.is_valid(value)


@pytest.mark.parametrize(
    "value",
    [
        "988077918",
        "123456786",
        "12345678",
        "1234567850",
        "",
        "abcdefghi",
        "97476067a",
        "９７４７６０６７３",
        "974 760 673",
        "../../etc",
        "٩٧٤٧٦٠٦٧٣",
        "000000010",
    ],
)
def test_invalid_orgnr(value):
    assert not orgnr.is_valid(value)


def test_remainder_one_is_invalid_whatever_the_last_digit():
    # 3*1 + 2*0 ... : weights sum for '10000000' is 3, and 3 % 11 != 1; find a prefix with remainder 1.
    prefix = next(
        p
        for p in (f"{n:08d}" for n in range(100))
        if sum(int(d) * w for d, w in zip(p, orgnr.WEIGHTS, strict=True)) % 11 == 1
    )
    assert not any(orgnr.is_valid(prefix + str(d)) for d in range(10))


def test_catalogue_has_the_four_admin_page_services_in_overview_order():
    assert list(catalogue.catalogue()) == [
        "reseptfornyelse",
        "e-konsultasjon",
        "kontakt-legekontoret",
        "timebestilling",
    ]
    assert [t.nb for t in catalogue.catalogue().values()] == [
        "Reseptfornyelse",
        "E-konsultasjon",
        "Kontakt legekontoret",
        "Timebestilling",
    ]


@pytest.mark.parametrize(
    "value, key",
    [
        ("timebestilling", "timebestilling"),
        ("Timebestilling", "timebestilling"),
        ("TIMEBESTILLING", "timebestilling"),
        ("kontakt legekontoret", "kontakt-legekontoret"),
        ("Kontakt  Legekontoret", "kontakt-legekontoret"),
        ("Reseptfornying", "reseptfornyelse"),
        ("appointment booking", "timebestilling"),
        ("E-konsultasjon", "e-konsultasjon"),
    ],
)
def test_resolve_key_or_display_name_any_case(value, key):
    assert catalogue.resolve(value) == key


def test_unknown_tjeneste_lists_keys_and_suggests_closest():
    with pytest.raises(InputError) as raised:
        catalogue.resolve("timebestiling")
    message = str(raised.value)
    assert "«timebestiling»" in message
    assert "Mente du «timebestilling»?" in message
    for key in catalogue.catalogue():
        assert key in message


def test_prefix_is_suggested():
    with pytest.raises(InputError, match="Mente du «reseptfornyelse»"):
        catalogue.resolve("reseptforn")
    assert catalogue.resolve("resept") == "reseptfornyelse"  # the short name, as the tables print it


def test_resolve_many_handles_alle_commas_and_duplicates():
    assert catalogue.resolve_many(["alle"]) == tuple(catalogue.catalogue())
    assert catalogue.resolve_many(["timebestilling,reseptfornyelse", "Timebestilling"]) == (
        "reseptfornyelse",
        "timebestilling",
    )
    with pytest.raises(InputError):
        catalogue.resolve_many(["alle"], "--vikar", allow_all=False)
