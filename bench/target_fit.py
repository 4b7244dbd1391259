"""Time of the fit check (`snn-target` / `snn-opt fit`) on every chip, at scale.

    python bench/target_fit.py [--sizes small,medium,large,cnn] [--repeats N]

Uses the networks of `bench/run.py` (fully connected LIF nets up to 784-4096-4096-10 with 20M
weights, and the Sinabs CNN fixture) and prints, as Markdown, the median of `--repeats` runs
(5) of `fit_reports(module, chip)` per network and chip, with the verdict, how many cores
the mapping used (0: no placement of every layer) and the first violation's limit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import network, tensor_elements

from snn_dialect.targets import CHIPS
from transforms.target_fit import fit_reports


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="small,medium,large,cnn")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print("| network | weights | chip | median time | fits | cores used | first violation |")
    print("|---|---|---|---|---|---|---|")
    for name in args.sizes.split(","):
        module = network(name)
        weights = tensor_elements(module)
        for chip in CHIPS:
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                (report,) = fit_reports(module, chip)
                times.append(time.perf_counter() - start)
            first = report.violations[0].limit if report.violations else ""
            cores = len([c for c in report.cores if c.core.startswith("core ")])
            if chip.startswith("xylo"):
                cores = 1  # one SNN core
            print(
                f"| {name} | {weights:,} | {chip} | {statistics.median(times):.3f} s | "
                f"{'yes' if report.fits else 'no'} | {cores} | {first} |"
            )


if __name__ == "__main__":
    main()
