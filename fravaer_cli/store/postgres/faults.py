"""What the server or the connection said, as the SPEC's errors: one Norwegian line each, named by
the error's SQLSTATE (PostgreSQL's own texts are English and for DBAs), never with a password."""

import re

from fravaer_cli.domain.errors import ConflictError, StoreError
from fravaer_cli.store.postgres.connect import without_password

DEFAULT_STATEMENT_TIMEOUT = 120.0  # seconds: a national load's longest statement, with room to spare
DEFAULT_CONNECT_TIMEOUT = 10  # seconds: libpq waits for ever when a server accepts and never answers
SHUTDOWN = ("57P01", "57P02", "57P03")  # admin_shutdown, crash_shutdown, cannot_connect_now


def statement_timeout() -> float:
    """How long one statement may run ($FRAVAER_STATEMENT_TIMEOUT); math.inf: without limit."""
    from fravaer_cli.store.base import seconds_from

    return seconds_from("FRAVAER_STATEMENT_TIMEOUT", DEFAULT_STATEMENT_TIMEOUT)


class Context:
    """What a message names: where, as whom, which office, and the bounds this program set."""

    def __init__(
        self, where: str, login: str, orgnr: str | None, lock_timeout: float, statement_timeout: float, writing: bool
    ) -> None:
        self.where, self.login, self.orgnr, self.writing = where, login, orgnr, writing
        self.lock_timeout, self.statement_timeout = lock_timeout, statement_timeout


def lost(error: Exception) -> bool:
    """The connection is gone (the server stopped, the backend was ended, the network broke):
    the driver has no SQLSTATE for it, or the server said it is shutting down."""
    code = getattr(error, "pgcode", None)
    if code in SHUTDOWN:
        return True
    cursor_or_conn = getattr(error, "cursor", None)
    closed = getattr(getattr(cursor_or_conn, "connection", None), "closed", 0)
    return code is None and (closed != 0 or type(error).__name__ in ("OperationalError", "InterfaceError"))


def error_of(e: Exception, at: Context) -> Exception:
    """A driver error as the SPEC's: a conflict (4), or a store problem (5)."""
    code = getattr(e, "pgcode", None) or ""
    text = getattr(e, "pgerror", None) or str(e)
    office = f" virksomhet {at.orgnr}" if at.orgnr else ""
    if code == "23P01":  # exclusion_violation: another machine stored an overlapping fravær at the same moment
        return ConflictError(
            f"Overlapper med et fravær for samme behandler og tjeneste hos {at.orgnr or 'virksomheten'}, "
            "lagret av noen andre i samme øyeblikk. Se «fravaer list» og prøv igjen."
        )
    if code == "42501":  # insufficient_privilege: the store's functions, or a grant, said no
        named = re.search(r"virksomhet ([0-9]{9})", text)
        where = f" til virksomhet {named[1] if named else at.orgnr}" if named or at.orgnr else ""
        return StoreError(f"Innloggingen {at.login} har ikke skrivetilgang{where} i {at.where}.")
    if code == "55P03":  # lock_not_available: lock_timeout, which this program sets itself
        if at.writing:
            return StoreError(
                f"Databasen er opptatt: fikk ikke låst{office} innen {at.lock_timeout:g} sekunder, fordi noen "
                "andre skriver til den. Ingenting er endret; prøv igjen om litt."
            )
        return StoreError(
            f"Databasen er opptatt: lesingen ventet mer enn {at.lock_timeout:g} sekunder på en lås noen andre "
            f"holder i {at.where}. Prøv igjen om litt."
        )
    if code == "57014":  # query_canceled: statement_timeout (Ctrl-C is the boundary's own)
        return StoreError(
            f"Databasen er opptatt: en spørring i {at.where} tok mer enn {at.statement_timeout:g} sekunder og ble "
            f"avbrutt{'; ingenting er endret' if at.writing else ''}. Prøv igjen om litt."
        )
    if code == "25006":  # read_only_sql_transaction: a standby
        return StoreError(
            f"{sentence(at.where)} er en server som bare leser (en standby), og endringen er ikke "
            "lagret. Skriv til primærserveren: gi alle serverne i tilkoblingsstrengen med "
            "target_session_attrs=read-write, så finner libpq den som tar imot skriving."
        )
    if code == "53300":  # too_many_connections
        return no_free_connection(at.where)
    if code == "53100":  # disk_full
        return StoreError(
            f"PostgreSQL-serveren for {at.where} har ikke mer diskplass, og endringen er ikke lagret. "
            "Be en DBA om å frigjøre plass."
        )
    if code.startswith("53"):  # insufficient_resources, out_of_memory, ...
        return StoreError(f"PostgreSQL-serveren for {at.where} har ikke nok ressurser nå (SQLSTATE {code}). "
                          "Prøv igjen om litt.")  # fmt: skip
    if code in SHUTDOWN:
        return StoreError(
            f"PostgreSQL-serveren for {at.where} stenger ned eller starter opp (SQLSTATE {code})"
            f"{'; endringen er ikke lagret' if at.writing else ''}. Prøv igjen om litt."
        )
    if code in ("40001", "40P01"):  # serialization_failure, deadlock_detected
        return StoreError(f"Databasen avbrøt endringen fordi en annen skrev samtidig (SQLSTATE {code}). Prøv igjen.")
    if lost(e):
        return StoreError(
            f"Forbindelsen til {at.where} ble brutt underveis"
            f"{', og endringen er ikke lagret' if at.writing else ''}. Prøv igjen når serveren svarer."
        )
    if code in ("23514", "P0002", "22008", "22007", "22P02", "23502"):  # the store's rules refused the values
        return StoreError(f"{sentence(at.where)} godtok ikke endringen (SQLSTATE {code}): "
                          f"{_first_line(text)}")  # fmt: skip
    return StoreError(f"Feil fra {at.where} (SQLSTATE {code or 'ukjent'}): {_first_line(text)}")


def no_free_connection(where: str) -> StoreError:
    """Said of the server's refusal when connecting, or of the SQLSTATE after."""
    return StoreError(
        f"PostgreSQL-serveren for {where} har ingen ledige tilkoblinger nå. Prøv igjen om litt; mange "
        "samtidige brukere bør gå gjennom PgBouncer (se README)."
    )


def unknown_outcome(at: Context) -> StoreError:
    """The COMMIT was sent, and its answer never came: the change may be stored, or not."""
    office = f" --virksomhet {at.orgnr}" if at.orgnr else " --all"
    return StoreError(
        f"Forbindelsen til {at.where} ble brutt mens endringen ble lagret: den kan være lagret, eller ikke. "
        f"Sjekk med «fravaer list{office}» og «fravaer log{office}» før du prøver igjen."
    )


def sentence(where: str) -> str:
    """where to start a sentence with («databasen …» as «Databasen …»)."""
    return where[0].upper() + where[1:]


def _first_line(text: str) -> str:
    return without_password(text.strip().splitlines()[0] if text.strip() else "")
