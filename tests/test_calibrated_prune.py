"""snn-prune{method=calibrated}: layer-wise reconstruction on profiled input moments
(unstructured, N:M, structured; layer and global scope), against masking and least squares."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import IF, LIF, GraphBuilder, graph_of, synapses
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.calibration import input_moment, set_input_moment
from snn_dialect.compress import Candidates
from snn_dialect.interfaces import synapse_of
from snn_dialect.ops import AddOp, AffineOp, Conv2dOp, IFOp, LIFOp, LinearOp
from snn_dialect.profile import annotate_firing_rates
from snn_dialect.simulator import simulate
from snn_dialect.stats import graph_stats
from transforms import reconstruction as rec
from transforms.calibrated import with_variance_of
from transforms.notes import approximation_notes
from transforms.prune import PrunePass


def rows_of(op: Operation) -> np.ndarray:
    """Weights per output index with the bias as last column (float64)."""
    trait = synapse_of(op)
    assert trait is not None
    blocks = trait.blocks(op)
    bias = trait.bias(op)
    bias = np.zeros(len(blocks)) if bias is None else bias
    return np.hstack([blocks.reshape(len(blocks), -1), bias[:, None]]).astype(np.float64)


def run(module: ModuleOp, **options: object) -> ModuleOp:
    pruned = module.clone()
    PrunePass(**options).apply(Context(), pruned)  # type: ignore[arg-type]
    pruned.verify()
    return pruned


def spikes(shape: tuple[int, ...], p: float | np.ndarray, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < p).astype(np.float32)


def mlp(sizes: list[int], seed: int = 0) -> tuple[ModuleOp, np.ndarray]:
    """A profiled chain of affine + LIF layers that fires: (module, calibration inputs)."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([sizes[0]])
    x = b.inputs[0]
    for n_in, n_out in itertools.pairwise(sizes):
        w = rng.normal(0.2, 1.5 / np.sqrt(n_in), (n_out, n_in))
        x = b.neuron(LIFOp, b.add(AffineOp(x, w, rng.normal(0.6, 0.1, n_out))), **LIF)
    module = b.module(x)
    data = spikes((40, 16, sizes[0]), rng.uniform(0.05, 0.6, sizes[0]), seed + 1)
    annotate_firing_rates(module, data)
    return module, data


def conv_net(seed: int = 0) -> tuple[ModuleOp, np.ndarray]:
    """conv(4->6, groups 2) -> IF -> conv(6->4) -> IF -> conv(4->3) -> IF, profiled; the
    4 channels in the middle may lose channels."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([4, 6, 6])
    window = ((1, 1), (1, 1), (1, 1))
    c1 = Conv2dOp(b.inputs[0], rng.normal(0.2, 0.6, (6, 2, 3, 3)), np.full(6, 0.2), *window, 2)
    s1 = b.neuron(IFOp, b.add(c1), **IF)
    c2 = Conv2dOp(s1, rng.normal(0.1, 0.4, (4, 6, 3, 3)), np.full(4, 0.1), *window, 1)
    s2 = b.neuron(IFOp, b.add(c2), **IF)
    c3 = Conv2dOp(s2, rng.normal(0.1, 0.4, (3, 4, 3, 3)), np.full(3, 0.1), *window, 1)
    module = b.module(b.neuron(IFOp, b.add(c3), **IF))
    data = spikes((20, 4, 4, 6, 6), 0.3, seed + 1)
    annotate_firing_rates(module, data)
    return module, data


def recurrent_net(seed: int = 0) -> tuple[ModuleOp, np.ndarray]:
    """input -> affine + recurrent linear -> LIF -> affine -> LIF, profiled."""
    rng = np.random.default_rng(seed)
    b = GraphBuilder([8])
    rec_op = b.feedback([12])
    w_rec = b.add(LinearOp(rec_op.results[0], rng.normal(0, 0.3, (12, 12))))
    forward = b.add(AffineOp(b.inputs[0], rng.normal(0.4, 0.5, (12, 8)), np.full(12, 0.2)))
    s = b.neuron(LIFOp, b.add(AddOp([forward, w_rec])), **LIF)
    b.close(rec_op, s)
    out = b.neuron(LIFOp, b.add(AffineOp(s, rng.normal(0.2, 0.5, (4, 12)), np.full(4, 0.3))), **LIF)
    module = b.module(out)
    data = spikes((40, 8, 8), 0.4, seed + 1)
    annotate_firing_rates(module, data)
    return module, data


# --------------------------------------------------------------------------------------------
# Reconstruction against masking and least squares
# --------------------------------------------------------------------------------------------


def random_layer(seed: int, n: int = 3000, fan_in: int = 60, rows: int = 24):
    """A profiled single affine layer on correlated random spike inputs: (module, X)."""
    rng = np.random.default_rng(seed)
    latent = rng.random((n, 4)) < 0.3
    mixing = rng.random((4, fan_in)) < 0.5
    x = ((latent @ mixing) + (rng.random((n, fan_in)) < 0.1) > 0).astype(np.float32)
    b = GraphBuilder([fan_in])
    module = b.module(
        b.add(AffineOp(b.inputs[0], rng.normal(0, 1, (rows, fan_in)), rng.normal(0, 1, rows)))
    )
    annotate_firing_rates(module, x[:, None])
    return module, x


def current_error(before: Operation, after: Operation, x: np.ndarray) -> float:
    """Relative current error ||Y' - Y|| / ||Y|| of a dense synapse on inputs `x`."""
    x1 = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    y, y_new = x1 @ rows_of(before).T, x1 @ rows_of(after).T
    return float(np.linalg.norm(y_new - y) / np.linalg.norm(y))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sparsity", [0.5, 0.8])
