"""The Xylo backend: integer semantics, lowering, fit diagnostics, and agreement with
SynSense's bit-accurate simulator `xylosim` (skipped when it is not installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from snn_dialect.api import run_passes
from snn_dialect.cli import load_module, main
from snn_dialect.integer_sim import XyloSpec, simulate_xylo
from snn_dialect.nir_io import import_nir
from snn_dialect.xylo import XyloFitError, lower_to_xylo, measure_drift
from tests.xylo_nets import xylo_shaped

DATA = Path(__file__).parent / "data"
BRAILLE = ["braille_noDelay_bias_zero.nir", "braille_noDelay_noBias_subtract.nir"]
SPIKES = Path(__file__).parent.parent / "examples" / "braille_spikes.npz"
BRAILLE_DT = 1e-4
"""The Braille networks' step (snnTorch writes it as `r = tau / dt`, not in the metadata)."""


def random_spec(rng: np.random.Generator, n_in: int, n: int, n_out: int) -> XyloSpec:
    """Random int8 weights (half zero), shifts, decays, thresholds and biases; large shifts
    drive the 16-bit state into saturation."""

    def w(*shape: int) -> np.ndarray:
        return rng.integers(-128, 128, shape) * (rng.random(shape) < 0.5)

    return XyloSpec(
        weights_in=w(n_in, n, 2),
        weights_rec=w(n, n, 2),
        weights_out=w(n, n_out),
        dash_mem=rng.integers(0, 16, n),
        dash_mem_out=rng.integers(0, 16, n_out),
        dash_syn=rng.integers(0, 16, n),
        dash_syn_2=rng.integers(0, 16, n),
        dash_syn_out=rng.integers(0, 16, n_out),
        threshold=rng.integers(1, 2**15, n) // rng.integers(1, 300, n) + 1,
        threshold_out=rng.integers(1, 3000, n_out),
        bias=rng.integers(-200, 200, n) * (rng.random(n) < 0.3),
        bias_out=rng.integers(-50, 50, n_out),
        weight_shift_in=int(rng.integers(0, 8)),
        weight_shift_rec=int(rng.integers(0, 8)),
        weight_shift_out=int(rng.integers(0, 8)),
    )


def one_neuron(w: int, threshold: int = 30000, dash_syn: int = 2, dash_mem: int = 4, **kw):
    spec = XyloSpec(
        weights_in=np.array([[[w, 0]]]),
        weights_rec=np.zeros((1, 1, 2), np.int64),
        weights_out=np.zeros((1, 1), np.int64),
        dash_mem=np.array([dash_mem]),
        dash_mem_out=np.array([1]),
        dash_syn=np.array([dash_syn]),
        dash_syn_2=np.array([2]),
        dash_syn_out=np.array([1]),
        threshold=np.array([threshold]),
        threshold_out=np.array([30000]),
        bias=np.zeros(1, np.int64),
        bias_out=np.zeros(1, np.int64),
        **kw,
    )
    return spec


# ---- the definition, by hand -----------------------------------------------------------------


def test_add_then_decay_and_membrane():
    x = np.array([1, 0, 0, 0, 0]).reshape(5, 1, 1)
    r = simulate_xylo(one_neuron(100), x, record=True)
    assert r.states is not None
    # I: 100 - (100 >> 2) = 75, then 75 - 18 = 57, ...; V = V - (V >> 4) + I
    assert r.states["i_syn"][:, 0, 0].tolist() == [75, 57, 43, 33, 25]
    assert r.states["v"][:, 0, 0].tolist() == [75, 128, 163, 186, 200]


def test_decay_moves_at_least_one_unit_and_floors_negatives():
    x = np.array([1, 0, 0]).reshape(3, 1, 1)
    assert simulate_xylo(one_neuron(3), x, record=True).states["i_syn"][:, 0, 0].tolist() == [
        2,
        1,
        0,
    ]
    neg = simulate_xylo(one_neuron(-100), x, record=True).states["i_syn"][:, 0, 0]
    assert neg.tolist() == [-75, -56, -42]  # -75 >> 2 = -19


def test_several_spikes_per_step_subtractive_reset_and_cap():
    x = np.ones((3, 1, 1), np.int64)
    r = simulate_xylo(one_neuron(100, threshold=60), x, record=True)
    assert r.hidden[:, 0, 0].tolist() == [1, 2, 3]
    assert r.states["v"][:, 0, 0].tolist() == [15, 26, 19]
    capped = simulate_xylo(one_neuron(127, threshold=1, dash_syn=15, weight_shift_in=7), x)
    assert capped.hidden.max() == 31


