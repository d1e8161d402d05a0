"""The look-alike check of an import whose GPs' names are all one or two letters apart: 2,000
rows, one office, GPs «Lege 0001» … «Lege 2000», against 2,000 rows of 10 GPs. Runs
`python -m fravaer_cli import --dry-run` on each (the fravaer_cli this Python imports: PYTHONPATH
can point at another checkout, to compare) and prints the best of five, in seconds. A measurement
to read, not a test with a limit.

    python -m tests.benchmarks.near_names
"""

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks import data

FRAVAER = [sys.executable, "-m", "fravaer_cli"]
ROWS = 2000


def write(path: Path, name) -> None:
    (orgnr,) = data.orgnrs(1)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(["virksomhet", "behandler", "fra", "til", "tjenester"])
        for i in range(ROWS):
            writer.writerow([orgnr, name(i), "01.01.2030", "02.01.2030", "timebestilling"])


def best_of_five(csv_path: Path, store: Path) -> tuple[float, str]:
    env = {**os.environ, "FRAVAER_DATA_DIR": str(store)}
    times, stderr = [], ""
    for _ in range(5):
        start = time.perf_counter()
        run = subprocess.run([*FRAVAER, "import", str(csv_path), "--dry-run"], capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        assert run.returncode == 0, run.stderr
        stderr = run.stderr
    return min(times), stderr


def check_cpu_seconds() -> float:
    """The check alone, in this process: near_names then add for each of the 2,000 GPs, as an
    import does per row (CPU time, steadier than a whole run on a busy machine)."""
    from datetime import date

    from fravaer_cli.domain.model import make_draft
    from fravaer_cli.domain.virksomhet import Virksomhet

    office = Virksomhet(data.orgnrs(1)[0])
    start = time.process_time()
    for i in range(ROWS):
        name = f"Lege {i + 1:04d}"
        office.near_names(name)
        office.add(
            make_draft(name, date(2030, 1, 1), date(2030, 1, 2), ["timebestilling"]), date(2024, 1, 1), False, "", ""
        )
    return time.process_time() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "lager").mkdir()
        cases = {
            "2000 GPs one or two letters apart": lambda i: f"Lege {i + 1:04d}",
            "2000 rows of 10 GPs": lambda i: f"Lege {i % 10} Testesen",
        }
        for label, name in cases.items():
            path = root / "plan.csv"
            # Ten GPs with one fravær each: rows after the tenth would overlap, so each gets its own days.
            if "10 GPs" in label:
                with path.open("w", newline="", encoding="utf-8") as f:
                    writer = csv.writer(f, delimiter=";")
                    writer.writerow(["virksomhet", "behandler", "fra", "til", "tjenester"])
                    for row in data.rows(1, ROWS):
                        writer.writerow(row[:5])
            else:
                write(path, name)
            seconds, stderr = best_of_five(path, root / "lager")
            notes = sum(1 for line in stderr.splitlines() if "ligner" in line or "annet fornavn" in line)
            print(f"{label}: {seconds:.2f} s, {len(stderr):,} characters on stderr, {notes} look-alike notes")
    print(f"the check of 2000 GPs one or two letters apart, in-process: {check_cpu_seconds():.2f} s CPU")


if __name__ == "__main__":
    main()
