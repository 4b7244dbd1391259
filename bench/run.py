"""Performance at the scale of real networks: passes, `xdsl-opt` through text, simulator.

    python bench/run.py [--sizes small,medium,large,cnn] [--quick] [--repeats N]

Networks: fully connected LIF nets 784-1024-1024-10 (`small`), 784-2048-2048-10 (`medium`)
and 784-4096-4096-10 (`large`) with random weights and biases, where 10 % of the hidden
neurons have profiled firing rate 0 and 5 % of them duplicate another hidden neuron (same
incoming row, bias and parameters); and the CNN fixture `tests/data/cnn_sinabs.nir` (`cnn`).
For each it prints, as Markdown:

* the time of each pass applied alone in-process (`snn-dead-neuron`, `snn-redundancy`,
  `snn-fuse`, `snn-prune{sparsity=0.9 scope=global}`) and of the default pipeline
  (`snn-optimize`), with what each removed;
* stock `xdsl-opt` in a subprocess, from a textual IR file to printed output (with and
  without `-p snn-optimize`): wall time, peak memory, file size, text bytes per tensor byte;
* the reference simulator's throughput (time steps x samples per second, float32) beside
  snnTorch's on the same network and inputs, when snnTorch is installed;
* how each figure grows from the smallest to the largest network, against the weights.

Times are the best of `--repeats` runs (3; 1 with `--quick`, which also simulates fewer
steps). The machine's load average is printed: other processes inflate wall times.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, ModuleOp
from xdsl.printer import Printer

from snn_dialect.api import OptimizationReport, run_passes
from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module
from snn_dialect.interfaces import value_shape
from snn_dialect.nir_io import import_nir
from snn_dialect.simulator import find_graph, simulate
from snn_dialect.stats import graph_stats

ROOT = Path(__file__).resolve().parent.parent
CNN_FIXTURE = ROOT / "tests" / "data" / "cnn_sinabs.nir"

MLP_SIZES: dict[str, tuple[int, ...]] = {
    "small": (784, 1024, 1024, 10),
    "medium": (784, 2048, 2048, 10),
    "large": (784, 4096, 4096, 10),
}
ALL_NETWORKS = (*MLP_SIZES, "cnn")

PASSES = (
    "snn-dead-neuron",
    "snn-redundancy",
    "snn-fuse",
    "snn-prune{sparsity=0.9 scope=global}",
)
PIPELINE = "snn-optimize"

DT = 1e-3
TAU = 5e-3
THRESHOLD = 1.0
DEAD_FRACTION = 0.10
DUPLICATE_FRACTION = 0.05
INPUT_RATE = 0.2
"""Probability of an input spike per element and step in the simulator benchmark."""
BATCH = 32
STEPS, QUICK_STEPS = 50, 10
TORCH_THREADS = 2


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------


def mlp(sizes: tuple[int, ...], seed: int = 0) -> ModuleOp:
    """An affine -> LIF chain with random weights and biases, profiled firing rates on the
    hidden layers (10 % zero), and 5 % of the hidden neurons duplicating another one."""
    rng = np.random.default_rng(seed)
    layers: list[LayerNode] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        # hidden layers fire at 5-10 % per step on the benchmark's inputs
        weight = rng.normal(0.0, 3.0 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        bias = rng.normal(0.9, 0.1, n_out).astype(np.float32)
        rates = None
        if i < len(sizes) - 2:  # hidden: dead and duplicated neurons (disjoint sets)
            order = rng.permutation(n_out)
            n_dead, n_dup = round(DEAD_FRACTION * n_out), round(DUPLICATE_FRACTION * n_out)
            dead = order[:n_dead]
            copies = order[n_dead : n_dead + n_dup]
            originals = order[n_dead + n_dup : n_dead + 2 * n_dup]
            weight[copies], bias[copies] = weight[originals], bias[originals]
            rates = rng.uniform(0.01, 0.3, n_out).astype(np.float32)
            rates[copies] = rates[originals]
            rates[dead] = 0.0
        layers.append(
            LayerNode(
                name=f"layer{i}",
                n_inputs=n_in,
                n_neurons=n_out,
                weights=weight,
                neuron_type="LIF",
                firing_rates=rates,
                bias=bias,
                params={"tau": TAU, "r": 1.0, "v_leak": 0.0, "v_threshold": THRESHOLD},
            )
        )
    return graph_to_module(SNNGraph(layers=layers, dt=DT))


def network(name: str) -> ModuleOp:
    if name == "cnn":
        return import_nir(CNN_FIXTURE, dt=1.0)  # Sinabs IF neurons: dt = 1 (see fixtures)
    return mlp(MLP_SIZES[name])


def tensor_elements(module: ModuleOp) -> int:
    """Elements of all dense f32 properties (weights, biases, parameters, rates)."""
    total = 0
    for op in module.walk():
        for attr in op.properties.values():
            if isinstance(attr, DenseIntOrFPElementsAttr):
                total += len(attr.data.data) // 4
    return total


def to_text(module: ModuleOp) -> str:
    with tempfile.SpooledTemporaryFile(mode="w+") as stream:
        Printer(stream=stream).print_op(module)  # type: ignore[arg-type]
        stream.write("\n")
        stream.seek(0)
        return stream.read()


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """What one network measured: name -> value (seconds, bytes, counts, or text)."""

    name: str
    weights: int
    values: dict[str, float] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    """The shortest wall time of `repeats` calls of `run`, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def removed(report: OptimizationReport) -> str:
    b, a = report.before, report.after
    parts = [
        f"-{b.neurons - a.neurons} neurons",
        f"-{b.synapses - a.synapses} synapses",
        f"-{b.layers - a.layers} layers",
    ]
    if a.sparsity != b.sparsity:
        parts.append(f"sparsity {a.sparsity:.1%}")
    return ", ".join(parts)


