"""snn-prune: sparsity targets, threshold mode, activity-aware bias folding, structured
removal, option errors, the approximation note, and behaviour on real and small networks."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import DATA, IF, LIF, GraphBuilder, graph_of, synapses
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.utils.arg_spec import parse_pipeline
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.calibration import set_graph_input_rates
from snn_dialect.dense import dense_f32
from snn_dialect.ops import (
    AffineOp,
    Conv2dOp,
    DelayOp,
    GraphOp,
    IFOp,
    LIFOp,
    LinearOp,
    ScaleOp,
)
from snn_dialect.stats import graph_stats
from transforms.notes import approximation_notes
from transforms.prune import PrunePass, mean_activity


def weight(op: Operation) -> np.ndarray:
    return op.array("weight")  # type: ignore[attr-defined]


def run(module: ModuleOp, **options: object) -> ModuleOp:
    """A pruned copy of `module` (verified)."""
    pruned = module.clone()
    PrunePass(**options).apply(Context(), pruned)  # type: ignore[arg-type]
    pruned.verify()
    return pruned


def mlp(sizes: list[int], seed: int = 0, rates: bool = False, mean: float = 0.0) -> ModuleOp:
    """A chain of linear + LIF layers with random weights (optionally random rates)."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([sizes[0]], dt=1.0)
    x = b.inputs[0]
    for n_in, n_out in itertools.pairwise(sizes):
        w = rng.normal(mean, 1.0, (n_out, n_in)).astype(np.float32)
        params = dict(LIF)
        if rates:
            params["firing_rates"] = rng.uniform(0.0, 1.0, n_out).astype(np.float32)
        x = b.neuron(LIFOp, b.add(LinearOp(x, w)), **params)
    return b.module(x)


