#!/usr/bin/env bash
# Regenerate the completion scripts from the installed program (tests/test_completion.py checks them).
set -euo pipefail
cd "$(dirname "$0")"
_FRAVAER_COMPLETE=source_bash fravaer > fravaer.bash
_FRAVAER_COMPLETE=source_zsh fravaer > _fravaer
_FRAVAER_COMPLETE=source_fish fravaer > fravaer.fish
