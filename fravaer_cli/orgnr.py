"""Organisasjonsnummer: 9 digits with a mod-11 check digit."""

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


def looks_like_orgnr(value: str) -> bool:
    """Digits (spaces allowed, as in '974 760 673'): meant as a number, not a name."""
    compact = value.replace(" ", "")
    return compact.isascii() and compact.isdigit()
