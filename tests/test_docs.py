"""The docs site: every ```python and ```console block of docs/*.md (and every ```console block of the README,
whose Python blocks tests/test_readme_examples.py runs) runs, the CLI reference covers every option, no page
points at files readers do not have, and ``mkdocs build --strict`` passes (when MkDocs is installed).

A ```console block holds ``$ qflow ...`` command lines (run through :func:`qflow_core.cli.main`, each must exit
0); other shell commands belong in ```bash or ```text blocks, which are shown but not run.
"""

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from qflow_core.cli import build_parser, main
from qflow_core.cli.reference import cli_reference

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(python|console)\n(.*?)^```", re.S | re.M)
README = ROOT / "README.md"
# blocks written as doctests (``>>>`` prompts and their printed output) run as whole-page doctests, which also
# check the printed numbers (tests/test_docs_doctests.py)
BLOCKS = [
    (page, kind, code)
    for page in PAGES
    for kind, code in FENCE.findall(page.read_text())
    if not code.lstrip().startswith(">>>")
]
BLOCKS += [(README, kind, code) for kind, code in FENCE.findall(README.read_text()) if kind == "console"]
FORBIDDEN = re.compile(r"\.\./shared|\bTHEORY\b|\bDESIGN\b|\bEMERGENT\.md|\bnotes/")


def block_id(block) -> str:
    page, kind, _ = block
    return f"{page.name}:{kind}:{BLOCKS.index(block)}"


def test_the_docs_have_runnable_examples():
    kinds = {kind for _, kind, _ in BLOCKS}
    assert kinds == {"python", "console"}, kinds


@pytest.mark.parametrize("block", BLOCKS, ids=block_id)
def test_docs_block_runs(block, tmp_path, monkeypatch):
    page, kind, code = block
    monkeypatch.chdir(tmp_path)
    if kind == "python":
        exec(compile(code, f"{page.name} python block", "exec"), {"__name__": f"docs_{page.stem}"})
        return
    commands = [line[2:] for line in code.splitlines() if line.startswith("$ ")]
    assert commands, f"a console block of {page.name} has no '$ ' command line"
    for command in commands:
        argv = shlex.split(command, comments=True)
        assert argv[0] == "qflow", f"{page.name}: console blocks run qflow commands only, got {command!r}"
        assert main(argv[1:]) == 0, command


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_pages_speak_in_their_own_words(page):
    assert not FORBIDDEN.findall(page.read_text())


def test_cli_reference_lists_every_command_and_option():
    text = cli_reference()
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    for name, sub in subparsers.choices.items():
        assert f"## `qflow {name}`" in text
        for action in sub._actions:
            for flag in action.option_strings:
                assert f"`{flag}" in text, (name, flag)


@pytest.mark.slow
@pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("mkdocs", "material", "mkdocstrings")),
    reason="the docs extra (mkdocs, mkdocs-material, mkdocstrings) is not installed",
)
def test_mkdocs_build_is_strictly_clean(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "cli" / "index.html").exists() and (tmp_path / "site" / "api" / "index.html").exists()


PRODUCT_TEXT = [
    README,
    ROOT / "mkdocs.yml",
    *(p for folder in ("qflow_core", "plugins", "benchmarks", "examples") for p in (ROOT / folder).rglob("*.py")),
    *(ROOT / "examples").rglob("*.toml"),
]


def test_no_product_file_points_at_the_developers_specs():
    """README, code, benchmarks and examples stand on their own: no pointer to files users do not have."""
    offenders = [f"{p.relative_to(ROOT)}: {m}" for p in PRODUCT_TEXT for m in FORBIDDEN.findall(p.read_text())]
    assert not offenders, offenders


def test_performance_tables_are_the_benchmarks_output():
    """The README's performance table and docs/performance.md are what the stored benchmark results give."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "make_performance_table.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_performance_check_catches_a_hand_edit(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import make_performance_table as table
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    edited = tmp_path / "README.md"
    edited.write_text(README.read_text().replace(table.END, "| a typed | number | 0.1× |\n" + table.END))
    monkeypatch.setattr(table, "README", edited)
    monkeypatch.setattr(table, "OUTPUT", ROOT / "docs" / "performance.md")
    assert table.main(["--check"]) == 1
