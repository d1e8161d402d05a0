"""The store: one file per virksomhet (TOML or JSON), written atomically under a lock.

Layout of the store folder:
    974760673.toml    the office and its fravær (or 974760673.json)
    974760673.log     its audit log, JSON Lines, append-only
    .lock             one byte per office, locked (fcntl) by every writer of that office
    .974760673.toml.tmp   only while a write is under way
"""

import errno
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path  # json is imported where used: status of a toml store needs none
from typing import Any

from fravaer_cli import interrupts
from fravaer_cli.domain import orgnr as orgnr_check
from fravaer_cli.domain.errors import InputError, NotFoundError, StoreError, os_reason
from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.base import (
    Change,
    ChangeRequest,
    Changes,
    Days,
    Reading,
    Scope,
    Store,
    checked_orgnr,
    lock_timeout,
)
from fravaer_cli.store.files import filecache
from fravaer_cli.store.files.documents import (
    MAX_LOG_LINE,
    MAX_STORE_FILE,
    Invalid,
    log_entry,
    office_from,
    parse_document,
)
from fravaer_cli.store.files.osfiles import (
    cut,
    mode_for,
    open_budget,
    open_regular,
    open_regular_fd,
    remove,
    write_all,
)
from fravaer_cli.store.files.partial import PartialRead, Spliced, splice
from fravaer_cli.store.files.writer import document_of, file_order, log_lines, serialise, toml_office

FORMATS = ("toml", "json")
STORE_FILE = r"(\d{9})\.(toml|json)"
_SYNC_EACH = 8  # up to this many offices in a change, each file is flushed to disk on its own


def default_dir(explicit: str | None = None) -> Path:
    """--data-dir, else $FRAVAER_DATA_DIR, else $XDG_DATA_HOME/fravaer, else ~/.local/share/fravaer."""
    if explicit:
        return _expanded(explicit, "--data-dir")
    if env := os.environ.get("FRAVAER_DATA_DIR"):
        return _expanded(env, "$FRAVAER_DATA_DIR")
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # The XDG spec: a relative path in the variable is invalid and is ignored.
    if os.path.isabs(xdg):
        return Path(xdg) / "fravaer"
    return Path.home() / ".local" / "share" / "fravaer"


def _expanded(path: str, where: str) -> Path:
    try:
        return Path(path).expanduser()
    except RuntimeError:  # ~name for a user the system does not know
        user = path[1:].split("/", 1)[0]
        raise InputError(f"Ukjent bruker «{user}» i {where} «{path}». Skriv hele stien til lagringsmappen.") from None


