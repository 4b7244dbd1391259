"""What `snn-opt` checks about the files a command will write, before it does any work."""

from __future__ import annotations

import argparse
from pathlib import Path

from snn_dialect.diagnostics import SNNError, check_writable

OUTPUT_ARGS = ("output", "nir_out", "json", "plot")
"""Arguments of the commands that name files they write (`-` is stdout)."""

INPUT_ARGS = ("input", "calibration", "validation", "reference")
"""Arguments naming data files a command reads (besides the model, which `-o` may replace)."""


def check_outputs(
    args: argparse.Namespace, text: bool, nir: bool, stdout: tuple[str, ...] = ()
) -> None:
    """Raise `SNNError` naming the file for an output path that cannot be written, `-`
    where it is no name for stdout (only the arguments in `stdout` print there), two
    outputs into one file, an output over an input data file, and an output whose name says
    the other format: MLIR text (`text`: the command's `-o`) into `*.nir`, which every later
    command would read as NIR and reject as not HDF5, or a NIR file (`nir`: its `-o`; any
    `--nir-out`) into `*.mlir`."""
    named: dict[Path, str] = {}
    for name in OUTPUT_ARGS:
        path = getattr(args, name, None)
        if not isinstance(path, str) or (path == "-" and name in stdout):
            continue
        flag = "-o" if name == "output" else f"--{name.replace('_', '-')}"
        if path == "-":
            raise SNNError(
                f"{flag} - would write a file named '-': this command writes {flag} to a file "
                "only (`snn-opt metrics --json` prints to stdout; leave -o out to print IR)"
            )
        check_writable(path)
        other = named.setdefault(Path(path).resolve(), flag)
        if other != flag:
            raise SNNError(
                f"{other} and {flag} name the same file: one would replace the other", path
            )
    for name in INPUT_ARGS:
        path = getattr(args, name, None)
        flag = named.get(Path(path).resolve()) if isinstance(path, str) else None
        if flag is not None:
            raise SNNError(f"{flag} would overwrite the --{name} file", path)
    output = getattr(args, "output", None)
    if text and output is not None and Path(output).suffix.lower() == ".nir":
        raise SNNError(
            "this writes MLIR text, which a .nir name would make every later command read as "
            "NIR; name it .mlir (NIR comes from `snn-opt export` or `--nir-out`)",
            output,
        )
    for path in [output if nir else None, getattr(args, "nir_out", None)]:
        if path is not None and Path(path).suffix.lower() == ".mlir":
            raise SNNError("this writes a NIR (HDF5) file, not MLIR text; name it .nir", path)
