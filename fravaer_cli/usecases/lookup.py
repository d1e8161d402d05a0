"""Finding what a user names: an office by its number (as written, printed or in the VAT form)
or a part of its name, with the close names when none has it; GPs over every office."""

from fravaer_cli.domain import orgnr as orgnr_check
from fravaer_cli.domain.errors import InputError, StoreError
from fravaer_cli.domain.names import name_matches, norwegian_order, search_key
from fravaer_cli.store.base import Store

MAX_CANDIDATES = 10


def find_virksomhet(store: Store, text: str, allow_new: bool = False) -> str:
    """An orgnr, or a part of a stored office's name that matches exactly one office."""
    value = text.strip()
    if not value:
        raise InputError("--virksomhet kan ikke være tom: oppgi organisasjonsnummer eller en del av navnet.")
    value = orgnr_check.from_written(value) or value  # «DDFL Test (910000004)», «NO 910 000 004 MVA»
    if orgnr_check.looks_like_orgnr(value):
        number = orgnr_check.normalise(value)
        if not orgnr_check.is_valid(number):
            raise InputError(
                f"Ugyldig organisasjonsnummer: «{text}». Et organisasjonsnummer er 9 sifre med gyldig kontrollsiffer."
            )
        if not allow_new and not store.exists(number):
            raise store.not_found(number)
        return number
    wanted = search_key(value)
    # Reading commands say that the folder is missing; a writer, which would create it, says no office matches.
    reading = store.office_names(must_exist=not allow_new)
    names = list(reading)  # read once: the close names are looked for among them too
    matches = [office for office in names if name_matches(value, office.navn)]
    unreadable = reading.unreadable
    exact = [o for o in matches if search_key(o.navn) == wanted]
    if len(matches) == 1 or len(exact) == 1:
        return (exact or matches)[0].orgnr
    if not matches and unreadable:
        # The office asked for may be in a file that cannot be read: say so, rather than that it is not there.
        named = "\n".join(str(e) for e in unreadable[:MAX_CANDIDATES])
        raise StoreError(
            f"Ingen lesbar virksomhet har «{text}» i navnet, og {len(unreadable)} fil(er) kunne ikke leses:\n{named}"
        )
    if not matches:
        close = [o for o in names if near_office_name(value, o.navn)][:MAX_CANDIDATES]
        hint = f" Mente du {' eller '.join(f'«{o.navn}» ({o.orgnr})' for o in close)}?" if close else ""
        raise InputError(
            f"Ingen lagret virksomhet har «{text}» i navnet.{hint} Oppgi organisasjonsnummer (9 sifre) "
            "eller en del av navnet; «fravaer info --all» viser de lagrede."
        )
    shown = "\n".join(f"  {o.orgnr}  {o.navn}" for o in matches[:MAX_CANDIDATES])
    more = f"\n  … og {len(matches) - MAX_CANDIDATES} til" if len(matches) > MAX_CANDIDATES else ""
    raise InputError(f"«{text}» passer til {len(matches)} virksomheter; oppgi organisasjonsnummeret:\n{shown}{more}")


def near_office_name(query: str, navn: str) -> bool:
    """Every word of the query is a word of the name (or the start of one) with a letter or two
    wrong: «ddfl tset» is near «DDFL Test»."""
    from fravaer_cli.domain.names import NEAR, edit_distance

    words = search_key(navn).split()
    wanted = search_key(query).split()
    if not words or not wanted:
        return False

    def near(word: str) -> bool:
        limit = NEAR if len(word) >= 4 else 1  # «tset» is «test» with two letters swapped
        return any(
            min(edit_distance(word, w[: len(word)], limit), edit_distance(word, w, limit)) <= limit for w in words
        )

    return all(near(word) for word in wanted)


def close_gp_names(store: Store, query: str) -> list[tuple[str, str]]:
    """(GP, office label) for every GP, in every office the store shows, whose name is one or two
    letters from the query: for a search over the whole country that found nothing. For an HPR
    number, the GPs whose numbers are one or two digits from it ("1234568: Kari Vik")."""
    from fravaer_cli.domain.names import edit_distance

    number = query.strip()
    found = []
    for office in store.iter_offices():
        if number.isascii() and number.isdigit():
            hprs = {e.hpr: e.behandler for e in reversed(office.roster) if e.hpr}
            hprs.update((f.hpr, f.behandler) for f in office.fravaer if f.hpr and f.hpr not in hprs)
            found += [
                (f"{hpr}: {name}", office.label) for hpr, name in hprs.items() if edit_distance(hpr, number, 2) <= 2
            ]
        else:
            found += [(name, office.label) for name in office.near_names(query)]
    return sorted(found, key=lambda pair: norwegian_order(pair[0]))


def is_a_gp(store: Store, query: str) -> bool:
    """Some office the store shows has a GP of that name (any of its words) or HPR number."""
    return any(office.gps_matching(query.strip()) for office in store.iter_offices())
