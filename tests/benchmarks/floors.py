"""The bare work each benchmark is compared with, run as its own process like the real command."""

import sys


def import_floor(csv_path: str, out_dir: str) -> None:
    """Read the CSV and write one TOML file per office with tomli-w: the least an import must do."""
    import csv
    from datetime import date
    from pathlib import Path

    import tomli_w

    offices: dict[str, list[dict]] = {}
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        for orgnr, behandler, fra, til, tjenester, kommentar in reader:
            d, m, y = fra.split(".")
            d2, m2, y2 = til.split(".")
            offices.setdefault(orgnr, []).append(
                {
                    "id": str(len(offices.get(orgnr, [])) + 1),
                    "behandler": behandler,
                    "fra": date(int(y), int(m), int(d)),
                    "til": date(int(y2), int(m2), int(d2)),
                    "tjenester": tjenester.split("|"),
                    "vikar": [],
                    "kommentar": kommentar,
                }
            )
    out = Path(out_dir)
    out.mkdir(exist_ok=True)
    for orgnr, fravaer in offices.items():
        document = {
            "schema": 1,
            "virksomhet": {"orgnr": orgnr, "navn": "", "info": ""},
            "neste_id": len(fravaer) + 1,
            "fravaer": fravaer,
        }
        (out / f"{orgnr}.toml").write_text(tomli_w.dumps(document), encoding="utf-8")


def parse_floor(store_dir: str) -> None:
    """Parse every store file and nothing else: the least `status --all` must do."""
    import os
    import tomllib

    for name in sorted(os.listdir(store_dir)):
        if name.endswith(".toml"):
            with open(os.path.join(store_dir, name), "rb") as f:
                tomllib.load(f)


if __name__ == "__main__":
    {"import": import_floor, "parse": parse_floor}[sys.argv[1]](*sys.argv[2:])
