"""Performance at the scale of real networks: passes, `xdsl-opt` through text, simulator.

    python bench/run.py [--sizes small,medium,large,cnn] [--quick] [--repeats N]
    python bench/run.py --sizes large,xlarge        # 784-8192-8192-10: opt-in, needs ~4 GB

Networks (`bench/networks.py`): fully connected LIF nets 784-1024-1024-10 (`small`),
784-2048-2048-10 (`medium`), 784-4096-4096-10 (`large`, 20 M weights) and, on request,
784-8192-8192-10 (`xlarge`, 73.6 M weights), with random weights and biases; in the hidden
layers 10 % of the neurons are dead (zero incoming weights, negative bias: they never fire;
profiled rate 0) and 5 % duplicate another neuron. And the CNN fixture
`tests/data/cnn_sinabs.nir` (`cnn`). For each it prints, as Markdown:

* the time of each pass applied alone in-process (`snn-dead-neuron`, `snn-redundancy`,
  `snn-fuse`, `snn-prune{sparsity=0.9 scope=global}`) and of the default pipeline
  (`snn-optimize`), with what each removed;
* stock `xdsl-opt` in a subprocess, from a textual IR file to printed output (with and
  without `-p snn-optimize`): wall time, peak memory, file size, text bytes per tensor byte;
  beside it, run for run, the floor of that job (`bench/floor.py`: read, unhexlify, two
  passes over the weights, a row hash, hexlify, write), and the ratios to it;
* the reference simulator's throughput (time steps x samples per second, float32) beside
  snnTorch's on the same network and inputs, when snnTorch is installed (both on
  `TORCH_THREADS` threads; `bench/simulator.py` compares them on one thread);
* how each figure grows from the smallest to the largest network, against the weights,
  with `xdsl-opt`'s start-up (its time on an empty module) taken out first.

Every figure is the median of `--repeats` runs (5; 1 with `--quick`, which also simulates
fewer steps), with the min and max beside it. The machine's load average is printed: other
processes inflate wall times.
"""

from __future__ import annotations

import argparse
import gc
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
from snn_dialect.interfaces import value_shape
from snn_dialect.simulator import find_graph, simulate
from snn_dialect.stats import graph_stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import floor_once
from networks import cnn, fresh_copy, mlp, snntorch_model

MLP_SIZES: dict[str, tuple[int, ...]] = {
    "small": (784, 1024, 1024, 10),
    "medium": (784, 2048, 2048, 10),
    "large": (784, 4096, 4096, 10),
    "xlarge": (784, 8192, 8192, 10),
}
DEFAULT_NETWORKS = ("small", "medium", "large", "cnn")
ALL_NETWORKS = (*MLP_SIZES, "cnn")

PASSES = (
    "snn-dead-neuron",
    "snn-redundancy",
    "snn-fuse",
    "snn-prune{sparsity=0.9 scope=global}",
)
PIPELINE = "snn-optimize"

INPUT_RATE = 0.2
"""Probability of an input spike per element and step in the simulator benchmark."""
BATCH = 32
STEPS, QUICK_STEPS = 50, 10
TORCH_THREADS = 2


# --------------------------------------------------------------------------------------------
# Networks
# --------------------------------------------------------------------------------------------


def network(name: str) -> ModuleOp:
    return cnn() if name == "cnn" else mlp(MLP_SIZES[name])


def tensor_elements(module: ModuleOp) -> int:
    """Elements of all dense f32 properties (weights, biases, parameters, rates)."""
    total = 0
    for op in module.walk():
        for attr in op.properties.values():
            if isinstance(attr, DenseIntOrFPElementsAttr):
                total += len(attr.data.data) // 4
    return total


def write_text(module: ModuleOp, path: Path) -> None:
    with open(path, "w") as stream:
        Printer(stream=stream).print_op(module)
        stream.write("\n")


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """What one network measured: name -> value (seconds, bytes, counts, or text)."""

    name: str
    weights: int
    values: dict[str, float] = field(default_factory=dict)
    spread: dict[str, tuple[float, float]] = field(default_factory=dict)
    """min and max of the runs behind a median in `values`"""
    notes: dict[str, str] = field(default_factory=dict)

    def put(self, key: str, runs: list[float]) -> None:
        """The median of `runs` under `key`, with their min and max."""
        self.values[key] = float(np.median(runs))
        self.spread[key] = (min(runs), max(runs))


