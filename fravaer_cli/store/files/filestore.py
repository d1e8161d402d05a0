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
from collections.abc import Iterable
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path  # json is imported where used: status of a toml store needs none

from fravaer_cli import interrupts
from fravaer_cli.domain import catalogue
from fravaer_cli.domain import orgnr as orgnr_check
from fravaer_cli.domain.errors import InputError, NotFoundError, StoreError, os_reason
from fravaer_cli.domain.model import MAX_ID_LENGTH, RECORD_FIELDS, Fravaer, RosterEntry
from fravaer_cli.domain.names import behandler_key
from fravaer_cli.domain.virksomhet import Virksomhet
from fravaer_cli.store.base import Change, StoreBase, checked_orgnr, lock_timeout, log_value
from fravaer_cli.store.files import filecache

SCHEMA = 2  # 2: the office may keep its roster (behandlere); files without one are still written as 1
FORMATS = ("toml", "json")
STORE_FILE = r"(\d{9})\.(toml|json)"
_SYNC_EACH = 8  # up to this many offices in a change, each file is flushed to disk on its own
# Far beyond any real office (50 fravær take about 10 KiB), and small enough
# that a planted huge file cannot exhaust memory.
MAX_STORE_FILE = 64 * 1024 * 1024
MAX_LOG_LINE = 1024 * 1024

_TOP_KEYS = {"schema", "virksomhet", "neste_id", "fravaer"}
_TOP_KEYS_2 = _TOP_KEYS | {"behandlere"}
_OFFICE_KEYS = {"orgnr", "navn", "info"}
_ROSTER_KEYS = {"behandler", "hpr"}
_FRAVAER_KEYS = set(RECORD_FIELDS)


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


class _Invalid(Exception):
    """A problem in a store document; becomes a StoreError naming the file."""


