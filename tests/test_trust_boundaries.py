"""Nothing outside the store folder is read or written, whatever the input or the store's links say;
the audit log only grows, and says who."""

import json

import pytest

from tests.helpers import ORGNR, add_args, run, snapshot

ADD = ["--behandler", "Per Test", "--fra", "01.08.2030", "--til", "02.08.2030", "--tjeneste", "alle"]


def tree(folder):
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize(
    "value",
    [
        "../outside",
        "/etc/passwd",
        f"{ORGNR}/../../outside",
        f"../{ORGNR}",
        f"{ORGNR}\x00",
        "974760673.toml",
        "~",
        "*",
        ".lock",
    ],
)
def test_no_virksomhet_value_reaches_outside_the_store(fravaer, store_dir, tmp_path, value):
    fravaer.add(*ADD)
    before = tree(tmp_path)
    for args in (
        ["add", "--virksomhet", value, *ADD],
        ["list", "--virksomhet", value],
        ["info", "--virksomhet", value, "--set", "x"],
    ):
        result = fravaer(*args)
        assert result.exit_code == 2, (args, result.stderr)
    assert tree(tmp_path) == before


@pytest.fixture
def outside(tmp_path):
    secret = tmp_path / "outside.txt"
    secret.write_text("not fravaer's\n")
    return secret


@pytest.mark.parametrize("link", [f"{ORGNR}.toml", f"{ORGNR}.log", ".lock"])
def test_links_in_the_store_are_not_followed(tmp_path, outside, link):
    store = tmp_path / "store"
    assert run(store, "add", "--virksomhet", ORGNR, *ADD).returncode == 0
    path = store / link
    if path.exists():
        path.unlink()
    path.symlink_to(outside)
    before = snapshot(store)
    result = run(
        store,
        *add_args(behandler="Kari Test", fra="01.09.2030", til="02.09.2030", tjeneste="alle"),
    )
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    assert outside.read_text() == "not fravaer's\n"
    assert snapshot(store) == before
    assert path.is_symlink()


def test_a_link_at_the_temporary_name_is_removed_not_followed(tmp_path, outside):
    store = tmp_path / "store"
    assert run(store, "add", "--virksomhet", ORGNR, *ADD).returncode == 0
    (store / f".{ORGNR}.toml.tmp").symlink_to(outside)
    result = run(
        store,
        *add_args(behandler="Kari Test", fra="01.09.2030", til="02.09.2030", tjeneste="alle"),
    )
    assert result.returncode == 0, result.stderr
    assert outside.read_text() == "not fravaer's\n"
    assert not (store / f".{ORGNR}.toml.tmp").exists() and not (store / f".{ORGNR}.toml.tmp").is_symlink()


def test_files_that_are_not_offices_are_left_alone(tmp_path):
    store = tmp_path / "store"
    assert run(store, "add", "--virksomhet", ORGNR, *ADD).returncode == 0
    (store / "123456789.toml").write_text("not an office: the check digit is wrong\n")
    (store / "notater.toml").write_text("x = 1\n")
    result = run(store, "list", "--all", "--json")
    assert result.returncode == 0 and [r["virksomhet"] for r in json.loads(result.stdout)] == [ORGNR]


def test_the_audit_log_only_grows_and_records_user_or_av(tmp_path):
    store = tmp_path / "store"
    log = store / f"{ORGNR}.log"
    steps = [
        ({"USER": "kari"}, ["add", "--virksomhet", ORGNR, *ADD]),
        ({"USER": "ola"}, ["--av", "kundesenter", "edit", "1", "--virksomhet", ORGNR, "--kommentar", "ringt"]),
        ({"USER": "ola"}, ["info", "--virksomhet", ORGNR, "--navn", "DDFL Test"]),
        ({"USER": "per"}, ["delete", "1", "--virksomhet", ORGNR, "--yes"]),
    ]
    previous = b""
    for env, args in steps:
        assert run(store, *args, env=env).returncode == 0
        now = log.read_bytes()
        assert now.startswith(previous) and len(now) > len(previous)
        previous = now
    entries = [json.loads(line) for line in previous.decode().splitlines()]
    assert [(e["av"], e["handling"]) for e in entries] == [
        ("kari", "add"),
        ("kundesenter", "edit"),
        ("ola", "info"),
        ("per", "delete"),
    ]
