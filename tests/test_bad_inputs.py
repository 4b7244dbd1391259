"""The corpus of bad inputs (tests/bad_inputs/*.case): each runs `snn-opt` as a subprocess
and must fail with exactly its expected one-line message, no traceback, no output file.

A case file holds a comment saying what is wrong, `args:` (the command line, run in
tests/bad_inputs/; `{tmp}` is an empty temporary folder) and `error:` (the whole line
`snn-opt: error: ...` expected on stderr). `python tests/test_bad_inputs.py --update` fills in
the `error:` lines from the current messages (review them before committing).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "bad_inputs"
CASES = sorted(HERE.glob("*.case"))


@dataclass(frozen=True)
class Case:
    path: Path
    args: list[str]
    expected: str

    @staticmethod
    def read(path: Path) -> Case:
        fields = dict(
            line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
            for line in path.read_text().splitlines()
            if line and not line.startswith("#")
        )
        return Case(path, shlex.split(fields["args"]), fields.get("error", ""))


@dataclass(frozen=True)
class Outcome:
    code: int
    stderr: str
    tmp: Path
    left: list[str]


def run(case: Case, root: Path) -> Outcome:
    tmp = root / case.path.stem
    tmp.mkdir()
    args = [a.replace("{tmp}", str(tmp)) for a in case.args]
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1]), "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, "-m", "snn_dialect.cli", *args],
        cwd=HERE,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return Outcome(proc.returncode, proc.stderr, tmp, sorted(p.name for p in tmp.rglob("*")))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Outcome]:
    """Every case run once, a few at a time (each is a fresh interpreter)."""
    root = tmp_path_factory.mktemp("bad_inputs")
    cases = [Case.read(p) for p in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda c: run(c, root), cases)
        return {c.path: r for c, r in zip(cases, results, strict=True)}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_bad_input_gives_its_one_line_error(path: Path, outcomes: dict[Path, Outcome]):
    case, outcome = Case.read(path), outcomes[path]
    lines = [line for line in outcome.stderr.splitlines() if not line.startswith("\r")]
    expected = case.expected.replace("{tmp}", str(outcome.tmp))
    assert outcome.code == 1, outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert lines == [expected]
    assert outcome.left == [], "a failed run writes nothing"


def test_every_file_of_the_corpus_is_used():
    used = {a for p in CASES for a in Case.read(p).args}
    inputs = {p.name for p in HERE.iterdir() if p.suffix in (".mlir", ".nir", ".npz", ".npy")}
    assert inputs <= used


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    with tempfile.TemporaryDirectory() as root:
        for path in CASES:
            case = Case.read(path)
            outcome = run(case, Path(root))
            line = outcome.stderr.strip().splitlines()[-1] if outcome.stderr.strip() else ""
            line = line.replace(str(outcome.tmp), "{tmp}")
            text = path.read_text().splitlines()
            text = [t for t in text if not t.startswith("error:")] + [f"error: {line}"]
            path.write_text("\n".join(text) + "\n")
            print(f"{path.stem}: {outcome.code} {line}")
