"""The tjeneste catalogue, shipped as package data (tjenester.toml)."""

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from fravaer_cli.domain.errors import InputError
from fravaer_cli.domain.record import Record

CATALOGUE_FILE = Path(__file__).with_name("tjenester.toml")
ALL = "alle"


class Tjeneste(Record):
    """A tjeneste of the catalogue: its key, its name in bokmål, nynorsk and English, and a
    short bokmål name for narrow tables."""

    FIELDS = __slots__ = ("key", "nb", "nn", "en", "kort")

    def __init__(self, key: str, nb: str, nn: str, en: str, kort: str):
        self.key, self.nb, self.nn, self.en, self.kort = key, nb, nn, en, kort

    def __hash__(self) -> int:  # type: ignore[override]  # never changed after it is made
        return hash(self.values())

    def name(self, lang: str = "nb") -> str:
        return str(getattr(self, lang))


@cache
def catalogue() -> dict[str, Tjeneste]:
    """Key -> Tjeneste, in the file's order."""
    import tomli

    entries = tomli.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["tjeneste"]
    return {e["key"]: Tjeneste(e["key"], e["nb"], e["nn"], e["en"], e.get("kort", e["nb"])) for e in entries}


def display_name(key: str, lang: str = "nb") -> str:
    """The name to show; a key the catalogue no longer has is shown as it is."""
    tjeneste = catalogue().get(key)
    return tjeneste.name(lang) if tjeneste else key


def short_names(keys: Iterable[str]) -> str:
    """'Alle' when every tjeneste is among keys; else the short names ('Resept, Time'), for tables
    that must fit 80 columns. Empty for no keys."""
    keys = order(keys)
    if keys and set(keys) >= set(catalogue()):
        return "Alle"
    return ", ".join(catalogue()[k].kort if k in catalogue() else k for k in keys)


@cache
def _positions() -> dict[str, int]:
    return {key: i for i, key in enumerate(catalogue())}


def position(key: str) -> int:
    """Place in the catalogue; a key it no longer has sorts last."""
    return _positions().get(key, len(_positions()))


def order(keys: Iterable[str]) -> tuple[str, ...]:
    """Keys in catalogue order, no duplicates."""
    return _order(tuple(keys))


@cache
def _order(keys: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: a big import orders the same few combinations many times.
    return tuple(sorted(set(keys), key=lambda k: (position(k), k)))


@cache
def _lookup() -> dict[str, str]:
    table = {}
    for t in catalogue().values():
        for spelling in (t.key, t.nb, t.nn, t.en, t.kort):  # kort: as the tables print it
            table[spelling.casefold()] = t.key
    return table


def resolve(value: str, option: str | None = "--tjeneste", allow_all: bool = False) -> str:
    """A key, display name in any language, or short name (as tables print it), any case -> the key."""
    wanted = " ".join(value.split()).casefold()
    key = _lookup().get(wanted)
    if key is not None:
        return key
    also = f" (eller «{ALL}»)" if allow_all else ""
    raise InputError(
        f"Ukjent tjeneste{f' for {option}' if option else ''}: «{value}».{_suggestion(wanted)} "
        f"Gyldige: {', '.join(catalogue())}{also}."
    )


def _suggestion(wanted: str) -> str:
    import difflib

    spellings = list(_lookup())
    close = [s for s in spellings if s.startswith(wanted)] if wanted else []
    close = close or difflib.get_close_matches(wanted, spellings, n=1, cutoff=0.5)
    return f" Mente du «{_lookup()[close[0]]}»?" if close else ""


# "alle", and how spreadsheets write it.
_ALL_SPELLINGS = {ALL, "alle tjenester", "alle tjenestene", "all"}


def means_all(value: str) -> bool:
    return " ".join(value.split()).casefold() in _ALL_SPELLINGS


def resolve_many(values: Iterable[str], option: str | None = "--tjeneste", allow_all: bool = True) -> tuple[str, ...]:
    """Repeated options, each possibly comma-separated; 'alle' means every tjeneste."""
    keys: list[str] = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            if allow_all and means_all(part):
                keys.extend(catalogue())
            else:
                keys.append(resolve(part, option, allow_all))
    return order(keys)
