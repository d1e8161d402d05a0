"""An office (virksomhet) and its rules: adding, editing and deleting fravær (overlap, identical
re-add, ids, vikar), its roster, and finding its GPs by name. No I/O and no clock: today comes in."""

from bisect import bisect_right, insort
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from fravaer_cli.domain import catalogue
from fravaer_cli.domain.errors import ConflictError, InputError, NotFoundError
from fravaer_cli.domain.model import (
    MAX_COMMENT,
    MAX_ID_LENGTH,
    Draft,
    Fravaer,
    GpDirectory,
    RosterEntry,
    check_dates,
    check_not_past,
    check_tjenester,
    clean_hpr,
    clean_name,
    clean_text,
    closed_and_vikar,
    matches_behandler,
)
from fravaer_cli.domain.names import (
    NEAR,
    NearIndex,
    behandler_key,
    edit_distance,
    former_names,
    name_matches,
    norwegian_order,
    search_key,
    surname_first,
    surname_last,
)
from fravaer_cli.domain.record import Record

# A roster this long is searched for a misspelling only among names NEAR letters away (by the
# index); a shorter one is also compared name by name with the wider limit of closest_on_roster.
SCAN_ROSTER_UP_TO = 200
# The most GPs a roster holds: more than any office has, and a bound on what every report of the
# office carries (the database refuses more too: fravaer_intern.storste_liste()).
MAX_ROSTER = 1000
# Look-alike names a note names («ligner «Lege 0001» eller … og flere»).
NEAR_SHOWN = 3


def office_label(orgnr: str, navn: str) -> str:
    """'DDFL Test (974760673)', or the orgnr alone for an office without a name."""
    return f"{navn} ({orgnr})" if navn else orgnr