def test_saturation_is_per_event_in_input_order():
    spec = one_neuron(0, threshold=32767, dash_syn=15, dash_mem=15, weight_shift_in=6)
    x = np.ones((1, 1, 4), np.int64)
    up = np.array([[[127, 0]]] * 3 + [[[-128, 0]]])
    down = up[::-1].copy()

    def current(weights: np.ndarray) -> int:
        spec.weights_in = weights
        r = simulate_xylo(spec, x, record=True)
        assert r.states is not None
        return int(r.states["i_syn"][0, 0, 0])

    # shift 6: 3 * 8128 - 8192 = 16192 in any order (then the decay takes 1)
    assert current(up) == current(down) == 16191
    spec.weight_shift_in = 7  # 3 * 16256 saturates at 32767 before -16384 arrives
    assert current(up) == 32767 - 16384 - 1
    assert current(down) == 3 * 16256 - 16384 - 1


def test_spec_round_trips_through_npz_and_json(tmp_path: Path):
    spec = random_spec(np.random.default_rng(0), 3, 5, 2)
    for name in ("s.npz", "s.json"):
        spec.save(tmp_path / name)
        again = XyloSpec.load(tmp_path / name)
        for key, value in spec.as_dict().items():
            assert np.array_equal(getattr(again, key), value), key


# ---- the lowering -------------------------------------------------------------------------


@pytest.mark.parametrize("name", BRAILLE)
def test_braille_fits_and_decays_are_reported(name: str):
    low = lower_to_xylo(import_nir(DATA / name, dt=BRAILLE_DT))
    usage = low.report.usage
    assert usage["input channels"] == (12, 16)
    assert usage["hidden neurons"][0] in (38, 40) and usage["output neurons"] == (7, 8)
    assert low.spec.weights_in.min() >= -128 and low.spec.weights_in.max() <= 127
    assert np.abs(low.spec.weights_in).max() == 127  # per-neuron scale uses the int8 range
    # tau_mem / dt = 6.67 becomes 2^3 = 8: a 20 % error, reported
    assert low.report.tau_error["dash_mem"] == pytest.approx(0.2, abs=1e-3)


def test_exact_time_constants_give_the_float_membrane():
    """With tau = 2^d dt the chip's membrane over its threshold follows NIR's v over
    v_threshold (up to integer rounding) until the first spike."""
    rng = np.random.default_rng(5)
    module = xylo_shaped(rng, 4, 3, 2, recurrent=False, gain=0.3, exact_taus=True)
    low = lower_to_xylo(module)
    x = np.zeros((15, 1, 4), np.int64)
    x[0, 0, :] = 1
    chip = simulate_xylo(low.spec, x, record=True)
    assert chip.hidden.sum() == 0
    from snn_dialect.dense import to_array
    from snn_dialect.ops import CubaLIFOp, LinearOp
    from snn_dialect.simulator import find_graph

    ops = list(find_graph(module).block.ops)
    weight = to_array(next(o for o in ops if isinstance(o, LinearOp)).weight).astype(float)
    hid = next(o for o in ops if isinstance(o, CubaLIFOp))
    p = {k: to_array(getattr(hid, k)).astype(float) for k in ("tau_syn", "tau_mem", "r", "w_in")}
    theta = to_array(hid.v_threshold).astype(float)
    i = v = np.zeros(3)
    for t in range(15):
        i = i + 1e-3 / p["tau_syn"] * (-i + p["w_in"] * (weight @ x[t, 0]))
        v = v + 1e-3 / p["tau_mem"] * (-v + p["r"] * i)
        got = chip.states["v"][t, 0] / low.spec.threshold
        assert np.allclose(got, v / theta, atol=0.01), t


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda rng: xylo_shaped(rng, 17, 4, 2), "input has 17 channels, Xylo Audio 2 has 16"),
        (lambda rng: xylo_shaped(rng, 4, 1001, 2, recurrent=False), "1001 hidden neurons"),
        (lambda rng: xylo_shaped(rng, 4, 5, 9), "9 output neurons, Xylo Audio 2 has 8"),
        (lambda rng: xylo_shaped(rng, 4, 5, 2, import_dt=1.0), "tau_syn[0] / dt"),
    ],
)
def test_networks_over_a_limit_get_one_line_naming_it(build, message: str):
    with pytest.raises(XyloFitError, match=message.replace("[", r"\[")) as error:
        lower_to_xylo(build(np.random.default_rng(0)))
    assert "\n" not in str(error.value)