def test_reconstruction_lowers_current_error_against_masking(seed: int, sparsity: float):
    module, x = random_layer(seed)
    masked = run(module, sparsity=sparsity)
    calibrated = run(module, sparsity=sparsity, method="calibrated")
    (before,), (after_mask,), (after_cal,) = (synapses(m) for m in (module, masked, calibrated))
    assert graph_stats(calibrated).synapses == graph_stats(masked).synapses
    masking, reconstruction = (current_error(before, a, x) for a in (after_mask, after_cal))
    assert reconstruction < 0.7 * masking
    note = approximation_notes(graph_of(calibrated))[0]
    # the note's figure is the same error measured on the stored moment
    assert note["current_error"] == pytest.approx(reconstruction, rel=1e-3)


def test_refit_equals_least_squares_for_a_fixed_mask():
    rng = np.random.default_rng(3)
    x = (rng.random((500, 12)) < rng.uniform(0.1, 0.7, 12)).astype(np.float64)
    x1 = np.hstack([x, np.ones((500, 1))])
    h = x1.T @ x1 / 500
    w = rng.normal(0, 1, (5, 13))
    removed = rng.random((5, 12)) < 0.5
    refit = rec.refit(w, h, removed)
    for i in range(5):
        kept = np.append(np.flatnonzero(~removed[i]), 12)
        solution, *_ = np.linalg.lstsq(x1[:, kept], x1 @ w[i], rcond=None)
        np.testing.assert_allclose(refit[i, kept], solution, rtol=1e-8, atol=1e-10)
        assert (refit[i, :-1][removed[i]] == 0).all()
    shared = rec.refit_shared(w, h, removed[0])
    np.testing.assert_allclose(shared, rec.refit(w, h, np.tile(removed[0], (5, 1))), atol=1e-10)


def test_small_layers_get_the_least_squares_refit_of_their_mask():
    module, x = random_layer(4, n=800, fan_in=20, rows=6)
    plain = run(module, sparsity=0.6, method="calibrated", keep_variance=False)
    (before,), (after,) = synapses(module), synapses(plain)
    new, old = rows_of(after), rows_of(before)
    x1 = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    for i in range(len(new)):
        kept = np.append(np.flatnonzero(new[i, :-1] != 0), 20)
        solution, *_ = np.linalg.lstsq(x1[:, kept], x1 @ old[i], rcond=None)
        # the pass damps the moment by 1 % of its mean diagonal
        np.testing.assert_allclose(new[i, kept], solution, rtol=0.05, atol=0.05)


@pytest.mark.parametrize("sparsity", [0.5, 0.8])
def test_keep_variance_restores_each_rows_current_variance_and_keeps_its_mean(sparsity: float):
    module, x = random_layer(3)
    plain = run(module, sparsity=sparsity, method="calibrated", keep_variance=False)
    kept = run(module, sparsity=sparsity, method="calibrated")
    x1 = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    currents = (x1 @ rows_of(synapses(m)[0]).T for m in (module, plain, kept))
    before, after_plain, after_kept = currents
    # the least-squares refit lowers the variance; keeping it restores it on the calibration data
    assert np.all(after_plain.var(axis=0) < before.var(axis=0))
    assert after_plain.var(axis=0).sum() < 0.99 * before.var(axis=0).sum()
    np.testing.assert_allclose(after_kept.var(axis=0), before.var(axis=0), rtol=1e-4)
    np.testing.assert_allclose(after_kept.mean(axis=0), after_plain.mean(axis=0), atol=1e-4)
    # the same weights go: zeros are where the plain refit put them
    np.testing.assert_array_equal(rows_of(synapses(kept)[0]) == 0, rows_of(synapses(plain)[0]) == 0)


