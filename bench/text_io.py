"""`xdsl-opt in.mlir -p snn-optimize -o out.mlir` against its floor, and where its time goes.

    python bench/text_io.py [--sizes large,xlarge] [--repeats 5]

For each network of `bench/networks.py` (`run.py`'s sizes), writes its text, then alternates
runs of the stock `xdsl-opt` job (a subprocess under `/usr/bin/time -v`: wall, CPU = user +
sys, peak resident memory) with runs of `bench/floor.py`'s floor on the same file
(in-process: wall and CPU), so that both see the same load. Start-up is `xdsl-opt` on an
empty module. Prints medians (min-max) and the ratios of the medians: the job over the
floor, by wall and by CPU time, with and without start-up, and the peak over the weights'
hex text (8 characters per f32). One more run of the job, instrumented, splits its wall and
CPU time into start-up, parse (read, lex, parse, verify), passes and print (print and
write), with the peak resident memory reached by the end of each.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from floor import floor_once
from run import MLP_SIZES, network, tensor_elements, write_text, xdsl_opt

PHASES = """
import time
START = time.perf_counter()
import resource, sys
from xdsl.xdsl_opt_main import xDSLOptMain

def mark(name, last=[START, 0.0]):
    now = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    with open("/proc/self/status") as status:  # ru_maxrss would count the parent's peak
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print(f"phase {name} {now - last[0]:.4f} {cpu - last[1]:.4f} {peak}", file=sys.stderr)
    last[:] = [now, cpu]

def timed(method, name):
    def run(*args, **kwargs):
        result = method(*args, **kwargs)
        mark(name)
        return result
    return run

ORDER = {"parse_chunk": "parse", "apply_passes": "passes"}
init = xDSLOptMain.__init__
def start(self, *args, **kwargs):
    init(self, *args, **kwargs)
    mark("start-up")
    for method, name in ORDER.items():
        setattr(self, method, timed(getattr(self, method), name))
xDSLOptMain.__init__ = start
from xdsl.tools.xdsl_opt import main
sys.argv = ["xdsl-opt", *sys.argv[1:]]
try:
    main()
finally:
    mark("print")
"""
"""Runs `xdsl-opt` marking the end of each phase (`print` includes writing and closing)."""


def timed_run(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + sys) and peak resident MB of `command`."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed:\n{done.stderr[-2000:]}")

    def field(name: str) -> float:
        found = re.search(rf"{re.escape(name)}: ([\d.]+)", done.stderr)
        assert found is not None, name
        return float(found.group(1))

    cpu = field("User time (seconds)") + field("System time (seconds)")
    return wall, cpu, field("Maximum resident set size (kbytes)") / 1e3


def floor_run(source: Path, target: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run of the floor."""
    wall, cpu = time.perf_counter(), time.process_time()
    floor_once(source, target)
    return time.perf_counter() - wall, time.process_time() - cpu


def spread(values: list[float]) -> str:
    return f"{np.median(values):.3g} ({min(values):.3g}-{max(values):.3g})"


def measure(name: str, repeats: int) -> None:
    module = network(name)
    weight_text = 8 * tensor_elements(module) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        source, target, empty = Path(tmp) / "in.mlir", Path(tmp) / "out.mlir", Path(tmp) / "e.mlir"
        write_text(module, source)
        del module
        empty.write_text("builtin.module {\n}\n")
        job = [xdsl_opt(), str(source), "-p", "snn-optimize", "-o", str(target)]
        jobs, floors, starts = [], [], []
        for _ in range(repeats):
            jobs.append(timed_run(job))
            floors.append(floor_run(source, Path(tmp) / "floor.out"))
            starts.append(timed_run([xdsl_opt(), str(empty), "-o", str(target)]))
        phases = subprocess.run(
            [sys.executable, "-c", PHASES, *job[1:]], capture_output=True, text=True, check=True
        ).stderr
        size = source.stat().st_size / 1e6
    job_wall, job_cpu, peaks = ([run[i] for run in jobs] for i in range(3))
    floor_wall, floor_cpu = ([run[i] for run in floors] for i in range(2))
    start_wall, start_cpu = ([run[i] for run in starts] for i in range(2))
    print(f"\n### {name}: {size:.0f} MB of text, {weight_text:.0f} MB of it weight hex\n")
    print("| figure | wall s | CPU s |")
    print("|---|---|---|")
    print(f"| xdsl-opt -p snn-optimize | {spread(job_wall)} | {spread(job_cpu)} |")
    print(f"| floor | {spread(floor_wall)} | {spread(floor_cpu)} |")
    print(f"| start-up (empty module) | {spread(start_wall)} | {spread(start_cpu)} |")
    med = {key: float(np.median(v)) for key, v in [("jw", job_wall), ("jc", job_cpu)]}
    med |= {key: float(np.median(v)) for key, v in [("fw", floor_wall), ("fc", floor_cpu)]}
    med |= {key: float(np.median(v)) for key, v in [("sw", start_wall), ("sc", start_cpu)]}
    print(f"| job / floor | {med['jw'] / med['fw']:.2f}x | {med['jc'] / med['fc']:.2f}x |")
    print(
        f"| ... without start-up | {(med['jw'] - med['sw']) / med['fw']:.2f}x "
        f"| {(med['jc'] - med['sc']) / med['fc']:.2f}x |"
    )
    print(f"\npeak {spread(peaks)} MB = {np.median(peaks) / weight_text:.2f}x the weight text\n")
    print("| phase (one instrumented run) | wall s | CPU s | peak MB by its end |")
    print("|---|---|---|---|")
    for line in phases.splitlines():
        if line.startswith("phase "):
            _, phase, wall, cpu, peak = line.split()
            print(f"| {phase} | {float(wall):.3f} | {float(cpu):.3f} | {int(peak) / 1e3:.0f} |")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="large,xlarge", help=f"from {', '.join(MLP_SIZES)}")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each (medians)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sizes.split(",") if n.strip()]
    unknown = [n for n in names if n not in MLP_SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)}; choose from {', '.join(MLP_SIZES)}")
    print(f"# python bench/text_io.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"\nload average at start {os.getloadavg()[0]:.2f} (1 min; the cores are shared)")
    for name in names:
        measure(name, args.repeats)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
