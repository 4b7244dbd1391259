"""snn-quantize: the integer form of weights, fixed-point parameters, idempotence, the output
drift on the real NIR networks, option and verifier errors, and the command line."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import DATA, GraphBuilder
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation
from xdsl.utils.exceptions import PassFailedException, VerifyException

from snn_dialect.api import make_context
from snn_dialect.cli import main
from snn_dialect.dense import dense_f32
from snn_dialect.interfaces import NeuronOp, SynapseOp
from snn_dialect.nir_io import import_nir
from snn_dialect.ops import (
    AffineOp,
    Conv2dOp,
    ConvSynapse,
    CubaLIFOp,
    GraphOp,
    IFOp,
    LIFOp,
    LinearOp,
)
from snn_dialect.simulator import find_graph
from snn_dialect.stats import graph_stats
from transforms.notes import approximation_notes
from transforms.quantize import (
    QuantizePass,
    decay_factor,
    fixed_point_step,
    quantization_error,
    quantize_neuron_params,
    quantize_rows,
)

FIXTURES = (
    "braille_noDelay_bias_zero",
    "braille_noDelay_noBias_subtract",
    "cnn_sinabs",
    "lif_norse",
    "two_lif_neurons",
)
LIF = {"tau": 5.0, "r": 1.0, "v_leak": 0.0, "v_threshold": 1.0, "v_reset": 0.0}

_loaded: dict[str, ModuleOp] = {}


def fixture(name: str) -> ModuleOp:
    """A fresh copy of a fixture network. Sinabs trains discrete-time IF neurons (`v += I`),
    so cnn_sinabs runs with dt = 1 here; the others keep the default dt = 1e-4."""
    if name not in _loaded:
        _loaded[name] = import_nir(DATA / f"{name}.nir", dt=1.0 if name == "cnn_sinabs" else None)
    return _loaded[name].clone()


def spikes(module: ModuleOp, steps: int, samples: int, rate: float, seed: int = 0) -> np.ndarray:
    """Random input spikes `[T, B, *shape]` for the single input of `module`."""
    shape = find_graph(module).block.args[0].type.get_shape()  # type: ignore[attr-defined]
    rng = np.random.default_rng(seed)
    return (rng.random((steps, samples, *shape)) < rate).astype(np.float32)


def quantized(module: ModuleOp, **options: object) -> ModuleOp:
    """A quantized, verified copy of `module`."""
    copy = module.clone()
    QuantizePass(**options).apply(Context(), copy)  # type: ignore[arg-type]
    copy.verify()
    return copy


def synapses(module: ModuleOp) -> list[Operation]:
    return [op for op in module.walk() if op.get_trait(SynapseOp) is not None]  # type: ignore[type-abstract]


def neurons(module: ModuleOp) -> list[Operation]:
    return [op for op in module.walk() if op.get_trait(NeuronOp) is not None]


def notes(module: ModuleOp) -> list[dict[str, float | int | str]]:
    return approximation_notes(find_graph(module))


def assert_integer_form(op: Operation, bits: int, per_channel: bool) -> None:
    """`weight / weight_scale` (f32 division) is an exact integer within the `bits` range."""
    weight = op.array("weight")  # type: ignore[attr-defined]
    scale = op.array("weight_scale")  # type: ignore[attr-defined]
    assert op.properties["weight_bits"] == IntegerAttr(bits, i64)
    n_out = weight.shape[0]
    assert scale.shape == ((n_out,) if per_channel else (1,))
    q = weight.reshape(n_out, -1) / scale.reshape(-1, 1)
    assert q.dtype == np.float32
    np.testing.assert_array_equal(q, np.rint(q))
    assert np.abs(q).max() <= 2 ** (bits - 1) - 1


# --------------------------------------------------------------------------------------------
# The integer grid
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    bits=st.integers(2, 16),
    per_channel=st.booleans(),
    n_out=st.integers(1, 5),
    n_in=st.integers(1, 6),
    magnitude=st.floats(1e-6, 1e6),
    seed=st.integers(0, 2**16),
)
def test_rows_are_integers_times_scale(bits, per_channel, n_out, n_in, magnitude, seed):
    rng = np.random.default_rng(seed)
    rows = (rng.normal(0, 1, (n_out, n_in)) * magnitude).astype(np.float32)
    bias = (rng.normal(0, 1, n_out) * magnitude).astype(np.float32)
    result = quantize_rows(rows, bias, bits, per_channel)
    qmax = 2 ** (bits - 1) - 1
    per_row = result.scale.reshape(-1, 1)
    assert result.scale.shape == ((n_out,) if per_channel else (1,))
    # exact in f32 both ways: q * scale is the weight, weight / scale is q
    np.testing.assert_array_equal(result.rows / per_row, result.integers.astype(np.float32))
    np.testing.assert_array_equal(result.integers.astype(np.float32) * per_row, result.rows)
    assert np.abs(result.integers).max() <= qmax
    # the largest weight of each group lands on the largest integer (scale rounded up by at
    # most 2^-(24 - bits), so that holds up to 12 bits), and rounding moves a weight by at
    # most half a step
    largest = np.abs(result.integers).max(axis=1 if per_channel else None)
    if bits <= 12:
        assert (largest == qmax).all()
    assert (np.abs(result.rows - rows) <= per_row / 2 * (1 + 1e-6)).all()
    # a bias may exceed the weights' range: its integers are rint(b / scale), b = f32(q * scale)
    assert result.bias is not None
    scale64 = result.scale.astype(np.float64)
    q_bias = np.rint(result.bias / scale64)
    np.testing.assert_array_equal((q_bias * scale64).astype(np.float32), result.bias)


def test_zero_rows_take_the_scale_of_their_bias():
    rows = np.array([[0.0, 0.0], [0.5, -1.0]], np.float32)
    result = quantize_rows(rows, np.array([1.4, 0.0], np.float32), 4, per_channel=True)
    # 1.4 / 7 and 1.0 / 7, rounded up to 21 significant bits
    assert (result.scale >= [0.2, 1 / 7]).all()
    np.testing.assert_allclose(result.scale, [0.2, 1 / 7], rtol=2**-20)
    np.testing.assert_allclose(result.bias, [1.4, 0.0], rtol=2**-20)
    no_bias = quantize_rows(np.zeros((2, 3), np.float32), None, 8, per_channel=False)
    np.testing.assert_array_equal(no_bias.scale, [1.0])
    np.testing.assert_array_equal(no_bias.rows, 0)


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize(("bits", "per_channel"), [(8, False), (4, True), (16, False)])
def test_fixture_weights_are_integers_in_range(name, bits, per_channel):
    module = quantized(fixture(name), bits=bits, per_channel=per_channel)
    ops = synapses(module)
    assert ops
    # the scale is not a parameter of its own: the report counts as many as before
    assert graph_stats(module).parameters == graph_stats(fixture(name)).parameters
    for op in ops:
        assert_integer_form(op, bits, per_channel)
    original = {op.results[0].name_hint: op.array("weight") for op in synapses(fixture(name))}  # type: ignore[attr-defined]
    for op in ops:
        step = op.array("weight_scale").reshape(-1, *(1,) * (op.array("weight").ndim - 1))  # type: ignore[attr-defined]
        error = np.abs(op.array("weight") - original[op.results[0].name_hint])  # type: ignore[attr-defined]
        assert (error <= step / 2 * (1 + 1e-6)).all()


# --------------------------------------------------------------------------------------------
# Neuron parameters
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [4, 8, 16, 24])
def test_fixed_point_step_is_the_smallest_power_of_two_that_fits(bits):
    limit = 2 ** (bits - 1) - 1
    for largest in (1e-7, 0.3, 1.0, 7.0, 1234.5, 2.0**20):
        step = fixed_point_step(largest, bits)
        assert step is not None
        assert np.log2(step) == np.round(np.log2(step))
        assert largest <= limit * step
        assert largest > limit * step / 2
    assert fixed_point_step(0.0, bits) is None


@pytest.mark.parametrize("name", ["braille_noDelay_bias_zero", "lif_norse", "two_lif_neurons"])
@pytest.mark.parametrize("param_bits", [4, 12, 16])
def test_fixture_parameters_are_fixed_point(name, param_bits):
    module = fixture(name)
    dt = find_graph(module).dt_value
    before = {
        op.results[0].name_hint: op.get_trait(NeuronOp).parameters(op) for op in neurons(module)
    }  # type: ignore[union-attr]
    for op in neurons(quantized(module, param_bits=param_bits)):
        params = op.get_trait(NeuronOp).parameters(op)  # type: ignore[union-attr]
        old = before[op.results[0].name_hint]
        volts = [params[n] for n in ("v_threshold", "v_leak", "v_reset") if n in params]
        step = fixed_point_step(
            max(float(np.abs(old[n]).max()) for n in old if n.startswith("v_")), param_bits
        )
        assert step is not None
        for values in volts:
            np.testing.assert_array_equal(values / step, np.rint(values / step))
        for name_ in ("tau", "tau_syn", "tau_mem"):
            if name_ not in params:
                continue
            assert (params[name_] > 0).all() and np.isfinite(params[name_]).all()
            alpha = decay_factor(params[name_], dt)
            decay_step = fixed_point_step(float(decay_factor(old[name_], dt).max()), param_bits)
            assert decay_step is not None
            # the simulator's own f32 dt / tau lies on the grid, up to one f32 ulp where no
            # f32 tau gives the grid value exactly
            steps = alpha / decay_step
            assert (np.abs(steps - np.rint(steps)) <= steps * 2**-23).all()
            assert (np.rint(steps) >= 1).all()


def test_decays_keep_one_step_and_tau_stays_positive():
    change = quantize_neuron_params({"tau": np.array([1.0, 1e6, 3e9], np.float32)}, dt=1.0, bits=4)
    tau = change.values["tau"]
    assert (tau > 0).all() and np.isfinite(tau).all()
    np.testing.assert_array_equal(decay_factor(tau, 1.0), [1.0, 0.25, 0.25])  # step 1/4
    assert change.max_decay_error > 1.0  # reported, not hidden


def test_param_bits_zero_leaves_neurons_alone():
    module = fixture("braille_noDelay_bias_zero")
    result = quantized(module, param_bits=0)
    for a, b in zip(neurons(module), neurons(result), strict=True):
        assert a.properties == b.properties
    assert notes(result)[0]["neuron_ops"] == 0


def test_profiled_rates_are_kept():
    module = fixture("braille_noDelay_noBias_subtract")
    from snn_dialect.profile import annotate_firing_rates

    annotate_firing_rates(module, spikes(module, 20, 2, 0.2))
    rates = [op.properties["firing_rates"] for op in neurons(module)]
    after = quantized(module)
    assert [op.properties["firing_rates"] for op in neurons(after)] == rates


# --------------------------------------------------------------------------------------------
# Idempotence, notes, drift
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize(
    "options",
    [{"bits": 8}, {"bits": 16, "per_channel": True}, {"bits": 3, "param_bits": 6}],
    ids=["8", "16-channel", "3-param6"],
)
def test_quantizing_twice_changes_nothing(name, options):
    once = quantized(fixture(name), **options)
    twice = quantized(once, **options)
    assert str(twice) == str(once)
    assert len(notes(twice)) == 1


def test_wider_request_keeps_a_narrower_grid():
    once = quantized(fixture("braille_noDelay_bias_zero"), bits=6)
    wider = quantized(once, bits=10)
    assert str(wider) == str(once)
    narrower = quantized(once, bits=4)
    for op in synapses(narrower):
        assert_integer_form(op, 4, per_channel=False)


@pytest.mark.parametrize("name", FIXTURES)
def test_sixteen_bits_keep_outputs_nearly_identical(name):
    module = fixture(name)
    inputs = spikes(module, 40 if name == "cnn_sinabs" else 100, 4, 0.05)
    if name == "lif_norse":  # the NIR paper drives it with a constant current
        inputs = np.full((100, 4, 1), 0.5, np.float32) * np.arange(1, 5).reshape(1, 4, 1)
    drift = quantization_error(module, quantized(module, bits=16), inputs)
    assert drift["agreement"] >= 0.99
    assert drift["max_rate_difference"] <= 0.01
    note = notes(quantized(module, bits=16))[0]
    assert note["weight_error"] < 2e-4


@pytest.mark.parametrize("name", ["braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"])
def test_four_bits_move_outputs_and_the_note_says_so(name):
    module = fixture(name)
    inputs = spikes(module, 100, 8, 0.05)
    result = quantized(module, bits=4)
    drift = quantization_error(module, result, inputs)
    assert drift["agreement"] < 0.97
    assert drift["max_rate_difference"] > 0.02
    (note,) = notes(result)
    assert note["pass"] == "snn-quantize" and note["bits"] == 4
    assert note["layers"] == len(synapses(module))
    assert note["weight_error"] > 0.1
    assert note["max_weight_error"] > 0.1
    # 8 bits sit in between on the weights
    assert notes(quantized(module, bits=8))[0]["weight_error"] < note["weight_error"] / 4


def test_quantization_error_reports_per_output():
    module = fixture("braille_noDelay_noBias_subtract")
    inputs = spikes(module, 50, 3, 0.1)
    same = quantization_error(module, module.clone(), inputs)
    assert same["agreement"] == 1.0 and same["max_rate_difference"] == 0.0
    (out,) = same["outputs"]
    assert out["spiking"] and out["rate_difference"].shape == (7,)
    assert (same["steps"], same["samples"]) == (50, 3)
    other = fixture("lif_norse")
    with pytest.raises(ValueError, match="types differ"):
        quantization_error(module, other, inputs)


def test_quantized_module_simulates_exports_and_lowers():
    from snn_dialect.nir_io import export_nir
    from transforms.convert_snn_to_linalg import ConvertSnnToLinalgPass

    module = quantized(fixture("cnn_sinabs"), per_channel=True)
    graph = export_nir(module)
    weights = [n.weight for n in graph.nodes.values() if hasattr(n, "weight")]
    np.testing.assert_array_equal(weights[0], synapses(module)[0].array("weight"))  # type: ignore[attr-defined]
    ConvertSnnToLinalgPass().apply(make_context(), module)
    module.verify()


def test_rebuilt_conv_forgets_its_grid():
    """Passes that rebuild a synapse (dead neurons, pruning, fusion) get new weights: the
    rebuilt op drops `weight_scale`, so a per-channel scale never mismatches its rows."""
    module = quantized(fixture("cnn_sinabs"), per_channel=True)
    conv = next(op for op in synapses(module) if isinstance(op, Conv2dOp))
    trait = conv.get_trait(ConvSynapse)
    assert trait is not None
    blocks = trait.blocks(conv)
    rebuilt = trait.rebuilt(conv, blocks[:3], trait.bias(conv)[:3])  # type: ignore[index]
    assert "weight_scale" not in rebuilt.properties
    assert "weight_bits" not in rebuilt.properties
    from snn_dialect.api import run_passes

    run_passes(module, "snn-prune{sparsity=0.5 structured=true}")
    module.verify()


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bits": 1}, r"bits must lie in \[2, 16\], got 1"),
        ({"bits": 17}, r"bits must lie in \[2, 16\], got 17"),
        ({"param_bits": 1}, r"param_bits must be 0 \(off\) or lie in \[2, 24\], got 1"),
        ({"param_bits": 25}, r"param_bits must be 0 \(off\) or lie in \[2, 24\], got 25"),
    ],
)
def test_bad_options(options, message):
    module = fixture("lif_norse")
    with pytest.raises(PassFailedException, match=message):
        QuantizePass(**options).apply(Context(), module)


def one_layer(**properties: object) -> Operation:
    """A linear layer [[0.5, 0.25]] with extra properties (not verified)."""
    b = GraphBuilder([2])
    op = LinearOp(b.inputs[0], np.array([[0.5, 0.25]], np.float32))
    op.properties |= properties  # type: ignore[arg-type]
    return op


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ({"weight_scale": dense_f32([0.25])}, "'weight_scale' needs 'weight_bits' as well"),
        ({"weight_bits": IntegerAttr(8, i64)}, "'weight_bits' needs 'weight_scale' as well"),
        (
            {"weight_scale": dense_f32([0.25]), "weight_bits": IntegerAttr(1, i64)},
            r"'weight_bits' must lie in \[2, 16\], got 1",
        ),
        (
            {"weight_scale": dense_f32([0.25, 0.25]), "weight_bits": IntegerAttr(8, i64)},
            r"'weight_scale' must have shape \[1\] \(per layer\) or \[1\] \(per output\), "
            r"got \[2\]",
        ),
        (
            {"weight_scale": dense_f32([0.0]), "weight_bits": IntegerAttr(8, i64)},
            "'weight_scale' must be positive, element 0 is 0",
        ),
        (
            {"weight_scale": dense_f32([0.2]), "weight_bits": IntegerAttr(8, i64)},
            "snn.linear: weight element 0 is 0.5, not an integer multiple of its weight_scale 0.2",
        ),
        (
            {"weight_scale": dense_f32([0.125]), "weight_bits": IntegerAttr(3, i64)},
            r"snn.linear: weight element 0 is 4 x weight_scale, outside the 3-bit range \[-3, 3\]",
        ),
    ],
)
def test_verifier_checks_the_integer_form(properties, message):
    op = one_layer(**properties)
    with pytest.raises(VerifyException, match=message):
        op.verify()


def test_verifier_checks_the_bias_and_accepts_the_pass_output():
    b = GraphBuilder([2])
    op = AffineOp(b.inputs[0], np.array([[0.5, 0.25]], np.float32), np.array([0.3], np.float32))
    op.properties |= {"weight_scale": dense_f32([0.25]), "weight_bits": IntegerAttr(4, i64)}
    with pytest.raises(VerifyException, match=r"bias element 0 is 0\.3, not an integer multiple"):
        op.verify()
    op.properties["bias"] = dense_f32([-7.5])  # any integer, beyond the weights' range
    op.verify()


def test_every_neuron_kind_quantizes_and_verifies():
    b = GraphBuilder([3], dt=1e-3)
    h = b.add(LinearOp(b.inputs[0], np.random.default_rng(0).normal(0, 1, (4, 3))))
    s = b.neuron(LIFOp, h, **{**LIF, "tau": 0.02, "v_reset": -0.3})
    c = b.neuron(
        CubaLIFOp,
        s,
        tau_syn=np.array([5e-3, 6e-3, 7e-3, 8e-3]),
        tau_mem=1e-2,
        r=1.7,
        v_leak=0.1,
        v_threshold=0.9,
        v_reset=0.0,
        w_in=2.3,
    )
    i = b.neuron(IFOp, c, r=1.1, v_threshold=0.7, v_reset=0.0)
    module = b.module(i)
    result = quantized(module, param_bits=8)
    assert notes(result)[0]["neuron_ops"] == 3
    assert isinstance(find_graph(result), GraphOp)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def test_cli_optimize_prints_the_output_drift(capsys, tmp_path):
    module = fixture("braille_noDelay_noBias_subtract")
    inputs = tmp_path / "spikes.npz"
    np.savez(inputs, input=spikes(module, 60, 4, 0.05))
    out = tmp_path / "q.mlir"
    model = str(DATA / "braille_noDelay_noBias_subtract.nir")
    args = ["optimize", model, "-p", "snn-quantize{bits=4}", "--input", str(inputs), "-o", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "approximation by snn-quantize: bits=4" in printed
    assert f"output drift on {inputs} (60 steps x 4 samples): " in printed
    assert "spike counts " in printed and "most active output unchanged in " in printed
    assert "of output values identical" not in printed
    assert "weight_bits = 4 : i64" in out.read_text()
    # an exact pipeline records no note: no drift line
    assert main(["optimize", model, "-p", "snn-fuse", "--input", str(inputs), "-o", str(out)]) == 0
    assert "output drift" not in capsys.readouterr().out
    # bad options: one line, no output written
    out.unlink()
    assert main(["optimize", model, "-p", "snn-quantize{bits=20}", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.strip().endswith("snn-quantize: bits must lie in [2, 16], got 20")
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
