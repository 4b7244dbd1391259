"""Output drift (`snn_dialect.drift`): a collapse shows, identical outputs agree fully, labels
give accuracy, and `snn-opt optimize --validation` prints it with one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import DATA

from snn_dialect.api import run_passes
from snn_dialect.cli import main
from snn_dialect.drift import (
    compare_outputs,
    count_agreement,
    count_correlation,
    measure_drift,
)
from snn_dialect.nir_io import import_nir
from snn_dialect.simulator import find_graph, simulate
from transforms.quantize import quantization_error

BRAILLE = DATA / "braille_noDelay_bias_zero.nir"
SPARSE = DATA / "braille_noDelay_noBias_subtract.nir"
"""Its output spikes are sparse (about 4 % of output values are spikes)."""


def braille_spikes(steps: int = 80, samples: int = 6, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((steps, samples, 12)) < 0.3).astype(np.float32)


def silenced(path: Path):
    """The network with every weight of its last synapse op zeroed: its outputs never fire."""
    module = import_nir(path)
    run_passes(module, "snn-prune{threshold=1.0e9}")
    return module


def test_a_silent_network_shows_as_a_collapse():
    module = import_nir(SPARSE)
    inputs = braille_spikes()
    reference = simulate(module, inputs).outputs[0]
    assert reference.sum() > 0 and reference.mean() < 0.1  # sparse output spikes
    dead = silenced(SPARSE)
    old = quantization_error(module, dead, inputs)
    new = measure_drift(module, dead, inputs).outputs[0]
    # the old measure: nearly all output values are identical zeros
    assert old["agreement"] > 0.9
    assert new.count_agreement == 0.0
    assert new.count_correlation == 0.0
    assert new.argmax_agreement < 0.5
    assert new.rate_error > 0


def test_identical_outputs_agree_fully():
    module = import_nir(BRAILLE)
    drift = measure_drift(module, module.clone(), braille_spikes())
    (out,) = drift.outputs
    assert (out.count_agreement, out.count_correlation, out.argmax_agreement) == (1.0, 1.0, 1.0)
    assert out.rate_error == out.max_rate_error == 0.0
    assert "spike counts 100.00% agreement, correlation 1.000" in drift.summary("x.npz")


def test_count_measures_by_hand():
    a = np.array([[4.0, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    b = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    # sample 0: 1 - 2/6; sample 1: equal; sample 2: both silent
    assert count_agreement(a, b) == pytest.approx((2 / 3 + 1 + 1) / 3)
    # sample 0: same direction (r = 1); sample 1 equal; sample 2 constant and equal
    assert count_correlation(a, b) == pytest.approx(1.0)
    assert count_correlation(a, np.zeros_like(a)) == pytest.approx(1 / 3)  # only the silent row
    assert count_correlation(a, a[:, ::-1]) < 0


def test_labels_give_accuracy_and_are_checked():
    module = import_nir(BRAILLE)
    inputs = braille_spikes()
    y = simulate(module, inputs).outputs
    graph = find_graph(module)
    labels = y[0].sum(axis=0).argmax(axis=1)
    labels[0] = (labels[0] + 1) % 7
    drift = compare_outputs(graph, y, [np.zeros_like(y[0])], labels)
    assert drift.accuracy_before == pytest.approx(5 / 6)
    assert drift.accuracy_after == 0.0  # a silent output predicts nothing
    assert "accuracy on v.npz: 83.33% -> " in drift.summary("v.npz")
    with pytest.raises(ValueError, match="one label per sample"):
        compare_outputs(graph, y, y, labels[:3])
    with pytest.raises(ValueError, match=r"must lie in \[0, 7\)"):
        compare_outputs(graph, y, y, labels + 7)


def test_non_spiking_outputs_compare_mean_values():
    module = import_nir(DATA / "lif_norse.nir")
    graph = find_graph(module)
    y = np.linspace(0, 1, 30, dtype=np.float32).reshape(10, 3, 1)
    drift = compare_outputs(graph, [y], [y + 0.5])
    (out,) = drift.outputs
    if not out.spiking:
        assert out.count_agreement is None
        assert out.rate_error == pytest.approx(0.5)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


@pytest.fixture
def validation(tmp_path: Path) -> Path:
    """Inputs and the unpruned network's predictions as labels."""
    inputs = braille_spikes(60, 5, seed=1)
    counts = simulate(import_nir(SPARSE), inputs).outputs[0].sum(axis=0)
    path = tmp_path / "val.npz"
    np.savez(path, input=inputs, y=counts.argmax(axis=1), short=np.zeros(2, np.int64))
    return path


def test_cli_optimize_measures_drift_on_validation_data(capsys, tmp_path, validation):
    out = tmp_path / "o.mlir"
    pipeline = "snn-prune{threshold=1.0e9}"
    args = ["optimize", str(SPARSE), "-p", pipeline, "-o", str(out)]
    assert main([*args, "--validation", str(validation), "--labels", "y"]) == 0
    printed = capsys.readouterr().out
    assert f"output drift on {validation} (60 steps x 5 samples): spike counts 0.00%" in printed
    assert f"accuracy on {validation}: 100.00% -> 0.00% (-100.00 points)" in printed
    assert "identical" not in printed


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("nope", "no labels array 'nope' (found: input, short, y)"),
        ("short", "labels 'short': expected one label per sample (5), got shape [2]"),
    ],
)
def test_cli_bad_labels_are_one_line_errors(capsys, tmp_path, validation, labels, message):
    out = tmp_path / "o.mlir"
    args = ["optimize", str(SPARSE), "-o", str(out), "--validation", str(validation)]
    assert main([*args, "--labels", labels]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("snn-opt: error: ") and err.endswith(message)
    assert not out.exists()
