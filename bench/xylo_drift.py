"""Drift from the float Braille networks to Xylo Audio 2, and where it comes from.

    python bench/xylo_drift.py [--samples 32] [--seed 0]

For each Braille network of the NIR paper, after `snn-optimize,snn-quantize` and the Xylo
lowering, prints as Markdown the output drift (`snn_dialect.xylo.measure_drift`) on the
shipped inputs (`examples/braille_spikes.npz`) and on `--samples` random spike trains (200
steps, each input spiking with probability 0.1 per step), then the hidden layer's spikes per
neuron and step in: the float network; the float network with the chip's time constants
(`2^dash dt`); the same with subtractive reset; the same with several spikes per step (up to
31, as the chip's hidden neurons); and the chip (`simulate_xylo`). The three middle rows run a
float model of the recurrent CubaLIF layer written here, which reproduces the reference
simulator's figure when it resets to zero.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nir
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from snn_dialect.api import run_passes  # noqa: E402
from snn_dialect.integer_sim import simulate_xylo  # noqa: E402
from snn_dialect.nir_io import import_nir  # noqa: E402
from snn_dialect.simulator import simulate  # noqa: E402
from snn_dialect.xylo import lower_to_xylo, measure_drift  # noqa: E402

NETWORKS = ["braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"]
STEPS = 200


def hidden_rate_float(path: Path, x: np.ndarray, reset: str) -> float:
    """Hidden spikes per neuron and step of the recurrent CubaLIF layer (forward Euler, the
    chip's time constants), with `reset` 'zero', 'subtract' or 'multi' (subtract, up to 31
    spikes per step)."""
    nodes = nir.read(path).nodes
    dt = 1e-4
    w1 = nodes["fc1"].weight.astype(float)
    wr = nodes["lif1.w_rec"].weight.astype(float)
    b = sum(np.asarray(getattr(nodes[k], "bias", 0.0), float) for k in ("fc1", "lif1.w_rec"))
    cell = nodes["lif1.lif"]

    def snap(tau: np.ndarray) -> np.ndarray:
        return dt * np.exp2(np.rint(np.log2(np.asarray(tau, float) / dt)))

    a_s, a_m = dt / snap(cell.tau_syn), dt / snap(cell.tau_mem)
    r, w_in, th = (np.asarray(v, float) for v in (cell.r, cell.w_in, cell.v_threshold))
    batch, n = x.shape[1], w1.shape[0]
    i = v = s = np.zeros((batch, n))
    total = 0.0
    for t in range(x.shape[0]):
        i = i + a_s * (-i + w_in * (x[t] @ w1.T + s @ wr.T + b))
        v = v + a_m * (-v + r * i)
        if reset == "multi":
            s = np.where(v > th, np.minimum(np.floor(v / th), 31), 0.0)
        else:
            s = (v > th).astype(float)
        v = np.where(s > 0, 0.0, v) if reset == "zero" else v - s * th
        total += float(s.sum())
    return total / (x.shape[0] * batch * n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    shipped = np.load(ROOT / "examples" / "braille_spikes.npz")["input"].astype(np.int64)
    rng = np.random.default_rng(args.seed)
    random = (rng.random((STEPS, args.samples, 12)) < 0.1).astype(np.int64)
    inputs = {"shipped (4)": shipped, f"random ({args.samples})": random}
    print(
        "| network | inputs | output spikes float -> chip | counts moved | counts equal "
        "| argmax agreement | moved by tau rounding alone |"
    )
    rows, rates = [], []
    for name in NETWORKS:
        path = ROOT / "tests" / "data" / f"{name}.nir"
        original = import_nir(path, dt=1e-4)
        module = original.clone()
        run_passes(module, "snn-optimize,snn-quantize")
        spec = lower_to_xylo(module).spec
        for label, x in inputs.items():
            d = measure_drift(original, spec, x)
            rows.append(
                f"| {name} | {label} | {d['float_spikes']} -> {d['chip_spikes']} | "
                f"{100 * d['count_difference']:.1f} % | {100 * d['count_agreement']:.1f} % | "
                f"{100 * d['argmax_agreement']:.1f} % | "
                f"{100 * d['tau_rounding_difference']:.1f} % |"
            )
        x = random
        counts = simulate(original, [x.astype(np.float32)]).spike_counts
        hidden_op = next(op for op in counts if op.results[0].name_hint == "lif1.lif")
        chip = simulate_xylo(spec, x).hidden
        rates.append(
            f"| {name} | {counts[hidden_op].sum() / (x.shape[0] * x.shape[1] * chip.shape[2]):.4f}"
            f" | {hidden_rate_float(path, x.astype(float), 'zero'):.4f}"
            f" | {hidden_rate_float(path, x.astype(float), 'subtract'):.4f}"
            f" | {hidden_rate_float(path, x.astype(float), 'multi'):.4f}"
            f" | {chip.sum() / chip.size:.4f} |"
        )
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print(f"Hidden spikes per neuron and step, random inputs ({args.samples} samples):")
    print()
    print("| network | float | chip taus | + subtractive reset | + several spikes | chip |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rates))


if __name__ == "__main__":
    main()