class FileStore(Store):
    """The file store: one file per office in a folder."""

    def __init__(
        self, folder: Path, new_format: str = "toml", av: Any = "", clock: Callable[[], str] | None = None
    ) -> None:
        """av: who the audit log records, or a function that says it (asked only when something is written)."""
        self.folder = folder
        self.new_format = new_format
        self._av = av
        self._clock = clock
        self.lock_timeout = lock_timeout()
        self._lock_fd: int | None = None
        self.location = str(folder)
        self._cache = filecache.OfficeCache(folder)
        # Offices read for a change from the cache: {orgnr: (their fravær, the file's bytes,
        # where each fravær starts)}, so that the write keeps the bytes of those not changed.
        self._read_as: dict[str, tuple[list[Fravaer], bytes, list[int]]] = {}
        # Offices read in part (a Scope): {id(office): what its write splices the rest back from}.
        # By the office, not its orgnr: an import may read an office again and write the first read.
        self._parts: dict[int, PartialRead] = {}

    def no_offices(self) -> StoreError:
        return StoreError(
            f"Ingen virksomheter er lagret i {self.folder}. Er det riktig lagringsmappe (--data-dir, "
            "$FRAVAER_DATA_DIR), eller skulle det vært den delte databasen (--database URL, $FRAVAER_DATABASE_URL)? "
            "En virksomhet lagres med «fravaer add» eller «fravaer info --navn»."
        )

    @property
    def av(self) -> str:
        if callable(self._av):
            self._av = self._av()
        return str(self._av)

    # -- finding files -------------------------------------------------------

    def orgnrs(self, must_exist: bool = False) -> list[str]:
        """Stored offices, sorted; files whose name is not a valid orgnr are not offices.

        must_exist: a folder that does not exist is an error (a reading command's
        --all), rather than an empty store (a writer creates it)."""
        try:
            names = os.listdir(self.folder)
        except FileNotFoundError:
            if must_exist:
                raise self._missing_folder() from None
            return []
        except OSError as e:
            raise StoreError(f"Kan ikke lese lagringsmappen {self.folder}: {os_reason(e)}.") from None
        found = set()
        for name in names:
            m = re.fullmatch(STORE_FILE, name, re.ASCII)
            if m and orgnr_check.is_valid(m[1]):
                found.add(m[1])
        return sorted(found)

    def path_of(self, orgnr: str) -> Path | None:
        """The office's existing file, or None. Both formats at once is ambiguous: refused."""
        checked_orgnr(orgnr)
        existing = [p for p in (self.folder / f"{orgnr}.{fmt}" for fmt in FORMATS) if self._lexists(p)]
        if len(existing) > 1:
            raise StoreError(
                f"Virksomhet {orgnr} finnes både som {existing[0]} og {existing[1]}. "
                "Fjern eller flytt den ene; fravaer endrer ingen av dem før det er gjort."
            )
        return existing[0] if existing else None

    def exists(self, orgnr: str) -> bool:
        return self.path_of(orgnr) is not None

    def _lexists(self, path: Path) -> bool:
        """Whether the file is there; a folder that may not be searched is said to be so, not
        taken as an empty store (a helpdesk would conclude that the office does not exist)."""
        try:
            os.lstat(path)
            return True
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as e:
            raise StoreError(f"Kan ikke lese lagringsmappen {self.folder}: {os_reason(e)}.") from None

    # -- reading -------------------------------------------------------------

    def load(self, orgnr: str) -> Virksomhet:
        return self._load(orgnr)

    def _load(
        self, orgnr: str, for_change: bool = False, days: Days | None = None, scope: Scope | None = None
    ) -> Virksomhet:
        """for_change: the bytes read are kept, so that the write can reuse those of unchanged fravær.
        days: at least the fravær that meet them (iter_offices). scope: a change's (partial.py)."""
        path = self.path_of(orgnr)
        if path is None:
            raise self.not_found(orgnr)
        return self._read(path, orgnr, for_change, days, scope)

    def not_found(self, orgnr: str) -> StoreError | NotFoundError:
        """What to say of an office that is not stored: that the folder itself is missing, if it is."""
        if not self.folder.is_dir():
            return self._missing_folder()
        return NotFoundError(f"Fant ingen virksomhet med organisasjonsnummer {orgnr} i {self.folder}.")

    def _missing_folder(self) -> StoreError:
        return StoreError(
            f"Lagringsmappen {self.folder} finnes ikke. Sjekk --data-dir og $FRAVAER_DATA_DIR, eller oppgi den "
            "delte databasen med --database URL eller $FRAVAER_DATABASE_URL; mappen opprettes første gang noe lagres."
        )

    def office_names(self, must_exist: bool = False) -> Reading[Virksomhet]:
        """Every office, read whole: a file holds the name and the fravær together."""
        return self.iter_offices(self.orgnrs(must_exist))

    def iter_offices(
        self, orgnrs: Iterable[str] | None = None, behandler: str | None = None, days: Days | None = None
    ) -> Reading[Virksomhet]:
        # days: a file is read whole, but a large office's cache entry decodes only the fravær
        # that meet them (years of history are not made into fravær for a report about a month).
        def read() -> Iterator[Virksomhet | StoreError]:
            for orgnr in self.orgnrs() if orgnrs is None else sorted(set(orgnrs)):
                try:
                    office = self._load(orgnr, days=days)
                except StoreError as e:
                    yield e
                    continue
                if behandler is None or any(office.matches_gp(f, behandler) for f in office.fravaer):
                    yield office

        return Reading(read())

    def _read(
        self, path: Path, orgnr: str, for_change: bool = False, days: Days | None = None, scope: Scope | None = None
    ) -> Virksomhet:
        with open_regular(path) as f:
            raw = f.read(MAX_STORE_FILE + 1)
        if len(raw) > MAX_STORE_FILE:
            raise StoreError(f"{path} er større enn {MAX_STORE_FILE // 2**20} MiB; det er ingen fravaer-fil.")
        if path.suffix == ".toml" and (
            cached := self._cache.load(
                orgnr, raw, None if for_change else days, keep=for_change, scope=scope if for_change else None
            )
        ):
            office, starts = cached
            if isinstance(starts, PartialRead):
                self._parts[id(office)] = starts  # it holds the office: the id stays its own
            elif for_change:
                self._read_as[orgnr] = (list(office.fravaer), raw, starts)
            return office
        try:
            document = parse_document(raw, path.suffix)
            return office_from(document, orgnr)
        except Invalid as e:
            raise StoreError(
                f"{path} kan ikke brukes: {e}. Filen er ikke endret; rett den for hånd eller hent en sikkerhetskopi."
            ) from None

    # -- writing -------------------------------------------------------------

    def stamp(self, orgnr: str) -> tuple[int, int, int] | None:
        """What identifies the file's current content cheaply: it changes with every write."""
        path = self.path_of(orgnr)
        if path is None:
            return None
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load_for_change(self, orgnr: str, scope: Scope | None = None) -> tuple[Virksomhet, object]:
        """The office (new if not stored) and its stamp, for a later change_many(prepared=...)."""
        stamp = self.stamp(orgnr)
        return self._load_or_new(orgnr, create=True, scope=scope), stamp

    @contextmanager
    def _change_many(self, orgnrs: list[str], how: ChangeRequest) -> Iterator[Changes]:
        """Read-modify-write of several offices: every lock is taken before anything
        is read, and every log opened before anything is written, so a lock not had
        in time or a log that cannot be opened changes nothing. Files cannot be sent
        while an import goes on (stream): all is written at the end.

        prepared: {orgnr: (office, stamp)} from load_for_change; an office whose
        file has not changed since is used as it is instead of being read again.
        progress(done, total) is called as each office is written.
        """
        create, dry_run, prepared, progress, _, scope = how.values()  # files cannot stream
        if dry_run:
            yield Changes((orgnr, self._change_of(orgnr, create, scope)) for orgnr in orgnrs)
            return
        self.av  # noqa: B018 - who the log records is checked before anything is touched
        with ExitStack() as locks:
            # Sorted, so that two writers of overlapping sets never wait for each other in a circle.
            for orgnr in orgnrs:
                locks.enter_context(self._locked(orgnr))
            changes = Changes()
            for orgnr in orgnrs:
                if orgnr in prepared and self.stamp(orgnr) == prepared[orgnr][1]:
                    changes[orgnr] = Change(prepared[orgnr][0], reused=True)
                else:
                    changes[orgnr] = self._change_of(orgnr, create, scope)
            yield changes
            self._commit([(orgnr, change) for orgnr, change in changes.items() if change.changed], progress)

    def _commit(self, pending: list[tuple[str, "Change"]], progress: Callable[[int, int], None] | None = None) -> None:
        """Write each office and append its log lines; everything that can be
        opened beforehand is, so that a failure there leaves the store as it was.

        More offices than the process may hold files open (it may have only
        1,024): each log is opened once to see that it can be, and again when its
        lines are written.

        Many offices (an import): every new file is written first, then all of them
        go to disk with one sync, then each replaces its office's file. An fsync per
        file commits the file system's journal each time: 2,000 of them were a second
        of a big import. A file that cannot be written then stops the import before
        any office is changed."""
        if not pending:
            return
        folder = self._open_folder()
        few = len(pending) <= open_budget()
        logs: dict[str, tuple[int, Path]] = {}
        staged: list[Path] = []
        staged_here: list[Path] = []  # an office's new file, written just before it replaces the old
        try:
            for orgnr, _ in pending:
                log = self._open_log(orgnr)
                if few:
                    logs[orgnr] = log
                else:
                    os.close(log[0])
            paths = [self.path_of(orgnr) or self.folder / f"{orgnr}.{self.new_format}" for orgnr, _ in pending]
            to_cache = []
            if len(pending) > _SYNC_EACH:
                for (_, change), path in zip(pending, paths, strict=True):
                    data, starts = self._bytes_of(change.office, path.suffix)
                    staged.append(self._stage(path, data, sync=False))
                    # Kept only for files that get a cache entry: an import's 2,000 small files are not held.
                    to_cache.append((data, starts) if self._cache.wants(data, starts) else None)
                    if progress:
                        progress(len(staged), len(pending))
                os.sync()
            written: list[str] = []
            # From here each office's file is put in place and its log appended: Ctrl-C waits
            # until every one is, so that an import is stored whole or (before this) not at all.
            # Each office: its new file is written beside the old one, then its log lines are
            # appended, then the new file replaces the old. Where a full disk stops it, the log is cut
            # back to where it was: a change is stored with its log entry, or not at all.
            with interrupts.deferred():
                for n, ((orgnr, change), path) in enumerate(zip(pending, paths, strict=True)):
                    lines = self._log_lines(change.entries)
                    try:
                        if staged:
                            tmp, cached = staged[n], to_cache[n]
                        else:
                            data, starts = self._bytes_of(change.office, path.suffix)
                            tmp, cached = self._stage(path, data, sync=True), (data, starts)
                            staged_here.append(tmp)
                        log = logs[orgnr] if few else self._open_log(orgnr)
                        try:
                            size = self._append_log(log, lines)
                            try:
                                self._replace(tmp, path)
                            except StoreError:
                                cut(log, size)
                                raise
                        finally:
                            if not few:
                                os.close(log[0])
                        if cached is not None:
                            self._cache.save(change.office, *cached)
                            if staged:
                                to_cache[n] = None
                    except StoreError as e:
                        e.written = written
                        raise
                    written.append(orgnr)
                    if progress and not staged:
                        progress(len(written), len(pending))
                self._sync(folder, [fd for fd, _ in logs.values()])
        except BaseException:
            for tmp in staged + staged_here:  # those not in place yet; the others are gone already
                remove(tmp)
            raise
        finally:
            for fd, _ in logs.values():
                os.close(fd)
            os.close(folder)

    def _change_of(self, orgnr: str, create: bool, scope: Scope | None = None) -> Change:
        if create and not self.exists(orgnr):
            return Change(Virksomhet(orgnr), created_office=True)
        return Change(self._load(orgnr, for_change=True, scope=scope))

    def write_copies(self, copies: Iterable[tuple[Virksomhet, list[dict[str, Any]]]]) -> list[str]:
        """Store offices as they are, with their audit logs (database dump, a copy between stores).
        An office already stored is left as it is; returns the orgnrs written."""
        import json

        written = []
        self._ensure_folder()
        folder = self._open_folder()
        try:
            for office, log in copies:
                with self._locked(office.orgnr):
                    if self.exists(office.orgnr):
                        continue
                    lines = "".join(json.dumps(file_order(e), ensure_ascii=False) + "\n" for e in log)
                    # The log first: an office file whose log is missing would look like one never changed.
                    log_path = self.folder / f"{office.orgnr}.log"
                    self._replace(self._stage(log_path, lines.encode("utf-8"), sync=True), log_path)
                    self._write(self.folder / f"{office.orgnr}.{self.new_format}", office)
                    written.append(office.orgnr)
            os.fsync(folder)
        except OSError as e:
            raise StoreError(f"Kan ikke skrive til {self.folder}: {os_reason(e)}.") from None
        finally:
            os.close(folder)
        return written

    def _load_or_new(self, orgnr: str, create: bool, scope: Scope | None = None) -> Virksomhet:
        if create and not self.exists(orgnr):
            return Virksomhet(orgnr)
        return self._load(orgnr, for_change=True, scope=scope)

    @contextmanager
    def _locked(self, orgnr: str) -> Iterator[None]:
        """The office's lock: byte <orgnr> of the store's one lock file.

        One file for every office, opened once per run, instead of a lock file
        per office: creating files is what a big import would otherwise spend its time on.
        """
        import fcntl

        fd = self._lock_file()
        offset = int(orgnr)
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.002
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                break
            except OSError as e:
                if e.errno not in (errno.EAGAIN, errno.EACCES):
                    raise StoreError(f"Kan ikke låse virksomhet {orgnr}: {os_reason(e)}.") from None
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"Fikk ikke låst virksomhet {orgnr} innen {self.lock_timeout:g} sekunder: "
                        "en annen fravaer-prosess skriver til den. Prøv igjen om litt."
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)

    def _lock_file(self) -> int:
        # Never closed before the process ends: closing any descriptor of a
        # file releases all of the process's fcntl locks on it.
        if self._lock_fd is None:
            self._ensure_folder()
            path = self.folder / ".lock"
            self._lock_fd = fd = open_regular_fd(path, os.O_RDWR | os.O_CREAT, "låsefilen")
            return fd
        return self._lock_fd

    def _ensure_folder(self) -> None:
        """A new store folder is its owner's alone (GP data), or its group's too when the folder
        it is made in is shared with a group (writable by the group, or setgid)."""
        try:
            if self.folder.is_dir():
                return
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            shared = os.stat(self.folder.parent).st_mode & (stat.S_IWGRP | stat.S_ISGID)
            self.folder.mkdir(mode=0o700)
            os.chmod(self.folder, (0o2770 if shared & stat.S_ISGID else 0o770) if shared else 0o700)
        except FileExistsError:
            pass  # made by another writer meanwhile
        except OSError as e:
            raise StoreError(f"Kan ikke opprette lagringsmappen {self.folder}: {os_reason(e)}.") from None

    def _open_folder(self) -> int:
        """The folder, opened before anything is written: its fsync makes the
        replace itself durable, and a folder that cannot be opened must stop the
        change before it starts, not after the file is replaced."""
        try:
            return os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as e:
            raise StoreError(
                f"Kan ikke åpne lagringsmappen {self.folder}: {os_reason(e)}. "
                "fravaer trenger å kunne lese, skrive og åpne mappen. Ingenting er endret."
            ) from None

    def _write(self, path: Path, office: Virksomhet) -> None:
        """Temporary file in the same folder, flushed to disk, then an atomic replace."""
        data, starts = self._bytes_of(office, path.suffix)
        self._replace(self._stage(path, data, sync=True), path)
        self._cache.save(office, data, starts)

    def _bytes_of(self, office: Virksomhet, suffix: str) -> tuple[bytes, list[int] | Spliced | None]:
        """The office's file, and for TOML where each fravær's table starts in it (or, an office
        read in part, the lines of its cache entry)."""
        read_as = self._read_as.pop(office.orgnr, None)
        if office.partial:
            part = self._parts.pop(id(office), None)
            if part is None:
                raise AssertionError(f"{office.orgnr} was read in part, and what it was read from is not kept")
            return splice(office, part)  # (which checks that part is this office's)
        if suffix != ".toml":
            return serialise(document_of(office), suffix), None
        return toml_office(office, read_as)

    def _stage(self, path: Path, data: bytes, sync: bool) -> Path:
        """data in a temporary file beside path (flushed to disk with sync); returns it.

        The temporary file has a fixed name: only the lock holder writes it, and
        one left by a killed writer is simply overwritten by the next write.
        """
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            # Whatever is at the temporary name is a leftover (or a planted link): removed, never followed.
            remove(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
                os.fchmod(f.fileno(), mode_for(path))
        except OSError as e:
            remove(tmp)
            raise StoreError(f"Kunne ikke skrive {path}: {os_reason(e)}. Filen er som før.") from None
        except BaseException:  # Ctrl-C while writing it: nothing is left behind
            remove(tmp)
            raise
        return tmp

    def _replace(self, tmp: Path, path: Path) -> None:
        try:
            os.replace(tmp, path)
        except OSError as e:
            remove(tmp)
            raise StoreError(f"Kunne ikke skrive {path}: {os_reason(e)}. Filen er som før.") from None

    def _sync(self, folder: int, logs: list[int]) -> None:
        """The logs and the folder to disk. Many offices at once (an import):
        one sync of everything costs less than an fsync per log."""
        try:
            if not logs or len(logs) > _SYNC_EACH:
                os.sync()
                return
            for fd in logs:
                os.fsync(fd)
            os.fsync(folder)
        except OSError as e:
            raise StoreError(
                f"Endringen er lagret og logget i {self.folder}, men kunne ikke synkroniseres til disk: {os_reason(e)}."
            ) from None

    def _log_lines(self, entries: list[dict[str, Any]]) -> bytes:
        return log_lines(entries, self.now(), self.av)

    def _open_log(self, orgnr: str) -> tuple[int, Path]:
        """The office's audit log, append-only, never through a symbolic link."""
        path = self.folder / f"{orgnr}.log"
        fd = open_regular_fd(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, "loggen", " Ingenting er endret.")
        return fd, path

    def _append_log(self, log: tuple[int, Path], lines: bytes) -> int:
        """Appends the change's lines, before the change itself is put in place; returns the log's
        size before them. A log that cannot take them all (a full disk) is cut back to that size."""
        fd, path = log
        size = 0
        try:
            size = os.fstat(fd).st_size
            write_all(fd, lines)
        except OSError as e:
            cut(log, size)
            raise StoreError(
                f"Kunne ikke skrive endringen i loggen {path}: {os_reason(e)}. Ingenting er endret."
            ) from None
        return size

    def now(self) -> str:
        return self._clock() if self._clock else ""

    def iter_log(self, orgnr: str) -> Iterator[dict[str, Any]]:
        """The audit log, oldest first, an entry at a time: a log of a million lines is never
        held whole."""
        path = self.folder / f"{orgnr}.log"
        if not os.path.lexists(path):
            return
        with open_regular(path, "loggen") as f:
            number = 0
            while line := f.readline(MAX_LOG_LINE + 1):
                number += 1
                if len(line) > MAX_LOG_LINE:
                    raise StoreError(f"Linje {number} i loggen {path} er lengre enn {MAX_LOG_LINE // 2**20} MiB.")
                if line.strip():
                    yield log_entry(line, number, path)
