"""`snn-opt` with xdsl-opt's command line: same output, atomic `-o`, one-line errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA

from snn_dialect.cli import main

LIF = DATA / "lif_norse.nir"

WEIGHT = "dense<[[1.0, 0.0], [0.0, 0.0]]> : tensor<2x2xf32>"
VALID = f"""\
snn.graph @g(%x: tensor<2xf32>) -> tensor<2xf32> attributes {{dt = 1.0e-04 : f64}} {{
  %y = snn.linear %x {{weight = {WEIGHT}}} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}}
"""
INVALID = VALID.replace(WEIGHT, "dense<1.0> : tensor<2x3xf32>")


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def xdsl_opt(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("xdsl-opt") or str(Path(sys.executable).parent / "xdsl-opt")
    return subprocess.run([exe, *map(str, argv)], capture_output=True, text=True, check=False)


def test_same_output_as_xdsl_opt(capsys, tmp_path):
    src = tmp_path / "in.mlir"
    src.write_text(VALID + "// -----\n" + VALID.replace("@g", "@h"))
    for flags in ([], ["--print-op-generic"], ["-p", "snn-redundancy"]):
        code, out, err = run(capsys, src, "--split-input-file", *flags)
        assert (code, err) == (0, "")
        expected = xdsl_opt(src, "--split-input-file", *flags)
        assert expected.returncode == 0
        assert out == expected.stdout


def test_output_may_overwrite_the_input(capsys, tmp_path):
    src = tmp_path / "in.mlir"
    src.write_text(VALID)
    code, out, _ = run(capsys, src, "-p", "snn-redundancy", "-o", src)
    assert (code, out) == (0, "")
    assert "snn.graph @g" in src.read_text()
    assert src.read_text() != VALID


def test_failure_keeps_the_input_and_writes_nothing(capsys, tmp_path):
    src = tmp_path / "in.mlir"
    src.write_text(INVALID)
    other = tmp_path / "out.mlir"
    for target in (src, other):
        code, out, err = run(capsys, src, "-p", "snn-optimize", "-o", target)
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and "Traceback" not in err
        assert err.startswith(f"snn-opt: error: {src}: snn.linear: 'weight' has shape [2, 3]")
    assert src.read_text() == INVALID
    assert not other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mlir"]


def test_verify_diagnostics_print_like_xdsl_opt(capsys, tmp_path):
    src = tmp_path / "in.mlir"
    src.write_text(INVALID + "// -----\n" + VALID)
    code, out, _ = run(capsys, src, "--split-input-file", "--verify-diagnostics")
    assert code == 0
    assert out == xdsl_opt(src, "--split-input-file", "--verify-diagnostics").stdout


def test_parse_error_names_the_line(capsys, tmp_path):
    src = tmp_path / "in.mlir"
    src.write_text(VALID + "// -----\n" + "snn.graph @h(\n")
    code, _, err = run(capsys, src, "--split-input-file")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"snn-opt: error: {src}:7:1: ")


def test_help_lists_commands_and_passes(capsys):
    code, out, _ = run(capsys, "-h")
    assert code == 0
    for word in ("--split-input-file", "--verify-diagnostics", "optimize", "snn-prune"):
        assert word in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("snn-opt ") and "xDSL" in out


def test_nir_input_and_usage_errors(capsys, tmp_path):
    code, out, _ = run(capsys, LIF, "-p", "snn-optimize")
    assert code == 0 and "snn.graph @lif_norse" in out
    code, _, err = run(capsys, LIF, "--no-such-flag")
    assert code == 2 and err.count("\n") == 1
    code, _, err = run(capsys, LIF, "-p", "snn-prune{nope=1}")
    assert code == 1 and "no option 'nope'" in err and "threshold" in err
    code, _, err = run(capsys, LIF, "-o", tmp_path)
    assert code == 1 and err == f"snn-opt: error: {tmp_path}: cannot write: it is a directory\n"


def test_subprocess_reads_stdin(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "snn_dialect.cli", "-p", "snn-redundancy"],
        input=VALID,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "snn.graph @g" in proc.stdout


def test_passes_lists_every_pass_with_options_defaults_and_contract(capsys):
    from snn_dialect.universe import SNN_UNIVERSE

    code, out, _ = run(capsys, "passes")
    assert code == 0
    for name in SNN_UNIVERSE.all_passes:
        assert f"\n{name}\n" in out
    assert "option  rate_threshold: float = 0.0" in out
    assert "option  batch: int = 1" in out  # convert-snn-to-linalg{batch=N}
    assert out.count("Contract:") == len(SNN_UNIVERSE.all_passes)
    code, out, _ = run(capsys, "passes", "snn-prune")
    assert code == 0 and out.startswith("snn-prune\n") and "snn-fuse" not in out


def test_help_of_options_says_defaults_and_formats(capsys):
    assert main(["optimize", "-h"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "else 1e-4" in out and ".npz" in out and ".npy" in out
    assert main(["import", "-h"]) == 0
    assert "--name" in capsys.readouterr().out


def test_statistics_of_modules_that_are_not_snn(capsys, tmp_path):
    src = tmp_path / "f.mlir"
    src.write_text("func.func @f(%a: i32) -> i32 {\n  func.return %a : i32\n}\n")
    code, out, err = run(capsys, src, "-p", "snn-optimize")
    assert code == 0 and "func.func @f" in out, err
    code, out, err = run(capsys, "optimize", LIF, "--dt", "1e-4", "-p", "convert-snn-to-linalg")
    assert code == 0 and "func.func" in out, err


def test_pass_progress_is_silent_for_short_runs_and_reports_long_ones():
    import io
    from types import SimpleNamespace

    from snn_dialect.progress import PassProgress

    quiet, loud = io.StringIO(), io.StringIO()
    PassProgress(after=60.0, stream=quiet)(SimpleNamespace(name="snn-fuse", seconds=0.1))
    PassProgress(after=0.0, stream=loud)(SimpleNamespace(name="snn-fuse", seconds=4.25))
    assert quiet.getvalue() == ""
    assert loud.getvalue().startswith("snn-opt: snn-fuse done in 4.2 s (")
