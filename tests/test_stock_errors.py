"""Stock `xdsl-opt` with the `snn` plugin: parse, verify, pass and pipeline failures are one
line naming the file; anything else keeps its traceback."""

from __future__ import annotations

import sys

import pytest
from test_opt_main import INVALID, VALID, xdsl_opt

from snn_dialect.stock_errors import one_line


def one_error(run, status: int = 1) -> str:
    assert run.returncode == status, run.stderr
    assert "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("xdsl-opt: error: ")
    return lines[0]


@pytest.fixture
def valid(tmp_path):
    path = tmp_path / "net.mlir"
    path.write_text(VALID)
    return path


def test_a_pass_failure_is_one_line_naming_the_file(valid):
    line = one_error(xdsl_opt(valid, "-p", 'snn-prune{n_m="2:3"}'))
    assert f"{valid}: snn-prune: n_m=2:3 needs M to divide the fan-in" in line


def test_a_verify_failure_is_one_line(tmp_path):
    path = tmp_path / "bad.mlir"
    path.write_text(INVALID)
    assert str(path) in one_error(xdsl_opt(path))


def test_a_parse_error_is_one_line_with_its_position(tmp_path):
    path = tmp_path / "cut.mlir"
    path.write_text(VALID[:60])
    assert f"{path}:" in one_error(xdsl_opt(path))


@pytest.mark.parametrize(
    ("pipeline", "said"),
    [
        ("snn-prun", "unknown pass 'snn-prun' (did you mean snn-prune?)"),
        ("snn-prune{sparsity=1}", "an option value 1 is not a number with a '.'"),
        ("snn-prune{sparsit=0.5}", "no option 'sparsit'"),
    ],
)
def test_a_bad_pipeline_is_one_line_naming_it(valid, pipeline, said):
    line = one_error(xdsl_opt(valid, "-p", pipeline))
    assert f"-p '{pipeline}': {said}" in line


def test_valid_input_is_untouched(valid):
    run = xdsl_opt(valid, "-p", "snn-fuse")
    assert run.returncode == 0 and run.stderr == "" and "snn.graph @g" in run.stdout


def test_an_error_outside_xdsl_opt_or_not_a_diagnostic_keeps_its_traceback():
    try:
        raise ValueError("a bug")
    except ValueError as e:
        assert one_line(e, sys.exc_info()[2]) is None  # not raised by an xdsl-opt run
    assert not getattr(sys.excepthook, "snn_one_line", False)  # installed in xdsl-opt only
