"""``qflow emergent`` end to end through ``qflow_core.cli.main``."""

import json

from qflow_core.cli import main

SMALL = [
    "emergent",
    "--M",
    "3",
    "--grid",
    "17",
    "--half-width",
    "3",
    "--loops",
    "2,4,6,8",
    "--scan-mu",
    "1,3",
    "--scan-tq",
    "1.5",
    "--scan-kx",
    "0.5",
    "--modes",
    "3",
]


def test_emergent_writes_json_and_figure(tmp_path, capsys):
    out, plot = tmp_path / "e.json", tmp_path / "e.png"
    assert (
        main(
            [
                *SMALL,
                "--particles",
                "4",
                "--steps",
                "10",
                "--burn-in",
                "2",
                "--sampler",
                "sa",
                "--out",
                str(out),
                "--plot",
                str(plot),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "verdict:" in text and "sanity ok  drift identity" in text
    data = json.loads(out.read_text())
    assert data["verdict"]["verdict"] in ("supports", "fails", "inconclusive")
    assert [p["dynamics"]["mu"] for p in data["scans"]["mu"]] == [1.0, 2.0, 3.0]
    assert data["particles"]["sampler"] == "sa"
    assert plot.stat().st_size > 10000


def test_emergent_bad_input_is_a_usage_error(tmp_path, capsys):
    assert main([*SMALL, "--loops", "2,x", "--results-dir", str(tmp_path)]) == 2
    assert "--loops must be comma-separated" in capsys.readouterr().err
    assert main([*SMALL, "--tq-ratio", "-1", "--results-dir", str(tmp_path)]) == 2
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_emergent_runs_the_sampler_calibration(tmp_path, capsys):
    assert (
        main(
            [
                "emergent",
                "--M",
                "2",
                "--grid",
                "9",
                "--half-width",
                "2",
                "--loops",
                "1,2",
                "--scan-mu",
                "2",
                "--scan-tq",
                "1",
                "--scan-kx",
                "1",
                "--modes",
                "2",
                "--calibrate",
                "100000",
                "--results-dir",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert "calibration of exact at nominal T_q = T (100000 reads)" in capsys.readouterr().out
