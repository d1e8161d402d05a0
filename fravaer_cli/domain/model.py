"""The domain: virksomhet, fravær and the rules for adding, editing and deleting them.

No I/O and no clock here: 'today' and the registering user come in as arguments.
"""

import re
import unicodedata
from bisect import bisect_right, insort
from datetime import date
from functools import lru_cache

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.domain.errors import ConflictError, InputError, NotFoundError
from fravaer_cli.domain.record import Record

MAX_NAME = 100
MAX_COMMENT = 500
MAX_INFO = 200
MAX_ID_LENGTH = 8


@lru_cache(maxsize=1)
def _forbidden():
    # Control characters (Unicode category Cc), and bidi overrides and isolates,
    # which can make a name display as something else. Lone surrogates (from
    # JSON's \ud800) cannot be written as UTF-8 at all. Compiled when first
    # needed: most calls check no text.
    return re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@lru_cache(maxsize=8192)
def behandler_key(name: str) -> str:
    """The same GP whatever the case, spacing or Unicode form of the name."""
    folded = unicodedata.normalize("NFC", name).casefold()
    return " ".join(unicodedata.normalize("NFC", folded).split())


class _Folding(dict):
    """A str.translate table that drops combining marks (accents once decomposed) and
    folds the letters no Unicode decomposition takes apart, as Norwegians type them on a
    foreign keyboard. Filled as characters are met: translate() then does in C what a
    loop over the characters did in Python (a name search reads every office's name)."""

    def __missing__(self, code: int):
        self[code] = None if unicodedata.combining(chr(code)) else code
        return self[code]


_FOLDING = _Folding(str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}))


@lru_cache(maxsize=8192)
def search_key(text: str) -> str:
    """For finding by name: case, accents and Norwegian letters folded both ways,
    so that «grunerlokka» finds «Grünerløkka» and «bjørn» finds «Bjorn».
    (Who is the same GP is behandler_key's business: this only finds.)"""
    if text.isascii():  # nothing to decompose or fold but the case
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKD", text.casefold()).translate(_FOLDING).split())


def name_matches(query: str, name: str) -> bool:
    """Every word of the query is in the name, in any order, folded as search_key folds:
    «grunerlokka legekontor» finds «Legekontoret Grünerløkka», «hansen siri» finds «Siri Hansen»."""
    folded = search_key(name)
    return all(word in folded for word in search_key(query).split())


def clean_text(value: str, what: str, max_length: int, required: bool = False) -> str:
    """Trimmed text without control characters; an InputError names what is wrong."""
    text = value.strip()
    if required and not text:
        raise InputError(f"{what} kan ikke være tom.")
    bad = _forbidden().search(text)
    if bad is not None:
        kind = "et ugyldig tegn" if "\ud800" <= bad[0] <= "\udfff" else "et kontrolltegn"
        raise InputError(f"{what} inneholder {kind} (U+{ord(bad[0]):04X}), som ikke er tillatt: {text!r}.")
    length = len(unicodedata.normalize("NFC", text))
    if length > max_length:
        raise InputError(f"{what} er {length} tegn lang; høyst {max_length} tegn er tillatt.")
    return text


def clean_hpr(value: str | None) -> str:
    if not value:
        return ""
    hpr = value.strip()
    if not (hpr.isascii() and hpr.isdigit() and len(hpr) <= 10):
        raise InputError(f"Ugyldig HPR-nummer: «{value}». Et HPR-nummer er kun sifre (høyst 10).")
    return hpr


# A fravær's fields as the store and the JSON and CSV output name them, in their order.
RECORD_FIELDS = (
    "id",
    "behandler",
    "fra",
    "til",
    "tjenester",
    "vikar",
    "kommentar",
    "hpr",
    "registrert_av",
    "registrert",
)


