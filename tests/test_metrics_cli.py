"""`snn-opt metrics` and the `--json` / `--plot` outputs of `snn-opt optimize`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA

from snn_dialect.cli import main

ROOT = Path(__file__).parents[1]
BRAILLE = DATA / "braille_noDelay_bias_zero.nir"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def snn_opt(*argv: str | Path, block_matplotlib: bool = False) -> subprocess.CompletedProcess:
    """`snn-opt` in a fresh interpreter (matplotlib made unimportable if asked)."""
    prelude = "import sys; sys.modules['matplotlib'] = None; " if block_matplotlib else ""
    code = f"{prelude}from snn_dialect.cli import main; sys.exit(main(sys.argv[1:]))"
    if not block_matplotlib:
        code = "import sys; " + code
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.fixture
def spikes(tmp_path: Path) -> Path:
    path = tmp_path / "spikes.npz"
    x = (np.random.default_rng(0).random((30, 2, 12)) < 0.3).astype(np.float32)
    np.savez(path, input=x)
    return path


def test_metrics_command_prints_table_workload_and_estimate(spikes: Path) -> None:
    result = snn_opt("metrics", BRAILLE, "--input", spikes)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "%fc1" in out and "total" in out
    assert "from the simulation" in out and "membrane updates" in out
    assert "energy ESTIMATE" in out and "Loihi:" in out and "unpublished" in out


def test_metrics_json_to_stdout_and_file(
    spikes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", str(BRAILLE), "--input", str(spikes), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["workload_source"] == "simulation" and data["steps"] == 30
    assert data["totals"]["effective_acs"] > 0 and data["totals"]["membrane_updates"] > 0
    assert [layer["op"] for layer in data["layers"]][:2] == ["snn.affine", "snn.affine"]
    out = tmp_path / "m.json"
    assert main(["metrics", str(BRAILLE), "--json", str(out)]) == 0
    static = json.loads(out.read_text())
    assert static["workload_source"] is None and static["totals"]["synaptic_ops"] is None
    assert static["totals"]["parameters"] == data["totals"]["parameters"]


def test_optimize_writes_report_json(
    spikes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, out = tmp_path / "report.json", tmp_path / "out.mlir"
    argv = ["optimize", BRAILLE, "-p", "snn-optimize{spike_inputs=true}", "--input", spikes]
    assert main([str(a) for a in (*argv, "-o", out, "--json", report)]) == 0
    stdout = capsys.readouterr().out
    assert "compression in nonzero parameters" in stdout
    assert "Synaptic ops per sample" in stdout and "Footprint:" in stdout
    data = json.loads(report.read_text())
    assert {p["name"] for p in data["passes"]} == {"snn-dead-neuron", "snn-redundancy", "snn-fuse"}
    after = data["after"]["metrics"]
    assert after["totals"]["synaptic_ops"] < data["before"]["metrics"]["totals"]["synaptic_ops"]
    assert data["compression_ratio_nonzero_parameters"] > 1


def test_plot_writes_a_png(spikes: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="--plot needs the 'plot' extra")
    png = tmp_path / "layers.png"
    argv = ["optimize", str(BRAILLE), "--input", str(spikes), "-o", str(tmp_path / "o.mlir")]
    assert main([*argv, "-p", "snn-optimize{spike_inputs=true}", "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == PNG_SIGNATURE


@pytest.mark.parametrize(
    ("suffix", "head"), [(".svg", b"<?xml"), (".pdf", b"%PDF"), (".PNG", PNG_SIGNATURE)]
)
def test_plot_format_follows_the_extension(suffix: str, head: bytes, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="--plot needs the 'plot' extra")
    image = tmp_path / f"layers{suffix}"
    assert main(["metrics", str(BRAILLE), "--plot", str(image)]) == 0
    assert image.read_bytes().startswith(head)


def test_plot_without_matplotlib_is_a_one_line_error(tmp_path: Path) -> None:
    out, png = tmp_path / "o.mlir", tmp_path / "p.png"
    result = snn_opt("optimize", BRAILLE, "-o", out, "--plot", png, block_matplotlib=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"snn-opt: error: {BRAILLE}: --plot needs matplotlib: pip install 'snn-dialect[plot]'"
    ]
    assert not out.exists() and not png.exists(), "nothing is written when a part fails"


def test_metrics_bad_input_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, input=np.zeros((5, 1, 7), np.float32))
    assert main(["metrics", str(BRAILLE), "--input", str(bad)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("snn-opt: error: ") and "bad.npz" in line and "[T, B, 12]" in line
