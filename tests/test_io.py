"""Atomic writes: unique temporary names (concurrent writers never collide), the user's umask, no debris."""

import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from qflow_core.io import atomic_output, atomic_write_json, atomic_write_text
from qflow_core.results import new_figure, save_figure


def test_concurrent_figure_writers_to_one_path_all_succeed(tmp_path):
    target = tmp_path / "a.png"

    def draw(i):
        fig, ax = new_figure()
        ax.plot([0, 1], [0, i])
        return save_figure(fig, target)

    with ThreadPoolExecutor(4) as pool:
        assert all(p == target for p in pool.map(draw, range(8)))
    assert target.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_concurrent_text_writers_leave_one_complete_file(tmp_path):
    target = tmp_path / "r.json"
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: atomic_write_json(target, {"writer": i, "pad": "x" * 10000}), range(16)))
    assert target.read_text().count('"writer"') == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_outputs_follow_the_umask_not_the_temporary_file_mode(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "t.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_figures_take_their_format_from_the_suffix(tmp_path):
    fig, _ = new_figure()
    assert b"<svg" in save_figure(fig, tmp_path / "f.svg").read_bytes()[:400]
