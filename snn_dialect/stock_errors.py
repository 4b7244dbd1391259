"""One-line errors in the stock `xdsl-opt`: its parse, verify, pass and pipeline failures.

`xdsl-opt` re-raises these, so the user sees a Python traceback whose last line is the
message. When the `snn` plugin loads inside `xdsl-opt`, `install` sets an exception hook
that prints such a failure as `snn-opt` does, one line `xdsl-opt: error: <file>[:line:col]:
<what>` (exit status 1, as before). Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Any

TOOL = "xdsl-opt"


def _driver(trace: TracebackType | None) -> tuple[Any, bool]:
    """The `xDSLOptMain` whose run raised (or None), and whether it was setting up `-p`."""
    from xdsl.xdsl_opt_main import xDSLOptMain

    driver, in_pipeline = None, False
    while trace is not None:
        frame = trace.tb_frame
        owner = frame.f_locals.get("self")
        if isinstance(owner, xDSLOptMain):
            driver = owner
            in_pipeline = in_pipeline or frame.f_code.co_name == "setup_pipeline"
        trace = trace.tb_next
    return driver, in_pipeline


def one_line(error: BaseException, trace: TracebackType | None) -> str | None:
    """The line for `error` raised under `xdsl-opt`, or None if it is not a diagnostic."""
    from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError

    from snn_dialect.opt_main import message, pipeline_error

    driver, in_pipeline = _driver(trace)
    if driver is None:
        return None
    if in_pipeline and isinstance(error, Exception | ArgSpecParseError):
        return pipeline_error(driver.args.passes, error, driver.available_passes)
    if isinstance(error, DiagnosticException | ParseError):
        return message(error, driver.get_input_name())
    return None


def install() -> None:
    """In an `xdsl-opt` process, print its diagnostics as one line (see the module)."""
    if os.path.basename(sys.argv[0]) != TOOL or getattr(sys.excepthook, "snn_one_line", False):
        return
    previous = sys.excepthook

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        try:
            line = one_line(error, trace)
        except Exception:  # never hide the original failure behind one of the hook's own
            line = None
        if line is None:
            previous(kind, error, trace)
        else:
            print(f"{TOOL}: error: {line}", file=sys.stderr)

    hook.snn_one_line = True  # type: ignore[attr-defined]
    sys.excepthook = hook
