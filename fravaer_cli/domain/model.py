"""A fravær, the draft it is made from, a roster entry, and the checks of what a user types
(names, comments, dates, services). No I/O and no clock here: today comes in as an argument."""

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain.errors import InputError
from fravaer_cli.domain.names import behandler_key, name_matches
from fravaer_cli.domain.record import FrozenRecord, Record

MAX_NAME = 100
MAX_COMMENT = 500
MAX_INFO = 200
MAX_ID_LENGTH = 8


@lru_cache(maxsize=1)
def _forbidden() -> re.Pattern[str]:
    # Control characters (Unicode category Cc), line and paragraph separators (a
    # second line in a log or a table), and bidi overrides and isolates, which can
    # make a name display as something else. Lone surrogates (from
    # JSON's \ud800) cannot be written as UTF-8 at all. Compiled when first
    # needed: most calls check no text.
    return re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(value: str, what: str, max_length: int, required: bool = False) -> str:
    """Trimmed text without control characters; an InputError names what is wrong."""
    text = value.strip()
    if required and not text:
        raise InputError(f"{what} kan ikke være tom.")
    bad = _forbidden().search(text)
    if bad is not None:
        char = bad[0]
        kind = _KINDS.get(char) or ("et ugyldig tegn" if "\ud800" <= char <= "\udfff" else "et kontrolltegn")
        one_line = " Skriv teksten på én linje." if char in "\n\r" else ""
        raise InputError(
            f"{what} inneholder {kind} (U+{ord(char):04X}), som ikke er tillatt: «{_escaped(text)}».{one_line}"
        )
    length = len(unicodedata.normalize("NFC", text))
    if length > max_length:
        raise InputError(f"{what} er {length} tegn lang; høyst {max_length} tegn er tillatt.")
    return text


_KINDS = {
    "\n": "et linjeskift",
    "\r": "et linjeskift (CR)",
    "\t": "en tabulator",
    "\u2028": "et linjeskift",
    "\u2029": "et avsnittsskift",
}


def _escaped(text: str, width: int = 80) -> str:
    """The text with the characters it may not hold written as escapes (\\n, \\u202e), for a message."""
    shown = _forbidden().sub(lambda m: repr(m[0])[1:-1] if m[0] in "\n\r\t" else f"\\u{ord(m[0]):04x}", text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def clean_name(value: str, what: str = "Behandler") -> str:
    """A name (a GP's, an office's, who logs): clean_text's rules, and no invisible format
    character (a zero-width space, U+200B, and the like: Unicode category Cf), with which two
    different GPs could look like one, or one GP like two."""
    text = clean_text(value, what, MAX_NAME, required=True)
    if not text.isascii():
        bad = next((c for c in text if unicodedata.category(c) == "Cf"), None)
        if bad is not None:
            shown = "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cf" else c for c in text)
            raise InputError(
                f"{what} inneholder et usynlig formateringstegn (U+{ord(bad):04X}), som ikke er tillatt i et navn: "
                f"«{_escaped(shown)}». Skriv navnet på nytt uten det."
            )
    return text


def clean_hpr(value: str | None) -> str:
    if not value:
        return ""
    hpr = value.strip()
    if not (hpr.isascii() and hpr.isdigit() and len(hpr) <= 10):
        raise InputError(f"Ugyldig HPR-nummer: «{value}». Et HPR-nummer er kun sifre (høyst 10).")
    return hpr