def test_networks_at_the_limits_fit():
    low = lower_to_xylo(xylo_shaped(np.random.default_rng(0), 16, 1000, 8, recurrent=False))
    assert low.report.usage["hidden neurons"] == (1000, 1000)
    assert low.report.usage["input channels"] == (16, 16)
    assert low.report.usage["output neurons"] == (8, 8)


def test_fan_out_at_and_over_the_limit():
    """Dense recurrence over 57 neurons plus 7 readouts is a fan-out of 64, the limit."""
    rng = np.random.default_rng(1)
    low = lower_to_xylo(xylo_shaped(rng, 4, 57, 7, rec_density=1.0))
    assert low.report.usage["largest hidden fan-out"] == (64, 64)
    with pytest.raises(XyloFitError, match=r"fan-out 65, Xylo Audio 2 allows 64 \(exceeded by 1"):
        lower_to_xylo(xylo_shaped(rng, 4, 58, 7, rec_density=1.0))


def test_sinabs_cnn_gets_the_reason_it_does_not_fit(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(XyloFitError, match="input has 2312 channels, Xylo Audio 2 has 16"):
        lower_to_xylo(import_nir(DATA / "cnn_sinabs.nir", dt=1.0))
    code = main(["xylo", str(DATA / "cnn_sinabs.nir"), "--dt", "1", "-o", "never.npz"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "exceeded by 2296" in err
    assert not Path("never.npz").exists()


# ---- the vendor's simulator -----------------------------------------------------------------


def test_random_specs_match_xylosim():
    pytest.importorskip("xylosim")
    from snn_dialect.xylosim_runner import run_xylosim

    saturated = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        spec = random_spec(
            rng, int(rng.integers(1, 17)), int(rng.integers(1, 60)), int(rng.integers(1, 9))
        )
        shape = (100, 3, spec.sizes[0])
        x = rng.integers(0, 3, shape) * (rng.random(shape) < 0.3)
        ours = simulate_xylo(spec, x, record=True)
        theirs = run_xylosim(spec, x)
        assert np.array_equal(ours.hidden, theirs.hidden), seed
        assert np.array_equal(ours.outputs, theirs.outputs), seed
        assert ours.states is not None
        saturated += int(np.any(np.abs(ours.states["v"]) >= 2**15 - 1))
    assert saturated >= 3  # the state's saturation was exercised


def test_lowered_random_networks_match_xylosim():
    pytest.importorskip("xylosim")
    from snn_dialect.xylosim_runner import run_xylosim

    spikes = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        module = xylo_shaped(rng, 8, 40, 5, recurrent=seed % 3 != 0, gain=[0.5, 2.0, 8.0][seed % 3])
        spec = lower_to_xylo(module).spec
        x = (rng.random((150, 4, 8)) < 0.2).astype(np.int64)
        ours, theirs = simulate_xylo(spec, x), run_xylosim(spec, x)
        assert np.array_equal(ours.hidden, theirs.hidden), seed
        assert np.array_equal(ours.outputs, theirs.outputs), seed
        spikes += int(ours.hidden.sum())
    assert spikes > 0


@pytest.mark.parametrize("name", BRAILLE)
def test_braille_end_to_end_matches_xylosim(name: str):
    pytest.importorskip("xylosim")
    from snn_dialect.xylosim_runner import run_xylosim

    original = import_nir(DATA / name, dt=BRAILLE_DT)
    module = original.clone()
    run_passes(module, "snn-optimize,snn-quantize")
    spec = lower_to_xylo(module).spec
    x = np.load(SPIKES)["input"].astype(np.int64)
    ours, theirs = simulate_xylo(spec, x), run_xylosim(spec, x)
    assert np.array_equal(ours.outputs, theirs.outputs)
    assert np.array_equal(ours.hidden, theirs.hidden)
    assert ours.hidden.sum() > 0
    drift = measure_drift(original, spec, x)
    assert drift["float_spikes"] > 0 and drift["chip_spikes"] > 0
    assert 0.0 <= drift["argmax_agreement"] <= 1.0


def test_cli_writes_spec_report_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    pytest.importorskip("xylosim")
    spec_path, report = tmp_path / "spec.npz", tmp_path / "report.json"
    model = str(DATA / BRAILLE[1])
    args = ["xylo", model, "--dt", "1e-4", "-o", str(spec_path), "--input", str(SPIKES)]
    args.append("--check")
    assert main([*args, "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "Xylo fit (xylo-audio2): fits" in out
    assert "xylosim: 0 of 5600 output spikes and 0 of 32000 hidden spike counts differ" in out
    spec = XyloSpec.load(spec_path)
    assert spec.sizes == (12, 40, 7)
    again = lower_to_xylo(load_module(model, BRAILLE_DT)).spec
    assert np.array_equal(spec.weights_in, again.weights_in)
    assert '"argmax_agreement"' in report.read_text()


def _rockpool_xylo_sim() -> type:
    """Rockpool's `XyloSim` (Xylo Audio 2). Its package `__init__`s import `samna`, which PyPI
    ships as a stub that cannot load here, so the two simulator files are loaded on their own
    (their own imports are Rockpool's core and `xylosim`)."""
    import importlib.util
    import sys
    import types

    rockpool = pytest.importorskip("rockpool")
    pytest.importorskip("xylosim")
    base = Path(rockpool.__file__).parent / "devices" / "xylo"
    for package in ("", ".syns61300", ".syns61201"):
        name = "rockpool.devices.xylo" + package
        if name not in sys.modules:
            stub = types.ModuleType(name)
            stub.__path__ = []
            sys.modules[name] = stub
    loaded = None
    for name in ("syns61300", "syns61201"):
        full = f"rockpool.devices.xylo.{name}.xylo_sim"
        spec = importlib.util.spec_from_file_location(full, base / name / "xylo_sim.py")
        assert spec is not None and spec.loader is not None
        loaded = importlib.util.module_from_spec(spec)
        sys.modules[full] = loaded
        spec.loader.exec_module(loaded)
    assert loaded is not None
    return loaded.XyloSim


def test_rockpool_loads_the_spec_file_and_agrees(tmp_path: Path):
    """`XyloSim.from_specification(**np.load(spec.npz))` runs the written spec: same spikes."""
    xylo_sim = _rockpool_xylo_sim()
    module = import_nir(DATA / BRAILLE[0], dt=BRAILLE_DT)
    run_passes(module, "snn-optimize,snn-quantize")
    lower_to_xylo(module).spec.save(tmp_path / "spec.npz")
    with np.load(tmp_path / "spec.npz") as data:
        sim = xylo_sim.from_specification(**{k: data[k] for k in data.files})
    x = np.load(SPIKES)["input"].astype(np.int64)
    ours = simulate_xylo(XyloSpec.load(tmp_path / "spec.npz"), x)
    for b in range(2):
        sim.reset_state()
        out, _, record = sim(x[:, b], record=True)
        assert np.array_equal(out, ours.outputs[:, b])
        assert np.array_equal(record["Spikes"], ours.hidden[:, b])
    assert ours.outputs[:, :2].sum() > 0


def test_recurrent_bias_counts_like_an_input_bias():
    """The bias of a recurrent `snn.affine` is a constant drive like the input's (NIR: `W s +
    b` from the first step): moving it into the input bias gives the same chip biases."""
    from snn_dialect.dense import dense_f32, to_array
    from snn_dialect.ops import AffineOp

    def affines(module) -> dict[str, AffineOp]:
        return {op.results[0].name_hint: op for op in module.walk() if isinstance(op, AffineOp)}

    module = import_nir(DATA / BRAILLE[0], dt=BRAILLE_DT)
    moved = module.clone()
    ops = affines(moved)
    total = to_array(ops["fc1"].bias) + to_array(ops["lif1.w_rec"].bias)
    ops["fc1"].properties["bias"] = dense_f32(total)
    ops["lif1.w_rec"].properties["bias"] = dense_f32(np.zeros_like(total))
    bias = lower_to_xylo(module).spec.bias
    assert np.array_equal(bias, lower_to_xylo(moved).spec.bias)
    dropped = moved.clone()
    affines(dropped)["fc1"].properties["bias"] = dense_f32(to_array(affines(module)["fc1"].bias))
    assert not np.array_equal(bias, lower_to_xylo(dropped).spec.bias)


def test_no_instantaneous_synapse():
    """`dash_syn = 0` clears the current right after the input is added: the membrane never
    sees it, so an `snn.lif` (no synaptic filter) has no exact counterpart on Xylo."""
    spec = one_neuron(100, dash_syn=0)
    x = np.ones((5, 1, 1), np.int64)
    ours = simulate_xylo(spec, x, record=True)
    assert ours.states is not None and not ours.states["v"].any()
    pytest.importorskip("xylosim")
    from snn_dialect.xylosim_runner import XylosimNetwork

    net = XylosimNetwork(spec)
    net.run(x)
    assert not np.any(net.layer.rec_v_mem)