class Fravaer(Record):
    """One registered fravær. key is the GP's name folded, for finding the GP's other fravær."""

    FIELDS = ("id", "behandler", "fra", "til", "tjenester", "vikar", "kommentar", "hpr", "registrert_av", "registrert")
    __slots__ = (*FIELDS, "key")

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
        self.id, self.behandler, self.fra, self.til = id, behandler, fra, til
        self.tjenester, self.vikar, self.kommentar, self.hpr = tjenester, vikar, kommentar, hpr
        self.registrert_av, self.registrert = registrert_av, registrert
        self.key = behandler_key(behandler)

    def identity(self) -> tuple:
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

    def to_dict(self) -> dict:
        """The stable JSON shape, with ISO dates and catalogue keys."""
        return {
            "id": self.id,
            "behandler": self.behandler,
            "fra": self.fra.isoformat(),
            "til": self.til.isoformat(),
            "tjenester": list(self.tjenester),
            "vikar": list(self.vikar),
            "kommentar": self.kommentar,
            "hpr": self.hpr or None,
            "registrert_av": self.registrert_av,
            "registrert": self.registrert,
        }


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

    def identity(self) -> tuple:
        """Fravaer.identity() of the fravær this draft would be (an import asks it of every row)."""
        return (behandler_key(self.behandler), self.fra, self.til, self.tjenester, self.vikar)


def make_draft(
    behandler: str,
    fra: date,
    til: date,
    tjenester: list[str],
    vikar: list[str] = (),
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
        clean_text(behandler, "Behandler", MAX_NAME, required=True),
        fra,
        til,
        tjenester,
        vikar,
        clean_text(kommentar or "", "Kommentar", MAX_COMMENT),
        clean_hpr(hpr),
        all_tjenester,
        all_vikar,
    )


def checked_draft(behandler, fra, til, tjenester, vikar, kommentar, hpr, all_tjenester=False, all_vikar=False) -> Draft:
    """The checks between fields, for texts already cleaned (import parses each distinct cell once)."""
    closed, vikar_keys = _closed_and_vikar(tjenester, vikar, all_tjenester, all_vikar)
    _check_dates(fra, til)
    _check_tjenester(closed, vikar_keys, all_tjenester)
    return Draft(behandler, fra, til, closed, vikar_keys, kommentar, hpr)


def _closed_and_vikar(tjenester, vikar, all_tjenester: bool, all_vikar: bool):
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


def _check_dates(fra: date, til: date) -> None:
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


def _check_tjenester(closed, vikar, all_tjenester: bool = False) -> None:
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


def _check_not_past(til: date, today: date) -> None:
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


class RosterEntry(Record):
    """A GP on the office's list of its GPs (the roster)."""

    FIELDS = __slots__ = ("behandler", "hpr")

    def __init__(self, behandler: str, hpr: str = ""):
        self.behandler = behandler
        self.hpr = hpr

    @property
    def key(self) -> str:
        return behandler_key(self.behandler)


NEAR = 2  # letters apart, after folding, for two names to look like one misspelt (_deletions counts on 2)