# A fravær's fields as the store and the JSON and CSV output name them, in their order.
class Fravaer(FrozenRecord):
    """One registered fravær. key is the GP's name folded, for finding the GP's other fravær.

    The codec: every store and format (a TOML or JSON file, the cache, PostgreSQL's rows, the
    program's JSON, the log) reads and writes a fravær through the fields below and the methods
    that follow them, so a new field is added here and nowhere else."""

    FIELDS = ("id", "behandler", "fra", "til", "tjenester", "vikar", "kommentar", "hpr", "registrert_av", "registrert")
    DATES = ("fra", "til")  # a date; ISO 8601 text wherever text is written
    KEYS = ("tjenester", "vikar")  # catalogue keys, in catalogue order; a list wherever written
    OPTIONAL = ("kommentar", "hpr", "registrert_av", "registrert")  # text, "" when not given
    NULL_WHEN_EMPTY = ("hpr",)  # shown as null in the program's JSON when not given
    DATES_AT = tuple(map(FIELDS.index, DATES))  # where they stand among the values
    KEYS_AT = tuple(map(FIELDS.index, KEYS))
    __slots__ = (*FIELDS, "key")
    id: str
    behandler: str
    fra: date
    til: date
    tjenester: tuple[str, ...]
    vikar: tuple[str, ...]
    kommentar: str
    hpr: str
    registrert_av: str
    registrert: str
    key: str

    def __init__(
        self,
        id: str,
        behandler: str,
        fra: date,
        til: date,
        tjenester: tuple[str, ...],
        vikar: tuple[str, ...] = (),
        kommentar: str = "",
        hpr: str = "",
        registrert_av: str = "",
        registrert: str = "",
    ):
        # Each slot's own setter, which the frozen class's __setattr__ does not stand in front of:
        # half what object.__setattr__ costs, and an import makes each fravær more than once.
        s_id, s_behandler, s_fra, s_til, s_tjenester, s_vikar, s_kommentar, s_hpr, s_av, s_registrert, s_key = _SET
        s_id(self, id)
        s_behandler(self, behandler)
        s_fra(self, fra)
        s_til(self, til)
        s_tjenester(self, tjenester)
        s_vikar(self, vikar)
        s_kommentar(self, kommentar)
        s_hpr(self, hpr)
        s_av(self, registrert_av)
        s_registrert(self, registrert)
        s_key(self, behandler_key(behandler))

    # Made from the declarations above by _write_codec() below, when this module is imported:
    # the fields by name as JSON has them (ISO dates, lists, hpr null when empty: the log and
    # the program's JSON); by name as a file has them (dates as dates, empty optional texts
    # left out); and in FIELDS' order as JSON has them (the cache).
    to_dict: ClassVar[Callable[["Fravaer"], dict[str, Any]]]
    to_record: ClassVar[Callable[["Fravaer"], dict[str, Any]]]
    text_values: ClassVar[Callable[["Fravaer"], list[Any]]]

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> "Fravaer":
        """From the fields in FIELDS' order; dates as dates, keys as any sequence (a row of the database)."""
        v = list(values)
        for i in cls.KEYS_AT:
            v[i] = tuple(v[i])
        return cls(*v)

    @classmethod
    def from_text_values(cls, values: Sequence[Any]) -> "Fravaer":
        """From text_values() as it was written (the cache)."""
        if len(values) != len(cls.FIELDS):
            raise ValueError(f"{len(values)} values for a fravær's {len(cls.FIELDS)} fields")
        v = list(values)
        for i in cls.DATES_AT:
            v[i] = date.fromisoformat(v[i])
        for i in cls.KEYS_AT:
            v[i] = tuple(v[i])
        return cls(*v)

    def identity(self) -> tuple[Any, ...]:
        """What makes two registrations the same (the comment does not count).

        tjenester and vikar are always in catalogue order (drafts and the store
        put them so), so the tuples compare as sets would.
        """
        return (self.key, self.fra, self.til, self.tjenester, self.vikar)

    def overlaps(self, other: "Fravaer") -> bool:
        return (
            self.fra <= other.til
            and other.fra <= self.til
            and self.key == other.key
            and not set(self.tjenester).isdisjoint(other.tjenester)
        )

    def summary(self) -> str:
        """For people: 'Astrid Info, 12.06.2024–08.07.2024: Timebestilling (vikar: E-konsultasjon)'."""
        names = ", ".join(catalogue.display_name(k) for k in self.tjenester)
        vikar = ", ".join(catalogue.display_name(k) for k in self.vikar)
        text = f"{self.behandler}, {dates.short(self.fra)}–{dates.short(self.til)}: "
        if not names:  # a vikar serves, nothing closes
            return text + f"ingenting stengt (vikar: {vikar})"
        return text + names + (f" (vikar: {vikar})" if vikar else "")

    def describe(self) -> str:
        """The summary with the id first: '3: Astrid Info, ...'."""
        return f"{self.id}: {self.summary()}"


def _write_codec(cls: type[Fravaer]) -> None:
    """to_dict, to_record and text_values, written out field by field from the declarations and
    compiled once (as namedtuple makes its class): a big import writes 100,000 fravær, and a
    loop over the fields for each cost twice what these do."""

    def as_json(name: str) -> str:
        if name in cls.DATES:
            return f"self.{name}.isoformat()"
        if name in cls.KEYS:
            return f"list(self.{name})"
        return f"self.{name}"

    def as_file(name: str) -> str:
        return f"list(self.{name})" if name in cls.KEYS else f"self.{name}"

    json_items = ", ".join(
        f"{name!r}: " + (f"self.{name} or None" if name in cls.NULL_WHEN_EMPTY else as_json(name))
        for name in cls.FIELDS
    )
    required = ", ".join(f"{name!r}: {as_file(name)}" for name in cls.FIELDS if name not in cls.OPTIONAL)
    optional = "".join(f"    if self.{name}:\n        r[{name!r}] = self.{name}\n" for name in cls.OPTIONAL)
    source = (
        f"def to_dict(self):\n    return {{{json_items}}}\n"
        f"def to_record(self):\n    r = {{{required}}}\n{optional}    return r\n"
        f"def text_values(self):\n    return [{', '.join(as_json(name) for name in cls.FIELDS)}]\n"
    )
    made: dict[str, Any] = {}
    exec(compile(source, f"<{cls.__name__} codec>", "exec"), {}, made)
    for name, function in made.items():
        setattr(cls, name, function)