def timed(repeats: int, run: Callable[[], object]) -> tuple[list[float], object]:
    """Wall times of `repeats` calls of `run`, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return times, result


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
        walls: list[float] = []

        def run(
            spec: str = spec, pass_seconds: list[float] = pass_seconds, walls: list[float] = walls
        ) -> OptimizationReport:
            target = fresh_copy(module)  # cold: nothing remembered per attribute; not timed
            gc.collect()  # the copies of earlier runs are freed before this one, not during it
            start = time.perf_counter()
            report = run_passes(target, spec)
            walls.append(time.perf_counter() - start)
            pass_seconds.append(sum(r.seconds for r in report.pass_results))
            return report

        _, report = timed(repeats, run)
        assert isinstance(report, OptimizationReport)
        figures.put(f"{spec} pass s", pass_seconds)
        figures.put(f"{spec} wall s", walls)
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
    """`xdsl-opt` in subprocesses, each run of the optimizing job followed by a run of its
    floor (so both see the same load)."""
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.mlir", Path(tmp) / "out.mlir"
        write_text(module, source)
        weight_text = 2 * 4 * tensor_elements(module)  # hex: two characters per byte
        figures.values["file MB"] = source.stat().st_size / 1e6
        figures.values["text bytes per tensor byte"] = source.stat().st_size / (weight_text / 2)
        empty = Path(tmp) / "empty.mlir"
        empty.write_text("builtin.module {\n}\n")
        runs = [("xdsl-opt -p snn-optimize", source, ["-p", PIPELINE])]
        runs += [("xdsl-opt", source, []), ("xdsl-opt on an empty module", empty, [])]
        floors: list[float] = []
        for label, path, extra in runs:
            done = []
            for _ in range(repeats):
                done.append(peak_rss_run([xdsl_opt(), str(path), *extra, "-o", str(target)]))
                if extra:
                    start = time.perf_counter()
                    floor_once(source, Path(tmp) / "floor.out")
                    floors.append(time.perf_counter() - start)
            if any(code != 0 for _, _, code in done):
                figures.notes[f"{label} s"] = "failed"
                continue
            figures.put(f"{label} s", [wall for wall, _, _ in done])
            figures.put(f"{label} peak MB", [peak / 1e6 for _, peak, _ in done])
            if extra:
                figures.values["output MB"] = target.stat().st_size / 1e6
        figures.put("floor s", floors)
        job = figures.values.get("xdsl-opt -p snn-optimize s")
        start_up = figures.values.get("xdsl-opt on an empty module s")
        if job is not None and start_up is not None and weight_text > 1e6:
            floor = figures.values["floor s"]
            figures.values["xdsl-opt -p snn-optimize / floor"] = job / floor
            figures.values["... without start-up / floor"] = (job - start_up) / floor
            peak = figures.values["xdsl-opt -p snn-optimize peak MB"] * 1e6
            figures.values["peak / weight text"] = peak / weight_text


def spike_inputs(module: ModuleOp, steps: int) -> np.ndarray:
    shape = value_shape(find_graph(module).block.args[0])
    rng = np.random.default_rng(1)
    return (rng.random((steps, BATCH, *shape)) < INPUT_RATE).astype(np.float32)


def measure_simulator(module: ModuleOp, figures: Figures, steps: int, repeats: int) -> None:
    x = spike_inputs(module, steps)
    simulate(module, x[:2])  # warm-up (constants, allocator)
    torch_run = snntorch_model(module)
    if isinstance(torch_run, str):
        figures.notes["snntorch"] = torch_run
    else:
        import torch

        torch.set_num_threads(TORCH_THREADS)
        torch_run(x[:2])  # warm-up
    ours, theirs, result, spikes = [], [], None, None
    for _ in range(repeats):  # side by side, so that both see the same load
        start = time.perf_counter()
        result = simulate(module, x)
        ours.append(steps * BATCH / (time.perf_counter() - start))
        if not isinstance(torch_run, str):
            start = time.perf_counter()
            spikes = torch_run(x)
            theirs.append(steps * BATCH / (time.perf_counter() - start))
    assert result is not None
    figures.put("simulator steps*samples/s", ours)
    figures.values["output spikes"] = float(np.count_nonzero(result.outputs[0]))
    if spikes is not None:
        figures.put("snntorch steps*samples/s", theirs)
        figures.values["spike agreement"] = float(np.mean(spikes == result.outputs[0]))


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
    print("| figure | median | min-max | note |")
    print("|---|---|---|---|")
    for key, value in figures.values.items():
        note = figures.notes.get(key.replace(" pass s", " removed"), "") if " pass s" in key else ""
        low, high = figures.spread.get(key, (None, None))
        spread = f"{fmt(low)}-{fmt(high)}" if low is not None and high is not None else ""
        print(f"| {key} | {fmt(value)} | {spread} | {note} |")
    for key, note in figures.notes.items():
        if not key.endswith(" removed"):
            print(f"| {key} | | | {note} |")


GROWTH = (" s", " MB", "steps*samples/s")
"""Figures whose growth is reported: times, sizes and throughputs (as time per step*sample)."""


def _net(figures: Figures, key: str) -> float:
    """A figure with `xdsl-opt`'s start-up taken out of its times (`xdsl-opt` rows)."""
    value = figures.values[key]
    if key.startswith("xdsl-opt") and key.endswith(" s"):
        value -= figures.values.get("xdsl-opt on an empty module s", 0.0)
    return value


