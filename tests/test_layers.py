"""The layers stay visible in the folders, and every import points down:

    cli/          Typer and Click, and nothing else has them
    usecases/     what each command does with a store; the bulk import
    store/        the store interface (base.py) and the two stores, files/ and postgres/
    output/       tables, JSON, CSV and the calendar's formats
    domain/       fravær, offices, services, dates, the plan: imports nothing of the program above it

store/ and output/ stand side by side: neither imports the other. interrupts.py (Ctrl-C) is
below them all; entry.py and __main__.py start the program and nothing imports them."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fravaer_cli"

# What each layer may import of the program, besides itself.
ALLOWED = {
    "domain": set(),
    "output": {"domain"},
    "store": {"domain", "interrupts"},
    "usecases": {"domain", "store.base", "output"},
    "cli": {"domain", "usecases", "store", "output", "interrupts"},
}


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "fravaer_cli":  # from fravaer_cli import x: the module x
                modules.update(f"fravaer_cli.{alias.name}" for alias in node.names)
            else:
                modules.add(node.module)
    return modules


def layer_modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def test_every_module_is_in_a_layer():
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__.py", "__main__.py", "entry.py", "interrupts.py"}
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} == set(ALLOWED)


@pytest.mark.parametrize("module", [str(p.relative_to(PACKAGE)) for layer in ALLOWED for p in layer_modules(layer)])
def test_imports_point_down(module):
    layer = module.split("/")[0]
    allowed = ALLOWED[layer] | {layer}
    for name in imported_modules(PACKAGE / module):
        if name.startswith("fravaer_cli.") and name != "fravaer_cli.__version__":
            target = name.removeprefix("fravaer_cli.")
            assert any(target == a or target.startswith(a + ".") for a in allowed), f"{module} imports {name}"


@pytest.mark.parametrize(
    "module", [str(p.relative_to(PACKAGE)) for layer in ALLOWED if layer != "cli" for p in layer_modules(layer)]
)
def test_below_the_cli_nothing_imports_the_cli_framework(module):
    """Every module outside fravaer_cli/cli/ (the domain, the stores, output) works without a CLI."""
    roots = {name.split(".")[0] for name in imported_modules(PACKAGE / module)}
    assert not roots & {"typer", "click", "rich"}


def test_the_two_stores_do_not_import_each_other():
    for one, other in (("files", "postgres"), ("postgres", "files")):
        for path in (PACKAGE / "store" / one).rglob("*.py"):
            assert not any(m.startswith(f"fravaer_cli.store.{other}") for m in imported_modules(path)), path


def test_typer_internals_are_used_in_one_module_only():
    """Moving to a later Typer is a change in boundary.py (and the entry point's get_command)."""
    users = {
        p.name
        for p in (PACKAGE / "cli").glob("*.py")
        if any(m.startswith(("typer.core", "typer._", "typer.main")) for m in imported_modules(p))
    }
    assert users == {"boundary.py"}


def test_no_module_is_over_600_lines():
    long = {
        str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600
    }
    assert not long, long


# os._exit is the standard library's documented way out of a process that must not clean up.
DOCUMENTED = {"_exit"}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and name not in DOCUMENTED


def test_no_module_uses_what_another_keeps_private():
    """from x import _name, or x._name, of another module of the program (Typer's and Click's too)."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                found += [f"{path.name}: {node.module}.{a.name}" for a in node.names if _private(a.name)]
                found += [f"{path.name}: {node.module}" for part in node.module.split(".") if _private(part)]
                imported.update(a.asname or a.name for a in node.names)
            elif isinstance(node, ast.Import):
                imported.update((a.asname or a.name).split(".")[0] for a in node.names)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in imported
            ):
                found.append(f"{path.name}: {node.value.id}.{node.attr}")
    assert not found, found
