#!/usr/bin/env bash
# Regenerate the completion scripts from the installed program (tests/test_completion.py checks them).
# `fravaer completion SHELL` prints the same scripts for an installed fravaer (pipx install).
set -euo pipefail
cd "$(dirname "$0")"
fravaer completion bash > fravaer.bash
fravaer completion zsh > _fravaer
fravaer completion fish > fravaer.fish
