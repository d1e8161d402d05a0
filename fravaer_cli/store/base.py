"""What the program needs of a store, and what both stores give it.

Each store gives the domain a consistent view of an office under its lock or transaction, and
writes back what the domain decided: the rules (overlap, identical re-add, ids, vikar) are decided
once, in the domain (domain/virksomhet.py)."""

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from typing import Any, TypeVar

from fravaer_cli.domain import orgnr as orgnr_check
from fravaer_cli.domain.errors import FravaerError, InputError, StoreError
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.record import Record
from fravaer_cli.domain.virksomhet import Virksomhet

DEFAULT_LOCK_TIMEOUT = 10.0
T = TypeVar("T")


def checked_orgnr(value: str) -> str:
    # Every path in the store is built from a checked orgnr, so no input reaches outside it.
    if not orgnr_check.is_valid(value):
        raise InputError(
            f"Ugyldig organisasjonsnummer: «{value}». Et organisasjonsnummer er 9 sifre med gyldig kontrollsiffer."
        )
    return value


def log_value(value: object) -> dict[str, Any]:
    """What a log entry's JSON holds for a value that is not plain JSON: a fravær, as to_dict() gives it."""
    if isinstance(value, Fravaer):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not a log value")


LONGEST_WAIT = 24 * 60 * 60.0  # seconds: a timeout longer than a day is a mistake, not a wish


def seconds_from(variable: str, default: float) -> float:
    """A timeout in seconds from the environment: unset, the default; set but empty, no limit
    (math.inf); else a positive number of seconds, at most a day. Anything else is refused,
    naming the variable: «30s», «inf» or «0» must not quietly become some other bound."""
    import math

    text = os.environ.get(variable)
    if text is None:
        return default
    if not text.strip():
        return math.inf
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        value = math.nan
    if not 0 < value <= LONGEST_WAIT:  # nan and inf are not within either
        raise InputError(
            f"Ugyldig ${variable}: «{text}». Godtatt: et antall sekunder over 0 og høyst {LONGEST_WAIT:g} "
            f"(ett døgn), som 10 eller 2.5; tom verdi betyr å vente uten grense."
        )
    return value