class Store(StoreBase):
    """The file store: one file per office in a folder."""

    def __init__(self, folder: Path, new_format: str = "toml", av="", clock=None):
        """av: who the audit log records, or a function that says it (asked only when something is written)."""
        self.folder = folder
        self.new_format = new_format
        self._av = av
        self._clock = clock
        self.lock_timeout = lock_timeout()
        self._lock_fd = None
        self.location = str(folder)
        self._cache = filecache.OfficeCache(folder)
        # Offices read for a change from the cache: {orgnr: (their fravær, the file's bytes,
        # where each fravær starts)}, so that the write keeps the bytes of those not changed.
        self._read_as: dict[str, tuple[list[Fravaer], bytes, list[int]]] = {}

    def no_offices(self) -> StoreError:
        return StoreError(
            f"Ingen virksomheter er lagret i {self.folder}. Er det riktig lagringsmappe (--data-dir, "
            "$FRAVAER_DATA_DIR)? En virksomhet lagres med «fravaer add» eller «fravaer info --navn»."
        )

    @property
    def av(self) -> str:
        if callable(self._av):
            self._av = self._av()
        return self._av

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

    def load(self, orgnr: str, for_change: bool = False) -> Virksomhet:
        path = self.path_of(orgnr)
        if path is None:
            raise self.not_found(orgnr)
        return self._read(path, orgnr, for_change)

    def not_found(self, orgnr: str) -> StoreError | NotFoundError:
        """What to say of an office that is not stored: that the folder itself is missing, if it is."""
        if not self.folder.is_dir():
            return self._missing_folder()
        return NotFoundError(f"Fant ingen virksomhet med organisasjonsnummer {orgnr} i {self.folder}.")

    def _missing_folder(self) -> StoreError:
        return StoreError(
            f"Lagringsmappen {self.folder} finnes ikke. Sjekk --data-dir og $FRAVAER_DATA_DIR; "
            "mappen opprettes første gang noe lagres."
        )

    def office_names(self, must_exist: bool = False):
        """Every office (its orgnr and name), or a StoreError for a file that cannot be read."""
        for _, office in self.iter_offices(self.orgnrs(must_exist)):
            yield office

    def iter_offices(self, orgnrs=None, behandler=None):
        """(orgnr, Virksomhet or StoreError) one office at a time, so memory stays flat."""
        for orgnr in self.orgnrs() if orgnrs is None else orgnrs:
            try:
                yield orgnr, self.load(orgnr)
            except StoreError as e:
                yield orgnr, e

    def _read(self, path: Path, orgnr: str, for_change: bool = False) -> Virksomhet:
        with _open_regular(path) as f:
            raw = f.read(MAX_STORE_FILE + 1)
        if len(raw) > MAX_STORE_FILE:
            raise StoreError(f"{path} er større enn {MAX_STORE_FILE // 2**20} MiB; det er ingen fravaer-fil.")
        if path.suffix == ".toml" and (cached := self._cache.load(orgnr, raw)) is not None:
            office, starts = cached
            if for_change:
                self._read_as[orgnr] = (list(office.fravaer), raw, starts)
            return office
        try:
            document = _parse(raw, path.suffix)
            return _office_from(document, orgnr)
        except _Invalid as e:
            raise StoreError(
                f"{path} kan ikke brukes: {e}. Filen er ikke endret; rett den for hånd eller hent en sikkerhetskopi."
            ) from None

    # -- writing -------------------------------------------------------------

    def stamp(self, orgnr: str):
        """What identifies the file's current content cheaply: it changes with every write."""
        path = self.path_of(orgnr)
        if path is None:
            return None
        try:
            st = os.stat(path, follow_symlinks=False)
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load_for_change(self, orgnr: str) -> tuple[Virksomhet, object]:
        """The office (new if not stored) and its stamp, for a later change_many(prepared=...)."""
        stamp = self.stamp(orgnr)
        return self._load_or_new(orgnr, create=True), stamp

    @contextmanager
    def change_many(self, orgnrs, create: bool = False, dry_run: bool = False, prepared=None, progress=None):
        """Read-modify-write of several offices: every lock is taken before anything
        is read, and every log opened before anything is written, so a lock not had
        in time or a log that cannot be opened changes nothing.

        prepared: {orgnr: (office, stamp)} from load_for_change; an office whose
        file has not changed since is used as it is instead of being read again.
        progress(done, total) is called as each office is written.
        """
        orgnrs = sorted(set(map(checked_orgnr, orgnrs)))
        if dry_run:
            yield {orgnr: self._change_of(orgnr, create) for orgnr in orgnrs}
            return
        prepared = prepared or {}
        self.av  # noqa: B018 - who the log records is checked before anything is touched
        with ExitStack() as locks:
            # Sorted, so that two writers of overlapping sets never wait for each other in a circle.
            for orgnr in orgnrs:
                locks.enter_context(self._locked(orgnr))
            changes = {}
            for orgnr in orgnrs:
                if orgnr in prepared and self.stamp(orgnr) == prepared[orgnr][1]:
                    changes[orgnr] = Change(prepared[orgnr][0], reused=True)
                else:
                    changes[orgnr] = self._change_of(orgnr, create)
            yield changes
            self._commit([(orgnr, change) for orgnr, change in changes.items() if change.changed], progress)

    def _commit(self, pending: list[tuple[str, "Change"]], progress=None) -> None:
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
        few = len(pending) <= _open_budget()
        logs: dict[str, tuple[int, Path]] = {}
        staged: list[Path] = []
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
            written = []
            # From here each office's file is put in place and its log appended: Ctrl-C waits
            # until every one is, so that an import is stored whole or (before this) not at all.
            with interrupts.deferred():
                for n, ((orgnr, change), path) in enumerate(zip(pending, paths, strict=True)):
                    lines = self._log_lines(change.entries)
                    try:
                        if staged:
                            self._replace(staged[n], path)
                            if to_cache[n] is not None:
                                self._cache.save(change.office, *to_cache[n])
                                to_cache[n] = None
                        else:
                            self._write(path, change.office)
                        log = logs[orgnr] if few else self._open_log(orgnr)
                        try:
                            self._append_log(log, lines)
                        finally:
                            if not few:
                                os.close(log[0])
                    except StoreError as e:
                        e.written = written
                        raise
                    written.append(orgnr)
                    if progress and not staged:
                        progress(len(written), len(pending))
                self._sync(folder, [fd for fd, _ in logs.values()])
        except BaseException:
            for tmp in staged:  # those not in place yet; the others are gone already
                _remove(tmp)
            raise
        finally:
            for fd, _ in logs.values():
                os.close(fd)
            os.close(folder)

    def _change_of(self, orgnr: str, create: bool) -> Change:
        if create and not self.exists(orgnr):
            return Change(Virksomhet(orgnr), created_office=True)
        return Change(self.load(orgnr, for_change=True))

    def write_copies(self, copies: Iterable[tuple[Virksomhet, list[dict]]]) -> list[str]:
        """Store offices as they are, with their audit logs (database dump, a copy between stores).
        An office already stored is left as it is; returns the orgnrs written."""
        import json

        written = []
        folder = self._open_folder_made()
        try:
            for office, log in copies:
                with self._locked(office.orgnr):
                    if self.exists(office.orgnr):
                        continue
                    lines = "".join(json.dumps(_file_order(e), ensure_ascii=False) + "\n" for e in log)
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

    def _open_folder_made(self) -> int:
        self._ensure_folder()
        return self._open_folder()

    def _load_or_new(self, orgnr: str, create: bool) -> Virksomhet:
        if create and not self.exists(orgnr):
            return Virksomhet(orgnr)
        return self.load(orgnr, for_change=True)

    @contextmanager
    def _locked(self, orgnr: str):
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
            self._lock_fd = _open_regular_fd(path, os.O_RDWR | os.O_CREAT, "låsefilen")
        return self._lock_fd

    def _ensure_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
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

    def _bytes_of(self, office: Virksomhet, suffix: str) -> tuple[bytes, list[int] | None]:
        """The office's file, and for TOML where each fravær's table starts in it."""
        read_as = self._read_as.pop(office.orgnr, None)
        if suffix != ".toml":
            return _serialise(_document_of(office), suffix), None
        return _toml_office(office, read_as)

    def _stage(self, path: Path, data: bytes, sync: bool) -> Path:
        """data in a temporary file beside path (flushed to disk with sync); returns it.

        The temporary file has a fixed name: only the lock holder writes it, and
        one left by a killed writer is simply overwritten by the next write.
        """
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            # Whatever is at the temporary name is a leftover (or a planted link): removed, never followed.
            _remove(tmp)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                if sync:
                    os.fsync(f.fileno())
                os.fchmod(f.fileno(), _mode_for(path))
        except OSError as e:
            _remove(tmp)
            raise StoreError(f"Kunne ikke skrive {path}: {os_reason(e)}. Filen er som før.") from None
        except BaseException:  # Ctrl-C while writing it: nothing is left behind
            _remove(tmp)
            raise
        return tmp

    def _replace(self, tmp: Path, path: Path) -> None:
        try:
            os.replace(tmp, path)
        except OSError as e:
            _remove(tmp)
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

    def _log_lines(self, entries: list[dict]) -> bytes:
        import json

        now = self.now()
        text = "".join(
            json.dumps({"tid": now, "av": self.av, **entry}, ensure_ascii=False, default=log_value) + "\n"
            for entry in entries
        )
        return text.encode("utf-8")

    def _open_log(self, orgnr: str) -> tuple[int, Path]:
        """The office's audit log, append-only, never through a symbolic link."""
        path = self.folder / f"{orgnr}.log"
        fd = _open_regular_fd(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, "loggen", " Ingenting er endret.")
        return fd, path

    def _append_log(self, log: tuple[int, Path], lines: bytes) -> None:
        fd, path = log
        try:
            _write_all(fd, lines)
        except OSError as e:
            raise StoreError(f"Endringen er lagret, men kunne ikke skrives i loggen {path}: {os_reason(e)}.") from None

    def now(self) -> str:
        return self._clock() if self._clock else ""

    def iter_log(self, orgnr: str):
        """The audit log, oldest first, an entry at a time: a log of a million lines is never
        held whole."""
        path = self.folder / f"{orgnr}.log"
        if not os.path.lexists(path):
            return
        with _open_regular(path, "loggen") as f:
            number = 0
            while line := f.readline(MAX_LOG_LINE + 1):
                number += 1
                if len(line) > MAX_LOG_LINE:
                    raise StoreError(f"Linje {number} i loggen {path} er lengre enn {MAX_LOG_LINE // 2**20} MiB.")
                if line.strip():
                    yield _log_entry(line, number, path)


