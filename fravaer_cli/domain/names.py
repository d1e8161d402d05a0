"""GP names: the same GP whatever the spelling of case and spaces (behandler_key), found by any
words of the name (search_key, name_matches), and names one or two letters apart found through
an index (NearIndex), for «Mente du …?» and the look-alike note on import; a name written
surname first («Hansen, Per»), and the spellings an office remembers after a rename (former_names)."""

import unicodedata
from collections.abc import Collection, Iterable, Iterator
from functools import lru_cache
from heapq import merge
from itertools import repeat

from fravaer_cli.domain.errors import InputError


@lru_cache(maxsize=8192)
def behandler_key(name: str) -> str:
    """The same GP whatever the case, spacing or Unicode form of the name."""
    folded = unicodedata.normalize("NFC", name).casefold()
    return " ".join(unicodedata.normalize("NFC", folded).split())


class _Folding(dict[int, int | str | None]):
    """A str.translate table that drops combining marks (accents once decomposed) and
    folds the letters no Unicode decomposition takes apart, as Norwegians type them on a
    foreign keyboard. Filled as characters are met: translate() then does in C what a
    loop over the characters did in Python (a name search reads every office's name)."""

    def __missing__(self, code: int) -> int | None:
        kept = None if unicodedata.combining(chr(code)) else code
        self[code] = kept
        return kept


_FOLDED: dict[str, int | str | None] = {"æ": "ae", "ø": "o", "œ": "oe", "ð": "d", "þ": "th", "ł": "l", "đ": "d"}
_FOLDING = _Folding(str.maketrans(_FOLDED))


@lru_cache(maxsize=8192)
def search_key(text: str) -> str:
    """For finding by name: case, accents and Norwegian letters folded both ways,
    so that «grunerlokka» finds «Grünerløkka» and «bjørn» finds «Bjorn».
    (Who is the same GP is behandler_key's business: this only finds.)"""
    if text.isascii():  # nothing to decompose or fold but the case
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKD", text.casefold()).translate(_FOLDING).split())


# After z, in the Norwegian alphabet's order: æ (and ä), ø (and ö), å. Characters above z.
_NORWEGIAN_LAST = {"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}"}