def lock_timeout() -> float:
    """How long a writer waits for an office's lock ($FRAVAER_LOCK_TIMEOUT); math.inf: without limit."""
    return seconds_from("FRAVAER_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)


def milliseconds(seconds: float) -> str:
    """A timeout as PostgreSQL's setting takes it: whole milliseconds, at least 1 (0 is no limit
    there), and 0 for no limit."""
    import math

    return "0" if math.isinf(seconds) else f"{max(1, math.ceil(seconds * 1000))}ms"


class Change(Record):
    """An office being changed: what to write back and what to record in the audit log."""

    FIELDS = __slots__ = ("office", "entries", "reused", "created_office")

    def __init__(
        self,
        office: Virksomhet,
        entries: list[dict[str, Any]] | None = None,
        reused: bool = False,
        created_office: bool = False,
    ):
        self.office = office
        # What was done, in order: the file store writes them to the log; the database store sends
        # each as the request that does it, and the server writes the log itself.
        self.entries = [] if entries is None else entries
        self.reused = reused  # the office checked before the lock was taken is still what the file holds
        self.created_office = created_office  # the office is new: nothing was stored for it before

    def record(self, handling: str, fravaer: Fravaer | dict[str, Any] | None, **extra: Any) -> None:
        """A Fravaer (also in extra) is logged as its to_dict(): as it is when written."""
        self.entries.append({"handling": handling, "fravaer": fravaer, **extra})

    @property
    def changed(self) -> bool:
        """Every change is recorded, so an office with nothing to record is not written."""
        return bool(self.entries)


class Scope(Record):
    """What a change needs of an office (change(scope=), change_many(scope=)): the fravær that meet
    the days from days[0] to days[1] or those of a fravær named in ids, whichever of them a fravær
    it reads has (an edit names its fravær, and may move it to other days). A store may give the
    office whole instead; given part of it, the office is partial (Virksomhet.directory) and the
    store writes back what it did not read as it was."""

    FIELDS = __slots__ = ("days", "ids")

    def __init__(self, days: tuple[date, date] | None = None, ids: tuple[str, ...] = ()):
        self.days, self.ids = days, ids


class ChangeRequest(Record):
    """How change_many was asked to change its offices (its keyword arguments)."""

    FIELDS = __slots__ = ("create", "dry_run", "prepared", "progress", "stream", "scope")

    def __init__(
        self,
        create: bool,
        dry_run: bool,
        prepared: dict[str, tuple[Virksomhet, object]],
        progress: Callable[[int, int], None] | None,
        stream: bool,
        scope: Scope | None = None,
    ):
        self.create, self.dry_run, self.prepared = create, dry_run, prepared
        self.progress, self.stream, self.scope = progress, stream, scope


class Changes(dict[str, Change]):
    """The offices of one change_many, by orgnr."""

    def send(self, orgnr: str, fravaer: Fravaer, handling: str) -> None:
        """The domain added fravaer to the office: logged with the change. A store that streams
        imports (streams_imports) also sends it to the server at once."""
        self[orgnr].record(handling, fravaer)


# The days a report covers: the first, and the last (None: every day after the first).
Days = tuple[date, date | None]


class Reading(Iterator[T]):
    """What a store reads one office at a time: iterating gives what could be read; what could not
    (a damaged file, say) is in .unreadable as it is met, for the caller to report while the rest
    go on. So no caller sorts offices from errors."""

    def __init__(self, items: Iterable[T | StoreError]):
        self._items = iter(items)
        self.unreadable: list[StoreError] = []

    def __iter__(self) -> "Reading[T]":
        return self

    def __next__(self) -> T:
        while True:
            item = next(self._items)
            if not isinstance(item, StoreError):
                return item
            self.unreadable.append(item)


class Store(ABC):
    """What the program needs of a store, and what FileStore (store/files/) and PgStore
    (store/postgres/) each give it, with the same signatures. tests/test_store_contract.py
    holds every promise below against both.

    A store gives the domain a consistent view of an office under its lock or transaction, and
    writes back what the domain decided: the rules (overlap, identical re-add, ids, vikar) are
    decided once, in the domain. Errors are exceptions: InputError for an orgnr that is not one,
    NotFoundError for an office not stored, StoreError for a store that cannot be read or
    written (the SPEC's exit codes 2, 3 and 5), ConflictError for a change refused by a rule
    another writer made true at the same moment (4)."""

    location = ""  # where the store is, for messages
    # An import's offices are locked before its rows are checked, and new fravær are written
    # as they are checked (change_many(stream=True)); else rows are checked, then written.
    streams_imports = False

    @property
    @abstractmethod
    def av(self) -> str:
        """Who makes the changes, as the log records it."""

    @abstractmethod
    def now(self) -> str:
        """The time a change is logged with (ISO 8601), or "" where the store has no clock."""

    def close(self) -> None:
        """Let go of what the store holds open (a database's connection). Files: nothing."""
        return None

    # -- reading -----------------------------------------------------------------

    @abstractmethod
    def orgnrs(self, must_exist: bool = False) -> list[str]:
        """Every stored orgnr, sorted. must_exist: a store that is not there at all (a missing
        folder) is a StoreError rather than no offices."""

    @abstractmethod
    def exists(self, orgnr: str) -> bool:
        """Whether the office is stored (readable or not)."""

    @abstractmethod
    def not_found(self, orgnr: str) -> FravaerError:
        """What to raise for an office that is not stored."""

    def no_offices(self) -> StoreError:
        """What to raise for a report over every office when none is stored."""
        return StoreError(f"Ingen virksomheter er lagret i {self.location}.")

    @abstractmethod
    def load(self, orgnr: str) -> Virksomhet:
        """The office with all its fravær and its roster. NotFoundError (or StoreError for a
        missing store) when it is not stored, StoreError when it cannot be read."""

    @abstractmethod
    def office_names(self, must_exist: bool = False) -> Reading[Virksomhet]:
        """Every office with its orgnr and name; its fravær may be left out (a search by name)."""

    @abstractmethod
    def iter_offices(
        self, orgnrs: Iterable[str] | None = None, behandler: str | None = None, days: Days | None = None
    ) -> Reading[Virksomhet]:
        """Every office (or those of orgnrs), in orgnr order, read one at a time: memory stays flat.
        behandler: only offices with a fravær of a GP that matches it (Virksomhet.matches_gp), and of
        those, at least the fravær that match: a question over the whole country reads little.
        days: (first, last or None): at least the fravær that end on or after the first day and
        start on or before the last, and those that make one stretch with them (the same GP and a shared
        service, back to back): a report for a day need not read years of history, or the years
        ahead. A store may give more."""

    @abstractmethod
    def iter_log(self, orgnr: str) -> Iterator[dict[str, Any]]:
        """The office's audit log, oldest first, one entry at a time (memory flat in its length)."""

    def read_log(self, orgnr: str) -> list[dict[str, Any]]:
        """The audit log, oldest first, whole (load and dump; `log` streams it with iter_log)."""
        return list(self.iter_log(orgnr))

    # -- writing -----------------------------------------------------------------

    @abstractmethod
    def load_for_change(self, orgnr: str, scope: Scope | None = None) -> tuple[Virksomhet, object]:
        """The office (a new empty one if not stored) and a stamp of what was read, before any
        lock: an import checks its rows against it, and change_many(prepared=) takes the checked
        office under the lock while the stamp still holds. The stamp is None for an office not stored.
        scope: as change_many's."""

    def change_many(
        self,
        orgnrs: Iterable[str],
        create: bool = False,
        dry_run: bool = False,
        prepared: dict[str, tuple[Virksomhet, object]] | None = None,
        progress: Callable[[int, int], None] | None = None,
        stream: bool = False,
        scope: Scope | None = None,
    ) -> AbstractContextManager[Changes]:
        """Read-modify-write of several offices, all or nothing: each is locked (in orgnr order, so
        two writers never deadlock), read, and given to the caller as a Change; when the block ends
        without an exception, and not dry_run, every changed office and its log entries are
        written. create: an office not stored starts empty, else NotFoundError. prepared: offices
        checked before the lock (load_for_change), used as they are if their stamp still holds.
        progress(done, total) is called while writing. stream: new fravær may be sent while the
        block goes on (a store with streams_imports); one that cannot stream writes at the end.
        scope: what the change needs of each office (Scope); None: each office whole."""
        request = ChangeRequest(create, dry_run, prepared or {}, progress, stream, scope)
        return self._change_many(sorted(set(map(checked_orgnr, orgnrs))), request)

    @abstractmethod
    def _change_many(self, orgnrs: list[str], how: ChangeRequest) -> AbstractContextManager[Changes]:
        """change_many, with the orgnrs checked and sorted (the order locks are taken in)."""

    def check_writable(self, orgnrs: Iterable[str], create: bool = False) -> None:
        """For a dry run that does not take the offices' locks (an import): raise what the real
        run would, when the user may not write one of them. Files: the folder's permissions are
        the real run's business."""
        return None

    @contextmanager
    def change(
        self, orgnr: str, create: bool = False, dry_run: bool = False, scope: Scope | None = None
    ) -> Iterator[Change]:
        """Read-modify-write of one office. Nothing is written on an exception or dry run."""
        with self.change_many([orgnr], create, dry_run, scope=scope) as changes:
            yield changes[orgnr]

    @abstractmethod
    def write_copies(self, copies: Iterable[tuple[Virksomhet, list[dict[str, Any]]]]) -> list[str]:
        """Store offices as they are, with their audit logs (database load and dump, a copy
        between stores). An office already stored is left as it is. Returns the orgnrs written."""