def _file_order(entry: dict) -> dict:
    """A log entry's keys in the order this store writes them (a schema-2 database kept jsonb's own)."""
    first = {k: entry[k] for k in ("tid", "av", "pa_vegne_av", "handling") if k in entry}
    return {**first, **entry}


def _remove(path: Path) -> None:
    """path gone, if it was there and can be removed."""
    try:
        os.unlink(path)
    except OSError:
        pass


def _open_regular_fd(path: Path, flags: int, what: str = "", after: str = "") -> int:
    """A descriptor of a regular file only: never through a symbolic link, and
    never a FIFO or a device, which would hang the open or the read (O_NONBLOCK
    keeps the open itself from waiting)."""
    label = f"{what} {path}" if what else str(path)
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o666)
    except OSError as e:
        if e.errno == errno.ELOOP:
            reason = "er en symbolsk lenke; fravaer bruker bare vanlige filer i lagringsmappen"
        elif e.errno == errno.ENXIO:  # a FIFO with no reader
            reason = "er ikke en vanlig fil"
        else:
            reason = f"kan ikke åpnes: {os_reason(e)}"
        raise StoreError(f"{label[:1].upper()}{label[1:]} {reason}.{after}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise StoreError(f"{label[:1].upper()}{label[1:]} er ikke en vanlig fil; fravaer leser den ikke.{after}")
    os.set_blocking(fd, True)
    return fd


@contextmanager
def _open_regular(path: Path, what: str = ""):
    fd = _open_regular_fd(path, os.O_RDONLY, what)
    try:
        with os.fdopen(fd, "rb") as f:
            yield f
    except OSError as e:
        raise StoreError(f"Kan ikke lese {path}: {os_reason(e)}.") from None


_LOG_TEXT = ("tid", "av", "handling")


def _log_entry(line: bytes, number: int, path: Path) -> dict:
    """One audit-log line, checked so that nothing later trips over its shape."""
    import json

    problem = None
    try:
        entry = json.loads(line)
    except RecursionError:
        problem = "er nestet for dypt"
    except ValueError:
        problem = "er ikke gyldig JSON"
    else:
        if not isinstance(entry, dict):
            problem = "er ikke et JSON-objekt"
        elif not all(isinstance(entry.get(k), str) for k in _LOG_TEXT):
            problem = "mangler tid, av eller handling som tekst"
        elif not all(_log_record_ok(entry.get(k)) for k in ("fravaer", "forrige")):
            problem = "har et fravær som ikke har fraværets form"
        elif not isinstance(entry.get("virksomhet", {}), dict):
            problem = "har en virksomhet som ikke er et objekt"
    if problem:
        raise StoreError(f"Linje {number} i loggen {path} {problem}; loggen er ikke endret.")
    return entry


def _log_record_ok(record) -> bool:
    if record is None:
        return True
    if not isinstance(record, dict):
        return False
    texts = ("id", "behandler", "fra", "til")
    lists = ("tjenester", "vikar")
    return all(isinstance(record.get(k, ""), str) for k in texts) and all(
        isinstance(record.get(k, []), list) and all(isinstance(v, str) for v in record.get(k, [])) for k in lists
    )


def _open_budget() -> int:
    """How many logs a change may hold open at once: the process's limit, less room for the rest."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 1 << 30 if soft == resource.RLIM_INFINITY else max(8, soft - 64)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _mode_for(path: Path) -> int:
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


# -- the document --------------------------------------------------------------


def _parse(raw: bytes, suffix: str) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Invalid(f"ikke gyldig UTF-8 (byte {e.start})") from None
    if suffix == ".toml":
        return toml_loads(text, _Invalid)
    import json

    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise _Invalid("JSON-en er nestet for dypt") from None
    except ValueError as e:
        raise _Invalid(f"ugyldig JSON på linje {e.lineno}, kolonne {e.colno}") from None
    if not isinstance(document, dict):
        raise _Invalid("dokumentet er ikke et JSON-objekt")
    if re.search(r"\\u[dD][89a-fA-F]", text) and _has_lone_surrogate(document):
        raise _Invalid("en tekst har et ugyldig tegn (\\ud800–\\udfff alene), som ikke kan skrives tilbake")
    return document


def toml_loads(text: str, error=ValueError) -> dict:
    """TOML as tomli reads it, its errors said in Norwegian with line and column."""
    import tomli

    try:
        return tomli.loads(text)
    except RecursionError:
        raise error("TOML-en er nestet for dypt") from None
    except tomli.TOMLDecodeError as e:
        raise error(f"ugyldig TOML på linje {e.lineno}, kolonne {e.colno}") from None


def _no_duplicate_keys(pairs: list) -> dict:
    # json keeps the last of two equal keys; the next write would then drop what the first held.
    document = dict(pairs)
    if len(document) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _Invalid(f"nøkkelen «{key}» står to ganger i samme objekt")
            seen.add(key)
    return document


def _has_lone_surrogate(value) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _expect(value, kind, where: str):
    if value is None:
        raise _Invalid(f"{where} mangler")
    # bool is an int in Python; a schema or id of 'true' is still wrong.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {str: "tekst", int: "et heltall", list: "en liste", dict: "en tabell"}
        raise _Invalid(f"{where} skal være {names.get(kind, kind.__name__)}, ikke {value!r}")
    return value


def _date(value, where: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid(f"{where} skal være en dato (ÅÅÅÅ-MM-DD), ikke {value!r}")


def _unknown(keys, allowed, where: str) -> None:
    extra = sorted(set(keys) - allowed)
    if extra:
        raise _Invalid(f"ukjent nøkkel «{extra[0]}» i {where}; fravaer forstår ikke filen helt og endrer den ikke")


def _office_from(doc: dict, orgnr: str) -> Virksomhet:
    if "schema" not in doc:
        raise _Invalid("mangler «schema»")
    schema = _expect(doc["schema"], int, "schema")
    if schema > SCHEMA:
        raise _Invalid(
            f"schema {schema} er nyere enn denne versjonen av fravaer forstår (schema {SCHEMA}); oppgrader fravaer"
        )
    if schema < 1:
        raise _Invalid(f"ukjent schema {schema}")
    _unknown(doc, _TOP_KEYS_2 if schema >= 2 else _TOP_KEYS, "dokumentet")
    office = _expect(doc.get("virksomhet"), dict, "[virksomhet]")
    _unknown(office, _OFFICE_KEYS, "[virksomhet]")
    stored_orgnr = _expect(office.get("orgnr"), str, "virksomhet.orgnr")
    if stored_orgnr != orgnr:
        raise _Invalid(f"virksomhet.orgnr er {stored_orgnr}, men filen heter {orgnr}")
    next_id = _expect(doc.get("neste_id"), int, "neste_id")
    records = _expect(doc.get("fravaer", []), list, "fravaer")
    fravaer = []
    seen = set()
    for number, record in enumerate(records, start=1):
        f = _fravaer_quickly(record) or _fravaer_checked(record, number)
        if not _ID.fullmatch(f.id):
            raise _Invalid(f"id {f.id!r} i fravær nr. {number} skal være bokstaver a–z og sifre 0–9")
        if f.id in seen:
            raise _Invalid(f"id {f.id} finnes to ganger")
        if f.til == date.max:
            raise _Invalid(f"til i fravær {f.id} er {f.til}, og dagen etter, da tjenestene åpner igjen, finnes ikke")
        seen.add(f.id)
        if f.id.isascii() and f.id.isdigit() and int(f.id) >= next_id:
            raise _Invalid(f"neste_id ({next_id}) skal være større enn id {f.id}, ellers kan id-er brukes om igjen")
        fravaer.append(f)
    return Virksomhet(
        orgnr=orgnr,
        navn=_expect(office.get("navn", ""), str, "virksomhet.navn"),
        info=_expect(office.get("info", ""), str, "virksomhet.info"),
        next_id=next_id,
        fravaer=fravaer,
        roster=_roster(doc.get("behandlere", [])),
    )


def _roster(records) -> list[RosterEntry]:
    roster, seen = [], set()
    for number, record in enumerate(_expect(records, list, "behandlere"), start=1):
        where = f"behandler nr. {number} i behandlere"
        _expect(record, dict, where)
        _unknown(record, _ROSTER_KEYS, where)
        name = _expect(record.get("behandler"), str, f"behandler i {where}")
        hpr = _expect(record.get("hpr", ""), str, f"hpr i {where}")
        if not name.strip():
            raise _Invalid(f"behandler i {where} er tom")
        key = behandler_key(name)
        if key in seen:
            raise _Invalid(f"«{name}» står to ganger i behandlere")
        seen.add(key)
        roster.append(RosterEntry(name, hpr))
    return roster


# Ids are what fravaer gives out (1, 2, 3) or plain text written by hand; never
# characters that only look like digits ('²', '①'), which sort and compare otherwise.
_ID = re.compile(r"[0-9A-Za-z_-]+")
_OPTIONAL_TEXT = ("kommentar", "hpr", "registrert_av", "registrert")


def _fravaer_quickly(record) -> Fravaer | None:
    """A well-formed record, checked inline; None sends it to the checks that name the problem.

    Every file of every office is read this way by `status --all`, so this is its hot path.
    """
    try:
        if not _FRAVAER_KEYS.issuperset(record):
            return None
        fid, behandler, fra, til = record["id"], record["behandler"], record["fra"], record["til"]
        tjenester, vikar = record["tjenester"], record.get("vikar", [])
        if type(fra) is str:
            fra, til = date.fromisoformat(fra), date.fromisoformat(til)
        if not (
            type(fid) is str
            and 0 < len(fid) <= MAX_ID_LENGTH
            and type(behandler) is str
            and behandler.strip()
            and type(fra) is date
            and type(til) is date
            and fra <= til
            and type(tjenester) is list
            and all(type(t) is str for t in tjenester)
            and type(vikar) is list
            and (tjenester or vikar)
            and all(type(v) is str for v in vikar)
            and all(type(record.get(k, "")) is str for k in _OPTIONAL_TEXT)
        ):
            return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    get = record.get
    return Fravaer(
        fid,
        behandler,
        fra,
        til,
        catalogue.order(tjenester),
        catalogue.order(vikar),
        get("kommentar", ""),
        get("hpr", ""),
        get("registrert_av", ""),
        get("registrert", ""),
    )


def _fravaer_checked(record, number: int) -> Fravaer:
    """The same checks one at a time, to say exactly what is wrong."""
    where = f"fravær nr. {number}"
    _expect(record, dict, where)
    _unknown(record, _FRAVAER_KEYS, where)
    fid = _expect(record.get("id"), str, f"id i {where}")
    if not fid or len(fid) > MAX_ID_LENGTH:
        raise _Invalid(f"id i {where} skal være 1 til {MAX_ID_LENGTH} tegn, ikke {fid!r}")
    where = f"fravær {fid}"
    f = Fravaer(
        id=fid,
        behandler=_expect(record.get("behandler"), str, f"behandler i {where}"),
        fra=_date(record.get("fra"), f"fra i {where}"),
        til=_date(record.get("til"), f"til i {where}"),
        tjenester=catalogue.order(_str_list(record.get("tjenester"), f"tjenester i {where}")),
        vikar=catalogue.order(_str_list(record.get("vikar", []), f"vikar i {where}")),
        kommentar=_expect(record.get("kommentar", ""), str, f"kommentar i {where}"),
        hpr=_expect(record.get("hpr", ""), str, f"hpr i {where}"),
        registrert_av=_expect(record.get("registrert_av", ""), str, f"registrert_av i {where}"),
        registrert=_expect(record.get("registrert", ""), str, f"registrert i {where}"),
    )
    if not f.behandler.strip():
        raise _Invalid(f"behandler i {where} er tom")
    if f.fra > f.til:
        raise _Invalid(f"fra ({f.fra}) er etter til ({f.til}) i {where}")
    if not f.tjenester and not f.vikar:
        raise _Invalid(f"tjenester og vikar i {where} er begge tomme")
    return f


def _str_list(value, where: str) -> list[str]:
    _expect(value, list, where)
    for item in value:
        _expect(item, str, f"hvert element i {where}")
    return value


def _record_of(f: Fravaer) -> dict:
    record = {
        "id": f.id,
        "behandler": f.behandler,
        "fra": f.fra,
        "til": f.til,
        "tjenester": list(f.tjenester),
        "vikar": list(f.vikar),
    }
    for key in ("kommentar", "hpr", "registrert_av", "registrert"):
        if value := getattr(f, key):
            record[key] = value
    return record


def _document_of(office: Virksomhet) -> dict:
    return {**_head_of(office), "fravaer": [_record_of(f) for f in office.fravaer]}


def _head_of(office: Virksomhet) -> dict:
    """The document but its fravær."""
    document = {
        # A file is written as schema 2 only when it holds what schema 1 has no place for,
        # so that an older fravaer still reads every office without a roster.
        "schema": SCHEMA if office.roster else 1,
        "virksomhet": {"orgnr": office.orgnr, "navn": office.navn, "info": office.info},
        "neste_id": office.next_id,
    }
    if office.roster:
        document["behandlere"] = [
            {"behandler": e.behandler, **({"hpr": e.hpr} if e.hpr else {})} for e in office.roster
        ]
    return document


def _serialise(document: dict, suffix: str) -> bytes:
    if suffix == ".toml":
        return _toml(document).encode("utf-8")
    import json

    return (json.dumps(document, ensure_ascii=False, indent=2, default=date.isoformat) + "\n").encode("utf-8")


# TOML basic strings: escape the quote, the backslash and every control character.
_TOML_ESCAPES = {c: f"\\u{c:04X}" for c in (*range(0x20), 0x7F)}
_TOML_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"})


def _toml_string(text: str) -> str:
    # Most texts need no escape, and isprintable() says so faster than translate() goes through them.
    if text.isprintable() and '"' not in text and "\\" not in text:
        return '"' + text + '"'
    return '"' + text.translate(_TOML_ESCAPES) + '"'


def _toml_value(value) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_string, value)) + "]"
    return value.isoformat()  # a date


def _toml(document: dict) -> str:
    """tomli-w writes the head; the fravær, the bulk of a file, have a fixed
    shape and are written directly, several times faster (tests check that
    both read back the same)."""
    return _toml_head(document) + "".join(map(_toml_record, document["fravaer"]))


def _toml_head(document: dict) -> str:
    import tomli_w

    return tomli_w.dumps({k: v for k, v in document.items() if k != "fravaer" or not v})


def _toml_record(record: dict) -> str:
    return "\n[[fravaer]]\n" + "".join([f"{key} = {_toml_value(value)}\n" for key, value in record.items()])


def _toml_office(office: Virksomhet, read_as=None) -> tuple[bytes, list[int]]:
    """The office as TOML, and where each fravær's table starts in it (for the cache).

    read_as: (fravær, the file's bytes, where each starts) of an office read from the
    cache; each of those fravær still in the office is written as the same bytes."""
    known = {}
    if read_as is not None:
        listed, raw, starts = read_as
        known = {id(f): (f, start, end) for f, start, end in zip(listed, starts, [*starts[1:], len(raw)], strict=True)}
    document = _head_of(office)
    if not office.fravaer:
        document["fravaer"] = []  # written as tomli-w writes an empty array
    head = _toml_head(document).encode("utf-8")
    parts, starts, at = [head], [], len(head)
    for f in office.fravaer:
        hit = known.get(id(f))
        # The same object, not only the same id(): a Fravaer is never changed once made.
        text = raw[hit[1] : hit[2]] if hit is not None and hit[0] is f else _toml_record(_record_of(f)).encode("utf-8")
        starts.append(at)
        at += len(text)
        parts.append(text)
    return b"".join(parts), starts