@lru_cache(maxsize=8192)
def norwegian_order(name: str) -> tuple[str, str]:
    """The key that sorts names as a Norwegian list does: case and accents aside (é as e), and
    Æ, Ø, Å after Z («Åse» after «Zahid», not before «Anne»); the name itself breaks ties."""
    letters = []
    for ch in unicodedata.normalize("NFC", name).casefold():
        last = _NORWEGIAN_LAST.get(ch)
        if last is None:
            letters.append("".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)))
        else:
            letters.append(last)
    return " ".join("".join(letters).split()), name


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Common Norwegian first names, folded (fornavn.txt)."""
    from pathlib import Path

    text = Path(__file__).with_name("fornavn.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def other_first_name(a: str, b: str) -> bool:
    """a and b differ only in words that are both common first names: «Lars Eriksen» and «Kari
    Eriksen», «Eirik Jensen» and «Siri Jensen» are most likely two people, not a misspelling."""
    words_a, words_b = search_key(a).split(), search_key(b).split()
    if len(words_a) != len(words_b):
        return False
    differ = [(x, y) for x, y in zip(words_a, words_b, strict=True) if x != y]
    names = first_names()
    return bool(differ) and all(x in names and y in names for x, y in differ)


def name_matches(query: str, name: str) -> bool:
    """Every word of the query is in the name, in any order, folded as search_key folds:
    «grunerlokka legekontor» finds «Legekontoret Grünerløkka», «hansen siri» finds «Siri Hansen»."""
    folded = search_key(name)
    return all(word in folded for word in search_key(query).split())


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


class NearIndex:
    """GP names by what is left of them (folded) after up to NEAR letters are taken out. Two
    names NEAR letters apart or less always share such a remainder (a letter put in, taken out
    or changed is a letter taken out of one or both), so a name's look-alikes are found among
    the few names it shares one with, not by comparing it with every name of the office: an
    import of 4,000 new GPs into one office no longer compares each with all before it."""

    def __init__(self) -> None:
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
        by_rest, rests = self._by_rest, _deletions(folded)
        shared = by_rest.keys() & rests
        # The remainders no other name has (most of them) go in in one step; only the shared
        # ones are gone through one by one.
        by_rest.update(zip(rests - shared, repeat(key)) if shared else zip(rests, repeat(key)))
        for rest in shared:
            there = by_rest[rest]
            if isinstance(there, list):
                there.append(key)
            else:
                by_rest[rest] = [there, key]

    def near(self, name: str, among: Collection[str] | None = None, limit: int | None = None) -> list[tuple[int, str]]:
        """(distance, key) of the names NEAR letters from name or closer, in the order added, each
        with its exact distance; among: only those keys (the roster's, for its closest name);
        limit: only the first so many (names all a letter or two apart share hundreds)."""
        wanted = search_key(name)
        by_rest = self._by_rest
        rests = by_rest.keys() & _deletions(wanted)
        if not rests:
            return []
        folded_of = self._folded
        ordered: Iterable[str]
        if limit is not None and among is None:
            # Each remainder's names are in the order added (add appends), so merging the lists
            # gives the sharing names in that order, lazily: the comparing stops at the first
            # limit look-alikes, and the hundreds of names after them («Lege 0001» … «Lege 2000»
            # share a remainder with hundreds) are neither gathered nor compared.
            lists = [there if isinstance(there, list) else [there] for there in map(by_rest.__getitem__, rests)]
            ordered = _once(merge(*lists, key=lambda k: folded_of[k][0])) if len(lists) > 1 else lists[0]
        else:
            # The names that share a remainder with it, each once (a GP's colleagues "Lege 1" and
            # "Lege 2" share most of theirs), in the order added.
            candidates: set[str] = set()
            for rest in rests:
                there = by_rest[rest]
                if isinstance(there, list):
                    candidates.update(there)
                else:
                    candidates.add(there)
            if among is not None:
                candidates &= among if isinstance(among, set | frozenset) else set(among)
            ordered = sorted(candidates, key=folded_of.__getitem__) if len(candidates) > 1 else candidates
        found: list[tuple[int, str]] = []
        for key in ordered:  # each compared by near_distance, which is cheap
            distance = near_distance(wanted, folded_of[key][1])
            if distance <= NEAR:
                found.append((distance, key))
                if len(found) == limit:
                    break
        return found


def _once(keys: Iterable[str]) -> Iterator[str]:
    """keys without those met before (a name shares several remainders with another)."""
    seen: set[str] = set()
    for key in keys:
        if key not in seen:
            seen.add(key)
            yield key


def surname_last(name: str) -> str:
    """«Hansen, Per» as «Per Hansen»: a name written surname first, with a comma, turned round."""
    surname, _, given = name.partition(",")
    return f"{given.strip()} {surname.strip()}" if surname.strip() and given.strip() else name


def surname_first(name: str) -> bool:
    """«Hansen, Per»: one comma, a name on each side (as a list of names or an EPJ writes it)."""
    surname, _, given = name.partition(",")
    return name.count(",") == 1 and bool(surname.strip()) and bool(given.strip())


MAX_FORMER_NAMES = 1000  # spellings an office remembers, far beyond what renames make


def former_names(tidligere: dict[str, str], old_name: str, target: str) -> dict[str, str]:
    """The spellings an office remembers after old_name is renamed target: old_name's (unless it
    is target's own key), and those that meant old_name now mean target; none for target's key
    (renamed back, the name is the GP's own again). The database makes the same (interface.sql)."""
    old_key, new_key = behandler_key(old_name), behandler_key(target)
    kept = {k: (target if behandler_key(v) == old_key else v) for k, v in tidligere.items() if k != new_key}
    if old_key != new_key:
        kept[old_key] = target
    if len(kept) > MAX_FORMER_NAMES:
        raise InputError(f"Virksomheten husker alt {MAX_FORMER_NAMES} tidligere navn på leger; flere godtas ikke.")
    return kept
