"""The text a citizen sees when opening a tjeneste on Helsenorge."""

from datetime import date

from fravaer_cli.domain import catalogue, dates

LANGUAGES = ("nb", "nn", "en")

_CLOSED = {
    "nb": "{name} er midlertidig stengt hos fastlegen din, og åpner igjen {date}.",
    "nn": "{name} er mellombels stengd hos fastlegen din, og opnar igjen {date}.",
    "en": "{name} is temporarily closed at your GP and reopens on {date}.",
}
_OPEN = {
    "nb": "{name} er tilgjengelig.",
    "nn": "{name} er tilgjengeleg.",
    "en": "{name} is available.",
}
INFO_HEADING = {
    "nb": "Informasjon fra legekontoret",
    "nn": "Informasjon frå legekontoret",
    "en": "Information from the doctor's surgery",
}


def citizen_message(tjeneste: str, reopens: date | None, lang: str = "nb") -> str:
    """reopens: the day the tjeneste opens again, or None when it is open."""
    name = catalogue.display_name(tjeneste, lang)
    if reopens is None:
        return _OPEN[lang].format(name=name)
    return _CLOSED[lang].format(name=name, date=dates.long(reopens, lang))