def conv_net(seed: int = 0) -> ModuleOp:
    """conv2d(2->4) -> IF -> conv2d(4->3) -> IF: a hidden space of 4 channels."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([2, 6, 6], dt=1.0)
    window = ((1, 1), (1, 1), (1, 1), 1)
    first = Conv2dOp(b.inputs[0], rng.normal(0, 1, (4, 2, 3, 3)), rng.normal(0, 0.1, 4), *window)
    s = b.neuron(IFOp, b.add(first), **IF)
    second = Conv2dOp(s, rng.normal(0, 1, (3, 4, 3, 3)), np.zeros(3), *window)
    return b.module(b.neuron(IFOp, b.add(second), **IF))


# --------------------------------------------------------------------------------------------
# Sparsity targets and threshold mode
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sparsity", [0.0, 0.25, 0.5, 0.9])
def test_layer_scope_reaches_target_per_op(sparsity: float):
    module = mlp([30, 20, 10, 3])
    pruned = run(module, sparsity=sparsity)
    for op, original in zip(synapses(pruned), synapses(module), strict=True):
        w = weight(op)
        assert np.count_nonzero(w == 0) == round(sparsity * w.size)
        # the smallest magnitudes went
        kept, gone = np.abs(weight(original))[w != 0], np.abs(weight(original))[w == 0]
        if gone.size and kept.size:
            assert gone.max() <= kept.min()
        assert np.array_equal(w[w != 0], weight(original)[w != 0])


@pytest.mark.parametrize("sparsity", [0.3, 0.8])
def test_global_scope_one_cut_over_all_weights(sparsity: float):
    module = mlp([30, 20, 10, 3])
    pruned = run(module, sparsity=sparsity, scope="global")
    total = sum(weight(op).size for op in synapses(module))
    zeros = sum(np.count_nonzero(weight(op) == 0) for op in synapses(pruned))
    assert zeros == round(sparsity * total)
    gone = np.concatenate(
        [
            np.abs(weight(o))[weight(p) == 0]
            for o, p in zip(synapses(module), synapses(pruned), strict=True)
        ]
    )
    kept = np.concatenate(
        [
            np.abs(weight(o))[weight(p) != 0]
            for o, p in zip(synapses(module), synapses(pruned), strict=True)
        ]
    )
    assert gone.max() <= kept.min()
    # layers differ: global does not give every layer the same sparsity
    per_layer = [np.mean(weight(op) == 0) for op in synapses(pruned)]
    assert max(per_layer) - min(per_layer) > 0.01


@pytest.mark.parametrize("scope", ["layer", "global"])
def test_ties_at_the_cut_still_reach_the_target(scope: str):
    """Quantized weights: many equal magnitudes at the cut; exactly the target count goes."""
    rng = np.random.default_rng(3)
    b = GraphBuilder([16], dt=1.0)
    w1 = rng.choice([-0.5, 0.5, 1.0], size=(12, 16)).astype(np.float32)
    w2 = rng.choice([-0.5, 0.5, 1.0], size=(4, 12)).astype(np.float32)
    s = b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], w1)), **LIF)
    module = b.module(b.neuron(LIFOp, b.add(LinearOp(s, w2)), **LIF))
    pruned = run(module, sparsity=0.4, scope=scope)
    sizes = [weight(op).size for op in synapses(pruned)]
    zeros = [int(np.count_nonzero(weight(op) == 0)) for op in synapses(pruned)]
    if scope == "layer":
        assert zeros == [round(0.4 * n) for n in sizes]
    else:
        assert sum(zeros) == round(0.4 * sum(sizes))


def test_existing_zeros_count_first_and_nothing_else_changes():
    module = mlp([10, 8, 2])
    op = synapses(module)[0]
    w = weight(op).copy()
    w[:, :6] = 0  # 60 % zeros already
    op.properties["weight"] = dense_f32(w)
    pruned = run(module, sparsity=0.5)
    assert np.array_equal(weight(synapses(pruned)[0]), w)
    assert np.count_nonzero(weight(synapses(pruned)[1]) == 0) == 8


def test_threshold_mode_and_idempotence():
    module = mlp([12, 9, 4])
    once = run(module, threshold=0.5)
    for o, p in zip(synapses(module), synapses(once), strict=True):
        w = weight(o)
        assert np.array_equal(weight(p), np.where(np.abs(w) <= 0.5, 0, w))
    twice = run(once, threshold=0.5)
    assert str(twice) == str(once)
    assert len(approximation_notes(graph_of(twice))) == 1


@pytest.mark.parametrize("scope", ["layer", "global"])
def test_sparsity_mode_is_idempotent(scope: str):
    once = run(mlp([12, 9, 4]), sparsity=0.6, scope=scope, activity_aware=False)
    assert str(run(once, sparsity=0.6, scope=scope)) == str(once)


@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 12), min_size=2, max_size=4),
    sparsity=st.floats(0.0, 0.99),
    scope=st.sampled_from(["layer", "global"]),
    seed=st.integers(0, 2**16),
)
def test_random_chains_reach_the_target(sizes: list[int], sparsity: float, scope: str, seed: int):
    module = mlp(sizes, seed)
    pruned = run(module, sparsity=sparsity, scope=scope)
    graph = graph_of(pruned)
    assert graph.function_type == graph_of(module).function_type
    stats = graph_stats(pruned)
    assert stats.weights - stats.synapses == round(sparsity * stats.weights) or scope == "layer"
    assert abs(stats.sparsity - sparsity) <= len(synapses(module)) / stats.weights


# --------------------------------------------------------------------------------------------
# Activity-aware pruning
# --------------------------------------------------------------------------------------------


def profiled_pair(w2: np.ndarray, rates: np.ndarray) -> ModuleOp:
    """input(2) -> linear -> LIF(3, rates) -> linear(w2) -> LIF."""
    b = GraphBuilder([2], dt=1.0)
    w1 = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    s = b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], w1)), **LIF, firing_rates=rates)
    return b.module(b.neuron(LIFOp, b.add(LinearOp(s, w2)), **LIF))


def with_input_rates(module: ModuleOp, *rates: np.ndarray) -> ModuleOp:
    set_graph_input_rates(graph_of(module), [np.asarray(r, np.float32) for r in rates])
    module.verify()
    return module


def test_activity_aware_folds_mean_current_into_bias_by_hand():
    w2 = np.array([[0.2, -4.0, 1.0], [-0.3, 0.1, 2.0]], np.float32)
    rates = np.array([0.5, 0.0, 0.25], np.float32)
    module = with_input_rates(profiled_pair(w2, rates), [0.5, 0.5])
    pruned = run(module, threshold=0.2, activity_aware=True)
    # saliency |w| * rate: [[0.1, 0, 0.25], [0.15, 0, 0.5]] -> first two columns go, and the
    # first layer (graph input rates 0.5) has saliency >= 0.5: nothing <= 0.2 there
    second = synapses(pruned)[1]
    assert isinstance(second, AffineOp)
    assert np.array_equal(weight(second), [[0, 0, 1.0], [0, 0, 2.0]])
    # pruned mean current: 0.2*0.5 + (-4)*0 = 0.1 ; -0.3*0.5 + 0.1*0 = -0.15
    np.testing.assert_allclose(second.array("bias"), [0.1, -0.15], rtol=1e-6)
    assert np.array_equal(
        weight(synapses(pruned)[0]), weight(synapses(profiled_pair(w2, rates))[0])
    )
    note = approximation_notes(graph_of(pruned))[0]
    assert note["unprofiled"] == 0 and note["pruned"] == 4


@pytest.mark.parametrize("options", [{"threshold": 0.2}, {"sparsity": 0.5, "scope": "global"}])
def test_activity_aware_never_ranks_unprofiled_weights_against_profiled_ones(options):
    """|w| and |w| * rate are different quantities: one threshold or one global ranking
    over both is refused; a per-layer target may fall back to |w| for the unprofiled op."""
    w2 = np.array([[0.2, -4.0, 1.0], [-0.3, 0.1, 2.0]], np.float32)
    module = profiled_pair(w2, np.array([0.5, 0.0, 0.25], np.float32))
    with pytest.raises(PassFailedException, match="needs the profiled mean of every synapse"):
        run(module, activity_aware=True, **options)
    note = approximation_notes(graph_of(run(module, sparsity=0.5, activity_aware=True)))[0]
    assert note["unprofiled"] == 1


def test_activity_aware_without_any_fold_keeps_a_linear_op():
    """Weights reading never-firing neurons go first, and their removal is exact."""
    w2 = np.array([[0.2, -4.0, 1.0], [-0.3, 0.1, 2.0]], np.float32)
    pruned = run(profiled_pair(w2, np.array([0.5, 0.0, 0.25], np.float32)), sparsity=1 / 3)
    pruned_aware = run(
        profiled_pair(w2, np.array([0.5, 0.0, 0.25], np.float32)),
        sparsity=1 / 3,
        activity_aware=True,
    )
    assert isinstance(synapses(pruned_aware)[1], LinearOp)
    assert np.array_equal(weight(synapses(pruned_aware)[1]), w2 * [[1, 0, 1], [1, 0, 1]])
    assert np.array_equal(weight(synapses(pruned)[1]), w2 * [[0, 1, 1], [1, 0, 1]])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), sparsity=st.floats(0.0, 0.95))
def test_activity_aware_keeps_every_mean_current(seed: int, sparsity: float):
    """For a dense synapse reading profiled spikes, `W' m + b' = W m + b` exactly."""
    module = mlp([6, 10, 7, 3], seed, rates=True)
    with_input_rates(module, np.random.default_rng(seed).uniform(0.0, 1.0, 6))
    pruned = run(module, sparsity=sparsity, scope="global", activity_aware=True)
    for o, p in zip(synapses(module), synapses(pruned), strict=True):
        m = mean_activity(o.operands[0])
        assert m is not None
        before = weight(o).astype(np.float64) @ m
        bias = p.array("bias") if isinstance(p, AffineOp) else 0.0
        after = weight(p).astype(np.float64) @ m + bias
        np.testing.assert_allclose(after, before, rtol=1e-5, atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), sparsity=st.floats(0.0, 0.95))
def test_activity_aware_global_takes_each_ops_share_from_magnitude(seed: int, sparsity: float):
    """Global activity-aware pruning removes from each op as many weights as global magnitude
    pruning does, and within the op those of least `|w| * std(x)`."""
    from transforms.prune import SynapseWeights

    module = mlp([6, 10, 7, 3], seed, rates=True)
    with_input_rates(module, np.random.default_rng(seed).uniform(0.05, 0.95, 6))
    by_magnitude = run(module, sparsity=sparsity, scope="global")
    by_activity = run(module, sparsity=sparsity, scope="global", activity_aware=True)
    for o, m, a in zip(
        synapses(module), synapses(by_magnitude), synapses(by_activity), strict=True
    ):
        removed = weight(a) == 0
        assert removed.sum() == (weight(m) == 0).sum()
        key = SynapseWeights.of(o, activity_aware=True).saliency().reshape(removed.shape)
        if removed.any() and not removed.all():
            assert key[removed].max() <= key[~removed].min()


def test_activity_aware_conv_folds_per_output_channel():
    """A conv reading a profiled map: channel means of the rates times the pruned taps."""
    b = GraphBuilder([2, 4, 4], dt=1.0)
    s = b.neuron(IFOp, b.inputs[0], **IF, firing_rates=_channel_rates())
    w = np.arange(1, 2 * 2 * 2 * 2 + 1, dtype=np.float32).reshape(2, 2, 2, 2) / 10
    conv = b.add(Conv2dOp(s, w, np.array([1.0, -1.0]), (1, 1), (0, 0), (1, 1), 1))
    module = b.module(b.neuron(IFOp, conv, **IF))
    pruned = run(module, threshold=0.35, activity_aware=True)
    new_w = weight(synapses(pruned)[0])
    # channel means: channel 0 -> 0.25, channel 1 -> 0.5; saliency = |w| * sqrt(m (1 - m))
    mean = np.array([0.25, 0.5], np.float32).reshape(1, 2, 1, 1)
    gone = np.abs(w) * np.sqrt(mean * (1 - mean)) <= 0.35
    assert gone.any() and not gone.all()
    assert np.array_equal(new_w, np.where(gone, 0, w))
    shift = (np.where(gone, w, 0) * mean).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(
        synapses(pruned)[0].array("bias"), np.array([1.0, -1.0]) + shift, rtol=1e-6
    )


def _channel_rates() -> np.ndarray:
    rates = np.zeros((2, 4, 4), np.float32)
    rates[0] = np.linspace(0.0, 0.5, 16).reshape(4, 4)  # mean 0.25
    rates[1] = 0.5
    return rates


def test_mean_activity_follows_elementwise_ops():
    b = GraphBuilder([3], dt=1.0)
    rates = np.array([0.2, 0.4, 1.0], np.float32)
    s = b.neuron(LIFOp, b.inputs[0], **LIF, firing_rates=rates)
    scale = ScaleOp.create(
        operands=[s], result_types=[s.type], properties={"scale": dense_f32([2.0, -1.0, 0.5])}
    )
    scaled = b.add(scale)
    delayed = b.add(
        DelayOp.create(
            operands=[scaled], result_types=[s.type], properties={"delay": dense_f32([0, 1, 2])}
        )
    )
    b.module(delayed)
    np.testing.assert_allclose(mean_activity(delayed), [0.4, -0.4, 0.5], rtol=1e-6)
    assert mean_activity(b.inputs[0]) is None


def test_activity_aware_needs_some_profile():
    with pytest.raises(PassFailedException, match="profile the graph first"):
        run(mlp([4, 3, 2]), sparsity=0.5, activity_aware=True)


# --------------------------------------------------------------------------------------------
# Structured pruning
# --------------------------------------------------------------------------------------------


def test_structured_removes_weakest_neurons_from_their_space():
    module = mlp([10, 8, 6, 3], seed=4)
    pruned = run(module, sparsity=0.5, structured=True)
    assert graph_of(pruned).function_type == graph_of(module).function_type
    first, second, third = (weight(op) for op in synapses(module))
    p1, p2, p3 = (weight(op) for op in synapses(pruned))
    # 4 of 8 rows bring the first layer to 50 %, 3 of 6 the second; the weakest rows go
    keep1 = np.sort(np.argsort(np.linalg.norm(first, axis=1))[4:])
    keep2 = np.sort(np.argsort(np.linalg.norm(second, axis=1))[3:])
    assert np.array_equal(p1, first[keep1])
    assert np.array_equal(p2, second[keep2][:, keep1])
    assert np.array_equal(p3, third[:, keep2])  # the graph output never shrinks
    neurons = [op for op in graph_of(pruned).block.ops if isinstance(op, LIFOp)]
    assert [n.results[0].type.get_shape()[0] for n in neurons] == [4, 3, 3]
    note = approximation_notes(graph_of(pruned))[0]
    assert note["neurons_removed"] == 4 + 3
    stats = graph_stats(pruned)
    assert note["sparsity"] == pytest.approx(1 - stats.synapses / graph_stats(module).weights)


@pytest.mark.parametrize("sparsity", [0.3, 0.7])
def test_structured_global_reaches_target(sparsity: float):
    module = mlp([20, 16, 12, 4], seed=5)
    pruned = run(module, sparsity=sparsity, structured=True, scope="global")
    note = approximation_notes(graph_of(pruned))[0]
    assert note["sparsity"] >= sparsity
    # the fewest removals: a few neurons' weights past the target at most
    assert note["sparsity"] - sparsity < 20 / graph_stats(module).weights + 16 / 324
    assert graph_of(pruned).function_type == graph_of(module).function_type


def test_structured_conv_removes_channels():
    module = conv_net()
    pruned = run(module, sparsity=0.5, structured=True)
    first, second = (weight(op) for op in synapses(module))
    p1, p2 = (weight(op) for op in synapses(pruned))
    keep = np.sort(np.argsort(np.linalg.norm(first.reshape(4, -1), axis=1))[2:])
    assert np.array_equal(p1, first[keep])  # 2 of 4 channels bring the layer to 50 %
    assert np.array_equal(p2, second[:, keep])  # and their input channels go downstream
    assert graph_of(pruned).function_type == graph_of(module).function_type


def test_structured_activity_aware_folds_removed_neurons_into_consumers():
    w2 = np.array([[0.2, -4.0, 1.0], [-0.3, 0.1, 2.0]], np.float32)
    rates = np.array([0.5, 0.0, 0.25], np.float32)
    # row norms of the first layer [2.24, 5, 7.81] times rates [0.5, 0, 0.25]: neuron 1 (never
    # fires) goes first, exactly: no bias appears
    pruned = run(profiled_pair(w2, rates), sparsity=0.3, structured=True, activity_aware=True)
    second = synapses(pruned)[1]
    assert isinstance(second, LinearOp)
    assert np.array_equal(weight(second), w2[:, [0, 2]])
    # then neuron 0 (1.12 < 1.95): its mean output 0.5 times its column moves into the bias
    pruned = run(profiled_pair(w2, rates), sparsity=0.6, structured=True, activity_aware=True)
    second = synapses(pruned)[1]
    assert np.array_equal(weight(second), w2[:, [2]])
    np.testing.assert_allclose(second.array("bias"), [0.2 * 0.5, -0.3 * 0.5], rtol=1e-6)


def test_structured_leaves_pinned_spaces_alone():
    b = GraphBuilder([4], dt=1.0)
    w = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    module = b.module(b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], w)), **LIF))
    pruned = run(module, sparsity=0.9, structured=True)
    assert str(pruned) == str(module)


# --------------------------------------------------------------------------------------------
# Options, notes, pipeline syntax
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "exactly one of threshold"),
        ({"threshold": 0.1, "sparsity": 0.5}, "exactly one of threshold"),
        ({"threshold": -0.5}, "threshold must be > 0"),
        ({"sparsity": 1.0}, r"sparsity must lie in \[0, 1\)"),
        ({"sparsity": 1.5}, r"sparsity must lie in \[0, 1\)"),
        ({"sparsity": 0.5, "scope": "model"}, "scope must be 'layer' or 'global'"),
    ],
)
def test_option_errors(options: dict[str, object], message: str):
    with pytest.raises(PassFailedException, match=message):
        run(mlp([3, 2]), **options)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ('snn-prune{sparsity=0.8 scope="global"}', PrunePass(sparsity=0.8, scope="global")),
        ("snn-prune{sparsity=0.8 scope=global}", PrunePass(sparsity=0.8, scope="global")),
        ("snn-prune{threshold=1.0e-3}", PrunePass(threshold=1e-3)),
        (
            "snn-prune{sparsity=0.5 activity-aware=true structured=true}",
            PrunePass(sparsity=0.5, activity_aware=True, structured=True),
        ),
    ],
)
def test_pipeline_syntax(spec: str, expected: PrunePass):
    (parsed,) = parse_pipeline(spec)
    assert PrunePass.from_spec(parsed) == expected


def test_pipeline_rejects_integer_for_float():
    (parsed,) = parse_pipeline("snn-prune{sparsity=1}")
    with pytest.raises(ValueError, match="Incompatible types"):
        PrunePass.from_spec(parsed)


def test_note_matches_graph_stats():
    module = mlp([12, 9, 4])
    pruned = run(module, sparsity=0.75, scope="global")
    (note,) = approximation_notes(graph_of(pruned))
    stats = graph_stats(pruned)
    assert note["pass"] == "snn-prune"
    assert note["sparsity"] == pytest.approx(stats.sparsity)
    assert note["pruned"] == graph_stats(module).synapses - stats.synapses
    assert note["target"] == 0.75 and note["scope"] == "global"


def test_unchanged_graph_gets_no_note():
    pruned = run(mlp([5, 4]), sparsity=0.0)
    assert approximation_notes(graph_of(pruned)) == []


def test_global_scope_is_per_graph():
    a, b = mlp([6, 5, 2], seed=1), mlp([6, 5, 2], seed=2, mean=10.0)
    graph_b = graph_of(b)
    graph_b.sym_name = graph_b.sym_name.__class__("other")
    graph_b.detach()
    module = ModuleOp([graph_of(a).clone(), graph_b])
    PrunePass(sparsity=0.5, scope="global").apply(Context(), module)
    for graph in module.body.block.ops:
        assert isinstance(graph, GraphOp)
        assert graph_stats(graph).sparsity == pytest.approx(0.5, abs=1 / 40)


# --------------------------------------------------------------------------------------------
# Real networks and behaviour
# --------------------------------------------------------------------------------------------

NIR_FILES = sorted(DATA.glob("*.nir"))

MODES = [
    {"sparsity": 0.5},
    {"sparsity": 0.8, "scope": "global"},
    {"threshold": 0.05},
    {"sparsity": 0.5, "structured": True},
    {"sparsity": 0.6, "structured": True, "scope": "global"},
]


def _import(path):
    nir_io = pytest.importorskip("snn_dialect.nir_io", reason="NIR import not available yet")
    return nir_io.import_nir(path)


@pytest.mark.parametrize("path", NIR_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("options", MODES, ids=str)
def test_fixture_graphs_stay_valid(path, options: dict[str, object]):
    module = _import(path)
    pruned = run(module, **options)
    assert graph_of(pruned).function_type == graph_of(module).function_type
    stats = graph_stats(pruned)
    assert stats.weights <= graph_stats(module).weights
    if "sparsity" in options and not options.get("structured") and stats.weights > 1:
        assert stats.sparsity >= options["sparsity"] - len(synapses(module)) / stats.weights


@pytest.mark.parametrize("path", NIR_FILES, ids=lambda p: p.stem)
def test_fixture_graphs_activity_aware_after_profiling(path):
    profile = pytest.importorskip("snn_dialect.profile")
    module = _import(path)
    graph = graph_of(module)
    inputs = np.random.default_rng(0).random((20, 2, *graph.block.args[0].type.get_shape()))
    profile.annotate_firing_rates(module, (inputs < 0.3).astype(np.float32))
    if all(mean_activity(op.operands[0]) is None for op in synapses(module)):
        with pytest.raises(PassFailedException, match="profile"):
            run(module, sparsity=0.5, activity_aware=True)
        return
    pruned = run(module, sparsity=0.5, scope="global", activity_aware=True)
    assert graph_of(pruned).function_type == graph.function_type


def small_network() -> tuple[ModuleOp, np.ndarray, np.ndarray]:
    """A 20-40-10 LIF network that fires, profiled on its own inputs: (module, x, y)."""
    from snn_dialect.profile import annotate_firing_rates
    from snn_dialect.simulator import simulate

    rng = np.random.default_rng(0)
    b = GraphBuilder([20], dt=1.0)
    s = b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], rng.normal(0.3, 1.0, (40, 20)))), **LIF)
    module = b.module(b.neuron(LIFOp, b.add(LinearOp(s, rng.normal(0.2, 1.0, (10, 40)))), **LIF))
    x = (np.random.default_rng(1).random((100, 32, 20)) < 0.3).astype(np.float32)
    annotate_firing_rates(module, x)
    return module, x, simulate(module, x).outputs[0]


def count_error(module: ModuleOp, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(fraction of equal output spikes, relative L1 error of per-neuron spike counts)."""
    from snn_dialect.simulator import simulate

    out = simulate(module, x).outputs[0]
    counts, reference = out.sum(axis=0), y.sum(axis=0)
    return float((out == y).mean()), float(np.abs(counts - reference).sum() / reference.sum())