class Virksomhet(Record):
    """An office: its name and note, its fravær, the next id to give, its roster (empty: the
    office keeps no list of its GPs), and the spellings its GPs had before a rename (tidligere: the
    old spelling's GP key -> the name the GP has now), so that a file typed before the rename still
    names the same GP.

    directory: None for an office read whole. A change that concerns some days (add, edit, an
    import) may be given a partial office instead (Scope): every fravær that meets those days
    (and those whose ids it names), and the directory of every GP with fravær stored. Each rule
    of add and edit is about one GP's fravær on shared days, and every note about the GPs there
    are or the days without one, so the partial office decides as the whole one would; the store
    writes back what it did not read as it was. Changes that concern every fravær (rename,
    delete, restore, the roster) read the office whole."""

    FIELDS = ("orgnr", "navn", "info", "next_id", "fravaer", "roster", "tidligere", "directory")

    def __init__(
        self,
        orgnr: str,
        navn: str = "",
        info: str = "",
        next_id: int = 1,
        fravaer: list[Fravaer] | None = None,
        roster: list[RosterEntry] | None = None,
        tidligere: dict[str, str] | None = None,
        directory: GpDirectory | None = None,
    ):
        self.orgnr, self.navn, self.info, self.next_id = orgnr, navn, info, next_id
        self.fravaer = [] if fravaer is None else fravaer
        self.roster = [] if roster is None else roster
        self.tidligere = {} if tidligere is None else tidligere
        self.directory = directory
        self._indexed = False
        self._near_index: NearIndex | None = None

    @property
    def label(self) -> str:
        return office_label(self.orgnr, self.navn)

    @property
    def partial(self) -> bool:
        """Only some of the office's fravær are read (see the class)."""
        return self.directory is not None

    def _whole(self, what: str) -> None:
        # A store's bug, not a user's: a change over every fravær was given some of them.
        if self.directory is not None:
            raise AssertionError(f"{what} needs the whole office, and {self.orgnr} was read in part")

    # Indexes keep add and import linear: an identical registration is one dict
    # look-up, and an overlap is a binary search among the fravær of one
    # behandler and tjeneste, which the overlap rule keeps disjoint and sorted.
    def _index(self) -> None:
        if self._indexed:
            return
        self._identities: dict[tuple[Any, ...], Fravaer] = {}
        self._spans: dict[tuple[str, str], list[tuple[date, str, Fravaer]]] = {}
        self._vikar_spans: dict[tuple[str, str], list[tuple[date, str, Fravaer]]] = {}
        self._names: dict[str, str] = {}
        # HPR number -> the GP (key) who has it: the roster's first, then the stored fravær's.
        self._hprs: dict[str, str] = {e.hpr: e.key for e in reversed(self.roster) if e.hpr}
        # A GP written surname first («Hansen, Per»): the key of «Per Hansen» -> its own key, the
        # roster's first, then the stored fravær's (as_known, near_names).
        self._swapped: dict[str, str] = {}
        for e in self.roster:
            if "," in e.behandler and surname_first(e.behandler):
                self._swapped.setdefault(behandler_key(surname_last(e.behandler)), e.key)
        if self.directory is not None:
            # Every GP of the office, also those with no fravær among those read, as the whole
            # office's fravær would give them (first stored first).
            self._names.update(self.directory.names)
            for hpr, key in self.directory.hprs.items():
                self._hprs.setdefault(hpr, key)
            for key, name in self.directory.names.items():
                if "," in name and surname_first(name):
                    self._swapped.setdefault(behandler_key(surname_last(name)), key)
        self._indexed = True
        for f in self.fravaer:
            self._remember(f)

    def _remember(self, f: Fravaer) -> None:
        self._identities.setdefault(f.identity(), f)
        self._names.setdefault(f.key, f.behandler)
        if f.hpr:
            self._hprs.setdefault(f.hpr, f.key)
        if self._near_index is not None:
            self._near_index.add(f.key, self._names[f.key])
        if "," in f.behandler and surname_first(f.behandler):
            self._swapped.setdefault(behandler_key(surname_last(f.behandler)), f.key)
        for tjeneste in f.tjenester:
            insort(self._spans.setdefault((f.key, tjeneste), []), (f.fra, f.id, f))
        for tjeneste in f.vikar:
            insort(self._vikar_spans.setdefault((f.key, tjeneste), []), (f.fra, f.id, f))

    def _forget(self) -> None:
        self._indexed = False
        self._near_index = None

    def _near(self) -> NearIndex:
        """The index of the office's GP names (the roster's, then the stored ones), made when first
        asked and kept up to date as fravær are added."""
        if self._near_index is None:
            known = self._known()  # before the index is there: indexing the fravær must not add to it
            self._near_index = NearIndex()
            for key, name in known.items():
                self._near_index.add(key, name)
        return self._near_index

    def _known(self) -> dict[str, str]:
        """The office's GPs by key: the roster's, then those with fravær stored and not on it."""
        self._index()
        known = {e.key: e.behandler for e in self.roster}
        known.update((k, v) for k, v in self._names.items() if k not in known)
        return known

    def get(self, fravaer_id: str) -> Fravaer:
        for f in self.fravaer:
            if f.id == fravaer_id:
                return f
        raise NotFoundError(
            f"Fant ikke fravær med id «{fravaer_id}» hos {self.label}. Se «fravaer list --include-past»."
        )

    def find_identical(self, draft: Draft) -> Fravaer | None:
        self._index()
        return self._identities.get(draft.identity())

    def _closures_meeting(self, candidate: Fravaer, tjeneste: str, ignore_id: str | None) -> Iterator[Fravaer]:
        """Stored fravær closing tjeneste for candidate's GP on a day candidate covers."""
        spans = self._spans.get((candidate.key, tjeneste), [])
        # Those starting on or before candidate.til, latest first; the overlap rule keeps them
        # disjoint, so the first that ends before candidate.fra ends the search.
        i = bisect_right(spans, (candidate.til, "\U0010ffff"))
        while i > 0:
            i -= 1
            f = spans[i][2]
            if f.id == ignore_id:
                continue
            if f.til < candidate.fra:
                break
            yield f

    def find_overlaps(self, candidate: Fravaer, ignore_id: str | None = None) -> list[Fravaer]:
        """Every stored fravær that shares a closed day and tjeneste with candidate, in id order."""
        self._index()
        found: dict[str, Fravaer] = {}
        for tjeneste in candidate.tjenester:  # the hot path of a big import: no generator for a GP's first fravær
            if (candidate.key, tjeneste) in self._spans:
                found.update((f.id, f) for f in self._closures_meeting(candidate, tjeneste, ignore_id))
        return sorted(found.values(), key=lambda f: (f.fra, f.id)) if found else []

    def find_vikar_clashes(self, candidate: Fravaer, ignore_id: str | None = None) -> list[Fravaer]:
        """Stored fravær of the same GP that close a tjeneste candidate has a vikar for on a shared
        day, or have a vikar for one candidate closes: both at once cannot be true for citizens."""
        self._index()
        found = {f.id: f for t in candidate.vikar for f in self._closures_meeting(candidate, t, ignore_id)}
        for tjeneste in candidate.tjenester if self._vikar_spans else ():
            # Vikar periods may overlap each other: every one starting in time is looked at.
            spans = self._vikar_spans.get((candidate.key, tjeneste), [])
            for _, fid, f in spans[: bisect_right(spans, (candidate.til, "\U0010ffff"))]:
                if fid != ignore_id and f.til >= candidate.fra:
                    found[fid] = f
        return sorted(found.values(), key=lambda f: (f.fra, f.id))

    def _stored_name(self, name: str) -> str:
        """A GP's name as the roster writes it, else as first written (of a name as_known gave)."""
        self._index()
        entry = self.roster_entry(name) if self.roster else None
        return entry.behandler if entry is not None else self._names.get(behandler_key(name), name)

    def as_known(self, name: str) -> str:
        """The name as the office knows the GP (_as_known), or, a spelling the GP had before a
        rename (also written surname first), the name the GP has now."""
        known = self._as_known(name)
        if known == name and self.tidligere and not self.knows(name):
            now = self._renamed(name)
            if now is not None and self.knows(now):
                return now
        return known

    def renamed_to(self, name: str) -> str | None:
        """The name the GP has now, when name is a spelling it had before a rename."""
        known = self.as_known(name)
        return known if known != name and self._renamed(name) is not None else None

    def _renamed(self, name: str) -> str | None:
        """What the office remembers for a spelling from before a rename: as written, or «Hansen,
        Per» for a remembered «Per Hansen»."""
        now = self.tidligere.get(behandler_key(name))
        if now is None and surname_first(name):
            now = self.tidligere.get(behandler_key(surname_last(name)))
        return now

    def _as_known(self, name: str) -> str:
        """«Hansen, Per», surname first with one comma, is «Per Hansen» when the office knows that GP
        (on its roster or with fravær stored), and «Per Hansen» is a known «Hansen, Per»: one GP,
        not two, for the overlap rule, preview and the calendar. It is the stored name that makes
        the GP (the shared database keys a GP by the name stored), so the known spelling is what
        gets stored (_stored_name). A name known as written, or whose other spelling is not known,
        is as written."""
        if surname_first(name):
            turned = surname_last(name)
            return turned if self.knows(turned) and not self.knows(name) else name
        self._index()
        other = self._swapped.get(behandler_key(name))  # nearly always None: no roster scan then
        if other is None or self.knows(name):
            return name
        return self._names.get(other) or next(e.behandler for e in self.roster if e.key == other)

    def _edited_name(self, behandler: str) -> str:
        name = self.as_known(clean_name(behandler))
        self.check_on_roster(name)
        return self._stored_name(name)

    # -- the roster ------------------------------------------------------------------

    def knows(self, name: str) -> bool:
        """The GP is on the roster or has fravær stored here."""
        self._index()
        return behandler_key(name) in self._names or self.roster_entry(name) is not None

    def gps(self) -> list[str]:
        """The office's GPs: the roster when it has one, else every GP with fravær stored."""
        self._index()
        names = [e.behandler for e in self.roster] if self.roster else list(self._names.values())
        return sorted(names, key=norwegian_order)

    def roster_entry(self, name: str) -> RosterEntry | None:
        key = behandler_key(name)
        return next((e for e in self.roster if e.key == key), None)

    def check_on_roster(self, name: str) -> None:
        """With a roster, only its GPs may have fravær: a name not on it is most likely misspelt."""
        if not self.roster or self.roster_entry(name) is not None:
            return
        close = self.closest_on_roster(name)
        hint = f"Mente du «{close}»?" if close else f"På listen: {', '.join(self.gps()[:10])}."
        raise InputError(
            f"«{name}» står ikke på listen over fastleger hos {self.label}. {hint} "
            f"En ny fastlege legges til med «fravaer roster add --virksomhet {self.orgnr} --behandler NAVN»."
        )

    def gps_matching(self, query: str) -> list[str]:
        """The GPs here (on the roster, or with fravær stored) whose names hold every word of the
        query; the one whose name it is, or whose HPR number it is, alone, when there is one."""
        known = self._known()
        key = behandler_key(query)
        if key in known:
            return [known[key]]
        if (owner := self.hpr_owner(query)) is not None:
            return [known.get(owner, owner)]
        return sorted((n for n in known.values() if name_matches(query, n)), key=norwegian_order)

    def hpr_owner(self, query: str) -> str | None:
        """The key of the GP here whose HPR number (on the roster, or on a stored fravær) query is."""
        number = query.strip()
        if not (number.isascii() and number.isdigit()):
            return None
        self._index()
        return self._hprs.get(number)

    def check_hpr(self, name: str, hpr: str) -> None:
        """One HPR number is one GP: the roster's number for the GP, and no other GP's number."""
        if not hpr:
            return
        self._index()
        key = behandler_key(name)
        entry = self.roster_entry(name)
        if entry is not None and entry.hpr and entry.hpr != hpr:
            raise InputError(
                f"HPR-nummer {hpr} stemmer ikke med listen over fastleger hos {self.label}, der «{entry.behandler}» "
                f"har HPR-nummer {entry.hpr}. Utelat HPR-nummeret, eller rett listen med «fravaer roster add "
                f'--virksomhet {self.orgnr} --behandler "{entry.behandler}" --hpr {hpr}».'
            )
        owner = self._hprs.get(hpr)
        if owner is not None and owner != key:
            other = self._known().get(owner, owner)
            raise InputError(
                f"HPR-nummer {hpr} hører til «{other}» hos {self.label}; to fastleger kan ikke ha samme HPR-nummer. "
                "Sjekk nummeret, eller navnet."
            )

    def matches_gp(self, fravaer: Fravaer, query: str | None, owner: str | None = None) -> bool:
        """A part of the GP's name, the HPR number on the fravær, or the HPR number the roster has
        for its GP (owner: hpr_owner(query), when already asked)."""
        if query is None:
            return True
        if matches_behandler(fravaer, query):
            return True
        return (owner if owner is not None else self.hpr_owner(query)) == fravaer.key

    def not_a_gp_here(self, query: str) -> NotFoundError:
        """«Kari Vikk» is no GP here: the close names, or the GPs there are."""
        # «Hansen, Per» for a known «Per Hansen»: that GP, as stored (a query finds a GP by the words
        # of the name, and «hansen,» is no word of «Per Hansen»).
        known = self._stored_name(turned) if (turned := self.as_known(query)) != query else None
        near, gps = ([known] if known else self.near_names(query)), self.gps()
        if near:
            hint = f" Mente du {' eller '.join(f'«{n}»' for n in near)}?"
        elif gps:
            hint = f" Legene her: {', '.join(gps[:10])}{' …' if len(gps) > 10 else ''}."
        else:
            hint = ""
        return NotFoundError(
            f"«{query.strip()}» er ingen fastlege hos {self.label}: ikke på listen, og ingen fravær lagret.{hint}"
        )

    def closest_on_roster(self, name: str) -> str | None:
        """The roster's name nearest to name, when near enough to be a misspelling of it."""
        on_roster = {e.key for e in self.roster}
        near = self._near().near(name, among=on_roster)
        if near:
            return self._near().names[min(near)[1]]
        if len(self.roster) > SCAN_ROSTER_UP_TO:
            return None  # each row not on a long roster would otherwise cost the roster's length
        wanted = search_key(name)
        limit = max(NEAR, len(wanted) // 3)
        scored = [(edit_distance(wanted, search_key(e.behandler), limit), e.behandler) for e in self.roster]
        best = min(scored, default=(limit + 1, None))
        return best[1] if best[0] <= limit else None

    def near_names(self, name: str, limit: int | None = NEAR_SHOWN + 1) -> list[str]:
        """For a GP new here: the GPs whose names are one or two letters from name (after folding
        case and accents): perhaps name is one of them misspelt. Empty for a GP known here, also
        by the name written the other way round (as_known).

        At most limit, the first in the office's order: a note names NEAR_SHOWN of them, and one
        more tells it that there are more. An office of 2,000 GPs «Lege 0001» … «Lege 2000» has
        hundreds of look-alikes for each; finding them all cost an import of it seconds, to say
        what nobody reads (limit=None: every one)."""
        if self.knows(self.as_known(name)):
            return []
        key = behandler_key(name)
        index = self._near()
        # Written surname first with more than one comma («Hansen, Per, lege» for «Per, lege Hansen»),
        # which as_known does not take as the same GP: named first.
        turned = [behandler_key(surname_last(name))] if "," in name else []
        first = [index.names[k] for k in turned if k in index.names]
        found = [index.names[other] for _, other in index.near(name, limit=limit) if other != key]
        return list(dict.fromkeys(first + found))[:limit]

    def roster_add(self, name: str, hpr: str | None) -> tuple[RosterEntry, RosterEntry | None]:
        """Put a GP on the roster. Returns (entry now, entry before: None when new; equal when nothing changed)."""
        name = self.as_known(clean_name(name))
        hpr = clean_hpr(hpr) if hpr is not None else None
        existing = self.roster_entry(name)
        if hpr:
            self._index()
            owner = self._hprs.get(hpr)
            if owner is not None and owner != behandler_key(name):
                other = self._known().get(owner, owner)
                raise InputError(
                    f"HPR-nummer {hpr} hører til «{other}» hos {self.label}; to fastleger kan ikke ha samme "
                    "HPR-nummer. Sjekk nummeret, eller navnet."
                )
        if existing is not None:
            now = existing if hpr is None else existing.replace(hpr=hpr)
            self.roster[self.roster.index(existing)] = now
            self._forget()
            return now, existing
        if len(self.roster) >= MAX_ROSTER:
            raise InputError(
                f"Listen over fastleger hos {self.label} har alt {MAX_ROSTER} navn, det meste en liste kan ha. "
                "Ta bort dem som ikke lenger er fastleger der (fravaer roster remove) først."
            )
        entry = RosterEntry(self._stored_name(name), hpr or "")
        self.roster.append(entry)
        self._forget()  # the roster's names come first in the near index, its numbers in the HPR index
        return entry, None

    def roster_remove(self, name: str) -> RosterEntry:
        entry = self.roster_entry(name)
        if entry is None:
            raise NotFoundError(f"«{name.strip()}» står ikke på listen over fastleger hos {self.label}.")
        self.roster.remove(entry)
        self._forget()
        return entry

    def rename(self, old_name: str, new_name: str) -> tuple[str, list[tuple[Fravaer, Fravaer]]]:
        """Give a GP another name everywhere in the office: the roster and every fravær.
        Into a GP that exists already, the two are merged, under the overlap rule.
        Returns the GP's name now, and (before, after) for each fravær changed."""
        self._whole("rename")
        new_name = clean_name(new_name, "Nytt navn")
        old_key = behandler_key(old_name)
        moved = [f for f in self.fravaer if f.key == old_key]
        entry = self.roster_entry(old_name)
        if not moved and entry is None:
            raise NotFoundError(
                f"Ingen behandler heter «{old_name.strip()}» hos {self.label} (verken på listen eller i et fravær)."
            )
        # «Per Hansen» renamed «Hansen, Per» is a new spelling of the same GP, not a merge into itself.
        known_as = self.as_known(new_name)
        merging = behandler_key(known_as) != old_key and self.knows(known_as)
        # A merge keeps the name the other GP has; a new spelling of the same GP is taken as written.
        target = self._stored_name(known_as) if merging else new_name
        changed = [(f, f.replace(behandler=target)) for f in moved]
        others = [f for f in self.fravaer if f.key != old_key]
        check = Virksomhet(self.orgnr, self.navn, fravaer=others)
        for _, after in changed:
            overlaps = check.find_overlaps(after)
            clashes = overlaps or check.find_vikar_clashes(after)
            if clashes:
                error = (_overlap_error if overlaps else _vikar_error)(after, clashes)
                raise ConflictError(f"Kan ikke slå sammen «{old_name.strip()}» med «{target}»: {error}")
            check.fravaer.append(after)
            check._remember(after)
        renamed = {id(before): after for before, after in changed}
        self.fravaer = [renamed.get(id(f), f) for f in self.fravaer]
        self.tidligere = former_names(self.tidligere, old_name, target)
        if entry is not None:
            existing = self.roster_entry(known_as) if merging else None
            if existing is not None and existing is not entry:
                self.roster[self.roster.index(existing)] = existing.replace(hpr=existing.hpr or entry.hpr)
                self.roster.remove(entry)
            else:
                self.roster[self.roster.index(entry)] = entry.replace(behandler=target)
        self._forget()
        return target, changed

    def add(self, draft: Draft, today: date, allow_past: bool, av: str, now: str) -> tuple[Fravaer, bool]:
        """Register a draft. Returns (fravær, created); an identical stored one is returned as is."""
        if (known := self.as_known(draft.behandler)) != draft.behandler:
            draft = draft.replace(behandler=known)
        existing = self.find_identical(draft)
        if existing is not None:
            return existing, False
        self.check_on_roster(draft.behandler)
        self.check_hpr(draft.behandler, draft.hpr)
        if not allow_past:
            check_not_past(draft.til, today)
        new = Fravaer(
            id=str(self.next_id),
            behandler=self._stored_name(draft.behandler),
            fra=draft.fra,
            til=draft.til,
            tjenester=draft.tjenester,
            vikar=draft.vikar,
            kommentar=draft.kommentar,
            hpr=draft.hpr,
            registrert_av=av,
            registrert=now,
        )
        if len(new.id) > MAX_ID_LENGTH:
            raise ConflictError(f"{self.label} har brukt opp alle fravær-id-er (høyst {MAX_ID_LENGTH} tegn).")
        clashes = self.find_overlaps(new)
        if clashes:
            raise _overlap_error(new, clashes)
        clashes = self.find_vikar_clashes(new)
        if clashes:
            raise _vikar_error(new, clashes)
        self.fravaer.append(new)
        self._remember(new)
        self.next_id += 1
        return new, True

    def edit(
        self,
        fravaer_id: str,
        today: date,
        allow_past: bool,
        fra: date | None = None,
        til: date | None = None,
        tjenester: list[str] | None = None,
        vikar: list[str] | None = None,
        kommentar: str | None = None,
        all_tjenester: bool = False,
        all_vikar: bool = False,
        behandler: str | None = None,
        hpr: str | None = None,
    ) -> tuple[Fravaer, Fravaer]:
        """Change a fravær in place under the same rules as add. Returns (before, after)."""
        old = self.get(fravaer_id)
        closed, new_vikar = closed_and_vikar(
            old.tjenester if tjenester is None else tjenester,
            old.vikar if vikar is None else vikar,
            all_tjenester,
            all_vikar,
        )
        new = old.replace(
            fra=fra or old.fra,
            til=til or old.til,
            tjenester=closed,
            vikar=new_vikar,
            kommentar=clean_text(kommentar, "Kommentar", MAX_COMMENT) if kommentar is not None else old.kommentar,
            behandler=self._edited_name(behandler) if behandler is not None else old.behandler,
            hpr=clean_hpr(hpr) if hpr is not None else old.hpr,
        )
        check_dates(new.fra, new.til)
        check_tjenester(new.tjenester, new.vikar, all_tjenester)
        if hpr is not None and new.hpr:
            self.check_hpr(new.behandler, new.hpr)
        if not allow_past and (new.fra, new.til) != (old.fra, old.til):
            # A GP back early: a running fravær may end yesterday (open again today) without --allow-past.
            running = old.fra < today <= old.til
            check_not_past(new.til, today - timedelta(days=1) if running else today)
        clashes = self.find_overlaps(new, ignore_id=old.id)
        if clashes:
            raise _overlap_error(new, clashes)
        clashes = self.find_vikar_clashes(new, ignore_id=old.id)
        if clashes:
            raise _vikar_error(new, clashes)
        position = self.fravaer.index(old)
        self.fravaer[position] = new
        if self.directory is not None and (old.key, old.behandler, old.hpr) != (new.key, new.behandler, new.hpr):
            # old may have been its GP's (or number's) first or only fravær: the directory of the rest.
            assert self.directory.without_named is not None, "an edit's fravær is named by its Scope"
            self.directory = self.directory.without_named()
        self._forget()
        return old, new

    def delete(self, fravaer_id: str) -> Fravaer:
        self._whole("delete")
        old = self.get(fravaer_id)
        self.fravaer.remove(old)
        self._forget()
        return old


def _overlap_error(new: Fravaer, clashes: list[Fravaer]) -> ConflictError:
    """Names every stored fravær in the way, so that one look says what to change."""
    shared = {t for clash in clashes for t in set(new.tjenester) & set(clash.tjenester)}
    return _clash_error(clashes, "Overlapper med {which} ({listed}) for samme behandler og tjeneste ({names}).", shared)


def _vikar_error(new: Fravaer, clashes: list[Fravaer]) -> ConflictError:
    both = {t for c in clashes for t in (set(new.vikar) & set(c.tjenester)) | (set(new.tjenester) & set(c.vikar))}
    message = (
        "{names} kan ikke både være stengt og ha vikar for samme behandler samme dag, "
        "og {which} ({listed}) sier det andre."
    )
    return _clash_error(clashes, message, both, vikar=True)


def _clash_error(clashes: list[Fravaer], message: str, tjenester: Iterable[str], vikar: bool = False) -> ConflictError:
    ids = [c.id for c in clashes]
    which = f"fravær {ids[0]}" if len(ids) == 1 else f"fravær {', '.join(ids[:-1])} og {ids[-1]}"
    listed = "; ".join(f"{c.id}: {c.summary()}" for c in clashes)
    names = ", ".join(catalogue.display_name(k) for k in catalogue.order(tjenester))
    text = message.format(which=which, listed=listed, names=names) + f" Endre eller slett {which} først."
    return ConflictError(text, clashes, vikar)
