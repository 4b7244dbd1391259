"""The floor of `xdsl-opt in.mlir -p snn-optimize -o out.mlir`: the work no tool can skip.

    python bench/floor.py in.mlir [--repeats 5]

Reads the file, unhexlifies every `dense<"0x...">` literal (from a memoryview: no copy),
makes two passes over the weights (a count of nonzeros and a maximum), one row hash of each
matrix (a float32 matrix-vector product), hexlifies the weights again and writes text of the
same size. Prints the median (min, max) seconds of `--repeats` runs, in-process (the
interpreter's start-up is not included).
"""

from __future__ import annotations

import argparse
import binascii
import os
import tempfile
import time
from pathlib import Path

import numpy as np

HEX_START = b'dense<"0x'


def floor_once(source: Path, target: Path) -> int:
    """One run of the floor's work on `source`, writing `target`; returns the weight bytes."""
    data = source.read_bytes()
    view = memoryview(data)
    weights: list[np.ndarray] = []
    start = data.find(HEX_START)
    while start >= 0:
        begin = start + len(HEX_START)
        end = data.find(b'"', begin)
        values = np.frombuffer(binascii.unhexlify(view[begin:end]), np.float32)
        shape_at = data.find(b"tensor<", end) + len(b"tensor<")  # `: tensor<AxBxf32>`
        rows = int(data[shape_at : data.find(b"x", shape_at)])
        weights.append(values.reshape(rows, -1))
        start = data.find(HEX_START, end)
    for w in weights:  # two passes over the weights, and a row hash of each matrix
        np.count_nonzero(w)
        np.max(w, initial=0.0)
        w @ np.ones(w.shape[1], np.float32)
    with open(target, "wb") as out:
        written = 0
        for w in weights:
            text = binascii.hexlify(memoryview(w))
            out.write(text)
            written += len(text)
        out.write(b" " * max(0, len(data) - written))
    return sum(w.nbytes for w in weights)


def floor_seconds(source: Path, repeats: int) -> list[float]:
    """Wall seconds of `repeats` runs of the floor on `source`."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.mlir"
        for _ in range(repeats):
            start = time.perf_counter()
            floor_once(source, target)
            times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    times = floor_seconds(args.source, args.repeats)
    print(
        f"floor {np.median(times):.3f} s (min {min(times):.3f}, max {max(times):.3f}) on "
        f"{args.source.stat().st_size / 1e6:.0f} MB; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
