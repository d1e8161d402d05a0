"""Peak memory of a big import: the file's rows are read as they are checked and not held, so
what grows with the file is what an import must keep until it writes (the new fravær and their
places in the file); a dry run writes its table of every row a line at a time (issue 32).

    bench_import_memory(work) -> list[Result]   (registered in tests/benchmarks/__main__.py)
"""

import shutil
import subprocess
import sys
from pathlib import Path

from tests.benchmarks import data


def bench_import_memory(work: Path) -> list:
    # Imported here: __main__ registers this module's function, so importing it at the top would be a cycle.
    from tests.benchmarks.__main__ import FRAVAER, Result, run_once

    files = {}
    for rows in (60_000, 600_000):
        files[rows] = work / f"import-memory-{rows}.csv"
        data.write_csv(files[rows], offices=rows // 300, per_office=300)
    store = work / "import-memory-store"

    def peak(*args: str, before=None) -> float:
        shutil.rmtree(store, ignore_errors=True)
        return run_once([FRAVAER, "--data-dir", str(store), *args], before=before)[1]

    dry = {rows: peak("import", "--dry-run", str(path)) for rows, path in files.items()}
    real = {rows: peak("import", str(path)) for rows, path in files.items()}
    shutil.rmtree(store, ignore_errors=True)
    # Not flat: the new fravær are held until they are written, and a dry run holds its plan
    # too (its table's lines are made from it, a line at a time, since issue 32: the table made
    # whole had been 2/3 of its peak); start-up (about 35 MiB) is paid once, so ten times the
    # rows may cost up to ten times the memory. Everything here grows with the rows, so the ratio
    # alone would not catch an import that held every row to the end (about 700 bytes each, 400
    # MiB here): the peaks of 600,000 rows are bounded too, about 15 % over what they were when
    # this was written (549 MiB, 1,502 MiB before issue 32; 825 MiB). The file store's peak comes
    # after the check (the dry run's table, the writing of every office at the end); the
    # database's comes during it, so its row below is the one that shows what reading takes.
    results = [
        Result(
            "peak memory, import --dry-run: 600,000 rows vs 60,000", dry[600_000], dry[60_000], 10, dry[600_000], "MiB"
        ),
        Result("peak memory, import --dry-run, 600,000 rows, vs 630 MiB", dry[600_000], 630, 1, dry[600_000], "MiB"),
        Result("peak memory, import: 600,000 rows vs 60,000", real[600_000], real[60_000], 10, real[600_000], "MiB"),
        Result("peak memory, import, 600,000 rows, vs 950 MiB", real[600_000], 950, 1, real[600_000], "MiB"),
    ]
    return results + _database(files[600_000], real[600_000])


def _database(path: Path, files_peak: float) -> list:
    """The database's import reads the rows twice (the offices to lock, then the check): it holds
    no more than the file store's, which writes every office at the end."""
    from tests import pg
    from tests.benchmarks.__main__ import FRAVAER, Result, run_once

    if pg.binaries() is None:
        print("import memory: PostgreSQL's server binaries are not installed; the database is skipped", file=sys.stderr)
        return []
    server = pg.Server().start()
    try:
        server.sql("postgres", "CREATE DATABASE importert OWNER eier")
        dsn = server.dsn(database="importert")
        subprocess.run([FRAVAER, "--database", dsn, "database", "init"], check=True, capture_output=True)
        database = run_once([FRAVAER, "--database", dsn, "import", str(path)])[1]
        return [
            Result("peak memory, import of 600,000 rows: database vs files", database, files_peak, 1.0, database, "MiB")
        ]
    finally:
        server.stop()
