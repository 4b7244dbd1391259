"""`snn-opt`: each command, one-line errors with exit status 1, no output file on failure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nir
import numpy as np
import pytest
from conftest import DATA

from snn_dialect.cli import main, module_text
from snn_dialect.nir_io import import_nir

ROOT = Path(__file__).parents[1]
BRAILLE = DATA / "braille_noDelay_bias_zero.nir"
SPIKES = ROOT / "examples" / "braille_spikes.npz"
LIF = DATA / "lif_norse.nir"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, *names: str) -> None:
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("snn-opt: error: ")
    assert "Traceback" not in err
    for name in names:
        assert name in lines[0]


@pytest.fixture
def spikes(tmp_path: Path) -> Path:
    """20 steps x 2 samples of input spikes for the Braille network."""
    path = tmp_path / "spikes.npz"
    x = (np.random.default_rng(0).random((20, 2, 12)) < 0.3).astype(np.float32)
    np.savez(path, input=x)
    return path


@pytest.fixture
def braille_mlir(tmp_path: Path) -> Path:
    path = tmp_path / "braille.mlir"
    path.write_text(module_text(import_nir(BRAILLE)))
    return path


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def test_import_writes_the_printed_module(capsys, tmp_path):
    out = tmp_path / "net.mlir"
    code, stdout, err = run(capsys, "import", BRAILLE, "-o", out)
    assert (code, stdout, err) == (0, "", "")
    assert out.read_text() == module_text(import_nir(BRAILLE))


def test_import_prints_to_stdout_and_takes_dt(capsys):
    code, stdout, _ = run(capsys, "import", LIF, "--dt", "1e-3")
    assert code == 0
    assert "snn.graph @lif_norse" in stdout
    assert "dt = 1.000000e-03 : f64" in stdout


@pytest.mark.parametrize("name", ["cnn_sinabs", "braille_noDelay_bias_zero"])
def test_xdsl_opt_parses_what_import_prints(tmp_path, capsys, name):
    xdsl_opt = shutil.which("xdsl-opt") or str(Path(sys.executable).parent / "xdsl-opt")
    if not Path(xdsl_opt).exists():
        pytest.skip("xdsl-opt is not installed")
    out = tmp_path / f"{name}.mlir"
    assert run(capsys, "import", DATA / f"{name}.nir", "-o", out)[0] == 0
    done = subprocess.run([xdsl_opt, str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == out.read_text().strip()


def test_export_writes_a_file_nir_reads(capsys, tmp_path, braille_mlir):
    out = tmp_path / "net.nir"
    assert run(capsys, "export", braille_mlir, "-o", out)[0] == 0
    graph = nir.read(out)
    assert {"fc1", "lif1.lif", "lif1.w_rec", "fc2", "lif2"} <= set(graph.nodes)
    assert ("lif1.w_rec", "lif1.lif") in graph.edges


def test_simulate_nir_and_mlir_agree(capsys, tmp_path, spikes, braille_mlir):
    from_nir, from_mlir = tmp_path / "a.npz", tmp_path / "b.npz"
    code, stdout, _ = run(capsys, "simulate", BRAILLE, "--input", spikes, "-o", from_nir)
    assert code == 0
    assert len(stdout.strip().splitlines()) == 1
    assert "20 steps x 2 samples" in stdout
    assert run(capsys, "simulate", braille_mlir, "--input", spikes, "-o", from_mlir)[0] == 0
    a, b = np.load(from_nir), np.load(from_mlir)
    assert a.files == ["output"]
    assert a["output"].shape == (20, 2, 7)
    np.testing.assert_array_equal(a["output"], b["output"])


def test_simulate_float64_and_a_single_unnamed_array(capsys, tmp_path):
    inputs = tmp_path / "x.npz"
    np.savez(inputs, np.ones((30, 1, 1), np.float32))  # stored as 'arr_0'
    out = tmp_path / "y.npz"
    code, _, _ = run(capsys, "simulate", LIF, "--input", inputs, "-o", out, "--dtype", "float64")
    assert code == 0
    y = np.load(out)["output"]
    assert y.dtype == np.float64
    assert y.shape == (30, 1, 1)
    assert y.sum() > 0  # a constant input of 1 drives the LIF above its 0.1 threshold


def test_simulate_names_outputs_by_index_when_there_are_several(capsys, tmp_path):
    mlir = tmp_path / "two.mlir"
    mlir.write_text(
        "snn.graph @two(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) "
        "attributes {dt = 1.0e-03 : f64} {\n"
        "  %s = snn.scale %x {scale = dense<[2.0, 3.0]> : tensor<2xf32>} "
        ": tensor<2xf32> -> tensor<2xf32>\n"
        "  snn.output %x, %s : tensor<2xf32>, tensor<2xf32>\n}\n"
    )
    inputs, out = tmp_path / "x.npz", tmp_path / "y.npz"
    np.savez(inputs, x=np.ones((3, 1, 2)))
    assert run(capsys, "simulate", mlir, "--input", inputs, "-o", out)[0] == 0
    y = np.load(out)
    assert sorted(y.files) == ["output_0", "output_1"]
    np.testing.assert_array_equal(y["output_1"][0, 0], [2.0, 3.0])


def test_profile_writes_firing_rates(capsys, tmp_path, spikes):
    pytest.importorskip("snn_dialect.profile")
    out = tmp_path / "profiled.mlir"
    code, stdout, _ = run(capsys, "profile", BRAILLE, "--input", spikes, "-o", out)
    assert code == 0
    assert "firing rates of 2 neuron ops" in stdout
    assert out.read_text().count("firing_rates") == 2
    assert run(capsys, "export", out, "-o", tmp_path / "p.nir")[0] == 0


def test_optimize_writes_mlir_and_nir(capsys, tmp_path):
    from snn_dialect.api import valid_pass_names

    if "snn-dead-neuron" not in valid_pass_names():
        pytest.skip("snn-dead-neuron is not registered")
    out, nir_out = tmp_path / "o.mlir", tmp_path / "o.nir"
    code, stdout, _ = run(
        capsys, "optimize", DATA / "two_lif_neurons.nir", "-p", "snn-dead-neuron", "-o", out,
        "--nir-out", nir_out,
    )  # fmt: skip
    assert code == 0
    assert "[snn-dead-neuron]" in stdout
    assert "snn.graph @two_lif_neurons" in out.read_text()
    nir.read(nir_out)


# --------------------------------------------------------------------------------------------
# Errors: one line, status 1, nothing written
# --------------------------------------------------------------------------------------------


def test_unknown_pass_leaves_no_output(capsys, tmp_path):
    out = tmp_path / "o.mlir"
    code, _, err = run(capsys, "optimize", LIF, "-p", "no-such-pass", "-o", out)
    assert_one_line_error(code, err, "lif_norse.nir", "no-such-pass")
    assert not out.exists()


def _truncated(tmp_path: Path) -> Path:
    path = tmp_path / "cut.nir"
    path.write_bytes(LIF.read_bytes()[:4000])
    return path


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "junk.nir"
    path.write_bytes(b"\x00\xff" * 3000)
    return path


def _unparsable(tmp_path: Path) -> Path:
    path = tmp_path / "bad.mlir"
    path.write_text("snn.graph @g(%x: tensor<2xf32>) -> tensor<2xf32> {\n  snn.bogus %x\n}\n")
    return path


def _invalid(tmp_path: Path) -> Path:
    path = tmp_path / "invalid.mlir"
    text = module_text(import_nir(LIF)).replace("tau = dense<2.500000e-03>", "tau = dense<-1.0>")
    path.write_text(text)
    return path


def _short_bytes(tmp_path: Path) -> Path:
    path = tmp_path / "short.mlir"
    path.write_text(
        "snn.graph @n(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {\n"
        '  %a = snn.linear %x {weight = dense<"0x0000803F00000040AA"> : tensor<1x2xf32>}'
        " : tensor<2xf32> -> tensor<1xf32>\n"
        "  snn.output %a : tensor<1xf32>\n}\n"
    )
    return path


@pytest.mark.parametrize(
    "make_model, expected",
    [
        (lambda tmp: tmp / "missing.nir", "missing.nir: no such file"),
        (_truncated, "cut.nir: not a readable NIR file"),
        (_garbage, "junk.nir: not a readable NIR file"),
        (_unparsable, "bad.mlir:2:"),
        (_invalid, "invalid.mlir: the module does not verify: snn.lif: 'tau' must be positive"),
        (_short_bytes, "short.mlir: the module does not verify: snn.linear: 'weight' holds 9"),
    ],
    ids=["missing", "truncated", "garbage", "parse-error", "verify-error", "raw-bytes"],
)
def test_bad_models_fail_with_one_line(capsys, tmp_path, make_model, expected):
    model = make_model(tmp_path)
    for command, out in (("import", "out.mlir"), ("export", "out.nir")):
        argv = [command, model, "-o", tmp_path / out]
        code, stdout, err = run(capsys, *argv)
        assert_one_line_error(code, err, expected)
        assert stdout == ""
    assert not (tmp_path / "out.mlir").exists()
    assert not (tmp_path / "out.nir").exists()


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ({"other": np.zeros((5, 1, 12)), "more": np.zeros(1)}, "no array for graph input 'input'"),
        ({"input": np.zeros((5, 12))}, "has shape [5, 12], input 'input' needs [T, B, 12]"),
        ({"input": np.zeros((5, 1, 11))}, "needs [T, B, 12]"),
        ({"input": np.full((5, 1, 12), np.nan)}, "NaN"),
        ({"input": np.zeros((0, 1, 12))}, "no steps"),
    ],
    ids=["missing-key", "no-batch-axis", "wrong-size", "nan", "empty"],
)
def test_bad_inputs_fail_with_one_line(capsys, tmp_path, inputs, expected):
    path = tmp_path / "in.npz"
    np.savez(path, **inputs)
    out = tmp_path / "out.npz"
    code, _, err = run(capsys, "simulate", BRAILLE, "--input", path, "-o", out)
    assert_one_line_error(code, err, "in.npz", expected)
    assert not out.exists()


def test_input_that_is_not_npz(capsys, tmp_path):
    code, _, err = run(capsys, "simulate", BRAILLE, "--input", LIF, "-o", tmp_path / "o.npz")
    assert_one_line_error(code, err, "lif_norse.nir: not a .npz")


def test_failed_run_keeps_the_previous_output(capsys, tmp_path):
    out = tmp_path / "out.mlir"
    out.write_text("previous")
    assert run(capsys, "import", _garbage(tmp_path), "-o", out)[0] == 1
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.nir", "out.mlir"]


def test_missing_output_directory(capsys, tmp_path):
    code, _, err = run(capsys, "export", LIF, "-o", tmp_path / "no" / "x.nir")
    assert_one_line_error(code, err, "x.nir", "directory does not exist")


def test_usage_errors_are_one_line_with_status_2(capsys):
    code, _, err = run(capsys, "simulate", LIF)
    assert code == 2
    assert err.count("\n") == 1
    assert "--input" in err
    assert run(capsys, "frobnicate")[0] == 2


def test_subprocess_exit_status_and_stderr(tmp_path):
    out = tmp_path / "out.mlir"

    def snn_opt(*argv: str | Path) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "snn_dialect.cli", *map(str, argv)]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    ok = snn_opt("import", LIF, "--dt", "1e-4", "-o", out)
    assert (ok.returncode, ok.stderr) == (0, "")
    warned = snn_opt("import", LIF, "-o", out)  # the file has no dt: one line says so
    assert warned.returncode == 0
    assert warned.stderr == (
        f"snn-opt: warning: {LIF}: no 'dt' in the graph metadata; assuming dt = 0.0001 s; "
        "set it with --dt (e.g. --dt 1 for Sinabs networks, whose IF neurons count steps)\n"
    )
    assert out.read_text().startswith("builtin.module {")
    bad = snn_opt("import", _truncated(tmp_path), "-o", tmp_path / "other.mlir")
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1
    assert bad.stderr.startswith("snn-opt: error: ") and "cut.nir" in bad.stderr
    assert "Traceback" not in bad.stderr
    assert not (tmp_path / "other.mlir").exists()


@pytest.mark.parametrize(
    "argv",
    [("metrics", BRAILLE), ("import", BRAILLE, "--dt", "1e-4"), (BRAILLE, "-p", "snn-fuse")],
    ids=["metrics", "import", "xdsl-opt-mode"],
)
def test_a_reader_that_stops_reading_is_no_error(argv: tuple[str | Path, ...]):
    """`snn-opt ... | head` (here: a reader that closed the pipe before anything came): no
    message blaming the model file, no traceback; the status a SIGPIPE gives (141)."""
    read, write = os.pipe()
    os.close(read)
    command = [sys.executable, "-m", "snn_dialect.cli", *map(str, argv)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(command, stdout=write, stderr=subprocess.PIPE, text=True, env=env)
    os.close(write)
    assert (done.returncode, done.stderr) == (141, "")