def measure_passes(module: ModuleOp, figures: Figures, repeats: int) -> None:
    for spec in (*PASSES, PIPELINE):
        pass_seconds: list[float] = []

        def run(spec: str = spec, pass_seconds: list[float] = pass_seconds) -> OptimizationReport:
            report = run_passes(module.clone(), spec)
            pass_seconds.append(sum(r.seconds for r in report.pass_results))
            return report

        wall, report = best_of(repeats, run)
        assert isinstance(report, OptimizationReport)
        figures.values[f"{spec} pass s"] = min(pass_seconds)
        figures.values[f"{spec} wall s"] = wall
        figures.notes[f"{spec} removed"] = removed(report)
        if spec == PIPELINE:
            figures.notes[f"{spec} removed"] += f" ({len(report.pass_results) // 3} rounds)"


def peak_rss_run(command: list[str]) -> tuple[float, int, int]:
    """Wall seconds, peak resident bytes and exit code of `command`."""
    timer = shutil.which("time", path="/usr/bin")
    start = time.perf_counter()
    if timer is not None:
        done = subprocess.run([timer, "-v", *command], capture_output=True, text=True)
        wall = time.perf_counter() - start
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        peak = int(found.group(1)) * 1024 if found else -1
    else:  # the largest child so far: run the networks from small to large
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    return wall, peak, done.returncode


def xdsl_opt() -> str:
    local = Path(sys.executable).parent / "xdsl-opt"
    found = str(local) if local.exists() else shutil.which("xdsl-opt")
    if found is None:
        raise SystemExit("bench: xdsl-opt not found (install the project: pip install -e .)")
    return found


