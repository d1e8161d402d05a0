"""The layers stay visible: Typer and Click only in the CLI package, and nothing of the CLI in the core."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fravaer_cli"


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


# __main__.py and entry.py start the program: they import the command line, and nothing imports them.
@pytest.mark.parametrize(
    "module", sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__main__.py", "entry.py"))
)
def test_core_modules_do_not_import_the_cli_framework(module):
    """Every module outside fravaer_cli/cli/ (the domain, the store, output) works without a CLI."""
    assert not imported_roots(PACKAGE / module) & {"typer", "click", "rich"}
    assert not any(m.startswith("fravaer_cli.cli") for m in imported_modules(PACKAGE / module))


def test_typer_internals_are_used_in_one_module_only():
    """Moving to a later Typer is a change in boundary.py (and the entry point's get_command)."""
    users = {
        p.name
        for p in (PACKAGE / "cli").glob("*.py")
        if any(m.startswith(("typer.core", "typer._", "typer.main")) for m in imported_modules(p))
    }
    assert users == {"boundary.py"}
