"""Every ``>>>`` example in docs/physics-routes.md runs and prints what the page says (the numbers are checked)."""

import doctest
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "physics-routes.md"


def test_physics_routes_page_examples():
    flags = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
    result = doctest.testfile(str(PAGE), module_relative=False, optionflags=flags, verbose=False, report=True)
    assert result.attempted >= 30
    assert result.failed == 0, f"{result.failed} example(s) of {PAGE.name} print something else (see above)"
