"""Reading an office file and its audit log, and checking every value before it is believed: a
file edited by hand, or damaged, is refused naming the file and the problem, never half read."""

import re
from collections.abc import Collection, Iterable
from datetime import date
from pathlib import Path  # json is imported where used: status of a toml store needs none
from typing import Any

from fravaer_cli.domain import catalogue
from fravaer_cli.domain.errors import StoreError
from fravaer_cli.domain.model import MAX_ID_LENGTH, Fravaer, RosterEntry
from fravaer_cli.domain.names import behandler_key
from fravaer_cli.domain.virksomhet import Virksomhet

# 2: the office may keep its roster (behandlere); 3: and its GPs' spellings before a rename
# (tidligere_navn). A file is written with the lowest schema that holds what it has.
SCHEMA = 3
# Far beyond any real office (50 fravær take about 10 KiB), and small enough
# that a planted huge file cannot exhaust memory.
MAX_STORE_FILE = 64 * 1024 * 1024
MAX_LOG_LINE = 1024 * 1024

_TOP_KEYS = {"schema", "virksomhet", "neste_id", "fravaer"}
_TOP_KEYS_2 = _TOP_KEYS | {"behandlere"}
_TOP_KEYS_3 = _TOP_KEYS_2 | {"tidligere_navn"}
_OFFICE_KEYS = {"orgnr", "navn", "info"}
_ROSTER_KEYS = {"behandler", "hpr"}
_FRAVAER_KEYS = set(Fravaer.FIELDS)


class Invalid(Exception):
    """A problem in a store document; becomes a StoreError naming the file."""


_LOG_TEXT = ("tid", "av", "handling")


def log_entry(line: bytes, number: int, path: Path) -> dict[str, Any]:
    """One audit-log line, checked so that nothing later trips over its shape."""
    import json

    problem = None
    try:
        entry: dict[str, Any] = json.loads(line)  # what it is, is checked below
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


def _log_record_ok(record: Any) -> bool:
    if record is None:
        return True
    if not isinstance(record, dict):
        return False
    texts = ("id", "behandler", "fra", "til")
    lists = ("tjenester", "vikar")
    return all(isinstance(record.get(k, ""), str) for k in texts) and all(
        isinstance(record.get(k, []), list) and all(isinstance(v, str) for v in record.get(k, [])) for k in lists
    )


