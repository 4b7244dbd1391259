"""Progress of a long pass pipeline on stderr: silent for short runs, one line per finished
pass once the run has taken more than a few seconds."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class PassProgress:
    """An `on_pass` callback for `run_passes`: after `after` seconds of running, each pass
    that finishes prints `snn-opt: <pass> done in <s> s (<total> s so far)`."""

    def __init__(self, after: float = 3.0, stream: TextIO | None = None):
        self.start = time.perf_counter()
        self.after = after
        self.stream = stream

    def __call__(self, result: Any) -> None:
        elapsed = time.perf_counter() - self.start
        if elapsed < self.after:
            return
        stream = self.stream or sys.stderr
        print(
            f"snn-opt: {result.name} done in {result.seconds:.1f} s ({elapsed:.1f} s so far)",
            file=stream,
            flush=True,
        )