_write_codec(Fravaer)
# The slots' setters, in __init__'s order (the fields, then the key).
_SET = tuple(vars(Fravaer)[name].__set__ for name in (*Fravaer.FIELDS, "key"))


class Draft(Record):
    """A fravær as the user asked for it, before it has an id."""

    FIELDS = __slots__ = ("behandler", "fra", "til", "tjenester", "vikar", "kommentar", "hpr")

    def __init__(
        self,
        behandler: str,
        fra: date,
        til: date,
        tjenester: tuple[str, ...],
        vikar: tuple[str, ...] = (),
        kommentar: str = "",
        hpr: str = "",
    ):
        self.behandler, self.fra, self.til, self.tjenester = behandler, fra, til, tjenester
        self.vikar, self.kommentar, self.hpr = vikar, kommentar, hpr

    def identity(self) -> tuple[Any, ...]:
        """Fravaer.identity() of the fravær this draft would be (an import asks it of every row)."""
        return (behandler_key(self.behandler), self.fra, self.til, self.tjenester, self.vikar)


def make_draft(
    behandler: str,
    fra: date,
    til: date,
    tjenester: Sequence[str],
    vikar: Sequence[str] = (),
    kommentar: str | None = "",
    hpr: str | None = "",
    all_tjenester: bool = False,
    all_vikar: bool = False,
) -> Draft:
    """Check one registration on its own (not against the store).

    all_tjenester: the user said 'alle' for the closed ones, meaning every tjeneste not served by a vikar;
    all_vikar: said for the vikar ones, meaning every tjeneste this fravær does not close.
    """
    return checked_draft(
        clean_name(behandler),
        fra,
        til,
        tjenester,
        vikar,
        clean_text(kommentar or "", "Kommentar", MAX_COMMENT),
        clean_hpr(hpr),
        all_tjenester,
        all_vikar,
    )


def checked_draft(
    behandler: str,
    fra: date,
    til: date,
    tjenester: Sequence[str],
    vikar: Sequence[str],
    kommentar: str,
    hpr: str,
    all_tjenester: bool = False,
    all_vikar: bool = False,
) -> Draft:
    """The checks between fields, for texts already cleaned (import parses each distinct cell once)."""
    closed, vikar_keys = closed_and_vikar(tjenester, vikar, all_tjenester, all_vikar)
    check_dates(fra, til)
    check_tjenester(closed, vikar_keys, all_tjenester)
    return Draft(behandler, fra, til, closed, vikar_keys, kommentar, hpr)


