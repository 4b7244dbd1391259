"""Random recurrent CubaLIF networks in Xylo's shape (input -> hidden with recurrence ->
output), built as NIR graphs and imported, for the Xylo backend's tests."""

from __future__ import annotations

import nir
import numpy as np
from xdsl.dialects.builtin import ModuleOp

from snn_dialect.nir_io import import_nir


def cuba(n: int, rng: np.random.Generator, dt: float, exact_taus: bool) -> nir.CubaLIF:
    """A CubaLIF population with per-neuron time constants (powers of two times `dt` when
    `exact_taus`)."""
    if exact_taus:
        tau_syn = dt * 2.0 ** rng.integers(1, 5, n)
        tau_mem = dt * 2.0 ** rng.integers(1, 6, n)
    else:
        tau_syn = dt * rng.uniform(1.5, 20, n)
        tau_mem = dt * rng.uniform(1.5, 40, n)
    return nir.CubaLIF(
        tau_syn=tau_syn.astype(np.float32),
        tau_mem=tau_mem.astype(np.float32),
        r=rng.uniform(0.5, 2, n).astype(np.float32),
        v_leak=np.zeros(n, np.float32),
        v_threshold=rng.uniform(0.5, 1.5, n).astype(np.float32),
        v_reset=np.zeros(n, np.float32),
        w_in=rng.uniform(0.5, 2, n).astype(np.float32),
    )


def xylo_shaped(
    rng: np.random.Generator,
    n_in: int,
    n_hidden: int,
    n_out: int,
    recurrent: bool = True,
    gain: float = 1.0,
    dt: float = 1e-3,
    exact_taus: bool = False,
    import_dt: float | None = None,
    rec_density: float = 0.5,
) -> ModuleOp:
    """input -> linear -> cuba_lif (+ recurrent linear) -> linear -> cuba_lif -> output;
    time constants in units of `dt`, the graph imported with `import_dt` (default `dt`)."""
    nodes: dict[str, nir.NIRNode] = {
        "input": nir.Input(input_type=np.array([n_in])),
        "fc1": nir.Linear(weight=(gain * rng.normal(0, 1, (n_hidden, n_in))).astype(np.float32)),
        "hid": cuba(n_hidden, rng, dt, exact_taus),
        "fc2": nir.Linear(weight=(gain * rng.normal(0, 1, (n_out, n_hidden))).astype(np.float32)),
        "out": cuba(n_out, rng, dt, exact_taus),
        "output": nir.Output(output_type=np.array([n_out])),
    }
    edges = [("input", "fc1"), ("fc1", "hid"), ("hid", "fc2"), ("fc2", "out"), ("out", "output")]
    if recurrent:
        w = rng.normal(0, 0.5, (n_hidden, n_hidden)) * (
            rng.random((n_hidden, n_hidden)) < rec_density
        )
        nodes["rec"] = nir.Linear(weight=(gain * w).astype(np.float32))
        edges += [("hid", "rec"), ("rec", "hid")]
    return import_nir(nir.NIRGraph(nodes=nodes, edges=edges), dt=import_dt or dt)
