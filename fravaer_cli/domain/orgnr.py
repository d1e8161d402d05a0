"""Organisasjonsnummer: 9 digits with a mod-11 check digit."""

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


def looks_like_orgnr(value: str) -> bool:
    """Digits, with spaces as in '974 760 673': meant as a number, not a name."""
    compact = normalise(value)
    return compact.isascii() and compact.isdigit()
