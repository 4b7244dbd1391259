"""What a round of `snn-optimize` that changes nothing costs, per pass.

    python bench/second_round.py [--sizes large] [--repeats 5]

For each network (`bench/run.py`'s sizes) and each of `--repeats` fresh copies, runs
`run_passes(module, "snn-optimize")` and takes from `pass_results` the seconds of every pass
in the first round and in the last one (which found nothing to change, so the pipeline
stopped). Prints the medians with min-max, as Markdown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from snn_dialect.api import run_passes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from networks import mlp
from run import MLP_SIZES


def rounds(name: str) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds per pass in the first and in the last round of one `snn-optimize` run."""
    results = run_passes(mlp(MLP_SIZES[name]), "snn-optimize").pass_results
    per_round = len({r.name for r in results})
    first, last = results[:per_round], results[-per_round:]
    return {r.name: r.seconds for r in first}, {r.name: r.seconds for r in last}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="large")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("| network | pass | first round s | no-change round s (median, min-max) |")
    print("|---|---|---|---|")
    for name in args.sizes.split(","):
        runs = [rounds(name) for _ in range(args.repeats)]
        for p in runs[0][0]:
            first = np.median([r[0][p] for r in runs])
            last = [r[1][p] for r in runs]
            print(
                f"| {name} | {p} | {first:.3g} | {np.median(last):.3g} "
                f"({min(last):.3g}-{max(last):.3g}) |"
            )


if __name__ == "__main__":
    main()