@lru_cache(maxsize=65536)
def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 when it is more than limit. A big import asks this
    for every new GP against the office's others: the common start and end are skipped, and
    only the cells within limit of the diagonal are computed."""
    too_far = limit + 1
    if abs(len(a) - len(b)) > limit:
        return too_far
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    a, b = a[start:end_a], b[start:end_b]
    if not a or not b:
        return min(max(len(a), len(b)), too_far)
    previous = [j if j <= limit else too_far for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        current = [too_far] * (len(b) + 1)
        current[0] = i if i <= limit else too_far
        best = current[0]
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != b[j - 1]), too_far)
            current[j] = value
            best = min(best, value)
        if best > limit:
            return too_far
        previous = current
    return previous[-1]


def near_distance(a: str, b: str) -> int:
    """edit_distance(a, b, NEAR) for the index, without a table or a cache: each pair it compares
    is met once, and an import of 4,000 new GPs compares thousands. Once the common start and end
    are cut off, the two differ in their first and in their last letter, so two edits or fewer
    can only be at those ends: a few comparisons of slices decide it."""
    start, end = 0, min(len(a), len(b))
    while start < end and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a, end_b = end_a - 1, end_b - 1
    a, b = a[start:end_a], b[start:end_b]
    if len(a) > len(b):
        a, b = b, a
    short, extra = len(a), len(b) - len(a)
    if extra > NEAR:
        return NEAR + 1
    if short == 0:
        return extra  # only letters put in
    if extra == 0:
        if short <= 2:
            return short  # one or two letters changed
        # both ends changed, or one letter taken out at one end and another put in at the other
        near = a[1:-1] == b[1:-1] or a[1:] == b[:-1] or a[:-1] == b[1:]
    elif extra == 1:
        # a letter put in at one end and the letter at the other end changed
        near = a[:-1] == b[1:-1] or a[1:] == b[1:-1]
    else:
        near = a == b[1:-1]  # a letter put in at each end
    return NEAR if near else NEAR + 1


@lru_cache(maxsize=4096)  # a new name is looked up, then added: its remainders are made once
def _deletions(text: str) -> frozenset[str]:
    """text and everything left of it after one or two (NEAR) letters are taken out."""
    ones = [text[:i] + text[i + 1 :] for i in range(len(text))]
    # Two out: from each one-out remainder, a letter at or after where the first one was.
    found = {one[:j] + one[j + 1 :] for i, one in enumerate(ones) for j in range(i, len(one))}
    found.add(text)
    found.update(ones)
    return frozenset(found)


class _NearIndex:
    """GP names by what is left of them (folded) after up to NEAR letters are taken out. Two
    names NEAR letters apart or less always share such a remainder (a letter put in, taken out
    or changed is a letter taken out of one or both), so a name's look-alikes are found among
    the few names it shares one with, not by comparing it with every name of the office: an
    import of 4,000 new GPs into one office no longer compares each with all before it."""

    def __init__(self):
        # A remainder's one key, or a list of them: most remainders are one name's only, and a
        # list for each would cost an import of many GPs more than all the rest of the index.
        self._by_rest: dict[str, str | list[str]] = {}
        self.names: dict[str, str] = {}  # key -> name, in the order added
        self._folded: dict[str, tuple[int, str]] = {}  # key -> (order added, folded name)

    def add(self, key: str, name: str) -> None:
        if key in self.names:
            return
        folded = search_key(name)
        self.names[key] = name
        self._folded[key] = (len(self._folded), folded)
        by_rest = self._by_rest
        for rest in _deletions(folded):
            there = by_rest.setdefault(rest, key)
            if there is not key:
                if isinstance(there, list):
                    there.append(key)
                else:
                    by_rest[rest] = [there, key]

    def near(self, name: str, among=None) -> list[tuple[int, str]]:
        """(distance, key) of the names NEAR letters from name or closer, in the order added; the
        distance is exact with among (for the roster's closest name), else NEAR at most."""
        wanted = search_key(name)
        by_rest = self._by_rest
        rests = by_rest.keys() & _deletions(wanted)
        if not rests:
            return []
        # The fewest letters taken out of the two names to leave a remainder they share (its length
        # says how many): NEAR or fewer, and the two are that near for certain, with no comparison.
        taken_out: dict[str, int] = {}
        size, folded_of = len(wanted), self._folded
        for rest in rests:
            there = by_rest[rest]
            out_of_wanted = size - 2 * len(rest)
            for key in there if isinstance(there, list) else (there,):
                total = out_of_wanted + len(folded_of[key][1])
                if total < taken_out.get(key, 2 * NEAR + 1):
                    taken_out[key] = total
        found = []
        for key in sorted(taken_out, key=folded_of.__getitem__) if len(taken_out) > 1 else taken_out:
            if among is None or key in among:
                certain = among is None and taken_out[key] <= NEAR  # the roster's closest wants the exact one
                distance = taken_out[key] if certain else near_distance(wanted, folded_of[key][1])
                if distance <= NEAR:
                    found.append((distance, key))
        return found


# A roster this long is searched for a misspelling only among names NEAR letters away (by the
# index); a shorter one is also compared name by name with the wider limit of closest_on_roster.
SCAN_ROSTER_UP_TO = 200


def office_label(orgnr: str, navn: str) -> str:
    """'DDFL Test (974760673)', or the orgnr alone for an office without a name."""
    return f"{navn} ({orgnr})" if navn else orgnr


class Virksomhet(Record):
    """An office: its name and note, its fravær, the next id to give, and its roster
    (empty: the office keeps no list of its GPs)."""

    FIELDS = ("orgnr", "navn", "info", "next_id", "fravaer", "roster")

    def __init__(
        self,
        orgnr: str,
        navn: str = "",
        info: str = "",
        next_id: int = 1,
        fravaer: list[Fravaer] | None = None,
        roster: list[RosterEntry] | None = None,
    ):
        self.orgnr, self.navn, self.info, self.next_id = orgnr, navn, info, next_id
        self.fravaer = [] if fravaer is None else fravaer
        self.roster = [] if roster is None else roster
        self._indexed = False
        self._near_index: _NearIndex | None = None

    @property
    def label(self) -> str:
        return office_label(self.orgnr, self.navn)

    # Indexes keep add and import linear: an identical registration is one dict
    # look-up, and an overlap is a binary search among the fravær of one
    # behandler and tjeneste, which the overlap rule keeps disjoint and sorted.
    def _index(self) -> None:
        if self._indexed:
            return
        self._identities: dict[tuple, Fravaer] = {}
        self._spans: dict[tuple[str, str], list[tuple[date, str, Fravaer]]] = {}
        self._vikar_spans: dict[tuple[str, str], list[tuple[date, str, Fravaer]]] = {}
        self._names: dict[str, str] = {}
        self._indexed = True
        for f in self.fravaer:
            self._remember(f)

    def _remember(self, f: Fravaer) -> None:
        self._identities.setdefault(f.identity(), f)
        self._names.setdefault(f.key, f.behandler)
        if self._near_index is not None:
            self._near_index.add(f.key, self._names[f.key])
        for tjeneste in f.tjenester:
            insort(self._spans.setdefault((f.key, tjeneste), []), (f.fra, f.id, f))
        for tjeneste in f.vikar:
            insort(self._vikar_spans.setdefault((f.key, tjeneste), []), (f.fra, f.id, f))

    def _forget(self) -> None:
        self._indexed = False
        self._near_index = None

    def _near(self) -> _NearIndex:
        """The index of the office's GP names (the roster's, then the stored ones), made when first
        asked and kept up to date as fravær are added."""
        if self._near_index is None:
            known = self._known()  # before the index is there: indexing the fravær must not add to it
            self._near_index = _NearIndex()
            for key, name in known.items():
                self._near_index.add(key, name)
        return self._near_index

    def _known(self) -> dict[str, str]:
        """The office's GPs by key: the roster's, then those with fravær stored and not on it."""
        self._index()
        known = {e.key: e.behandler for e in self.roster}
        known.update((k, v) for k, v in self._names.items() if k not in known)
        return known

    def get(self, fravaer_id: str) -> Fravaer:
        for f in self.fravaer:
            if f.id == fravaer_id:
                return f
        raise NotFoundError(
            f"Fant ikke fravær med id «{fravaer_id}» hos {self.label}. Se «fravaer list --include-past»."
        )

    def find_identical(self, draft: Draft) -> Fravaer | None:
        self._index()
        return self._identities.get(draft.identity())

    def _closures_meeting(self, candidate: Fravaer, tjeneste: str, ignore_id: str | None):
        """Stored fravær closing tjeneste for candidate's GP on a day candidate covers."""
        spans = self._spans.get((candidate.key, tjeneste), [])
        # Those starting on or before candidate.til, latest first; the overlap rule keeps them
        # disjoint, so the first that ends before candidate.fra ends the search.
        i = bisect_right(spans, (candidate.til, "\U0010ffff"))
        while i > 0:
            i -= 1
            f = spans[i][2]
            if f.id == ignore_id:
                continue
            if f.til < candidate.fra:
                break
            yield f

    def find_overlaps(self, candidate: Fravaer, ignore_id: str | None = None) -> list[Fravaer]:
        """Every stored fravær that shares a closed day and tjeneste with candidate, in id order."""
        self._index()
        found = {}
        for tjeneste in candidate.tjenester:  # the hot path of a big import: no generator for a GP's first fravær
            if (candidate.key, tjeneste) in self._spans:
                found.update((f.id, f) for f in self._closures_meeting(candidate, tjeneste, ignore_id))
        return sorted(found.values(), key=lambda f: (f.fra, f.id)) if found else []

    def find_vikar_clashes(self, candidate: Fravaer, ignore_id: str | None = None) -> list[Fravaer]:
        """Stored fravær of the same GP that close a tjeneste candidate has a vikar for on a shared
        day, or have a vikar for one candidate closes: both at once cannot be true for citizens."""
        self._index()
        found = {f.id: f for t in candidate.vikar for f in self._closures_meeting(candidate, t, ignore_id)}
        for tjeneste in candidate.tjenester if self._vikar_spans else ():
            # Vikar periods may overlap each other: every one starting in time is looked at.
            spans = self._vikar_spans.get((candidate.key, tjeneste), [])
            for _, fid, f in spans[: bisect_right(spans, (candidate.til, "\U0010ffff"))]:
                if fid != ignore_id and f.til >= candidate.fra:
                    found[fid] = f
        return sorted(found.values(), key=lambda f: (f.fra, f.id))

    def _stored_name(self, name: str) -> str:
        """A GP's name as the roster writes it, else as first written."""
        self._index()
        entry = self.roster_entry(name) if self.roster else None
        return entry.behandler if entry is not None else self._names.get(behandler_key(name), name)

    def _edited_name(self, behandler: str) -> str:
        name = clean_text(behandler, "Behandler", MAX_NAME, required=True)
        self.check_on_roster(name)
        return self._stored_name(name)

    # -- the roster ------------------------------------------------------------------

    def knows(self, name: str) -> bool:
        """The GP is on the roster or has fravær stored here."""
        self._index()
        return behandler_key(name) in self._names or self.roster_entry(name) is not None

    def gps(self) -> list[str]:
        """The office's GPs: the roster when it has one, else every GP with fravær stored."""
        self._index()
        names = [e.behandler for e in self.roster] if self.roster else list(self._names.values())
        return sorted(names, key=search_key)

    def roster_entry(self, name: str) -> RosterEntry | None:
        key = behandler_key(name)
        return next((e for e in self.roster if e.key == key), None)

    def check_on_roster(self, name: str) -> None:
        """With a roster, only its GPs may have fravær: a name not on it is most likely misspelt."""
        if not self.roster or self.roster_entry(name) is not None:
            return
        close = self.closest_on_roster(name)
        hint = f"Mente du «{close}»?" if close else f"På listen: {', '.join(self.gps()[:10])}."
        raise InputError(
            f"«{name}» står ikke på listen over fastleger hos {self.label}. {hint} "
            f"En ny fastlege legges til med «fravaer roster add --virksomhet {self.orgnr} --behandler NAVN»."
        )

    def gps_matching(self, query: str) -> list[str]:
        """The GPs here (on the roster, or with fravær stored) whose names hold every word of the
        query; the one whose name it is, alone, when there is one."""
        known = self._known()
        key = behandler_key(query)
        if key in known:
            return [known[key]]
        return sorted((n for n in known.values() if name_matches(query, n)), key=search_key)

    def not_a_gp_here(self, query: str) -> NotFoundError:
        """«Kari Vikk» is no GP here: the close names, or the GPs there are."""
        near, gps = self.near_names(query), self.gps()
        if near:
            hint = f" Mente du {' eller '.join(f'«{n}»' for n in near)}?"
        elif gps:
            hint = f" Legene her: {', '.join(gps[:10])}{' …' if len(gps) > 10 else ''}."
        else:
            hint = ""
        return NotFoundError(
            f"«{query.strip()}» er ingen fastlege hos {self.label}: ikke på listen, og ingen fravær lagret.{hint}"
        )

    def closest_on_roster(self, name: str) -> str | None:
        """The roster's name nearest to name, when near enough to be a misspelling of it."""
        on_roster = {e.key for e in self.roster}
        near = self._near().near(name, among=on_roster)
        if near:
            return self._near().names[min(near)[1]]
        if len(self.roster) > SCAN_ROSTER_UP_TO:
            return None  # each row not on a long roster would otherwise cost the roster's length
        wanted = search_key(name)
        limit = max(NEAR, len(wanted) // 3)
        scored = [(edit_distance(wanted, search_key(e.behandler), limit), e.behandler) for e in self.roster]
        best = min(scored, default=(limit + 1, None))
        return best[1] if best[0] <= limit else None

    def near_names(self, name: str) -> list[str]:
        """For a GP new here: the GPs whose names are one or two letters from name (after folding
        case and accents): perhaps name is one of them misspelt. Empty for a GP known here."""
        if self.knows(name):
            return []
        key = behandler_key(name)
        index = self._near()
        return [index.names[other] for _, other in index.near(name) if other != key]

    def roster_add(self, name: str, hpr: str | None) -> tuple[RosterEntry, RosterEntry | None]:
        """Put a GP on the roster. Returns (entry now, entry before: None when new; equal when nothing changed)."""
        name = clean_text(name, "Behandler", MAX_NAME, required=True)
        hpr = clean_hpr(hpr) if hpr is not None else None
        existing = self.roster_entry(name)
        if existing is not None:
            before = RosterEntry(existing.behandler, existing.hpr)
            if hpr is not None:
                existing.hpr = hpr
            return existing, before
        entry = RosterEntry(self._stored_name(name), hpr or "")
        self.roster.append(entry)
        self._near_index = None  # the roster's names come first in it
        return entry, None

    def roster_remove(self, name: str) -> RosterEntry:
        entry = self.roster_entry(name)
        if entry is None:
            raise NotFoundError(f"«{name.strip()}» står ikke på listen over fastleger hos {self.label}.")
        self.roster.remove(entry)
        self._near_index = None
        return entry

    def rename(self, old_name: str, new_name: str) -> list[tuple[Fravaer, Fravaer]]:
        """Give a GP another name everywhere in the office: the roster and every fravær.
        Into a GP that exists already, the two are merged, under the overlap rule.
        Returns the GP's name now, and (before, after) for each fravær changed."""
        new_name = clean_text(new_name, "Nytt navn", MAX_NAME, required=True)
        old_key, new_key = behandler_key(old_name), behandler_key(new_name)
        moved = [f for f in self.fravaer if f.key == old_key]
        entry = self.roster_entry(old_name)
        if not moved and entry is None:
            raise NotFoundError(
                f"Ingen behandler heter «{old_name.strip()}» hos {self.label} (verken på listen eller i et fravær)."
            )
        merging = new_key != old_key and self.knows(new_name)
        # A merge keeps the name the other GP has; a new spelling of the same GP is taken as written.
        target = self._stored_name(new_name) if merging else new_name
        changed = [(f, f.replace(behandler=target)) for f in moved]
        others = [f for f in self.fravaer if f.key != old_key]
        check = Virksomhet(self.orgnr, self.navn, fravaer=others)
        for _, after in changed:
            overlaps = check.find_overlaps(after)
            clashes = overlaps or check.find_vikar_clashes(after)
            if clashes:
                error = (_overlap_error if overlaps else _vikar_error)(after, clashes)
                raise ConflictError(f"Kan ikke slå sammen «{old_name.strip()}» med «{target}»: {error}")
            check.fravaer.append(after)
            check._remember(after)
        renamed = {id(before): after for before, after in changed}
        self.fravaer = [renamed.get(id(f), f) for f in self.fravaer]
        if entry is not None:
            existing = self.roster_entry(new_name) if merging else None
            if existing is not None and existing is not entry:
                existing.hpr = existing.hpr or entry.hpr
                self.roster.remove(entry)
            else:
                entry.behandler = target
        self._forget()
        return target, changed

    def add(self, draft: Draft, today: date, allow_past: bool, av: str, now: str) -> tuple[Fravaer, bool]:
        """Register a draft. Returns (fravær, created); an identical stored one is returned as is."""
        existing = self.find_identical(draft)
        if existing is not None:
            return existing, False
        self.check_on_roster(draft.behandler)
        if not allow_past:
            _check_not_past(draft.til, today)
        new = Fravaer(
            id=str(self.next_id),
            behandler=self._stored_name(draft.behandler),
            fra=draft.fra,
            til=draft.til,
            tjenester=draft.tjenester,
            vikar=draft.vikar,
            kommentar=draft.kommentar,
            hpr=draft.hpr,
            registrert_av=av,
            registrert=now,
        )
        if len(new.id) > MAX_ID_LENGTH:
            raise ConflictError(f"{self.label} har brukt opp alle fravær-id-er (høyst {MAX_ID_LENGTH} tegn).")
        clashes = self.find_overlaps(new)
        if clashes:
            raise _overlap_error(new, clashes)
        clashes = self.find_vikar_clashes(new)
        if clashes:
            raise _vikar_error(new, clashes)
        self.fravaer.append(new)
        self._remember(new)
        self.next_id += 1
        return new, True

    def edit(
        self,
        fravaer_id: str,
        today: date,
        allow_past: bool,
        fra: date | None = None,
        til: date | None = None,
        tjenester: list[str] | None = None,
        vikar: list[str] | None = None,
        kommentar: str | None = None,
        all_tjenester: bool = False,
        all_vikar: bool = False,
        behandler: str | None = None,
        hpr: str | None = None,
    ) -> tuple[Fravaer, Fravaer]:
        """Change a fravær in place under the same rules as add. Returns (before, after)."""
        old = self.get(fravaer_id)
        closed, new_vikar = _closed_and_vikar(
            old.tjenester if tjenester is None else tjenester,
            old.vikar if vikar is None else vikar,
            all_tjenester,
            all_vikar,
        )
        new = old.replace(
            fra=fra or old.fra,
            til=til or old.til,
            tjenester=closed,
            vikar=new_vikar,
            kommentar=clean_text(kommentar, "Kommentar", MAX_COMMENT) if kommentar is not None else old.kommentar,
            behandler=self._edited_name(behandler) if behandler is not None else old.behandler,
            hpr=clean_hpr(hpr) if hpr is not None else old.hpr,
        )
        _check_dates(new.fra, new.til)
        _check_tjenester(new.tjenester, new.vikar, all_tjenester)
        if not allow_past and (new.fra, new.til) != (old.fra, old.til):
            _check_not_past(new.til, today)
        clashes = self.find_overlaps(new, ignore_id=old.id)
        if clashes:
            raise _overlap_error(new, clashes)
        clashes = self.find_vikar_clashes(new, ignore_id=old.id)
        if clashes:
            raise _vikar_error(new, clashes)
        position = self.fravaer.index(old)
        self.fravaer[position] = new
        self._forget()
        return old, new

    def delete(self, fravaer_id: str) -> Fravaer:
        old = self.get(fravaer_id)
        self.fravaer.remove(old)
        self._forget()
        return old


def _overlap_error(new: Fravaer, clashes: list[Fravaer]) -> ConflictError:
    """Names every stored fravær in the way, so that one look says what to change."""
    shared = {t for clash in clashes for t in set(new.tjenester) & set(clash.tjenester)}
    return _clash_error(clashes, "Overlapper med {which} ({listed}) for samme behandler og tjeneste ({names}).", shared)


def _vikar_error(new: Fravaer, clashes: list[Fravaer]) -> ConflictError:
    both = {t for c in clashes for t in (set(new.vikar) & set(c.tjenester)) | (set(new.tjenester) & set(c.vikar))}
    message = (
        "{names} kan ikke både være stengt og ha vikar for samme behandler samme dag, "
        "og {which} ({listed}) sier det andre."
    )
    return _clash_error(clashes, message, both, vikar=True)


def _clash_error(clashes: list[Fravaer], message: str, tjenester, vikar: bool = False) -> ConflictError:
    ids = [c.id for c in clashes]
    which = f"fravær {ids[0]}" if len(ids) == 1 else f"fravær {', '.join(ids[:-1])} og {ids[-1]}"
    listed = "; ".join(f"{c.id}: {c.summary()}" for c in clashes)
    names = ", ".join(catalogue.display_name(k) for k in catalogue.order(tjenester))
    error = ConflictError(
        message.format(which=which, listed=listed, names=names) + f" Endre eller slett {which} først."
    )
    error.existing = clashes[0]  # the importer names the row of the file that added it
    error.clashes = clashes
    error.vikar = vikar
    return error


def check_av(text: str, where: str) -> str:
    """Who the audit log records: the same text rules as a name."""
    return clean_text(text, f"Navnet i {where}", MAX_NAME, required=True)


def check_info(text: str) -> str:
    return clean_text(text, "Informasjon til pasient", MAX_INFO)


def check_navn(text: str) -> str:
    return clean_text(text, "Navnet på virksomheten", MAX_NAME, required=True)
