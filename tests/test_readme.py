"""The README's set-up commands and tour, checked against the real program, and its links as PyPI shows them."""

import re
from urllib.parse import unquote

from fravaer_cli.cli import app
from tests.docs_text import README, REPOSITORY, anchors, block_after, links, run_tour, text
from tests.helpers import REPO, SEED_LINE


def test_tour_runs_as_written_on_a_copy_of_the_example_store(tmp_path):
    """From a clone's folder, as the README says; the example store itself is left as it was."""
    result = run_tour(block_after(README, "tour"), tmp_path)
    assert result.returncode == 0, result.stderr
    readme = text(README)
    assert f"Astrid Info:\n  {SEED_LINE}\n" in result.stdout
    shown_table = re.search(r"the comment where there is room:\n\n((?:    .*\n)+)", readme).group(1)
    assert "\n".join(line[4:] for line in shown_table.splitlines()) in result.stdout
    assert re.search(r"prints the new fravær's id \(`(\d+)`\)", readme)[1] + "\n" in result.stdout
    page = (tmp_path / "sommer.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Ole Dahl" in page


def test_the_run_command_shows_the_example_plan_on_any_day(monkeypatch, capsys):
    """The run command's fravaer calls: the same output whatever today is, and the plan in it."""
    import shlex
    from datetime import datetime

    from typer.testing import CliRunner

    from fravaer_cli.cli import clock

    calls = [c.strip() for c in block_after(README, "run-command").split("&&") if ".venv/bin/fravaer" in c]
    assert len(calls) == 2
    monkeypatch.chdir(REPO)
    seen = set()
    for today in ("2026-12-03", "2028-07-12", "2040-02-29"):
        monkeypatch.setattr(clock, "now", lambda t=today: datetime.fromisoformat(t + "T09:00:00+01:00"))
        out = ""
        for call in calls:
            result = CliRunner().invoke(app, shlex.split(call)[1:], env={"COLUMNS": "80", "FRAVAER_DATA_DIR": None})
            assert result.exit_code == 0, result.stderr
            out += result.stdout
        seen.add(out)
    (out,) = seen
    assert "Stengt 12.07.2028:" in out and "Legesenteret på Bryn (920000002)" in out
    assert "Ingen fastlege: 12.07.–14.07.2028." in out and "Kari Vik      v  v  v" in out


def test_the_run_command_installs_what_an_office_admin_needs_and_no_database_driver():
    assert block_after(README, "run-command").startswith("python3 -m venv .venv && .venv/bin/pip install . && ")


def test_test_command_is_what_ci_runs():
    ci = (REPO / ".ci" / "run").read_text()
    assert "test-command" in ci
    assert block_after(README, "test-command").strip() == (
        "python3 -m venv .venv && .venv/bin/pip install '.[test,postgres]' && .venv/bin/python -m pytest"
    )


def test_the_readme_links_to_the_repository_by_absolute_urls_that_exist():
    """PyPI shows the README as the package's description, where a relative link goes nowhere: every link
    to the repository starts with its URL and names a file there (and a heading, for an #anchor)."""
    targets = links(README)
    assert targets, "the README links to nothing"
    for target in targets:
        assert re.match(r"https?://", target), f"README.md has a relative link, broken on PyPI: {target}"
        if not target.startswith(REPOSITORY):
            assert not re.match(r"https?://(www\.)?github\.com/norsk-helsenett/fravaer\b", target), (
                f"README.md links to the repository other than by {REPOSITORY}: {target}"
            )
            continue
        path, _, anchor = target.removeprefix(REPOSITORY).partition("#")
        file = REPO / unquote(path)
        assert path and file.is_file(), f"README.md links to {target}, but there is no {path}"
        if anchor:
            assert anchor in anchors(file), f"README.md links to {target}, but {path} has no heading #{anchor}"
