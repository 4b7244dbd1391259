"""Hypothesis strategies for random NIR graphs (`nir.NIRGraph`), written independently of the
importer, with the forms that optimization removes:

* synapses with all-zero weights (a branch whose only path to an output goes through one
  becomes a dangling branch once the zero synapse goes),
* layers whose incoming weights are all negative (silent on spike inputs, so they empty),
* a second graph input read only through zero weights (unused after optimization),
* recurrent layers, some of whose forward weights are all zero (the input is then read
  by nothing and only the recurrent bias stays),
* one or two outputs, also reading hidden layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import nir
import numpy as np
from hypothesis import strategies as st

DT = 1e-3
KINDS = ("lif", "if", "cubalif", "li")
MODES = ("normal", "normal", "silent", "zero")


def neuron(kind: str, n: int) -> nir.NIRNode:
    full = lambda v: np.full(n, v, np.float32)  # noqa: E731
    if kind == "lif":
        return nir.LIF(
            tau=full(5e-3), r=full(1.0), v_leak=full(0.0), v_threshold=full(1.0), v_reset=full(0)
        )
    if kind == "if":
        return nir.IF(r=full(200.0), v_threshold=full(1.0), v_reset=full(0.0))
    if kind == "cubalif":
        return nir.CubaLIF(
            tau_syn=full(4e-3),
            tau_mem=full(5e-3),
            r=full(1.0),
            v_leak=full(0.0),
            v_threshold=full(0.8),
            v_reset=full(0.0),
            w_in=full(2.0),
        )
    return nir.LI(tau=full(5e-3), r=full(1.0), v_leak=full(0.0))


def weights(rng: np.random.Generator, mode: str, n_out: int, n_in: int) -> np.ndarray:
    w = rng.normal(0.0, 1.5, (n_out, n_in)).astype(np.float32)
    if mode == "silent":
        return -np.abs(w)
    if mode == "zero":
        return np.zeros_like(w)
    return w


@dataclass(frozen=True)
class Layer:
    size: int
    kind: str
    source: int | None  # index into the values defined before this layer (None: the last)
    mode: str
    bias: bool
    extra: int | None  # a second source, read through zero weights
    recurrent: bool


@dataclass(frozen=True)
class Plan:
    """How to build one random NIR graph; prints short (hypothesis shows it on failure)."""

    seed: int
    inputs: tuple[int, ...]
    layers: tuple[Layer, ...]
    second_output: int | None

    def build(self) -> nir.NIRGraph:
        rng = np.random.default_rng(self.seed)
        nodes: dict[str, nir.NIRNode] = {}
        edges: list[tuple[str, str]] = []
        values: list[tuple[str, int]] = []
        for i, n in enumerate(self.inputs):
            nodes[f"in{i}"] = nir.Input(input_type={"input": np.array([n])})
            values.append((f"in{i}", n))
        for k, layer in enumerate(self.layers):
            src, n_in = values[-1 if layer.source is None else layer.source % len(values)]
            w = weights(rng, layer.mode, layer.size, n_in)
            if layer.bias:
                b = rng.normal(0.0, 0.2, layer.size).astype(np.float32)
                nodes[f"syn{k}"] = nir.Affine(
                    weight=w, bias=-np.abs(b) if layer.mode == "silent" else b
                )
            else:
                nodes[f"syn{k}"] = nir.Linear(weight=w)
            nodes[f"neu{k}"] = neuron(layer.kind, layer.size)
            edges += [(src, f"syn{k}"), (f"syn{k}", f"neu{k}")]
            if layer.extra is not None:
                other, m = values[layer.extra % len(values)]
                nodes[f"zero{k}"] = nir.Linear(weight=np.zeros((layer.size, m), np.float32))
                edges += [(other, f"zero{k}"), (f"zero{k}", f"neu{k}")]
            if layer.recurrent:
                w_rec = 0.5 * rng.normal(0.0, 1.0, (layer.size, layer.size)).astype(np.float32)
                b_rec = rng.normal(0.0, 0.5, layer.size).astype(np.float32)
                nodes[f"rec{k}"] = nir.Affine(weight=w_rec, bias=b_rec)
                edges += [(f"neu{k}", f"rec{k}"), (f"rec{k}", f"neu{k}")]
            values.append((f"neu{k}", layer.size))
        outs = [values[-1]]
        if self.second_output is not None:
            outs.append(values[len(self.inputs) + self.second_output % len(self.layers)])
        for i, (src, n) in enumerate(outs):
            nodes[f"out{i}"] = nir.Output(output_type={"output": np.array([n])})
            edges.append((src, f"out{i}"))
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata={"dt": DT})


@st.composite
def layers(draw: st.DrawFn) -> Layer:
    return Layer(
        size=draw(st.integers(1, 5)),
        kind=draw(st.sampled_from(KINDS)),
        source=draw(st.none() | st.integers(0, 8)),
        mode=draw(st.sampled_from(MODES)),
        bias=draw(st.booleans()),
        extra=draw(st.none() | st.integers(0, 8)),
        recurrent=draw(st.integers(0, 3)) == 0,
    )


@st.composite
def nir_graphs(draw: st.DrawFn) -> Plan:
    n_inputs = draw(st.integers(1, 2))
    n_layers = draw(st.integers(1, 4))
    built = tuple(draw(layers()) for _ in range(n_layers))
    return Plan(
        seed=draw(st.integers(0, 2**32 - 1)),
        inputs=tuple(draw(st.integers(1, 5)) for _ in range(n_inputs)),
        layers=built,
        second_output=draw(st.none() | st.integers(0, 3)),
    )


def spikes(graph: nir.NIRGraph, steps: int, batch: int, seed: int) -> list[np.ndarray]:
    """Random input spikes, one `[T, B, n]` array per input node, in name order."""
    rng = np.random.default_rng(seed)
    names = sorted(k for k, v in graph.nodes.items() if isinstance(v, nir.Input))
    return [
        (rng.random((steps, batch, *graph.nodes[k].input_type["input"])) < 0.4).astype(np.float32)
        for k in names
    ]
