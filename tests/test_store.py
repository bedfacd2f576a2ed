"""The results store: rows round-trip, resume bookkeeping, a writer's lock, corrupt and foreign files refused."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from qflow_core.errors import InvalidInputError, MissingExtraError
from qflow_core.store import ResultStore, export, load, load_rows


def row(i, status="done", **extra):
    return {
        "config_hash": f"h{i:03d}",
        "sweep": "demo",
        "experiment": "attention",
        "task_index": i,
        "status": status,
        "seed": 10 + i,
        "args": {"sampler": "sa", "num_keys": 3 + i % 2},
        "scalars": {"beta": 0.5 * i, "verdict": "softmax"},
        **extra,
    }


def test_rows_round_trip_with_the_compressed_result(tmp_path):
    path = tmp_path / "s.sqlite"
    counts = np.arange(1000)
    with ResultStore.open(path, write=True) as store:
        store.put(row(0, result={"counts": counts}))
        store.put(row(1, status="failed", error="ValueError: bad", traceback="Traceback ..."))
        assert store.status_of(["h000", "h001", "h999"]) == {"h000": "done", "h001": "failed"}
    with ResultStore.open(path) as store:
        done = store.get("h000")
        assert done["result"]["counts"] == counts.tolist()
        assert done["args"] == {"num_keys": 3, "sampler": "sa"}
        blob = sqlite3.connect(path).execute("SELECT length(result) FROM tasks WHERE config_hash='h000'").fetchone()
        assert blob[0] < len(str(counts.tolist())) / 2  # stored compressed
        assert store.get("h001")["traceback"] == "Traceback ..."
        assert store.counts() == {("demo", "done"): 1, ("demo", "failed"): 1}


def test_a_rewritten_task_replaces_its_row(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore.open(path, write=True) as store:
        store.put(row(0, status="failed", error="boom"))
        store.put(row(0))
        assert [r["status"] for r in store.rows()] == ["done"]


def test_table_spreads_arguments_and_scalars_and_exports_csv(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore.open(path, write=True) as store:
        for i in range(3):
            store.put(row(i))
    table = load_rows(path)
    assert [(r["num_keys"], r["beta"], r["seed"]) for r in table] == [(3, 0.0, 10), (4, 0.5, 11), (3, 1.0, 12)]
    out = export(path, tmp_path / "t.csv")
    with open(out) as handle:
        read = list(csv.DictReader(handle))
    assert [float(r["beta"]) for r in read] == [0.0, 0.5, 1.0]


def test_load_is_a_dataframe_or_names_the_extra(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore.open(path, write=True) as store:
        store.put(row(0))
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(MissingExtraError, match=r"qflow\[pandas\]"):
            load(path)
    else:
        assert load(path)["beta"].tolist() == [0.0]


def test_a_second_writer_is_refused_while_the_first_holds_the_store(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore.open(path, write=True):
        code = f"from qflow_core.store import ResultStore; ResultStore.open({str(path)!r}, write=True)"
        other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert other.returncode != 0 and "another run is writing" in other.stderr
        with ResultStore.open(path) as reader:  # readers are welcome
            assert list(reader.rows()) == []
    ResultStore.open(path, write=True).close()  # released on close


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is a CSV file, not a database\n" * 50, "not an SQLite file"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "not a readable results store"),
    ],
)
def test_corrupt_files_are_refused_with_a_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.sqlite"
    path.write_bytes(content)
    for write in (False, True):
        with pytest.raises(InvalidInputError, match=message):
            ResultStore.open(path, write=write)


def test_a_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE customers (id INTEGER)")
    db.commit()
    db.close()
    with pytest.raises(InvalidInputError, match="another program"):
        ResultStore.open(path, write=True)


def test_a_truncated_store_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    with ResultStore.open(path, write=True) as store:
        for i in range(200):
            store.put(row(i, result={"x": list(range(200))}))
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidInputError, match=r"damaged|not a readable"):
        ResultStore.open(path)


def test_a_missing_store_is_named(tmp_path):
    with pytest.raises(InvalidInputError, match="no results store"):
        ResultStore.open(tmp_path / "none.sqlite")


def test_summary_refuses_an_unknown_statistic_with_a_hint():
    from qflow_core.store import summarize

    rows = [{"sampler": "sa", "beta": 2.0, "verdict": "softmax"}]
    with pytest.raises(InvalidInputError, match=r"no column 'bta' to summarise \(did you mean 'beta'\?\)"):
        summarize(rows, by=["sampler"], statistics=["bta"])
