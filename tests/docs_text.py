"""The documentation as the tests read it: which pages there are, the code blocks after a marker
(<!-- tour -->, <!-- output -->, <!-- run-command -->, <!-- test-command -->), the links, and the
headings' anchors as GitHub makes them."""

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import REPO

README = REPO / "README.md"
CHANGELOG = REPO / "CHANGELOG.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
# Pages whose examples are checked: the README and every guide.
PAGES = [README, *DOCS]
# The README is the package's description on PyPI, where a relative link goes nowhere: its links to
# the repository's files are absolute, with this base (the project's URL in pyproject.toml).
REPOSITORY = "https://github.com/norsk-helsenett/fravaer/blob/main/"
# The guides that give each command its section (### name) and a row in a command table.
GUIDES = [REPO / "docs" / "kontor.md", REPO / "docs" / "kundesenter.md", REPO / "docs" / "database.md"]


def name(page: Path) -> str:
    return str(page.relative_to(REPO))


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def block_after(page: Path, marker: str) -> str:
    """The one code block right after <!-- marker --> in page."""
    blocks = blocks_after(page, marker)
    assert len(blocks) == 1, f"{name(page)} has {len(blocks)} code blocks after <!-- {marker} -->, not one"
    return blocks[0]


def blocks_after(page: Path, marker: str) -> list[str]:
    """Every code block right after <!-- marker --> in page (indented ones too, as in a list), unindented."""
    found = re.findall(rf"^( *)<!-- {marker} -->\n\1```\w*\n(.*?)^\1```", text(page), re.S | re.M)
    return ["".join(line[len(indent) :] for line in block.splitlines(keepends=True)) for indent, block in found]


def output_blocks(page: Path) -> list[tuple[str, str]]:
    """Every block after <!-- output -->: its first line the command ($ fravaer ...), then what it prints."""
    result = []
    for block in blocks_after(page, "output"):
        lines = block.splitlines()
        assert lines[0].startswith("$ fravaer "), f"{name(page)}: an output block starts {lines[0]!r}"
        result.append((lines[0][2:], "\n".join(lines[1:]) + "\n"))
    return result


def run_tour(block: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """A tour as written, from a clone's folder (a copy of data/ in tmp_path), with the installed fravaer
    on PATH; the example store itself must be left as it was."""
    example = REPO / "data" / "eksempel"
    before = {p.name: p.read_bytes() for p in example.iterdir()}
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"], "TMPDIR": str(tmp_path)}
    env.pop("FRAVAER_DATA_DIR", None)
    env.pop("FRAVAER_DATABASE_URL", None)
    script = f"cd {tmp_path} && cp -r {REPO / 'data'} data && " + block
    result = subprocess.run(["bash", "-eu", "-c", script], capture_output=True, text=True, env=env)
    assert {p.name: p.read_bytes() for p in example.iterdir()} == before, "the tour changed data/eksempel/"
    return result


def without_fences(markdown: str) -> str:
    """markdown with its fenced code blocks blanked out (a # or a [x](y) there is code, not markdown)."""
    lines, fence = [], None
    for line in markdown.splitlines():
        opening = re.match(r"\s*(```+|~~~+)", line)
        if fence is None and opening:
            fence = opening.group(1)
            lines.append("")
        elif fence is not None:
            if line.strip().startswith(fence):
                fence = None
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines)


def links(page: Path) -> list[str]:
    """The targets of page's links and images: [text](target), ![alt](target), [label]: target, <https://...>,
    outside code."""
    prose = re.sub(r"(`+)((?:(?!\n\n).)+?)\1", "", without_fences(text(page)), flags=re.S)  # code spans
    inline = re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", prose)
    references = re.findall(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", prose, re.M)
    automatic = re.findall(r"<(https?://[^>\s]+)>", prose)
    return inline + references + automatic


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text as shown, lower case, without punctuation but - and _,
    spaces as -."""
    shown = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's (or an image's) text
    shown = re.sub(r"<[^>]+>", "", shown).replace("`", "")
    return re.sub(r"[^\w\- ]", "", shown.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor in page; a repeated heading gets -1, -2 … as on GitHub."""
    seen: dict[str, int] = {}
    result = set()
    for heading in re.findall(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", without_fences(text(page)), re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else f"{base}-{count}")
    return result


# Where a command line of fravaer starts in a shell block: at the line's start (after a prompt), or
# after $(, a pipe, ; or &&. ("psql -d fravaer" and "pip install fravaer" are no such lines.)
_COMMAND_START = r"(?:^\s*(?:\$\s+)?|\$\(|\|\s*|;\s*|&&\s*)"


def fravaer_commands(page: Path) -> list[list[str]]:
    """The arguments of every fravaer command line in page's code blocks, as the shell would split them,
    up to a redirection, a pipe or the end of a $( )."""
    import shlex

    found = []
    for block in re.findall(r"```\w*\n(.*?)```", text(page), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            match = re.search(_COMMAND_START + r"(fravaer\s.*)", line)
            if not match:
                continue
            lexer = shlex.shlex(match.group(1), posix=True, punctuation_chars=";&|()<>")
            lexer.whitespace_split, lexer.commenters = True, "#"
            words = []
            for word in lexer:
                if word and word[0] in ";&|()<>":
                    break
                words.append(word)
            found.append(words[1:])
    return found