def closed_and_vikar(
    tjenester: Sequence[str], vikar: Sequence[str], all_tjenester: bool, all_vikar: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What 'alle' means on either side: every tjeneste the other side does not take."""
    if all_tjenester and all_vikar:
        raise InputError(
            "«alle» kan ikke gjelde både tjenestene som stenges og dem vikaren tar. "
            "Oppgi tjenestene på den ene siden, og «alle» på den andre."
        )
    if all_vikar:
        closed = catalogue.order(tjenester)
        return closed, catalogue.order(k for k in catalogue.catalogue() if k not in closed)
    vikar_keys = catalogue.order(vikar)
    if all_tjenester:
        tjenester = [k for k in tjenester if k not in vikar_keys]
    return catalogue.order(tjenester), vikar_keys


def check_dates(fra: date, til: date) -> None:
    if til == date.max:
        raise InputError(
            f"Til og med {dates.short(til)} kan ikke brukes: dagen etter, da tjenestene åpner igjen, "
            "finnes ikke i kalenderen. Siste mulige til og med-dato er 30.12.9999."
        )
    if fra > til:
        raise InputError(
            f"Fra og med ({dates.short(fra)}) er etter til og med ({dates.short(til)}). "
            "Begge datoene er med i fraværet, så de kan være like, men fra og med kan ikke komme etter."
        )


def check_tjenester(closed: Sequence[str], vikar: Sequence[str], all_tjenester: bool = False) -> None:
    # A fravær closes services, or has a vikar serving them, or both: with a vikar only, the GP
    # is away and citizens see no closure (the calendar's «v»).
    if not closed and all_tjenester and vikar:
        # «alle» said to close, and nothing left to close: the two options contradict each other.
        raise InputError(
            "Vikaren tar alle tjenestene, så «alle» stenger ingen: tjenester med vikar holdes åpne. "
            "Skal vikaren ta alt, utelat --tjeneste; skal noe stenges, ta det ut av --vikar."
        )
    if not closed and not vikar:
        raise InputError(
            "Ingen tjeneste å stenge og ingen vikar: oppgi minst én --tjeneste (eller «alle»), "
            "eller --vikar for et fravær der vikaren tar tjenestene."
        )
    both = [k for k in closed if k in vikar]
    if both:
        names = ", ".join(catalogue.display_name(k) for k in both)
        raise InputError(
            f"{names} er oppgitt både som stengt og med vikar. En tjeneste med vikar holdes åpen; velg det ene."
        )


def check_not_past(til: date, today: date) -> None:
    if til < today:
        raise InputError(
            f"Fraværet sluttet {dates.short(til)}, før i dag ({dates.short(today)}). "
            "Bruk --allow-past for å registrere et fravær som er over."
        )


FAR_FIRST, FAR_LAST, LONGEST = date(2000, 1, 1), date(2100, 12, 31), 366


def far_date_notes(fra: date, til: date) -> list[str]:
    """A fravær that is stored, but perhaps not as meant: a typo in the year, or a year-long stretch."""
    notes = [
        f"Merk: {what} {dates.short(day)} er langt {'fram' if day > FAR_LAST else 'tilbake'} i tid. Var det ment?"
        for what, day in (("fra og med", fra), ("til og med", til))
        if not FAR_FIRST <= day <= FAR_LAST
    ]
    days = (til - fra).days + 1
    if days > LONGEST:
        notes.append(f"Merk: fraværet varer i {days} dager, over et år. Var det ment?")
    return notes


class RosterEntry(FrozenRecord):
    """A GP on the office's list of its GPs (the roster): a change is a new entry.
    The codec, as for Fravaer: the fields below and to_record/from_record, for every store."""

    FIELDS = __slots__ = ("behandler", "hpr")
    OPTIONAL = ("hpr",)
    behandler: str
    hpr: str

    def __init__(self, behandler: str, hpr: str = ""):
        object.__setattr__(self, "behandler", behandler)
        object.__setattr__(self, "hpr", hpr)

    def to_record(self) -> dict[str, Any]:
        """By name; an optional text not given is left out (a file)."""
        return {k: v for k, v in zip(self.FIELDS, self.values(), strict=True) if v or k not in self.OPTIONAL}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> "RosterEntry":
        return cls(**{k: record.get(k, "") for k in cls.FIELDS})

    @property
    def key(self) -> str:
        return behandler_key(self.behandler)


def check_av(text: str, where: str) -> str:
    """Who the audit log records: the same text rules as a name."""
    return clean_name(text, f"Navnet i {where}")


def check_info(text: str) -> str:
    return clean_text(text, "Informasjon til pasient", MAX_INFO)


def check_navn(text: str) -> str:
    return clean_name(text, "Navnet på virksomheten")


def matches_behandler(fravaer: Fravaer, wanted: str | None) -> bool:
    """A part of the GP's name (folded as search_key does), or the GP's HPR number exactly."""
    if wanted is None:
        return True
    text = wanted.strip()
    return name_matches(text, fravaer.behandler) or (text.isdigit() and text == fravaer.hpr)


class GpDirectory(Record):
    """An office's GPs, as a store gives them with only some of the office's fravær (a partial
    office, Virksomhet.directory): what the office knows of every GP with fravær stored, which
    the fravær read would otherwise tell it. names: each GP's key -> the name stored on its first
    fravær, in the order the office keeps its fravær; hprs: each HPR number on a fravær -> the key
    of the GP of the first fravær that has it. Both of every fravær, those read included.

    without_named: for a Scope naming fravær by id (an edit), the directory of the office without
    them, made when asked: once an edit gives one of them another GP, name or HPR number, it may
    have been the first (or only) fravær of its GP or number, and what comes next is in the
    fravær not read. After that the fravær read come after the directory's in the order (which
    no note after an edit depends on: the GPs there are, sorted, decide them)."""

    FIELDS = __slots__ = ("names", "hprs", "without_named")

    def __init__(
        self, names: dict[str, str], hprs: dict[str, str], without_named: Callable[[], "GpDirectory"] | None = None
    ):
        self.names, self.hprs, self.without_named = names, hprs, without_named