def test_with_variance_of_gives_each_row_the_reference_current_variance():
    module, x = random_layer(4)
    pruned = run(module, sparsity=0.7, method="calibrated", keep_variance=False)
    (dense,), (op,) = synapses(module), synapses(pruned)
    # the pruned op sees other activity: half of the inputs fire less
    quieter = x * (np.random.default_rng(1).random(x.shape) < np.where(np.arange(60) < 30, 0.5, 1))
    x1 = np.hstack([quieter.astype(np.float64), np.ones((len(x), 1))])
    set_input_moment(op, (x1.T @ x1 / len(x1))[None])
    scaled = with_variance_of(op, dense)
    own, reference = input_moment(op)[0], input_moment(dense)[0]
    target = rec.current_variance(rows_of(dense), reference)
    assert not np.allclose(rec.current_variance(rows_of(op), own), target, rtol=0.05)
    np.testing.assert_allclose(rec.current_variance(rows_of(scaled), own), target, rtol=1e-4)
    mean = own[-1]
    np.testing.assert_allclose(rows_of(scaled) @ mean, rows_of(op) @ mean, rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(rows_of(scaled) == 0, rows_of(op) == 0)
    # without a moment there is nothing to scale by
    set_input_moment(op, None)
    assert with_variance_of(op, dense) is op


def test_sequential_builds_give_later_ops_the_dense_networks_current_variance():
    module, data = mlp([10, 16, 12, 4])
    built = Candidates(module, "calibrated", [data]).build((0.6, 0.6, 0.5))
    dense, pruned = synapses(module), synapses(built)
    # the first op is pruned on the dense profile; the later ones on the pruned network's,
    # whose moments the last profile left on them (a feed-forward chain: later ops do not
    # change what earlier ones read)
    for before, after in zip(dense[1:], pruned[1:], strict=True):
        np.testing.assert_allclose(
            rec.current_variance(rows_of(after), input_moment(after)[0]),
            rec.current_variance(rows_of(before), input_moment(before)[0]),
            rtol=1e-3,
        )


def test_inverse_cholesky_factors_the_inverse():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(30, 50))
    h = a @ a.T / 50 + 0.1 * np.eye(30)
    u = rec.inverse_cholesky(h)
    assert np.allclose(u, np.triu(u))
    np.testing.assert_allclose(u.T @ u, np.linalg.inv(h), rtol=1e-8, atol=1e-10)


# --------------------------------------------------------------------------------------------
# Every kind of synapse and mode: interfaces kept, targets reached, second run a no-op
# --------------------------------------------------------------------------------------------

NETWORKS = {"mlp": lambda: mlp([10, 16, 12, 4]), "conv": conv_net, "recurrent": recurrent_net}
MODES = [
    {"sparsity": 0.6},
    {"sparsity": 0.6, "scope": "global"},
    {"n_m": "1:2"},
    {"sparsity": 0.3, "structured": True},
    {"sparsity": 0.3, "structured": True, "scope": "global"},
]


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("mode", MODES, ids=lambda m: "-".join(f"{k}={v}" for k, v in m.items()))
def test_every_synapse_kind_and_mode(name: str, mode: dict[str, object]):
    module, data = NETWORKS[name]()
    pruned = run(module, method="calibrated", **mode)
    assert graph_of(pruned).function_type == graph_of(module).function_type
    before, after = graph_stats(module), graph_stats(pruned)
    assert after.synapses < before.synapses
    for op in synapses(pruned):
        assert input_moment(op) is not None  # still calibrated for the next pass
    simulate(pruned, data[:5])
    note = approximation_notes(graph_of(pruned))[-1]
    assert note["method"] == "calibrated" and 0 <= note["current_error"] < 1.5
    if "structured" in mode:
        assert note["neurons_removed"] > 0
        return
    if "sparsity" in mode:
        target = round(0.6 * before.weights)
        if mode.get("scope") == "global":
            assert before.weights - after.synapses == target
        else:
            assert abs(before.weights - after.synapses - target) <= len(synapses(module))
    else:  # 1:2 -> at most one nonzero in every pair of consecutive fan-in weights
        for op in synapses(pruned):
            rows = rows_of(op)[:, :-1]
            assert ((rows.reshape(len(rows), -1, 2) != 0).sum(axis=2) <= 1).all()
    assert str(run(pruned, method="calibrated", **mode)) == str(pruned)  # nothing left to do


def test_layer_scope_zeros_grow_on_existing_zeros():
    module, _ = mlp([10, 16, 12, 4])
    once = run(module, sparsity=0.5, method="calibrated")
    twice = run(once, sparsity=0.7, method="calibrated")
    for a, b in zip(synapses(once), synapses(twice), strict=True):
        assert (rows_of(b)[:, :-1][rows_of(a)[:, :-1] == 0] == 0).all()


