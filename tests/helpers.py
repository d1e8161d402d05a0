"""What the tests share: the offices and texts they use, the real CLI run in-process
(Fravaer) or as the installed program in a process of its own (run, command)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from fravaer_cli.cli import app

REPO = Path(__file__).resolve().parent.parent
ORGNR = "974760673"
OTHER_ORGNR = "988077917"
EPJ_REMINDER = "Husk å skru av tjenester i EPJ som ikke skal være tilgjengelig for innbygger."
VIKAR_REMINDER = "For tjenester som har vikar, må vikar registreres i EPJ."
SEED_LINE = "Timebestilling er midlertidig stengt hos fastlegen din, og åpner igjen 9. juli 2024."
EXECUTABLE = shutil.which("fravaer", path=str(Path(sys.executable).parent))
# In CI nothing that depends on the machine may be skipped (.ci/run sets this).
NO_SKIP = os.environ.get("FRAVAER_NO_SKIP") == "1"


def add_args(*more: str, orgnr: str = ORGNR, behandler="Per Test", fra="01.08.2030", til="02.08.2030", tjeneste="alle"):
    """The arguments of one `fravaer add`; more options after them."""
    return [
        "add",
        "--virksomhet",
        orgnr,
        "--behandler",
        behandler,
        "--fra",
        fra,
        "--til",
        til,
        "--tjeneste",
        tjeneste,
        *more,
    ]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the store folder with its bytes, to show nothing changed."""
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.endswith(".lock")}


class Fravaer:
    """Runs the real CLI in-process against one store: a folder, or a database."""

    def __init__(self, folder: Path | None, database: str | None = None):
        self.folder = folder
        self.database = database
        # The database by the environment: a password in --database is warned of (it shows in ps).
        self.store_args = [] if database else ["--data-dir", str(folder)]
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        if self.database and not args:  # a store named, and no command
            return self.runner.invoke(app, ["--database", self.database], input=input, env=env)
        if self.database:
            env = {"FRAVAER_DATABASE_URL": self.database, **(env or {})}
        return self.runner.invoke(app, [*self.store_args, *args], input=input, env=env)

    def snapshot(self):
        """Everything stored, to show that nothing changed: the folder's files, or the database's rows."""
        if self.database is None:
            return snapshot(self.folder)
        import re

        import psycopg2

        # As the server's superuser: no login may read the tables themselves (migration 6).
        conn = psycopg2.connect(re.sub(r"user=\S+ password=\S+", "user=postgres", self.database))
        try:
            with conn.cursor() as cur:
                tables = {}
                for table, order in (("virksomhet", "orgnr"), ("fravaer", "orgnr, id"), ("logg", "nr")):
                    cur.execute(f"SELECT * FROM fravaer.{table} ORDER BY {order}")
                    if rows := cur.fetchall():  # an empty store is {} in both
                        tables[table] = rows
                return tables
        finally:
            conn.close()

    def add(self, *args: str, orgnr: str = ORGNR):
        result = self("add", "--virksomhet", orgnr, *args)
        assert result.exit_code == 0, result.stderr
        return result.stdout.strip()


def command(store: Path, *args: str) -> list[str]:
    assert EXECUTABLE, "fravaer is not installed next to this Python: pip install '.[test]'"
    return [EXECUTABLE, "--data-dir", str(store), *args]


def run(store: Path, *args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(store, *args), capture_output=True, text=True, env={**os.environ, **(env or {})}, input=input
    )


def run_with_timeout(store: Path, *args: str, seconds: float = 60) -> subprocess.CompletedProcess:
    """A run that must end by itself: a hang is a failure here, not a wait for ever."""
    return subprocess.run(command(store, *args), capture_output=True, text=True, timeout=seconds)


def run_database(dsn: str, *args: str, env: dict | None = None, **kwargs) -> subprocess.CompletedProcess:
    """The installed fravaer on a database (given by $FRAVAER_DATABASE_URL, as a password in
    --database is warned of), in a process of its own."""
    assert EXECUTABLE, "fravaer is not installed next to this Python: pip install '.[test]'"
    return subprocess.run(
        [EXECUTABLE, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "FRAVAER_DATABASE_URL": dsn, **(env or {})},
        **kwargs,
    )


def write_sheet(path, cells: dict[str, object]) -> None:
    """A minimal .xlsx whose one sheet («Sommer») has exactly these cells ({"A1": "virksomhet"})."""
    import re
    import zipfile
    from xml.sax.saxutils import escape

    def cell(ref: str, value) -> str:
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    rows: dict[int, list[str]] = {}
    for ref, value in cells.items():
        rows.setdefault(int(re.sub("[A-Z]", "", ref)), []).append(cell(ref, value))
    data = "".join(f'<row r="{n}">{"".join(row)}</row>' for n, row in sorted(rows.items()))
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
            f'"/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            f'sheet1.xml" ContentType="{kinds}.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet '
            'name="Sommer" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>{data}</sheetData>'
            "</worksheet>",
        )
