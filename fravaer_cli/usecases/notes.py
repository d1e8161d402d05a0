"""The notes and warnings a change gives beside what it did: a GP new here whose name is like a
known one's, working days with no GP at work, a service left open without a vikar."""

from datetime import date

from fravaer_cli.domain.model import Fravaer
from fravaer_cli.domain.virksomhet import NEAR_SHOWN, Virksomhet


def open_without_vikar_note(fravaer: Fravaer, keys: list[str]) -> str:
    """An edit took the vikar off a service it does not close: citizens can use it, and nobody answers."""
    from fravaer_cli.domain import catalogue, dates

    shown = ", ".join(catalogue.display_name(k) for k in keys)
    period = f"{dates.short(fravaer.fra)}–{dates.short(fravaer.til)}"
    return (
        f"Merk: {shown} er nå åpen for innbyggere mens {fravaer.behandler} er borte ({period}), uten vikar. "
        "Skal den stenges, ta den med i --tjeneste; har den vikar, i --vikar."
    )


def near_name_note(name: str, near: list[str], office: Virksomhet) -> str:
    from fravaer_cli.domain.names import other_first_name

    # near_names gives one more than is shown when there are more (an office of «Lege 0001» …).
    shown = " eller ".join(f"«{n}»" for n in near[:NEAR_SHOWN]) + (" med flere" if len(near) > NEAR_SHOWN else "")
    if all(other_first_name(name, n) for n in near):
        # Two common first names: most likely two people. Said, but no merge advised.
        return (
            f"Merk: «{name}» er ny hos {office.label}. {shown} har et annet fornavn og er trolig en annen lege; "
            "er det likevel samme lege, rett navnet med «fravaer roster rename»."
        )
    right = f'"{near[0]}"' if len(near) == 1 else "RIKTIG"
    return (
        f"Merk: «{name}» er ny hos {office.label}, men ligner {shown}. Er det samme lege, rett navnet med "
        f'«fravaer roster rename --virksomhet {office.orgnr} --behandler "{name}" --til-navn {right}».'
    )


def gp_warnings(office: Virksomhet, changed: list[Fravaer], since: date | None = None) -> list[str]:
    """'Advarsel: ingen fastlege ved DDFL Test 12.07.–16.07.2027 (ingen vikar registrert)' per stretch.
    since: only days from then on (an edit says nothing of days already past)."""
    from fravaer_cli.domain import plan

    days = [d for d in plan.days_without_gp(office, changed) if since is None or d >= since]
    runs = plan.workday_runs(days)
    gps = office.gps()
    if runs and not office.roster and len(gps) == 1:
        # Without a roster, the office's GPs are those with fravær: a first fravær would always
        # be «no GP», which says nothing about the office. What is missing is the roster.
        return [
            f"Merk: {office.label} har ingen liste over fastleger, og «{gps[0]}» er den eneste legen med fravær "
            f"der, så fravaer kan ikke se om en annen fastlege er på jobb {plan.stretch_text(*runs[0])}"
            f"{' og flere dager' if len(runs) > 1 else ''}. Legg legene inn med «fravaer roster add --virksomhet "
            f"{office.orgnr} --behandler NAVN», så varsler fravaer når ingen fastlege er på jobb."
        ]
    return [
        f"Advarsel: ingen fastlege ved {office.label} {plan.stretch_text(a, b)} (ingen vikar registrert)."
        for a, b in runs
    ]
