"""A missing `dt` is never silent: import says which one it took, profiling says when
nothing spiked, and profile-guided removal of a layer that never fired is refused."""

from __future__ import annotations

import warnings

import nir
import numpy as np
import pytest
from conftest import DATA

from snn_dialect.cli import main
from snn_dialect.diagnostics import SNNWarning
from snn_dialect.nir_io import implied_dt, import_nir
from snn_dialect.ops import GraphOp
from snn_dialect.profile import annotate_firing_rates

CNN = DATA / "cnn_sinabs.nir"
BRAILLE = DATA / "braille_noDelay_bias_zero.nir"


def dt_of(module) -> float:
    return next(op for op in module.walk() if isinstance(op, GraphOp)).dt_value


def test_missing_dt_warns_with_the_value_assumed():
    with pytest.warns(SNNWarning, match=r"cnn_sinabs.nir: no 'dt' .* assuming dt = 0.0001 s"):
        module = import_nir(CNN)
    assert dt_of(module) == 1e-4


def test_dt_implied_by_snntorch_parameters_is_inferred_and_said():
    assert implied_dt(nir.read(BRAILLE)) == pytest.approx(1e-4)
    with pytest.warns(SNNWarning, match=r"inferred dt = 0.0001 s .*\(r = tau/dt"):
        import_nir(BRAILLE)
    assert implied_dt(nir.read(DATA / "lif_norse.nir")) is None  # r = 1: nothing implied


def test_no_warning_when_dt_is_given_or_in_the_file(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SNNWarning)
        import_nir(CNN, dt=1.0)
        graph = nir.read(DATA / "lif_norse.nir")
        graph.metadata = {"dt": 1e-3}
        nir.write(tmp_path / "with_dt.nir", graph)
        assert dt_of(import_nir(tmp_path / "with_dt.nir")) == 1e-3


def cnn_spikes(steps: int = 4, samples: int = 1) -> np.ndarray:
    return (np.random.default_rng(0).random((steps, samples, 2, 34, 34)) < 0.3).astype(np.float32)


def test_profiling_a_network_that_never_spikes_warns():
    module = import_nir(CNN, dt=1e-4)
    with pytest.warns(SNNWarning, match=r"no neuron of @cnn_sinabs spiked on 4 steps x 1 sample"):
        annotate_firing_rates(module, cnn_spikes())


def test_profiling_names_the_layers_that_never_spike():
    module = import_nir(CNN, dt=1.0)
    with pytest.warns(SNNWarning, match=r"layers that never spiked on 1 steps x 1 samples: snn.if"):
        annotate_firing_rates(module, cnn_spikes(steps=1))


def test_profile_guided_removal_of_a_silent_network_is_refused(tmp_path, capsys):
    x = tmp_path / "x.npz"
    np.savez(x, input=cnn_spikes())
    out = tmp_path / "out.mlir"
    assert main(["optimize", str(CNN), "--input", str(x), "-o", str(out)]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if "snn-opt" in line]
    assert len(err) == 1 and err[0].startswith(f"snn-opt: error: {CNN}: snn-dead-neuron: ")
    assert "never fired in the profile" in err[0] and "allow_silent_layers=true" in err[0]
    assert not out.exists()
    pipeline = "snn-optimize{allow_silent_layers=true}"
    assert main(["optimize", str(CNN), "--input", str(x), "-p", pipeline, "-o", str(out)]) == 0
    assert out.exists()


def test_exact_pipeline_ignores_the_profile_and_does_not_refuse():
    module = import_nir(CNN, dt=1e-4)
    with pytest.warns(SNNWarning):
        annotate_firing_rates(module, cnn_spikes())
    from snn_dialect.api import run_passes

    run_passes(module, "snn-optimize{use_profile=false}")
