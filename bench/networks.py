"""The benchmark networks, and the same networks built by hand in snnTorch.

`mlp(sizes)` is a fully connected LIF chain with random weights; in its hidden layers 10 % of
the neurons are dead (zero incoming weights and a negative bias, so they never fire, and
profiled rate 0) and 5 % duplicate another neuron (same incoming row, bias, parameters and
rate). `cnn()` is the Sinabs CNN fixture `tests/data/cnn_sinabs.nir` (IF neurons, dt = 1).
`snntorch_model(module)` rebuilds a chain of these ops in snnTorch, or says why it cannot.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import BytesAttr, DenseIntOrFPElementsAttr, ModuleOp

from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module
from snn_dialect.nir_io import import_nir
from snn_dialect.ops import (
    AffineOp,
    Conv2dOp,
    FlattenOp,
    IFOp,
    LIFOp,
    LinearOp,
    OutputOp,
    SumPool2dOp,
)
from snn_dialect.simulator import find_graph

ROOT = Path(__file__).resolve().parent.parent
CNN_FIXTURE = ROOT / "tests" / "data" / "cnn_sinabs.nir"

DT = 1e-3
TAU = 5e-3
THRESHOLD = 1.0
DEAD_FRACTION = 0.10
DUPLICATE_FRACTION = 0.05
DEAD_BIAS = -0.5
"""Bias of the planted dead neurons: with no incoming weights their membrane stays in
[DEAD_BIAS, 0], below the threshold."""


def mlp(sizes: tuple[int, ...], seed: int = 0) -> ModuleOp:
    """An affine -> LIF chain with random weights and biases, profiled firing rates on the
    hidden layers, 10 % of the hidden neurons dead and 5 % duplicating another one."""
    rng = np.random.default_rng(seed)
    layers: list[LayerNode] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        # hidden layers fire at 5-10 % per step on the benchmark's inputs
        weight = rng.normal(0.0, 3.0 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        bias = rng.normal(0.9, 0.1, n_out).astype(np.float32)
        rates = None
        if i < len(sizes) - 2:  # hidden: dead and duplicated neurons (disjoint sets)
            order = rng.permutation(n_out)
            n_dead, n_dup = round(DEAD_FRACTION * n_out), round(DUPLICATE_FRACTION * n_out)
            dead = order[:n_dead]
            copies = order[n_dead : n_dead + n_dup]
            originals = order[n_dead + n_dup : n_dead + 2 * n_dup]
            weight[copies], bias[copies] = weight[originals], bias[originals]
            weight[dead], bias[dead] = 0.0, DEAD_BIAS
            rates = rng.uniform(0.01, 0.3, n_out).astype(np.float32)
            rates[copies] = rates[originals]
            rates[dead] = 0.0
        layers.append(
            LayerNode(
                name=f"layer{i}",
                n_inputs=n_in,
                n_neurons=n_out,
                weights=weight,
                neuron_type="LIF",
                firing_rates=rates,
                bias=bias,
                params={"tau": TAU, "r": 1.0, "v_leak": 0.0, "v_threshold": THRESHOLD},
            )
        )
    return graph_to_module(SNNGraph(layers=layers, dt=DT))


def fresh_copy(module: ModuleOp) -> ModuleOp:
    """A clone of `module` whose dense attributes are new objects over copied bytes: a pass
    on it starts cold, with nothing remembered per attribute (row hashes, value bounds,
    nonzero masks) from runs on `module` or on its other copies."""
    copy = module.clone()
    for op in copy.walk():
        for name, attr in list(op.properties.items()):
            if isinstance(attr, DenseIntOrFPElementsAttr):
                data = bytes(bytearray(attr.data.data))
                op.properties[name] = DenseIntOrFPElementsAttr(attr.type, BytesAttr(data))
    return copy


def cnn() -> ModuleOp:
    return import_nir(CNN_FIXTURE, dt=1.0)  # Sinabs IF neurons: dt = 1 (see the fixtures)


def _uniform(op: object, name: str) -> float | None:
    values = np.asarray(op.array(name)).reshape(-1)  # type: ignore[attr-defined]
    return float(values[0]) if values.size and (values == values[0]).all() else None


def snntorch_model(module: ModuleOp) -> Callable[[np.ndarray], np.ndarray] | str:
    """The graph of `module` by hand in snnTorch, as a function of `[T, B, *in]` inputs
    returning the output spikes; or why it cannot be built.

    Supported: a chain of linear/affine/conv2d/sum_pool2d/flatten ops and LIF (with
    `v_leak = 0`, `v_reset = 0`) or IF (`v_reset = 0`) neurons with uniform parameters, each
    neuron fed by a synapse op. Our LIF `v += a (r I - v)` is `snn.Leaky(beta = 1 - a)` on
    the synapse scaled by `a r` (`a = dt / tau`); our IF `v += dt r I` is `snn.Leaky(beta=1)`
    on the synapse scaled by `dt r`; both reset to zero in the step they spike."""
    try:
        import snntorch as snn
        import torch
    except ImportError as e:
        return f"not installed ({e.name})"
    graph = find_graph(module)
    dt = graph.dt_value
    ops = [op for op in graph.block.ops if not isinstance(op, OutputOp)]
    layers: list[torch.nn.Module] = []
    for op in ops:
        if isinstance(op, LinearOp | AffineOp):
            weight = op.array("weight")
            layer = torch.nn.Linear(weight.shape[1], weight.shape[0])
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(weight.copy()))
                bias = op.array("bias") if isinstance(op, AffineOp) else 0 * weight[:, 0]
                layer.bias.copy_(torch.from_numpy(bias.copy()))
            layers.append(layer)
        elif isinstance(op, Conv2dOp):
            weight = op.array("weight")
            stride, padding, dilation = op.window()
            layer = torch.nn.Conv2d(
                weight.shape[1] * op.groups.value.data,
                weight.shape[0],
                tuple(weight.shape[2:]),
                stride=tuple(stride),
                padding=tuple(padding),
                dilation=tuple(dilation),
                groups=op.groups.value.data,
            )
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(weight.copy()))
                layer.bias.copy_(torch.from_numpy(op.array("bias").copy()))
            layers.append(layer)
        elif isinstance(op, SumPool2dOp):
            kernel, stride, padding = op.window()
            layers.append(
                torch.nn.AvgPool2d(tuple(kernel), tuple(stride), tuple(padding), divisor_override=1)
            )
        elif isinstance(op, FlattenOp):
            layers.append(torch.nn.Flatten())
        elif isinstance(op, LIFOp | IFOp):
            params = {n: _uniform(op, n) for n in ("r", "v_threshold", "v_reset")}
            if isinstance(op, LIFOp):
                params["tau"], params["v_leak"] = _uniform(op, "tau"), _uniform(op, "v_leak")
            if any(v is None for v in params.values()) or params["v_reset"] != 0.0:
                return f"n/a: {op.name} has non-uniform parameters or a nonzero reset"
            if isinstance(op, LIFOp) and params["v_leak"] != 0.0:
                return "n/a: LIF with v_leak != 0"
            a = dt / params["tau"] if isinstance(op, LIFOp) else dt  # type: ignore[operator]
            synapse = layers[-1] if layers else None
            if not isinstance(synapse, torch.nn.Linear | torch.nn.Conv2d):
                return f"n/a: {op.name} is not fed by a synapse"
            with torch.no_grad():
                synapse.weight.mul_(a * params["r"])  # type: ignore[operator]
                synapse.bias.mul_(a * params["r"])  # type: ignore[operator]
            beta = 1.0 - a if isinstance(op, LIFOp) else 1.0
            layers.append(
                snn.Leaky(
                    beta=beta,
                    threshold=params["v_threshold"],
                    reset_mechanism="zero",
                    reset_delay=False,
                )
            )
        else:
            return f"n/a: no snnTorch counterpart for {op.name} here"

    def run(x: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            inputs = torch.from_numpy(x)
            states = {i: m.init_leaky() for i, m in enumerate(layers) if isinstance(m, snn.Leaky)}
            out = []
            for t in range(len(inputs)):
                value = inputs[t]
                for i, layer in enumerate(layers):
                    if i in states:
                        value, states[i] = layer(value, states[i])
                    else:
                        value = layer(value)
                out.append(value)
            return torch.stack(out).numpy()

    return run