def print_growth(first: Figures, last: Figures) -> None:
    ratio = last.weights / first.weights
    print(f"\n### Growth from {first.name} to {last.name} (weights x{ratio:.2f})\n")
    print("Cost ratios (throughputs inverted: time per step*sample; `xdsl-opt` times net of")
    print("its start-up on an empty module), and the exponent k in cost ~ weights^k: at or")
    print("below 1 the cost grows no faster than the weights.\n")
    print("| figure | ratio | ratio / weight ratio | exponent |")
    print("|---|---|---|---|")
    for key in last.values:
        base = first.values.get(key)
        if not base or not key.endswith(GROWTH) or "empty module" in key:
            continue
        value, base = _net(last, key), _net(first, key)
        growth = base / value if key.endswith("/s") else value / base
        if growth <= 0:
            continue
        exponent = np.log(growth) / np.log(ratio)
        print(f"| {key} | x{growth:.2f} | {growth / ratio:.2f} | {exponent:.2f} |")


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
        "--sizes",
        default=",".join(DEFAULT_NETWORKS),
        help=f"from {', '.join(ALL_NETWORKS)} (xlarge only on request)",
    )
    parser.add_argument("--quick", action="store_true", help="one run each, fewer steps")
    parser.add_argument("--repeats", type=int, default=None, help="runs per figure (median)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sizes.split(",") if n.strip()]
    unknown = [n for n in names if n not in ALL_NETWORKS]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}; choose from {', '.join(ALL_NETWORKS)}")
    repeats = args.repeats or (1 if args.quick else 5)
    steps = QUICK_STEPS if args.quick else STEPS
    start_load = os.getloadavg()
    print(f"# python bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"\nrepeats {repeats} (medians, min-max), simulation T={steps} B={BATCH} float32")
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
        sys.stdout.flush()
        measured.append(figures)
    mlps = [f for f in measured if f.name in MLP_SIZES]
    if len(mlps) >= 2:
        print_growth(mlps[0], mlps[-1])
    by_name = {f.name: f for f in mlps}
    if "large" in by_name and "xlarge" in by_name and mlps[0].name != "large":
        print_growth(by_name["large"], by_name["xlarge"])  # beyond 20 M weights
    machine_notes(start_load)


if __name__ == "__main__":
    main()