def test_structured_refit_keeps_consumer_current_better_than_dropping_columns():
    module, data = mlp([10, 24, 6], seed=3)
    plain = run(module, sparsity=0.4, structured=True)
    calibrated = run(module, sparsity=0.4, structured=True, method="calibrated")
    hidden = simulate(module, data).outputs  # only the graph output; recompute the input
    del hidden
    original_consumer = synapses(module)[1]
    moment = input_moment(original_consumer)
    assert moment is not None

    def consumer_error(pruned: ModuleOp) -> float:
        kept_rows = rows_of(synapses(pruned)[0])[:, :-1]
        first = rows_of(synapses(module)[0])[:, :-1]
        kept = [int(np.flatnonzero((first == r).all(axis=1))[0]) for r in kept_rows]
        full = np.zeros_like(rows_of(original_consumer))
        new = rows_of(synapses(pruned)[1])
        full[:, kept] = new[:, :-1]
        full[:, -1] = new[:, -1]
        delta = full - rows_of(original_consumer)
        return rec.current_error(delta, moment[0]) / rec.current_error(
            rows_of(original_consumer), moment[0]
        )

    assert consumer_error(calibrated) < 0.5 * consumer_error(plain)


def test_calibrated_pruning_keeps_spike_counts_closer_than_magnitude():
    module, data = mlp([30, 60, 10], seed=5)
    reference = simulate(module, data).outputs[0].sum(axis=0)
    assert reference.sum() > 0

    def count_error(pruned: ModuleOp) -> float:
        counts = simulate(pruned, data).outputs[0].sum(axis=0)
        return float(np.abs(counts - reference).sum() / reference.sum())

    for sparsity in (0.5, 0.8):
        magnitude = count_error(run(module, sparsity=sparsity, scope="global"))
        calibrated = count_error(
            run(module, sparsity=sparsity, scope="global", method="calibrated")
        )
        assert calibrated < magnitude


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def test_missing_profile_says_what_to_run():
    b = GraphBuilder([4])
    module = b.module(b.neuron(LIFOp, b.add(LinearOp(b.inputs[0], np.ones((2, 4)))), **LIF))
    with pytest.raises(
        PassFailedException, match=r"has no calibration statistics.*snn-opt profile"
    ):
        run(module, sparsity=0.5, method="calibrated")
    profiled, _ = mlp([4, 3])
    set_input_moment(synapses(profiled)[0], None)
    with pytest.raises(PassFailedException, match="no calibration statistics"):
        run(profiled, n_m="2:4", method="calibrated")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sparsity": 1.0}, r"sparsity must lie in \[0, 1\), got 1.0"),
        ({"sparsity": -0.5}, "give exactly one of"),
        ({"n_m": "2:3"}, "n_m=2:3 needs M to divide the fan-in, but snn.affine has fan-in 10"),
        ({"n_m": "4:2"}, "n_m must be 'N:M' with integers 1 <= N < M"),
        ({"n_m": "2"}, "n_m must be 'N:M'"),
        ({"threshold": 0.1}, "needs sparsity or n_m, not threshold"),
        ({"sparsity": 0.5, "activity_aware": True}, "exclude each other"),
        ({"sparsity": 0.5, "damping": -1.0}, "damping must be > 0"),
    ],
)
def test_option_errors(options: dict[str, object], message: str):
    module, _ = mlp([10, 4])
    with pytest.raises(PassFailedException, match=message) as info:
        run(module, method="calibrated", **options)
    assert "\n" not in str(info.value)


def test_indefinite_moment_names_the_damping():
    """A duplicated input gives a singular moment; its f32 rounding can leave it slightly
    indefinite, which only a damping larger than the rounding covers."""
    module, _ = mlp([2, 3])
    op = synapses(module)[0]
    h = np.array([[[0.5, 0.5 + 1e-6, 0.5], [0.5 + 1e-6, 0.5, 0.5], [0.5, 0.5, 1.0]]])
    set_input_moment(op, h)
    with pytest.raises(PassFailedException, match=r"after damping=1e-09; give a larger") as info:
        run(module, sparsity=0.5, method="calibrated", damping=1e-9)
    assert "\n" not in str(info.value)
    assert graph_stats(run(module, sparsity=0.5, method="calibrated")).synapses < 6


def test_sparsegpt_loss_is_the_error_on_the_damped_moment():
    rng = np.random.default_rng(8)
    x = np.hstack([(rng.random((400, 30)) < 0.3), np.ones((400, 1))]).astype(np.float64)
    h = x.T @ x / 400
    w = rng.normal(0, 1, (7, 31))
    f = rec.Factor.of(h, 0.01)
    new, loss = rec.sparsegpt(w, f.u, rec.block_selector(w, rec.Quota(count=120)), block=8)
    assert ((new[:, :-1] == 0).sum()) == 120
    assert loss == pytest.approx(rec.current_error(new - w, f.damped()), rel=1e-4)
    assert f.energy(w) == pytest.approx(rec.current_error(w, h), rel=1e-6)
