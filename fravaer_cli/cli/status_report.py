"""status's report in each of its forms: JSON and CSV written as each office is read, and the
text for people, whose tables line up over every office (kept in temporary files until their
widths are known, with --all)."""

from datetime import date, timedelta

from fravaer_cli.domain import catalogue, dates
from fravaer_cli.output import formats
from fravaer_cli.usecases import operations

_STATUS_CSV = ["kategori", "virksomhet", "virksomhet_navn", "behandler", "tjeneste", "fra", "til", "apner_igjen"]
_AHEAD = ("starter_i_morgen", "apner_i_morgen", "vikar_starter")


class StatusReport:
    """The report in each form. JSON and CSV write what is closed as each office
    is read, holding only the rest; `closed` counts as they go."""

    def __init__(self, when: date, until: date | None, entries, single: bool, errors: list):
        from fravaer_cli.domain.schedule import ONE_DAY

        self.when, self.until, self.entries, self.single = when, until, entries, single
        self.errors = errors  # filled as the entries are read: complete once they are all written
        self.last = until or when + ONE_DAY
        self.closed = 0
        self.later: dict[str, list] = {kind: [] for kind in operations.STATUS_KINDS[1:]}

    def nothing_ahead(self) -> bool:
        """Nothing closes, reopens or gets a vikar in the look-ahead (what --quiet is about)."""
        self.closed = sum(kind == "stengt" for kind, _, _ in self.entries)
        return not any(kind in _AHEAD for kind, _, _ in self.entries)

    def _closed_now(self):
        self.closed = 0
        for kind, ref, stretch in self.entries:
            if kind == "stengt":
                self.closed += 1
                yield ref, stretch
            else:
                self.later[kind].append((ref, stretch))

    def result(self) -> formats.Result:
        lists = {"stengt": _entries("stengt", self._closed_now())}
        lists.update((kind, _entries(kind, pairs)) for kind, pairs in self.later.items())
        if not self.single:  # what stderr names, there for a script too
            lists["uleselige"] = (str(e) for e in self.errors)
        head = {"dato": self.when.isoformat(), "frem_til": self.last.isoformat()}
        spilled = not self.single and not isinstance(self.entries, list)
        text = self._text_spilled if spilled else self._text
        return formats.Result(formats.Streamed(head, lists), (_STATUS_CSV, self._csv_rows()), text)

    def _csv_rows(self):
        for kind, pairs in (("stengt", self._closed_now()), *self.later.items()):
            for o, s in pairs:
                entry = _status_entry(o, s, kind)
                yield [kind] + [entry.get(h, "") for h in _STATUS_CSV[1:]]

    def _text(self) -> str:
        report: dict[str, list] = {kind: [] for kind in operations.STATUS_KINDS}
        for kind, ref, stretch in self.entries:
            report[kind].append((ref, stretch))
        self.closed = len(report["stengt"])
        gps = {kind: len({(o.orgnr, s.behandler) for o, s in pairs}) for kind, pairs in report.items()}
        offices = len({o.orgnr for o, _ in report["stengt"]})
        closes, sections = self._sections({kind: bool(pairs) for kind, pairs in report.items()})
        parts = [self._summary(gps, offices, closes)]
        for key, heading in sections:
            if not report[key]:
                parts.append(f"{heading}\n  Ingenting.")
                continue
            parts.append(f"{heading}\n{self._table(report[key], reopening=key not in ('vikar', 'vikar_starter'))}")
        return "\n\n".join(parts)

    def _sections(self, found: dict[str, bool]) -> tuple[str, list[tuple[str, str]]]:
        """(when what closes closes, [(kind, heading)] in the order shown)."""
        if self.until is None:
            closes, opens = f"fra {dates.short(self.last)}", dates.short(self.last)
        else:
            from fravaer_cli.domain import workdays

            closes = opens = f"før neste virkedag, {workdays.describe(self.until)}"
        sections = [
            ("stengt", f"Stengt {dates.short(self.when)}:"),
            ("starter_i_morgen", f"Stenges {closes} (husk å skru av tjenestene i EPJ):"),
            ("apner_i_morgen", f"Åpner igjen {opens} (husk å skru på tjenestene i EPJ):"),
        ]
        # Vikar sections only when there is a vikar: most offices never have one.
        if found["vikar"]:
            sections.append(("vikar", f"Vikar tar tjenester {dates.short(self.when)}:"))
        if found["vikar_starter"]:
            sections.append(("vikar_starter", f"Vikar starter {closes} (husk å registrere vikar i EPJ):"))
        return closes, sections

    def _text_spilled(self):
        """_text() over every office, line by line: each office's rows (a GP's stretch with its
        services) are made as it is read and kept in a temporary file per section until the
        columns' widths, which line up over every office, are known. Memory stays flat."""
        import json
        import tempfile

        kinds = operations.STATUS_KINDS
        spills = {kind: tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n") for kind in kinds}
        longest = {kind: [0] * 5 for kind in kinds}
        gps = dict.fromkeys(kinds, 0)
        found = dict.fromkeys(kinds, False)
        offices, self.closed = 0, 0
        office: list = []

        def spill(pairs: list) -> None:
            nonlocal offices
            offices += any(kind == "stengt" for kind, _, _ in pairs)
            for kind in kinds:
                these = [(o, s) for k, o, s in pairs if k == kind]
                if not these:
                    continue
                found[kind] = True
                gps[kind] += len({s.behandler for _, s in these})
                for label, row in self._rows(these, reopening=kind not in ("vikar", "vikar_starter")):
                    lengths = longest[kind]
                    for i, cell in enumerate(row):
                        lengths[i] = max(lengths[i], len(formats.cell_text(cell)))
                    spills[kind].write(json.dumps([label, *row], ensure_ascii=False) + "\n")

        for kind, ref, stretch in self.entries:
            if office and office[-1][1].orgnr != ref.orgnr:
                spill(office)
                office = []
            office.append((kind, ref, stretch))
            self.closed += kind == "stengt"
        spill(office)
        closes, sections = self._sections(found)
        yield self._summary(gps, offices, closes)
        for key, heading in sections:
            yield ""
            yield heading
            if not found[key]:
                yield "  Ingenting."
                continue
            reopening = key not in ("vikar", "vikar_starter")
            headers = ["Behandler", "Tjenester", "Fra", "Til"] + (["Åpner igjen"] if reopening else [])
            table = formats.SimpleTable(headers, longest[key][: len(headers)])
            for line in table.head():
                yield "  " + line
            with spills[key] as rows:
                rows.seek(0)
                label = None
                for line in rows:
                    label_here, *cells = json.loads(line)
                    if label_here != label:
                        label = label_here
                        yield formats.printable(label)
                    yield "  " + table.line(cells)

    def _summary(self, gps: dict[str, int], offices: int, closes: str) -> str:
        """The mail's first line: how much of each there is. gps: how many GPs of each kind."""
        import textwrap

        def many(kind: str) -> str:
            return f"{gps[kind]} {'lege' if gps[kind] == 1 else 'leger'}"

        where = "" if self.single else f" ved {formats.count(offices, 'virksomhet', 'virksomheter')}"
        ahead = [f"{many('starter_i_morgen')} stenges", f"{many('apner_i_morgen')} åpner igjen"]
        if gps["vikar_starter"]:
            ahead.append(f"{many('vikar_starter')} får vikar")
        serving = f", {many('vikar')} har vikar" if gps["vikar"] else ""
        text = (
            f"{dates.short(self.when)}: stengt hos {many('stengt')}{where}{serving}. {closes[0].upper()}{closes[1:]}: "
        )
        return textwrap.fill(text + ", ".join(ahead) + ".", max(formats.width(), 40), break_on_hyphens=False)

    def _table(self, pairs, reopening: bool) -> str:
        """One row per GP's stretch with its services ('Alle', or their short names), in one table
        whose columns line up over every office; with --all each office's name stands above its
        rows. 80 columns for ordinary names."""
        headers = ["Behandler", "Tjenester", "Fra", "Til"] + (["Åpner igjen"] if reopening else [])
        made = self._rows(pairs, reopening)
        text = formats.table(headers, [row for _, row in made])
        return text if self.single else formats.grouped(text, [label for label, _ in made])

    @staticmethod
    def _rows(pairs, reopening: bool) -> list[tuple[str, list[str]]]:
        """(the office's label, the row) of each GP's stretch, with its services together."""
        grouped: dict[tuple, list[str]] = {}
        for o, s in pairs:
            key = (o.orgnr, o.label, s.behandler, s.fra, s.til)
            grouped.setdefault(key, []).append(s.tjeneste)
        rows = []
        for (_, label, behandler, fra, til), keys in grouped.items():
            row = [formats.clipped(behandler, 24), catalogue.short_names(keys), dates.short(fra), dates.short(til)]
            rows.append((label, row + ([dates.short(til + timedelta(days=1))] if reopening else [])))
        return rows


def _entries(kind: str, pairs):
    # A function of its own, so that each list's generator keeps its own kind.
    return (_status_entry(o, s, kind) for o, s in pairs)


def _status_entry(office, s, kind: str = "stengt") -> dict:
    entry = {
        "virksomhet": office.orgnr,
        "behandler": s.behandler,
        "tjeneste": s.tjeneste,
        "fra": s.fra.isoformat(),
        "til": s.til.isoformat(),
    }
    if kind not in ("vikar", "vikar_starter"):  # a vikar closes nothing, so nothing reopens
        entry["apner_igjen"] = s.apner_igjen.isoformat()
    entry["virksomhet_navn"] = office.navn
    entry["fravaer"] = list(s.ids)
    return entry
