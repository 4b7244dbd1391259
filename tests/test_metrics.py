"""`snn_dialect.metrics`: each figure on networks small enough to count by hand, the profile
route against one simulation, the report's headline and JSON, the energy estimate."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from conftest import DATA, GraphBuilder
from xdsl.dialects.builtin import ModuleOp

from snn_dialect.api import run_passes
from snn_dialect.metrics import measure_activity, module_metrics
from snn_dialect.metrics.energy import CHIPS, estimate_energy
from snn_dialect.metrics.static import index_bits
from snn_dialect.nir_io import import_nir
from snn_dialect.ops import AddOp, Conv2dOp, LIFOp, LinearOp
from snn_dialect.profile import annotate_firing_rates

W = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]], np.float32)
LIF = {"tau": 2.0, "r": 2.0, "v_leak": 0.0, "v_threshold": 10.0, "v_reset": 0.0}
"""dt = 1: `v += 0.5 (-v + 2 I)`, i.e. `v = v/2 + I`; threshold 10 (rarely reached)."""


def linear_lif(weight: np.ndarray = W, **lif: float) -> ModuleOp:
    b = GraphBuilder([weight.shape[1]])
    y = b.add(LinearOp(b.inputs[0], weight))
    return b.module(b.neuron(LIFOp, y, **{**LIF, **lif}))


def test_static_figures_by_hand() -> None:
    (syn, neu) = module_metrics(linear_lif()).layers
    s = syn.static
    assert (s.parameters, s.nonzero_parameters, s.weights, s.nonzero_weights) == (6, 3, 6, 3)
    assert s.connection_sparsity == pytest.approx(0.5)
    assert s.footprint_bytes == 6 * 4
    # CSR: 3 values x 32 bits + 3 column indices x 8 bits + 3 row pointers x 8 bits
    assert s.sparse_footprint_bytes == (3 * 32 + 3 * 8 + 3 * 8) // 8
    n = neu.static
    # five parameters per neuron; v_leak and v_reset are zero
    assert (n.neurons, n.parameters, n.nonzero_parameters) == (2, 10, 6)
    assert n.footprint_bytes == n.sparse_footprint_bytes == 40
    assert syn.workload.dense_ops is None, "no activity: no workload figures"


def test_index_widths() -> None:
    assert [index_bits(n) for n in (0, 255, 256, 65535, 65536, 2**32)] == [8, 8, 16, 16, 32, 64]


def test_quantized_weights_count_at_their_width() -> None:
    module = linear_lif()
    run_passes(module, "snn-quantize{bits=4 param_bits=0}")
    syn = module_metrics(module).layers[0].static
    assert syn.weight_bits == 4
    # 6 weights x 4 bits = 3 bytes, plus one f32 scale
    assert syn.footprint_bytes == 3 + 4
    assert syn.sparse_footprint_bytes == -(-(3 * 4 + 3 * 8 + 3 * 8) // 8) + 4
    assert syn.parameters == 6, "the scale is stored but is no parameter of its own"


def test_synaptic_operations_count_nonzero_input_times_nonzero_weight() -> None:
    module = linear_lif()
    # step 0: inputs 0 and 2 fire (1 + 2 nonzero weights); step 1: inputs 1 and 2 (0 + 2)
    x = np.array([[[1, 0, 1]], [[0, 1, 1]]], np.float32)
    metrics = module_metrics(module, measure_activity(module, x))
    work = metrics.layers[0].workload
    assert (work.effective_acs, work.effective_macs) == (5.0, 0.0)
    assert work.dense_ops == 2 * 6
    assert metrics.synaptic_ops == 5.0


def test_real_valued_steps_count_as_macs() -> None:
    module = linear_lif()
    # step 0 holds 0.5: multiply-accumulates; step 1 holds only spikes (and -1): accumulates
    x = np.array([[[0.5, 0, 1]], [[0, -1, 1]]], np.float32)
    work = module_metrics(module, measure_activity(module, x)).layers[0].workload
    assert (work.effective_macs, work.effective_acs) == (3.0, 2.0)


def test_per_sample_averages() -> None:
    module = linear_lif()
    x = np.zeros((2, 2, 3), np.float32)
    x[:, 0, 2] = 1  # sample 0: input 2 on both steps (2 x 2 weights); sample 1 silent
    metrics = module_metrics(module, measure_activity(module, x))
    assert metrics.effective_acs == pytest.approx((2 + 2) / 2)
    assert metrics.dense_ops == 12


def test_conv_fanout_and_dense_operations_skip_padding() -> None:
    b = GraphBuilder([1, 3, 3])
    kernel = np.ones((1, 1, 3, 3), np.float32)
    kernel[0, 0, 1, 1] = 0.0  # the centre tap is pruned
    y = b.add(Conv2dOp(b.inputs[0], kernel, None, (1, 1), (1, 1), (1, 1), 1))
    module = b.module(b.neuron(LIFOp, y, **LIF))
    x = np.ones((1, 1, 1, 3, 3), np.float32)
    work = module_metrics(module, measure_activity(module, x)).layers[0].workload
    # output positions read 4 (corners), 6 (edges) or 9 (centre) taps inside the input
    assert work.dense_ops == 4 * 4 + 4 * 6 + 9
    # every position minus its own (centre-tap) input: 49 - 9
    assert work.effective_acs == 49 - 9


def test_membrane_updates_count_changed_membranes() -> None:
    module = linear_lif(np.ones((1, 1), np.float32))
    x = np.zeros((4, 2, 1), np.float32)
    x[1, 0, 0] = 1.0  # sample 0: v = 0, 1, 0.5, 0.25; sample 1 stays at 0
    metrics = module_metrics(module, measure_activity(module, x))
    # every neuron counts on the first step; then sample 0 changes 3 times, sample 1 never
    assert metrics.membrane_updates == pytest.approx((1 + 3 + 1 + 0) / 2)
    assert metrics.neuron_updates == 4


def test_activation_sparsity_is_zero_outputs_over_all_outputs() -> None:
    module = linear_lif(np.array([[20.0]], np.float32))  # one input spike -> one output spike
    x = np.zeros((5, 2, 1), np.float32)
    x[2, 1, 0] = 1.0
    metrics = module_metrics(module, measure_activity(module, x))
    assert metrics.activation_sparsity == pytest.approx(1 - 1 / 10)


def test_profile_route_matches_one_simulation() -> None:
    """Without recurrence or delays, the profile's rates give the simulation's figures."""
    module = import_nir(DATA / "cnn_sinabs.nir", dt=1.0)
    x = (np.random.default_rng(0).random((10, 2, 2, 34, 34)) < 0.2).astype(np.float32)
    measured = module_metrics(module, measure_activity(module, x))
    annotate_firing_rates(module, x)
    profiled = module_metrics(module, inputs=x)
    assert profiled.source == "profile" and measured.source == "simulation"
    # every synapse, also those reading a sum pool of spikes (the profile's input_activity)
    # and, without the inputs, the one reading the graph input
    for route in (profiled, module_metrics(module)):
        for p, m in zip(route.layers, measured.layers, strict=True):
            if p.static.synapse:
                assert p.workload.effective_acs == pytest.approx(m.workload.effective_acs)
                assert p.workload.effective_macs == pytest.approx(m.workload.effective_macs)
        assert route.synaptic_ops == pytest.approx(measured.synaptic_ops, rel=1e-9)
    assert profiled.activation_sparsity == pytest.approx(measured.activation_sparsity)
    assert profiled.dense_ops == measured.dense_ops
    assert profiled.membrane_updates is None, "membrane updates need the simulation"


def test_a_synapse_reading_an_add_gets_its_operations_from_the_profile() -> None:
    """Two LIF layers summed by snn.add feed a linear op: the sum is not a spike train (it
    reaches 2), yet the profile knows what the linear op read, ACs and MACs apart."""
    rng = np.random.default_rng(4)
    b = GraphBuilder([6], dt=1e-3)
    lif = {"tau": 2e-3, "r": 1.0, "v_leak": 0.0, "v_threshold": 0.4, "v_reset": 0.0}
    s1 = b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], rng.normal(0.3, 0.5, (5, 6)))), **lif)
    s2 = b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], rng.normal(0.3, 0.5, (5, 6)))), **lif)
    total = b.add(AddOp([s1, s2]))
    module = b.module(b.neuron(LIFOp, b.add(LinearOp(total, rng.normal(0, 1, (3, 5)))), **lif))
    x = (rng.random((30, 4, 6)) < 0.5).astype(np.float32)
    measured = module_metrics(module, measure_activity(module, x))
    annotate_firing_rates(module, x)
    profiled = module_metrics(module)
    last = profiled.layers[-2].workload  # the linear op reading the add
    assert last.effective_macs is not None and last.effective_macs > 0  # sums of 2 are MACs
    assert profiled.synaptic_ops == pytest.approx(measured.synaptic_ops, rel=1e-9)


def test_pruned_network_headline_counts_nonzero_parameters() -> None:
    module = import_nir(DATA / "braille_noDelay_bias_zero.nir")
    report = run_passes(module, "snn-prune{sparsity=0.95 scope=global}")
    b, a = report.before, report.after
    assert a.parameters == b.parameters, "pruning stores as many parameters"
    assert report.compression_ratio == pytest.approx(b.nonzero_parameters / a.nonzero_parameters)
    assert report.compression_ratio > 5
    first = report.summary().splitlines()[0]
    assert f"{b.nonzero_parameters} -> {a.nonzero_parameters} nonzero params" in first
    assert "compression in nonzero parameters" in first
    m0, m1 = report.metrics_before, report.metrics_after
    assert m1.footprint_bytes == m0.footprint_bytes, "dense f32 storage does not shrink"
    assert m1.sparse_footprint_bytes < m0.sparse_footprint_bytes / 3
    assert m1.connection_sparsity == pytest.approx(0.95, abs=0.01)


def test_report_json_has_every_pass_and_layer() -> None:
    module = import_nir(DATA / "braille_noDelay_bias_zero.nir")
    x = (np.random.default_rng(1).random((30, 2, 12)) < 0.3).astype(np.float32)
    annotate_firing_rates(module, x)
    report = run_passes(module, "snn-optimize{spike_inputs=true}", inputs=x)
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert len(data["passes"]) == len(report.pass_results) >= 3
    first = data["passes"][0]
    assert first["name"] == "snn-dead-neuron"
    names = [layer["name"] for layer in first["before"]["metrics"]["layers"]]
    assert names == ["%fc1", "%lif1.w_rec", "%lif1.lif", "%fc2", "%lif2"]
    totals = [data[k]["metrics"]["totals"] for k in ("before", "after")]
    assert totals[1]["synaptic_ops"] < totals[0]["synaptic_ops"]
    assert totals[1]["nonzero_parameters"] == report.after.nonzero_parameters
    for estimate in data["after"]["metrics"]["energy_estimate"]:
        assert estimate["estimate"] is True


def test_energy_estimate_from_published_figures() -> None:
    (loihi, *others) = estimate_energy(1000.0, 100.0, {"loihi": CHIPS["loihi"]})
    assert loihi.total_joules == pytest.approx(1000 * 23.6e-12 + 100 * 52e-12)
    assert not others
    unpublished = [e for e in estimate_energy(1000.0, 100.0) if e.total_joules is None]
    assert {e.chip for e in unpublished} >= {"Speck", "SpiNNaker2"}
    assert all("unpublished" in e.source for e in unpublished)
    assert estimate_energy(None, 100.0, {"loihi": CHIPS["loihi"]})[0].total_joules is None


def test_every_target_has_an_energy_entry() -> None:
    targets = pytest.importorskip("snn_dialect.targets")
    assert set(targets.CHIPS) <= set(CHIPS)


def test_reports_never_simulate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workload figures of every pass come from the profile, not one simulation each."""
    module = import_nir(DATA / "braille_noDelay_bias_zero.nir")
    x = (np.random.default_rng(2).random((20, 2, 12)) < 0.3).astype(np.float32)
    annotate_firing_rates(module, x)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a report simulated")

    for name in ("simulator", "profile", "calibration", "metrics.workload"):
        module_ = sys.modules.get(f"snn_dialect.{name}")
        if module_ is not None and hasattr(module_, "simulate"):
            monkeypatch.setattr(module_, "simulate", refuse)
    report = run_passes(module, "snn-optimize{spike_inputs=true},snn-prune{sparsity=0.5}", inputs=x)
    assert report.metrics_after.synaptic_ops is not None
    assert len(report.pass_results) >= 4


def test_profile_data_is_neither_parameter_nor_footprint() -> None:
    module = import_nir(DATA / "braille_noDelay_bias_zero.nir")
    before = module_metrics(module)
    x = (np.random.default_rng(3).random((10, 2, 12)) < 0.3).astype(np.float32)
    annotate_firing_rates(module, x)  # rates and calibration moments
    after = module_metrics(module)
    assert after.parameters == before.parameters == 2564
    assert after.footprint_bytes == before.footprint_bytes
    assert after.sparse_footprint_bytes == before.sparse_footprint_bytes
