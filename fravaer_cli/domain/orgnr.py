"""Organisasjonsnummer: 9 digits with a mod-11 check digit."""

import re
import unicodedata

WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def is_valid(value: str) -> bool:
    # isascii() first: str.isdigit() also accepts digits such as '٣' and '²'.
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        return False
    remainder = sum(int(d) * w for d, w in zip(value, WEIGHTS, strict=False)) % 11
    if remainder == 1:
        return False
    check = 0 if remainder == 0 else 11 - remainder
    return int(value[8]) == check


def normalise(value: str) -> str:
    """As spreadsheets and people write it: any kind of space between digit groups
    (no-break and thin spaces too), full-width digits (NFKC makes them ASCII)."""
    return "".join(unicodedata.normalize("NFKC", value).split())


# As fravaer prints an office, «DDFL Test (910000004)», and the VAT form «NO 910 000 004 MVA».
_PRINTED = re.compile(r".*\(\s*([0-9][0-9\s]*[0-9])\s*\)", re.S)
_VAT = re.compile(r"NO\s*([0-9][0-9\s]*[0-9])\s*(?:MVA)?", re.I)


def from_written(value: str) -> str | None:
    """The number in an office as fravaer prints it, or in the VAT form; None for anything else."""
    text = unicodedata.normalize("NFKC", value).strip()
    found = _PRINTED.fullmatch(text) or _VAT.fullmatch(text)
    return normalise(found[1]) if found else None


def looks_like_orgnr(value: str) -> bool:
    """Digits, with spaces as in '974 760 673': meant as a number, not a name."""
    compact = normalise(value)
    return compact.isascii() and compact.isdigit()
