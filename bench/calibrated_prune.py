"""Speed and memory of calibrated pruning at scale: `snn-prune{method=calibrated}` on the
784-4096-4096-10 LIF network of `bench/networks.py` (20 M weights).

    python bench/calibrated_prune.py [--repeats N] [--steps T] [--batch B] [--sizes a-b-c-d]

The network (random weights and biases, `bench/networks.py`'s `mlp`) is profiled once through the
reference simulator on Bernoulli(0.2) input spikes `[T=20, B=16, 784]`, which records the
input moment of every synapse op (4097 x 4097 for the 4096-wide layers): a real profile of
this network, not a made-up matrix. Then each configuration runs on a fresh clone of the
profiled module, `--repeats` times (default 3); the script prints, as Markdown, the median
wall time, the median CPU time of the process (both cores count), the peak of memory
allocated during the pass (tracemalloc, one extra run), the process's peak resident memory,
the sparsity reached and the pass's relative current error. The machine's load average is
printed: other processes inflate wall times, not CPU times.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from networks import mlp

from snn_dialect.profile import annotate_firing_rates
from snn_dialect.simulator import find_graph
from snn_dialect.stats import graph_stats
from transforms.notes import approximation_notes
from transforms.prune import PrunePass

CONFIGS: dict[str, dict[str, object]] = {
    "sparsity=0.9 scope=layer": {"sparsity": 0.9},
    "sparsity=0.9 scope=global": {"sparsity": 0.9, "scope": "global"},
    'n_m="2:4"': {"n_m": "2:4"},
    "sparsity=0.5 structured=true": {"sparsity": 0.5, "structured": True},
}
TARGET_SECONDS = 60.0
TARGET_BYTES = 4 * 2**30


def run_once(module: ModuleOp, options: dict[str, object]) -> tuple[float, float, ModuleOp]:
    """(wall s, process CPU s, pruned module) of one pass run on a clone."""
    clone = module.clone()
    pass_ = PrunePass(method="calibrated", **options)  # type: ignore[arg-type]
    wall, cpu = time.perf_counter(), time.process_time()
    pass_.apply(Context(), clone)
    return time.perf_counter() - wall, time.process_time() - cpu, clone


def peak_allocated(module: ModuleOp, options: dict[str, object]) -> int:
    """Peak bytes allocated (Python and numpy) while the pass runs on a clone."""
    clone = module.clone()
    tracemalloc.start()
    tracemalloc.reset_peak()
    PrunePass(method="calibrated", **options).apply(Context(), clone)  # type: ignore[arg-type]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--sizes", default="784-4096-4096-10")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated names")
    args = parser.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split("-"))

    start = time.perf_counter()
    module = mlp(sizes)
    weights = graph_stats(find_graph(module)).weights
    build = time.perf_counter() - start
    x = np.random.default_rng(0).random((args.steps, args.batch, sizes[0])) < 0.2
    start = time.perf_counter()
    annotate_firing_rates(module, x.astype(np.float32))
    profiling = time.perf_counter() - start
    print(f"# Calibrated pruning, {args.sizes} LIF network ({weights:,} weights)\n")
    print(
        f"built in {build:.1f} s; profiled (moments included) on [{args.steps}, {args.batch}, "
        f"{sizes[0]}] Bernoulli(0.2) spikes in {profiling:.1f} s; {os.cpu_count()} cores; "
        f"load average before: {os.getloadavg()[0]:.1f}\n"
    )
    print(
        "| options (with method=calibrated) | wall s (median) | CPU s (median) | "
        "peak allocated MB | sparsity | current error | targets (< 60 s, < 4 GB) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in args.configs.split(","):
        options = CONFIGS[name]
        walls, cpus = [], []
        pruned = module
        for _ in range(args.repeats):
            wall, cpu, pruned = run_once(module, options)
            walls.append(wall)
            cpus.append(cpu)
        peak = peak_allocated(module, options)
        note = approximation_notes(find_graph(pruned))[-1]
        wall = statistics.median(walls)
        verdict = "met" if wall < TARGET_SECONDS and peak < TARGET_BYTES else "missed"
        print(
            f"| `{name}` | {wall:.1f} | {statistics.median(cpus):.1f} | {peak / 2**20:.0f} | "
            f"{note['sparsity']:.3f} | {note['current_error']:.3f} | {verdict} |",
            flush=True,
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"\nprocess peak resident memory: {rss:.0f} MB (network, profile and clones included); "
        f"load average after: {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
