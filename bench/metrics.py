"""What the cost metrics cost: `snn-optimize` with and without them, and one simulation with
and without the workload observer, on the 784-4096-4096-10 network of `bench/run.py`.

```
python bench/metrics.py [--repeats 5] [--size large]
```

Each `snn-optimize` run gets a freshly built network (attributes are shared by clones, and
the metrics cache their counts per attribute). Times are medians of process CPU time (the
machine is shared; wall times are noisier), and the time spent inside the metrics
(`module_metrics` calls) is also timed on its own during the runs with metrics. Output is
Markdown.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from run import MLP_SIZES, mlp

import snn_dialect.api
from snn_dialect.api import run_passes
from snn_dialect.metrics import measure_activity
from snn_dialect.profile import annotate_firing_rates
from snn_dialect.simulator import simulate

STEPS, SAMPLES, INPUT_RATE = 20, 4, 0.2


def spikes(n_in: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return (rng.random((STEPS, SAMPLES, n_in)) < INPUT_RATE).astype(np.float32)


INSIDE: list[float] = []
"""CPU seconds spent in `module_metrics` during the current run."""


def _timed_metrics(*args, **kwargs):
    start = time.process_time()
    try:
        return _module_metrics(*args, **kwargs)
    finally:
        INSIDE.append(time.process_time() - start)


_module_metrics = snn_dialect.api.module_metrics
snn_dialect.api.module_metrics = _timed_metrics


def time_optimize(size: str, repeats: int, profiled: bool) -> dict[str, list[float]]:
    """CPU time of `run_passes(module, 'snn-optimize')` with and without metrics, and of the
    metrics alone."""
    sizes = MLP_SIZES[size]
    x = spikes(sizes[0])
    found: dict[str, list[float]] = {"without": [], "with": [], "inside": [], "share": []}
    for _ in range(repeats):
        for metrics in (False, True):  # alternate, so that machine load hits both alike
            module = mlp(sizes)
            if profiled:
                annotate_firing_rates(module, x)
            INSIDE.clear()
            start = time.process_time()
            report = run_passes(
                module, "snn-optimize", inputs=x if profiled else None, metrics=metrics
            )
            seconds = time.process_time() - start
            found["with" if metrics else "without"].append(seconds)
            if metrics:
                found["inside"].append(sum(INSIDE))
                found["share"].append(sum(INSIDE) / (seconds - sum(INSIDE)))
            if metrics and profiled:
                assert report.metrics_after.synaptic_ops is not None
    return found


def time_simulation(size: str, repeats: int) -> tuple[list[float], list[float]]:
    module = mlp(MLP_SIZES[size])
    x = spikes(MLP_SIZES[size][0])
    plain, observed = [], []
    for _ in range(repeats):
        start = time.process_time()
        simulate(module, x)
        plain.append(time.process_time() - start)
        start = time.process_time()
        measure_activity(module, x)
        observed.append(time.process_time() - start)
    return plain, observed


def row(label: str, without: list[float], with_: list[float], inside: str = "") -> str:
    a, b = statistics.median(without), statistics.median(with_)
    return f"| {label} | {a:.3f} | {b:.3f} | {100 * (b - a) / a:+.1f} % | {inside} |"


def inside(found: dict[str, list[float]]) -> str:
    seconds, share = statistics.median(found["inside"]), statistics.median(found["share"])
    return f"{seconds:.3f} s = {100 * share:.1f} % of the rest"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", choices=sorted(MLP_SIZES), default="large")
    args = parser.parse_args(argv)
    print(f"network {'-'.join(map(str, MLP_SIZES[args.size]))}, median of {args.repeats} runs\n")
    print("| figure | without metrics s | with metrics s | added | inside the metrics |")
    print("|---|---|---|---|---|")
    static = time_optimize(args.size, args.repeats, profiled=False)
    label = "`snn-optimize`, static metrics (no profile steps)"
    print(row(label, static["without"], static["with"], inside(static)))
    work = time_optimize(args.size, args.repeats, profiled=True)
    label = f"`snn-optimize`, static + workload from the profile ({STEPS} steps x {SAMPLES})"
    print(row(label, work["without"], work["with"], inside(work)))
    plain, observed = time_simulation(args.size, args.repeats)
    print(row(f"one simulation ({STEPS} steps x {SAMPLES}) vs `measure_activity`", plain, observed))


if __name__ == "__main__":
    main()
