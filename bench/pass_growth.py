"""How each pass grows with the weights: its in-process cost at two sizes, and the exponent.

    python bench/pass_growth.py [--sizes large,xlarge] [--repeats 3] [--passes a;b]

For each pass (`bench/run.py`'s passes and `snn-optimize`) and each network (`bench/run.py`'s
sizes; `xlarge` needs about 3 GB), applies the pass alone to a fresh copy of the network, in
this process, and takes its CPU time (user + system), wall time and minor page faults; the
same on a tiny network of the same shape (784-16-16-10) gives the pass's fixed cost. The
sizes take turns within each repeat, so that they see the same load. Every
copy holds new attribute objects, so nothing remembered per attribute (row hashes, value
bounds) carries over from one run to the next. Prints the medians as Markdown, then the
exponent `k = log(t_last / t_first) / log(w_last / w_first)` of the cost net of the fixed
cost, in CPU and in wall time: at or below 1 a pass grows no faster than the weights.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from snn_dialect.api import make_context, resolve_passes
from snn_dialect.stats import graph_stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from networks import fresh_copy, mlp
from run import MLP_SIZES, PASSES, PIPELINE

TINY = (784, 16, 16, 10)


def measure(module: ModuleOp, spec: str) -> tuple[float, float, float]:
    """CPU seconds, wall seconds and minor page faults of `spec` applied to a fresh copy."""
    target = fresh_copy(module)
    ctx = make_context()
    passes = resolve_passes(spec)
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF)
    wall = time.perf_counter()
    for p in passes:
        p.apply(ctx, target)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    del target
    gc.collect()
    return cpu, wall, float(after.ru_minflt - before.ru_minflt)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="large,xlarge")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--passes", default=";".join((*PASSES, PIPELINE)), help="';'-separated")
    args = parser.parse_args()
    specs = args.passes.split(";")
    names = ["tiny", *args.sizes.split(",")]
    modules = {"tiny": mlp(TINY), **{n: mlp(MLP_SIZES[n]) for n in names[1:]}}
    weights = {n: graph_stats(m).weights for n, m in modules.items()}
    print("| pass | network | CPU s | wall s | minor faults |")
    print("|---|---|---|---|---|")
    medians: dict[tuple[str, str], tuple[float, float]] = {}
    for spec in specs:
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
        for _ in range(args.repeats):  # the sizes in turn, so that they see the same load
            for name in names:
                runs[name].append(measure(modules[name], spec))
        for name in names:
            cpu, wall, faults = np.median(np.array(runs[name]), axis=0)
            medians[spec, name] = (cpu, wall)
            print(f"| {spec} | {name} | {cpu:.3f} | {wall:.3f} | {faults:,.0f} |", flush=True)
    first, last = names[1], names[-1]
    ratio = weights[last] / weights[first]
    print(f"\nExponent k, cost net of the {TINY} cost ~ weights^k, {first} to {last}:\n")
    print("| pass | k (CPU) | k (wall) |")
    print("|---|---|---|")
    for spec in specs:
        ks = []
        for i in range(2):
            fixed = medians[spec, "tiny"][i]
            a, b = medians[spec, first][i] - fixed, medians[spec, last][i] - fixed
            ks.append(np.log(b / a) / np.log(ratio) if a > 0 and b > 0 else float("nan"))
        print(f"| {spec} | {ks[0]:.2f} | {ks[1]:.2f} |")


if __name__ == "__main__":
    main()
