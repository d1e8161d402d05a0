"""What the program needs of a store, and what both stores give it.

Each store gives the domain a consistent view of an office under its lock or transaction, and
writes back what the domain decided: the rules (overlap, identical re-add, ids, vikar) are decided
once, in the domain (domain/model.py)."""

import os
from contextlib import contextmanager

from fravaer_cli.domain import orgnr as orgnr_check
from fravaer_cli.domain.errors import InputError, StoreError
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.record import Record
from fravaer_cli.domain.virksomhet import Virksomhet

DEFAULT_LOCK_TIMEOUT = 10.0


def checked_orgnr(value: str) -> str:
    # Every path in the store is built from a checked orgnr, so no input reaches outside it.
    if not orgnr_check.is_valid(value):
        raise InputError(
            f"Ugyldig organisasjonsnummer: «{value}». Et organisasjonsnummer er 9 sifre med gyldig kontrollsiffer."
        )
    return value


def log_value(value):
    """What a log entry's JSON holds for a value that is not plain JSON: a fravær, as to_dict() gives it."""
    if isinstance(value, Fravaer):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not a log value")


def lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get("FRAVAER_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


class Change(Record):
    """An office being changed: what to write back and what to record in the audit log."""

    FIELDS = __slots__ = ("office", "entries", "reused", "created_office", "original")

    def __init__(
        self,
        office: Virksomhet,
        entries: list[dict] | None = None,
        reused: bool = False,
        created_office: bool = False,
        original: dict | None = None,
    ):
        self.office = office
        self.entries = [] if entries is None else entries
        self.reused = reused  # the office checked before the lock was taken is still what the file holds
        self.created_office = created_office  # the office is new: nothing was stored for it before
        # The fravær as read, by id (the database store writes the difference).
        self.original = {} if original is None else original

    def record(self, handling: str, fravaer: Fravaer | dict | None, **extra) -> None:
        """A Fravaer (also in extra) is logged as its to_dict(): as it is when written."""
        self.entries.append({"handling": handling, "fravaer": fravaer, **extra})

    @property
    def changed(self) -> bool:
        """Every change is recorded, so an office with nothing to record is not written."""
        return bool(self.entries)


class StoreBase:
    """What operations.py needs of a store; FileStore (this module) and PgStore (pgstore.py) give it.

    Each store gives the domain a consistent view of an office under its lock or
    transaction, and writes back what the domain decided: the rules (overlap,
    identical re-add, ids, vikar) are decided once, in model.py."""

    location = ""  # where the store is, for messages
    # An import's offices are locked before its rows are checked, and new fravær are written
    # as they are checked (change_many(stream=True)); else rows are checked, then written.
    streams_imports = False

    @contextmanager
    def change(self, orgnr: str, create: bool = False, dry_run: bool = False):
        """Read-modify-write of one office. Nothing is written on an exception or dry run."""
        with self.change_many([orgnr], create, dry_run) as changes:
            yield changes[orgnr]

    def no_offices(self) -> StoreError:
        return StoreError(f"Ingen virksomheter er lagret i {self.location}.")

    def read_log(self, orgnr: str) -> list[dict]:
        """The audit log, oldest first, whole (load and dump; `log` streams it with iter_log)."""
        return list(self.iter_log(orgnr))
