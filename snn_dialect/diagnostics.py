"""User-facing errors: one line that says where (a file, a node, an op) and what is wrong.

Library code raises an `SNNError` subclass; the command line prints it as
`snn-opt: error: <where>: <what>` and exits with status 1, never with a traceback.
"""

from __future__ import annotations

import os
import secrets
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROG = "snn-opt"
"""The command-line tool's name, as every diagnostic line starts with it."""


class SNNError(Exception):
    """A diagnostic for bad input: `where` (a file, possibly None) and `what` went wrong."""

    def __init__(self, what: str, where: str | None = None):
        self.what = " ".join(what.split())
        self.where = where
        super().__init__(f"{where}: {self.what}" if where else self.what)

    def at(self, where: str) -> SNNError:
        """This error located in `where`, unless it already names a place."""
        if self.where is not None:
            return self
        located = type(self)(self.what, where)
        located.__cause__ = self.__cause__
        return located


class SNNWarning(UserWarning):
    """Something the user should know that does not stop the run (an assumed time step, a
    layer that never spiked). Shown as one line, `snn-opt: warning: <where>: <what>`."""


def warn(what: str, where: str | None = None) -> None:
    """Issue an `SNNWarning` (one line on stderr unless the caller filters warnings)."""
    text = " ".join(what.split())
    warnings.warn(SNNWarning(f"{where}: {text}" if where else text), stacklevel=2)


_show = warnings.showwarning


def _show_one_line(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    if issubclass(category, SNNWarning):
        print(f"{PROG}: warning: {message}", file=file or sys.stderr)
        return
    _show(message, category, filename, lineno, file, line)


warnings.showwarning = _show_one_line


@contextmanager
def warnings_on_success() -> Iterator[None]:
    """Hold back the warnings raised in the block and show them when it succeeds: a failing
    run prints its one-line error and nothing else."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        yield
    for w in caught:
        warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)


def parse_failure(error: BaseException) -> str:
    """What a Python error raised while reading MLIR text means for the user."""
    if isinstance(error, OverflowError):
        return (
            "a number does not fit in its type (an f32 literal beyond +-3.4e38); weights and "
            "parameters must be finite f32 values"
        )
    if isinstance(error, RecursionError):
        return "the input is nested too deeply (regions inside regions, thousands of levels)"
    return f"cannot read the input: {type(error).__name__}: {error}"


SIGPIPE_STATUS = 141
"""Exit status of a command whose reader closed its output early (`| head`): 128 + SIGPIPE,
as a Unix tool killed by the signal reports."""


def stdout_closed() -> int:
    """What `snn-opt` does when the program reading its output stopped reading (`| head`):
    nothing more to say and nobody to say it to. Point stdout at /dev/null, so that the
    interpreter's last flush fails no more, and return `SIGPIPE_STATUS`."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)
    return SIGPIPE_STATUS


class NIRImportError(SNNError):
    """A NIR file or graph that cannot become an `snn.graph`."""


class NIRExportError(SNNError):
    """A module that cannot be written as a NIR graph."""


def check_writable(path: str | Path) -> None:
    """Raise `SNNError` naming `path` when a file cannot be written there: it is empty, its
    directory is missing or `path` is itself a directory."""
    if not str(path):
        raise SNNError("cannot write: the output file name is empty", "''")
    target = Path(path)
    if target.is_dir():
        raise SNNError("cannot write: it is a directory", str(path))
    if not target.resolve().parent.is_dir():
        raise SNNError("cannot write: the directory does not exist", str(path))


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; it replaces `path` when the block ends
    without an exception and is removed otherwise, so `path` never holds a partial file."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
