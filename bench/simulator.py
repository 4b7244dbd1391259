"""The reference simulator beside snnTorch, on one thread, measured side by side.

    python bench/simulator.py [--repeats 7] [--steps 100] [--batch 64] [--densities 0.02,0.1]

Networks: the fully connected LIF net 784-1024-1024-10 of `bench/networks.py` and the Sinabs
CNN fixture (IF neurons, dt = 1), both also built by hand in snnTorch 1.0 (`snntorch_model`).
Inputs are Bernoulli spikes `[T, B, *in]` at each density. Every repeat times our
`simulate(module, x)` (float32) and snnTorch's step loop (`inference_mode`, float32) back to
back, so both see the same load; the table gives the median wall time with min and max over
the repeats, the median CPU time (user + system of this process, which runs one thread), the
ratios of the medians, and the fraction of output spike entries on which the two agree.
Both sides run once on two steps before timing (numba compiles our loops then, or loads them
from its cache).

Both run on one thread: OMP/OpenBLAS/MKL/numba threads are set to 1 before numpy and torch load,
`torch.set_num_threads(1)`, and threadpoolctl (when installed) confirms numpy's BLAS.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from networks import cnn, mlp, snntorch_model  # noqa: E402

from snn_dialect.interfaces import value_shape  # noqa: E402
from snn_dialect.simulator import find_graph, simulate  # noqa: E402


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--densities", default="0.02,0.1")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    print(
        f"load average {os.getloadavg()[0]:.2f}; threads: torch {torch.get_num_threads()}, "
        f"{blas_threads()}\n"
    )
    print(
        "| network | input density | ours s (min-max) | snnTorch s (min-max) | speed-up | "
        "ours CPU s | snnTorch CPU s | CPU speed-up | spike agreement |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, module in (("784-1024-1024-10 LIF", mlp((784, 1024, 1024, 10))), ("cnn", cnn())):
        run_torch = snntorch_model(module)
        if isinstance(run_torch, str):
            print(f"| {name} | | | {run_torch} | | |")
            continue
        shape = value_shape(find_graph(module).block.args[0])
        for density in (float(d) for d in args.densities.split(",")):
            rng = np.random.default_rng(1)
            x = (rng.random((args.steps, args.batch, *shape)) < density).astype(np.float32)
            simulate(module, x[:2]), run_torch(x[:2])  # warm-up
            ours: list[float] = []
            theirs: list[float] = []
            ours_cpu: list[float] = []
            theirs_cpu: list[float] = []
            for _ in range(args.repeats):
                start, cpu = time.perf_counter(), time.process_time()
                result = simulate(module, x)
                ours.append(time.perf_counter() - start)
                ours_cpu.append(time.process_time() - cpu)
                start, cpu = time.perf_counter(), time.process_time()
                spikes = run_torch(x)
                theirs.append(time.perf_counter() - start)
                theirs_cpu.append(time.process_time() - cpu)
            agree = float(np.mean(spikes == result.outputs[0]))
            a, b = np.median(ours), np.median(theirs)
            a_cpu, b_cpu = np.median(ours_cpu), np.median(theirs_cpu)
            print(
                f"| {name} | {density:.0%} | {a:.3f} ({min(ours):.3f}-{max(ours):.3f}) | "
                f"{b:.3f} ({min(theirs):.3f}-{max(theirs):.3f}) | {b / a:.2f}x | "
                f"{a_cpu:.3f} | {b_cpu:.3f} | {b_cpu / a_cpu:.2f}x | {agree:.4f} |"
            )
    print(
        f"\nload average at end {os.getloadavg()[0]:.2f}; T={args.steps}, B={args.batch}, "
        f"float32, medians of {args.repeats}"
    )


if __name__ == "__main__":
    main()
