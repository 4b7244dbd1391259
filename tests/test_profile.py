"""Profiling: firing rates measured by the simulator and written into the IR."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GraphBuilder
from test_simulator import braille, braille_input
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin, IntegerAttr, ModuleOp
from xdsl.parser import Parser

from snn_dialect.dense import to_array
from snn_dialect.ops import SNN, LIFOp, LIOp
from snn_dialect.profile import annotate_firing_rates, profile_rates
from snn_dialect.simulator import find_graph, simulate


def lif_and_li() -> ModuleOp:
    """Two LIF neurons (hand trace in test_simulator: spikes at steps 1, 3 and 1, 2, 3 under
    inputs 1.5 and 0.25) followed by a non-spiking LI population."""
    b = GraphBuilder([2])
    s = b.neuron(
        LIFOp,
        b.inputs[0],
        tau=2.0,
        r=np.array([1.0, 2.0]),
        v_leak=np.array([0.0, 0.5]),
        v_threshold=np.array([1.0, 0.6]),
        v_reset=np.array([0.0, 0.25]),
    )
    return b.module(b.neuron(LIOp, s, tau=2.0, r=1.0, v_leak=0.0))


def two_samples() -> np.ndarray:
    """Sample 0 drives the hand trace for 4 steps, sample 1 is silent (v_leak 0.5 < 0.6)."""
    x = np.zeros((4, 2, 2))
    x[:, 0] = [1.5, 0.25]
    return x


def ops_of(module: ModuleOp, cls: type) -> list:
    return [op for op in find_graph(module).block.ops if isinstance(op, cls)]


def test_rates_are_spikes_per_step_per_sample():
    module = lif_and_li()
    rates = profile_rates(module, two_samples())
    (lif,) = ops_of(module, LIFOp)
    assert list(rates) == [lif]  # the LI op does not spike
    np.testing.assert_array_equal(rates[lif], [2 / 8, 3 / 8])


def test_annotation_writes_rates_and_how_they_were_measured():
    module = lif_and_li()
    assert annotate_firing_rates(module, two_samples()) is module
    module.verify()
    (lif,) = ops_of(module, LIFOp)
    (li,) = ops_of(module, LIOp)
    np.testing.assert_array_equal(to_array(lif.properties["firing_rates"]), [0.25, 0.375])
    assert lif.properties["profile_samples"] == IntegerAttr(2, 64)
    assert lif.properties["profile_steps"] == IntegerAttr(4, 64)
    assert not {"firing_rates", "profile_samples", "profile_steps"} & set(li.properties)

    # the annotated module prints and parses back with its rates
    context = Context()
    context.load_dialect(Builtin)
    context.load_dialect(SNN)
    parsed = Parser(context, str(module)).parse_module()
    parsed.verify()
    (again,) = ops_of(parsed, LIFOp)
    np.testing.assert_array_equal(to_array(again.properties["firing_rates"]), [0.25, 0.375])

    # a new profile replaces the old one
    annotate_firing_rates(module, two_samples()[:, :1])
    np.testing.assert_array_equal(to_array(lif.properties["firing_rates"]), [0.5, 0.75])
    assert lif.properties["profile_samples"] == IntegerAttr(1, 64)


def test_recurrent_network_rates_match_spike_counts():
    module, _ = braille()
    x = braille_input(steps=40, batch=2)
    annotate_firing_rates(module, x)
    module.verify()
    counts = simulate(module, x).spike_counts
    assert len(counts) == 2
    for op, spikes in counts.items():
        rates = to_array(op.properties["firing_rates"])
        assert rates.shape == spikes.shape and rates.dtype == np.float32
        assert ((rates >= 0) & (rates <= 1)).all() and rates.any()
        np.testing.assert_allclose(rates, spikes / 80, rtol=1e-6)
        assert op.properties["profile_steps"] == IntegerAttr(40, 64)


def test_bad_inputs_are_reported():
    with pytest.raises(ValueError, match=r"input 0 must have shape \[T, B, 2\]"):
        annotate_firing_rates(lif_and_li(), np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match="at least one of each"):
        profile_rates(lif_and_li(), np.zeros((0, 2, 2)))
