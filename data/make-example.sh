#!/usr/bin/env bash
# Makes data/eksempel/ anew with the installed fravaer: the seed's office (DDFL Test) with
# a roster, an info text and a summer plan for 2028, and a second office. The times in
# the files are then set to one fixed time, so that the store is the same each time it is made.
set -euo pipefail
cd "$(dirname "$0")"
store=$(mktemp -d)
trap 'rm -rf "$store"' EXIT
f() { fravaer --data-dir "$store" --av eksempel "$@" >/dev/null; }

f info --virksomhet 910000004 --navn "DDFL Test" \
    --set "Legekontoret har redusert bemanning i fellesferien. Ring 22 22 22 22 ved behov for hjelp."
f roster add --virksomhet 910000004 --behandler "Astrid Info"
f roster add --virksomhet 910000004 --behandler "Bjørn Test" --hpr 9144889
f roster add --virksomhet 910000004 --behandler "Kari Vik"
f roster add --virksomhet 910000004 --behandler "Ole Dahl"
# The seed: over long ago.
f add --virksomhet 910000004 --behandler "Astrid Info" --fra 12.06.2024 --til 08.07.2024 --tjeneste alle \
    --kommentar Sommerferie --allow-past
# Summer 2028: the weekend of pinse, fravær that touch, a vikar, and three days without a GP.
f add --virksomhet 910000004 --behandler "Ole Dahl" --fra 30.05.2028 --til 05.06.2028 --tjeneste alle \
    --kommentar "Fri over pinse" --allow-past
f add --virksomhet 910000004 --behandler "Astrid Info" --fra 26.06.2028 --til 14.07.2028 --tjeneste alle \
    --kommentar Sommerferie --allow-past
f add --virksomhet 910000004 --behandler "Bjørn Test" --fra 03.07.2028 --til 09.07.2028 --tjeneste alle \
    --kommentar Sommerferie --allow-past
f add --virksomhet 910000004 --behandler "Bjørn Test" --fra 10.07.2028 --til 16.07.2028 \
    --tjeneste timebestilling --tjeneste reseptfornyelse --kommentar "Kurs; svarer på e-konsultasjon" --allow-past
f add --virksomhet 910000004 --behandler "Kari Vik" --fra 10.07.2028 --til 14.07.2028 --tjeneste alle \
    --kommentar Sommerferie --allow-past
f add --virksomhet 910000004 --behandler "Kari Vik" --fra 17.07.2028 --til 28.07.2028 --vikar alle \
    --kommentar "Vikar: lege Lund" --allow-past
f add --virksomhet 910000004 --behandler "Ole Dahl" --fra 12.07.2028 --til 14.07.2028 --tjeneste alle \
    --kommentar Kurs --allow-past

f info --virksomhet 920000002 --navn "Legesenteret på Bryn"
f add --virksomhet 920000002 --behandler "Kari Nordmann" --fra 03.07.2028 --til 28.07.2028 --tjeneste alle \
    --kommentar Sommerferie --allow-past

rm -rf eksempel
mkdir eksempel
for file in "$store"/*.toml "$store"/*.log; do
    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+[0-9]{2}:[0-9]{2}/2026-12-03T09:00:00+01:00/g' \
        "$file" > "eksempel/$(basename "$file")"
done