def measure_xdsl_opt(module: ModuleOp, figures: Figures, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.mlir", Path(tmp) / "out.mlir"
        source.write_text(to_text(module))
        figures.values["file MB"] = source.stat().st_size / 1e6
        figures.values["text bytes per tensor byte"] = source.stat().st_size / (
            4 * tensor_elements(module)
        )
        empty = Path(tmp) / "empty.mlir"
        empty.write_text("builtin.module {\n}\n")
        runs = [("xdsl-opt -p snn-optimize", source, ["-p", PIPELINE])]
        runs += [("xdsl-opt", source, []), ("xdsl-opt on an empty module", empty, [])]
        for label, path, extra in runs:
            done = [
                peak_rss_run([xdsl_opt(), str(path), *extra, "-o", str(target)])
                for _ in range(repeats)
            ]
            if any(code != 0 for _, _, code in done):
                figures.notes[f"{label} s"] = "failed"
                continue
            figures.values[f"{label} s"] = min(wall for wall, _, _ in done)
            figures.values[f"{label} peak MB"] = max(peak for _, peak, _ in done) / 1e6
            if extra:
                figures.values["output MB"] = target.stat().st_size / 1e6


def spike_inputs(module: ModuleOp, steps: int) -> np.ndarray:
    shape = value_shape(find_graph(module).block.args[0])
    rng = np.random.default_rng(1)
    return (rng.random((steps, BATCH, *shape)) < INPUT_RATE).astype(np.float32)


def measure_simulator(module: ModuleOp, figures: Figures, steps: int, repeats: int) -> None:
    x = spike_inputs(module, steps)
    simulate(module, x[:2])  # warm-up (constants, allocator)
    wall, result = best_of(repeats, lambda: simulate(module, x))
    figures.values["simulator steps*samples/s"] = steps * BATCH / wall
    outputs = result.outputs[0]  # type: ignore[attr-defined]
    figures.values["output spikes"] = float(np.count_nonzero(outputs))
    torch_run = snntorch_model(module)
    if isinstance(torch_run, str):
        figures.notes["snntorch"] = torch_run
        return
    torch_run(x)  # warm-up
    wall, theirs = best_of(repeats, lambda: torch_run(x))
    assert isinstance(theirs, np.ndarray)
    figures.values["snntorch steps*samples/s"] = steps * BATCH / wall
    figures.values["spike agreement"] = float(np.mean(theirs == outputs))


def snntorch_model(module: ModuleOp) -> Callable[[np.ndarray], np.ndarray] | str:
    """The MLP by hand in snnTorch (nn.Linear + snn.Leaky, reset to zero without delay), as
    a function of `[T, B, n_in]` inputs returning the output spikes; or why not."""
    try:
        import snntorch as snn
        import torch
    except ImportError as e:
        return f"not installed ({e.name})"
    from snn_dialect.graph import module_to_graph

    try:
        graph = module_to_graph(module)
    except ValueError:
        return "n/a: the snnTorch model is built by hand for dense LIF chains only"
    torch.set_num_threads(TORCH_THREADS)
    layers: list[tuple[torch.nn.Linear, snn.Leaky]] = []
    for layer in graph.layers:
        a = DT / float(np.asarray(layer.params["tau"]).reshape(-1)[0])
        linear = torch.nn.Linear(layer.n_inputs, layer.n_neurons)
        with torch.no_grad():  # our LIF: v += a (r I - v) = (1 - a) v + a r I
            r = float(np.asarray(layer.params["r"]).reshape(-1)[0])
            linear.weight.copy_(torch.from_numpy(a * r * layer.weights))
            bias = layer.bias if layer.bias is not None else np.zeros(layer.n_neurons)
            linear.bias.copy_(torch.from_numpy(a * r * bias))
        threshold = float(np.asarray(layer.params["v_threshold"]).reshape(-1)[0])
        leaky = snn.Leaky(
            beta=1.0 - a, threshold=threshold, reset_mechanism="zero", reset_delay=False
        )
        layers.append((linear, leaky))

    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            inputs = torch.from_numpy(x)
            states = [leaky.init_leaky() for _, leaky in layers]
            out = []
            for t in range(len(inputs)):
                spikes = inputs[t]
                for i, (linear, leaky) in enumerate(layers):
                    spikes, states[i] = leaky(linear(spikes), states[i])
                out.append(spikes)
            return torch.stack(out).numpy()

    return run


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt(value: float) -> str:
    if value == int(value) and abs(value) >= 1000:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def print_network(figures: Figures) -> None:
    print(f"\n### {figures.name} ({figures.weights:,} weights)\n")
    print("| figure | value | note |")
    print("|---|---|---|")
    for key, value in figures.values.items():
        note = figures.notes.get(key.replace(" pass s", " removed"), "") if " pass s" in key else ""
        print(f"| {key} | {fmt(value)} | {note} |")
    for key, note in figures.notes.items():
        if not key.endswith(" removed"):
            print(f"| {key} | | {note} |")


GROWTH = (" s", " MB", "steps*samples/s")
"""Figures whose growth is reported: times, sizes and throughputs (as time per step*sample)."""


def print_growth(first: Figures, last: Figures) -> None:
    ratio = last.weights / first.weights
    print(f"\n### Growth from {first.name} to {last.name} (weights x{ratio:.2f})\n")
    print("Cost ratios (throughputs inverted: time per step*sample); a ratio / weight ratio")
    print("at or below 1 grows no faster than the weights.\n")
    print("| figure | ratio | ratio / weight ratio |")
    print("|---|---|---|")
    for key, value in last.values.items():
        base = first.values.get(key)
        if not base or not key.endswith(GROWTH) or "empty module" in key:
            continue
        growth = base / value if key.endswith("/s") else value / base
        print(f"| {key} | x{growth:.2f} | {growth / ratio:.2f} |")


def machine_notes(start_load: tuple[float, float, float]) -> None:
    import numpy

    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    import xdsl

    print("\n### Machine\n")
    print(f"- {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"- numpy {numpy.__version__}, xdsl {xdsl.__version__}, torch {torch_version}")
    print(
        f"- load average at start {start_load[0]:.2f}, at end {os.getloadavg()[0]:.2f} "
        "(1 min; other processes share the cores)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default=",".join(ALL_NETWORKS), help=f"from {', '.join(ALL_NETWORKS)}"
    )
    parser.add_argument("--quick", action="store_true", help="one run each, fewer steps")
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure (best)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sizes.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_NETWORKS]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}; choose from {', '.join(ALL_NETWORKS)}")
    repeats = args.repeats or (1 if args.quick else 3)
    steps = QUICK_STEPS if args.quick else STEPS
    start_load = os.getloadavg()
    print(f"# python bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"\nrepeats {repeats} (best shown), simulation T={steps} B={BATCH} float32")
    measured: list[Figures] = []
    for name in names:
        module = network(name)
        stats = graph_stats(module)
        figures = Figures(name, stats.weights)
        print(f"\n{name}: building done, measuring...", file=sys.stderr, flush=True)
        measure_passes(module, figures, repeats)
        measure_xdsl_opt(module, figures, repeats)
        measure_simulator(module, figures, steps, repeats)
        print_network(figures)
        measured.append(figures)
    mlps = [f for f in measured if f.name in MLP_SIZES]
    if len(mlps) >= 2:
        print_growth(mlps[0], mlps[-1])
    machine_notes(start_load)


if __name__ == "__main__":
    main()
