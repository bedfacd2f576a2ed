"""Every page of docs/ written with ``>>>`` examples runs as a doctest and prints what the page says."""

import doctest
from pathlib import Path

import pytest

PAGES = [p for p in sorted((Path(__file__).resolve().parents[1] / "docs").glob("*.md")) if "\n>>> " in p.read_text()]


def test_the_physics_routes_page_is_a_doctest():
    assert any(page.name == "physics-routes.md" for page in PAGES)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_print_what_the_page_says(page):
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testfile(str(page), module_relative=False, optionflags=flags, verbose=False, report=True)
    assert result.attempted >= 1
    assert result.failed == 0, f"{result.failed} example(s) of {page.name} print something else (see above)"
