"""The layers stay visible: Typer and Click only in the CLI module."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fravaer_cli"
CLI_MODULES = {"cli.py"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in CLI_MODULES))
def test_core_modules_do_not_import_the_cli_framework(module):
    assert not imported_roots(PACKAGE / module) & {"typer", "click", "rich"}