def parse_document(raw: bytes, suffix: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Invalid(f"ikke gyldig UTF-8 (byte {e.start})") from None
    if text.startswith("\ufeff"):  # a byte-order mark, as Notepad saves a file edited by hand
        text = text[1:]
    if suffix == ".toml":
        return toml_loads(text, Invalid)
    import json

    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise Invalid("JSON-en er nestet for dypt") from None
    except json.JSONDecodeError as e:
        raise Invalid(f"ugyldig JSON på linje {e.lineno}, kolonne {e.colno}") from None
    if not isinstance(document, dict):
        raise Invalid("dokumentet er ikke et JSON-objekt")
    if re.search(r"\\u[dD][89a-fA-F]", text) and _has_lone_surrogate(document):
        raise Invalid("en tekst har et ugyldig tegn (\\ud800–\\udfff alene), som ikke kan skrives tilbake")
    return document


def toml_loads(text: str, error: type[Exception] = ValueError) -> dict[str, Any]:
    """TOML as tomli reads it, its errors said in Norwegian with line and column."""
    import tomli

    try:
        return tomli.loads(text)
    except RecursionError:
        raise error("TOML-en er nestet for dypt") from None
    except tomli.TOMLDecodeError as e:
        raise error(f"ugyldig TOML på linje {e.lineno}, kolonne {e.colno}") from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys; the next write would then drop what the first held.
    document = dict(pairs)
    if len(document) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise Invalid(f"nøkkelen «{key}» står to ganger i samme objekt")
            seen.add(key)
    return document


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _expect(value: Any, kind: type, where: str) -> Any:
    if value is None:
        raise Invalid(f"{where} mangler")
    # bool is an int in Python; a schema or id of 'true' is still wrong.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = {str: "tekst", int: "et heltall", list: "en liste", dict: "en tabell"}
        raise Invalid(f"{where} skal være {names.get(kind, kind.__name__)}, ikke {value!r}")
    return value


def _date(value: Any, where: str) -> date:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid(f"{where} skal være en dato (ÅÅÅÅ-MM-DD), ikke {value!r}")


def _unknown(keys: Iterable[str], allowed: Collection[str], where: str) -> None:
    extra = sorted(set(keys) - set(allowed))
    if extra:
        raise Invalid(f"ukjent nøkkel «{extra[0]}» i {where}; fravaer forstår ikke filen helt og endrer den ikke")


def office_from(doc: dict[str, Any], orgnr: str) -> Virksomhet:
    if "schema" not in doc:
        raise Invalid("mangler «schema»")
    schema = _expect(doc["schema"], int, "schema")
    if schema > SCHEMA:
        raise Invalid(
            f"schema {schema} er nyere enn denne versjonen av fravaer forstår (schema {SCHEMA}); oppgrader fravaer"
        )
    if schema < 1:
        raise Invalid(f"ukjent schema {schema}")
    _unknown(doc, _TOP_KEYS_3 if schema >= 3 else _TOP_KEYS_2 if schema >= 2 else _TOP_KEYS, "dokumentet")
    office = _expect(doc.get("virksomhet"), dict, "[virksomhet]")
    _unknown(office, _OFFICE_KEYS, "[virksomhet]")
    stored_orgnr = _expect(office.get("orgnr"), str, "virksomhet.orgnr")
    if stored_orgnr != orgnr:
        raise Invalid(f"virksomhet.orgnr er {stored_orgnr}, men filen heter {orgnr}")
    next_id = _expect(doc.get("neste_id"), int, "neste_id")
    records = _expect(doc.get("fravaer", []), list, "fravaer")
    fravaer = []
    seen = set()
    for number, record in enumerate(records, start=1):
        f = _fravaer_quickly(record) or _fravaer_checked(record, number)
        if not _ID.fullmatch(f.id):
            raise Invalid(f"id {f.id!r} i fravær nr. {number} skal være bokstaver a–z og sifre 0–9")
        if f.id in seen:
            raise Invalid(f"id {f.id} finnes to ganger")
        if f.til == date.max:
            raise Invalid(f"til i fravær {f.id} er {f.til}, og dagen etter, da tjenestene åpner igjen, finnes ikke")
        seen.add(f.id)
        if f.id.isascii() and f.id.isdigit() and int(f.id) >= next_id:
            raise Invalid(f"neste_id ({next_id}) skal være større enn id {f.id}, ellers kan id-er brukes om igjen")
        fravaer.append(f)
    return Virksomhet(
        orgnr=orgnr,
        navn=_expect(office.get("navn", ""), str, "virksomhet.navn"),
        info=_expect(office.get("info", ""), str, "virksomhet.info"),
        next_id=next_id,
        fravaer=fravaer,
        roster=_roster_checked(doc.get("behandlere", [])),
        tidligere=_former_names_checked(doc.get("tidligere_navn", {})),
    )


def _former_names_checked(table: Any) -> dict[str, str]:
    """Each old spelling's GP key, with the name the GP has now: a key that is not one is not read
    as one (a hand-edited «Ingrid Solbeg» would otherwise never match)."""
    former = {}
    for key, name in _expect(table, dict, "tidligere_navn").items():
        _expect(name, str, f"tidligere_navn.{key}")
        if key != behandler_key(key) or not key or not name.strip():
            raise Invalid(f"tidligere_navn har «{key}» = «{name}»: nøkkelen skal være navnet med små bokstaver")
        former[key] = name
    return former


def _roster_checked(records: Any) -> list[RosterEntry]:
    roster, seen = [], set()
    for number, record in enumerate(_expect(records, list, "behandlere"), start=1):
        where = f"behandler nr. {number} i behandlere"
        _expect(record, dict, where)
        _unknown(record, _ROSTER_KEYS, where)
        name = _expect(record.get("behandler"), str, f"behandler i {where}")
        hpr = _expect(record.get("hpr", ""), str, f"hpr i {where}")
        if not name.strip():
            raise Invalid(f"behandler i {where} er tom")
        key = behandler_key(name)
        if key in seen:
            raise Invalid(f"«{name}» står to ganger i behandlere")
        seen.add(key)
        roster.append(RosterEntry(name, hpr))
    return roster


# Ids are what fravaer gives out (1, 2, 3) or plain text written by hand; never
# characters that only look like digits ('²', '①'), which sort and compare otherwise.
_ID = re.compile(r"[0-9A-Za-z_-]+")
_OPTIONAL = Fravaer.OPTIONAL


def _fravaer_quickly(record: Any) -> Fravaer | None:
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
            and all(type(record.get(k, "")) is str for k in _OPTIONAL)
        ):
            return None
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    get = record.get
    return Fravaer(
        fid, behandler, fra, til, catalogue.order(tjenester), catalogue.order(vikar), *(get(k, "") for k in _OPTIONAL)
    )


def _fravaer_checked(record: Any, number: int) -> Fravaer:
    """The same checks one at a time, to say exactly what is wrong."""
    where = f"fravær nr. {number}"
    _expect(record, dict, where)
    _unknown(record, _FRAVAER_KEYS, where)
    fid = _expect(record.get("id"), str, f"id i {where}")
    if not fid or len(fid) > MAX_ID_LENGTH:
        raise Invalid(f"id i {where} skal være 1 til {MAX_ID_LENGTH} tegn, ikke {fid!r}")
    where = f"fravær {fid}"
    f = Fravaer(
        id=fid,
        behandler=_expect(record.get("behandler"), str, f"behandler i {where}"),
        fra=_date(record.get("fra"), f"fra i {where}"),
        til=_date(record.get("til"), f"til i {where}"),
        tjenester=catalogue.order(_str_list(record.get("tjenester"), f"tjenester i {where}")),
        vikar=catalogue.order(_str_list(record.get("vikar", []), f"vikar i {where}")),
        **{k: _expect(record.get(k, ""), str, f"{k} i {where}") for k in _OPTIONAL},
    )
    if not f.behandler.strip():
        raise Invalid(f"behandler i {where} er tom")
    if f.fra > f.til:
        raise Invalid(f"fra ({f.fra}) er etter til ({f.til}) i {where}")
    if not f.tjenester and not f.vikar:
        raise Invalid(f"tjenester og vikar i {where} er begge tomme")
    return f


def _str_list(value: Any, where: str) -> list[str]:
    _expect(value, list, where)
    for item in value:
        _expect(item, str, f"hvert element i {where}")
    checked: list[str] = value
    return checked