def test_behaviour_stays_close_on_a_small_network():
    pytest.importorskip("snn_dialect.simulator")
    module, x, y = small_network()
    assert y.mean() > 0.05  # the network does fire
    equal, error = count_error(run(module, sparsity=0.0), x, y)
    assert equal == 1.0 and error == 0.0
    equal, error = count_error(run(module, sparsity=0.3), x, y)
    assert equal > 0.8 and error < 0.2
    equal, error = count_error(run(module, sparsity=0.3, scope="global", activity_aware=True), x, y)
    assert equal > 0.8 and error < 0.1
    _, plain = count_error(run(module, sparsity=0.7), x, y)
    _, aware = count_error(run(module, sparsity=0.7, activity_aware=True), x, y)
    assert aware < 0.6 * plain  # folding the mean current keeps the rates
    _, plain = count_error(run(module, sparsity=0.3, structured=True), x, y)
    _, aware = count_error(run(module, sparsity=0.3, structured=True, activity_aware=True), x, y)
    assert aware < 0.5 * plain


def test_activity_aware_reads_input_moments_when_profiled():
    """With a profile, mean and variance per fan-in element come from the input moment."""
    from snn_dialect.calibration import input_moment
    from transforms.prune import SynapseWeights

    module, _, _ = small_network()
    first = synapses(module)[0]
    moment = input_moment(first)
    assert moment is not None
    weights = SynapseWeights.of(first, activity_aware=True)
    assert weights is not None and weights.stds is not None
    mean = moment[0, -1, :-1]
    np.testing.assert_allclose(weights.means.reshape(-1), mean, rtol=1e-6)
    std = np.sqrt(np.diagonal(moment[0])[:-1] - mean.astype(np.float64) ** 2)
    np.testing.assert_allclose(weights.stds.reshape(-1), std, rtol=1e-5, atol=1e-6)
