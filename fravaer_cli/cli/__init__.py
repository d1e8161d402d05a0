"""The command line: option declarations, one call into the core per command,
and one error boundary (boundary.py). Typer and Click live in this package only.

    app.py       the Typer app, its global options, and the entry point
    boundary.py  exit codes and Norwegian messages for every error; help screens in Norwegian
    options.py   options shared by several commands, and what shell completion offers
    fravaer.py   add, list, edit, delete, restore, import
    imports.py   what an import says: its notes, warnings, the dry run and the summary
    reports.py   status, calendar, preview, info, log
    database.py  database init|status|load|dump, access grant|revoke|list
    roster.py    roster list|add|remove|rename
"""

from fravaer_cli.cli import fravaer, reports  # noqa: F401 - registers the commands, in the order of --help
from fravaer_cli.cli.app import GROUPS, app, main
from fravaer_cli.cli.boundary import FravaerGroup

FravaerGroup.lazy.update(GROUPS)  # the groups after the commands

__all__ = ["app", "main"]
