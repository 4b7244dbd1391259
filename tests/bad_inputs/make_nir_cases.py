"""Writes the NIR files of the bad-input corpus (run from this folder; the files are committed).

Each file is a small valid NIR graph with one thing broken, edited at the HDF5 level so that
the broken value reaches the importer exactly as a user's file would.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import nir
import numpy as np

HERE = Path(__file__).parent


def lif(n: int) -> nir.LIF:
    full = lambda v: np.full(n, v, np.float32)  # noqa: E731
    return nir.LIF(
        tau=full(5e-3), r=full(1.0), v_leak=full(0.0), v_threshold=full(1.0), v_reset=full(0.0)
    )


def base(path: Path) -> Path:
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "fc": nir.Affine(weight=np.eye(2, dtype=np.float32), bias=np.zeros(2, np.float32)),
            "lif": lif(2),
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")],
        metadata={"dt": 1e-3},
    )
    nir.write(path, graph)
    return path


def nested(path: Path) -> Path:
    inner = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "lif": lif(2),
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "lif"), ("lif", "output")],
    )
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2])}),
            "fc": nir.Linear(weight=np.eye(2, dtype=np.float32)),
            "block": inner,
            "output": nir.Output(output_type={"output": np.array([2])}),
        },
        edges=[("input", "fc"), ("fc", "block"), ("block", "output")],
        metadata={"dt": 1e-3},
        type_check=False,
    )
    nir.write(path, graph)
    return path


def grouped(path: Path) -> Path:
    """A conv whose metadata says `groups` = 2 (as snn-opt's export writes a grouped conv:
    block-diagonal dense weight) while its weight has entries across the groups."""
    conv = nir.Conv2d(
        input_shape=(3, 3),
        weight=np.ones((2, 2, 1, 1), np.float32),
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=np.zeros(2, np.float32),
        metadata={"groups": np.int64(2)},
    )
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([2, 3, 3])}),
            "conv": conv,
            "output": nir.Output(output_type={"output": np.array([2, 3, 3])}),
        },
        edges=[("input", "conv"), ("conv", "output")],
        metadata={"dt": 1e-3},
    )
    nir.write(path, graph)
    return path


def edit(path: Path, node: str, key: str, value: object | None) -> None:
    with h5py.File(path, "r+") as f:
        group = f[f"node/nodes/{node}"]
        del group[key]
        if value is not None:
            group.create_dataset(key, data=value)


def main() -> None:
    edit(base(HERE / "nir_tau_string.nir"), "lif", "tau", "fast")
    edit(base(HERE / "nir_missing_threshold.nir"), "lif", "v_threshold", None)
    edit(base(HERE / "nir_threshold_length.nir"), "lif", "v_threshold", np.ones(3, np.float32))
    edit(base(HERE / "nir_weight_nan.nir"), "fc", "weight", np.full((2, 2), np.nan, np.float32))
    edit(nested(HERE / "nir_nested_bad.nir"), "block/nodes/lif", "v_threshold", None)
    data = base(HERE / "nir_truncated.nir").read_bytes()
    (HERE / "nir_truncated.nir").write_bytes(data[: len(data) // 2])
    (HERE / "nir_empty.nir").write_bytes(b"")
    grouped(HERE / "nir_groups_metadata.nir")
    (HERE / "nir_not_hdf5.nir").write_text("this is not an HDF5 file\n")


if __name__ == "__main__":
    main()
