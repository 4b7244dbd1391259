"""NIR graphs <-> `snn.graph` modules.

Import (`import_nir`) makes one `snn.graph` per NIR graph:

* `Input` nodes become the block arguments and `Output` nodes the `snn.output` operands, both
  sorted by node name; every other node becomes the op of its primitive, its result named
  after the node (a sanitised SSA name hint, e.g. `lif1.lif`, `n0` for node `0`).
* Several edges into one node are summed by an `snn.add` (operands sorted by source name).
* Cycles: a depth-first search from the inputs (sorted by name, successors sorted by name)
  finds the back edges; each back edge `u -> v` reads `u` through an `snn.recurrent`, the
  one-step delay that NIR implies on every cycle. While `u` is not a neuron and has one
  input, the delay moves back to that input (usually a neuron's spikes), so a recurrent
  weight's bias acts from the first step, as in snnTorch (`W s[t-1] + b`).
* Parameters become float32 arrays broadcast to the shape of the node's input (`v_reset`
  defaults to 0, `w_in` to 1); conv padding `'same'`/`'valid'` becomes numbers.
* Nested `NIRGraph` nodes with one `Input` and one `Output` are inlined (their nodes are
  named `<graph>.<node>`).
* `dt` comes from the caller, else from the graph's metadata `dt`, else from the neuron
  parameters where they imply one (snnTorch writes `r = tau/dt`: when every LIF/CubaLIF/LI
  node has `r != 1` and `tau/r` is one value, that value is dt), else `DEFAULT_DT`. Without
  metadata `dt` the import warns (`SNNWarning`, one line) with the value it took and why.

Export (`export_nir`, `write_nir`) is the inverse: `snn.add` and the `snn.recurrent` of a
cycle disappear (their operands' producers connect to their users); an `snn.recurrent` whose
user is not on a cycle through it becomes a `Delay` of one step `dt`. A linear/affine op whose
input has rank > 1 becomes a `Flatten` node followed by the `Linear`/`Affine`. The graph
metadata holds `dt` and, as text, the graph's other attributes (e.g. approximation notes).
The file keeps the module's interface exactly: Input and Output nodes carry the names they
had on import (recorded as the graph attributes `input_names`/`output_names` where the
argument names or `output_<i>` would not give them back), and an input that nothing reads
is connected to the first rank-1 output through an all-zero `Linear` named `<input>.unused`,
so that `nir.read` (with its default checks) neither drops it nor adds an output for it.
An op with an empty (zero-size) operand or result is an error: NIR cannot express it.

Errors are `NIRImportError` / `NIRExportError` naming the file and the node or op.

Grouped convolutions: NIR 1.0 computes a conv's input channels as `weight.shape[1]`
(C_in / groups), so `nir.read` with its default type check rejects a grouped conv node. The
exporter writes a grouped convolution as the equal dense one (zero weights outside the
diagonal blocks, `groups` = 1) with the group count in the node's metadata (`groups`), which
every NIR reader accepts and computes identically, and the importer gives the grouped op back
(the round trip is exact; the file holds `groups` times the weights of that layer). NIR
1.0 also takes `weight.shape[2]` as the kernel size of both axes of a conv2d: a kernel that
is not square goes out zero-padded to a square on its short axis, that axis's padding grown
to match, with its own size in the node's metadata (`kernel`), which import undoes; when the
two sides differ by an odd number no symmetric padding does this, and it goes out as it is.
Files that fail NIR's check (those, or grouped convs written elsewhere) are read by
`read_nir_file` (and so `import_nir`) without it, with a warning; the importer checks shapes
itself.

Limitations: a cycle holding several `snn.recurrent` ops exports as one NIR cycle, which imports
with a single one-step delay.

Profile data travels in node metadata: each op's optional properties that hold what
profiling measured (`firing_rates`, `profile_samples`, `profile_steps`, a synapse's
`input_moment`), and a synapse's `unpruned_weights` left by structured pruning, are written
under the same keys and read back on import.

Quantized weights (`snn-quantize`) keep their integer form: a synapse op's `weight_scale` and
`weight_bits` go into its node's metadata (keys of the same names) and come back on import,
where the verifier checks the weights against them; the pass's note (bits, `param_bits`,
errors) travels with the graph's attributes.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import h5py
import nir
import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    i64,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.irdl import OptionalDef
from xdsl.parser import Parser
from xdsl.utils.exceptions import ParseError, VerifyException

from snn_dialect.dense import dense_f32, tensor_f32, to_array
from snn_dialect.diagnostics import NIRExportError, NIRImportError, atomic_path, warn
from snn_dialect.interfaces import ElementwiseOp, value_shape
from snn_dialect.ops import (
    AddOp,
    AffineOp,
    AvgPool2dOp,
    Conv1dOp,
    Conv2dOp,
    ConvOpBase,
    CubaLIFOp,
    CubaLIOp,
    DelayOp,
    FlattenOp,
    GraphOp,
    IFOp,
    IntegratorOp,
    LIFOp,
    LinearOp,
    LIOp,
    OutputOp,
    PoolOpBase,
    RecurrentOp,
    ScaleOp,
    SumPool2dOp,
    ThresholdOp,
    _normalize_dim,
    conv_output_size,
)

DEFAULT_DT = 1e-4
"""Time step (s) when neither the caller nor the graph's metadata gives one."""

ATTRIBUTES_KEY = "snn.attributes"
"""Graph metadata key holding the graph's attributes other than `dt`, printed as MLIR."""

NAMES_KEYS = ("input_names", "output_names")
"""Graph attributes holding the NIR names of the Input and Output nodes (in order), where
the block arguments' names or `output_<i>` would not give them back."""

ELEMENTWISE: dict[type[nir.NIRNode], type[Operation]] = {
    nir.LIF: LIFOp,
    nir.CubaLIF: CubaLIFOp,
    nir.IF: IFOp,
    nir.LI: LIOp,
    nir.CubaLI: CubaLIOp,
    nir.I: IntegratorOp,
    nir.Threshold: ThresholdOp,
    nir.Scale: ScaleOp,
    nir.Delay: DelayOp,
}
"""NIR primitives whose parameters are per-element arrays named like the op's properties."""

PARAM_DEFAULTS: dict[str, float] = {"v_reset": 0.0, "w_in": 1.0}
"""Values of optional NIR parameters that are missing (None)."""


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def read_nir_file(path: str | Path) -> nir.NIRGraph:
    """Load a NIR file; graphs that fail NIR's own type check are loaded without it (the
    importer checks shapes itself and names the node at fault)."""
    path = Path(path)
    if not path.exists():
        raise NIRImportError("no such file", str(path))
    if not path.is_file():
        raise NIRImportError("not a file", str(path))
    try:
        return nir.read(path)
    except Exception as e:  # h5py and nir raise anything from OSError to AssertionError
        checked = e
    try:
        graph = nir.read(path, type_check=False)
    except Exception as e:
        raise NIRImportError(f"not a readable NIR file: {_unreadable(path, e)}", str(path)) from e
    warn(
        f"NIR's type check rejects the file ({_reason(checked)}); read without it, the "
        "importer checks shapes itself",
        str(path),
    )
    return graph


def _unreadable(path: Path, error: Exception) -> str:
    """Why `nir.read` failed, in the user's terms: an empty, non-HDF5 or truncated file, a
    missing `node` group, an unknown node type, or the first node (with its place in nested
    graphs) whose parameters NIR refuses, and which parameter; else the reader's message."""
    with path.open("rb") as f:
        head = f.read(8)
    if not head:
        return "the file is empty (a NIR file is an HDF5 file)"
    if head != b"\x89HDF\r\n\x1a\n":
        return f"not an HDF5 file (a NIR file is one; this one starts with {head[:8]!r})"
    try:
        with h5py.File(path, "r") as f:
            if not isinstance(f.get("node"), h5py.Group):
                return "it has no 'node' group"
            found = _bad_node(f["node"], "")
            if found is not None:
                return found
    except OSError as e:
        if "truncated" in str(e):
            return "the HDF5 file is truncated (cut short while copying or writing?)"
        return f"the HDF5 file is damaged: {_reason(e)}"
    except Exception:
        pass
    return _reason(error)


def _bad_node(group: h5py.Group, where: str) -> str | None:
    """The first problem NIR's reader finds in `group` (a serialised node), innermost first."""
    kind_data = group.get("type")
    if not isinstance(kind_data, h5py.Dataset):
        return None
    value = kind_data[()]
    kind = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    *outer, own = where.split(".") if where else [""]
    inside = f" in subgraph '{'.'.join(outer)}'" if outer else ""
    label = f"node '{own}' ({kind}){inside}" if where else "the graph"
    if not isinstance(getattr(nir, kind, None), type):
        return f"node '{own}'{inside}: unknown node type '{kind}'"
    nodes = group.get("nodes")
    if kind == "NIRGraph" and isinstance(nodes, h5py.Group):
        for name in nodes:
            child = nodes[name]
            if isinstance(child, h5py.Group):
                found = _bad_node(child, f"{where}.{name}" if where else name)
                if found is not None:
                    return found
        return None
    for key, data in group.items():
        if isinstance(data, h5py.Dataset) and key != "type" and data.dtype.kind in "OSU":
            text = data[()]
            text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
            return f"{label}: parameter '{key}' is text ({text!r}), expected an array of numbers"
    try:
        from nir.serialization import read_node

        read_node(group)
    except KeyError as e:
        missing = re.search(r"object '([^']+)' doesn't exist", str(e))
        if missing:
            return f"{label}: parameter '{missing.group(1)}' is missing"
        return f"{label}: {_reason(e)}"
    except TypeError as e:
        missing = re.search(r"missing \d+ required positional arguments?: (.*)$", str(e))
        if missing:
            return f"{label}: parameter {missing.group(1)} is missing"
        return f"{label}: {_reason(e)}"
    except Exception as e:
        if "same shape" in str(e):
            shapes = ", ".join(
                f"{k} {list(d.shape)}"
                for k, d in group.items()
                if isinstance(d, h5py.Dataset) and k != "type" and d.dtype.kind in "fiu"
            )
            return f"{label}: its parameters must all have one shape, got {shapes}"
        return f"{label}: {_reason(e)}"
    return None


def import_nir(
    source: str | Path | nir.NIRGraph, dt: float | None = None, name: str | None = None
) -> ModuleOp:
    """A module holding one verified `snn.graph` equivalent to the NIR graph `source` (a file
    path or a `nir.NIRGraph`); `dt` overrides the graph's time step, `name` the graph's
    symbol name (default: the file's stem, or `net`)."""
    if isinstance(source, nir.NIRGraph):
        graph, stem, where = source, "net", None
    else:
        path = Path(source)
        graph, stem, where = read_nir_file(path), path.stem or "net", str(path)
    if name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$.]*", name):
        raise NIRImportError(
            f"graph name '{name}' is not a symbol name (letters, digits, '_', '$', '.'; not "
            "starting with a digit)",
            where,
        )
    name = name or stem
    try:
        step, note = _time_step(graph, dt)
        graph_op = _Importer(graph, name, step).build()
        module = ModuleOp([graph_op])
        module.verify()
    except NIRImportError as e:
        if where is None:
            raise
        raise e.at(where) from e.__cause__
    except VerifyException as e:
        raise NIRImportError(f"the imported graph does not verify: {e}", where) from e
    if note is not None:
        warn(note, where)
    return module


def implied_dt(graph: nir.NIRGraph) -> float | None:
    """The time step that the neuron parameters imply, if any: snnTorch exports `r = tau/dt`
    (`tau_mem` for CubaLIF), so when every LIF/CubaLIF/LI node has `r != 1` and all
    `tau / r` agree (to 1e-4 relative), that ratio is dt."""
    nodes, _ = _flatten_graph(graph)
    ratios: list[np.ndarray] = []
    for node in nodes.values():
        if not isinstance(node, nir.LIF | nir.CubaLIF | nir.LI):
            continue
        try:
            tau = np.asarray(node.tau_mem if isinstance(node, nir.CubaLIF) else node.tau, float)
            r = np.asarray(node.r, float)
            if r.size == 0 or np.any(r == 1.0) or np.any(r <= 0):
                return None
            ratios.append(np.ravel(tau / r))
        except (TypeError, ValueError, AttributeError):
            return None
    if not ratios:
        return None
    flat = np.concatenate(ratios)
    value = float(np.median(flat))
    if not (np.isfinite(value) and value > 0) or np.any(np.abs(flat - value) > 1e-4 * value):
        return None
    return float(f"{value:.6g}")


def _time_step(graph: nir.NIRGraph, dt: float | None) -> tuple[float, str | None]:
    """The time step to import `graph` with, and a warning to give when the file had none."""
    if dt is None:
        metadata = graph.metadata if isinstance(graph.metadata, dict) else {}
        if "dt" not in metadata:
            implied = implied_dt(graph)
            if implied is not None:
                return implied, (
                    f"no 'dt' in the graph metadata; inferred dt = {implied:g} s from the "
                    "neuron parameters (r = tau/dt, as snnTorch exports); set it with --dt"
                )
            return DEFAULT_DT, (
                f"no 'dt' in the graph metadata; assuming dt = {DEFAULT_DT:g} s; set it with "
                "--dt (e.g. --dt 1 for Sinabs networks, whose IF neurons count steps)"
            )
        try:
            value = np.asarray(metadata["dt"], dtype=np.float64)
        except (TypeError, ValueError):
            raise NIRImportError(
                f"graph metadata 'dt' is not a number: {metadata['dt']!r}"
            ) from None
        if value.size != 1:
            raise NIRImportError(f"graph metadata 'dt' must be one number, got {value.size}")
        dt = float(value.reshape(()))
    if not (np.isfinite(dt) and dt > 0):
        raise NIRImportError(f"dt must be a positive finite number, got {dt}")
    return float(dt), None


class _PassThrough:
    """The `Input`/`Output` node of an inlined subgraph: removed by joining its edges."""


def _flatten_graph(
    graph: nir.NIRGraph, prefix: str = ""
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Nodes and edges of `graph` with nested graphs inlined (names `<graph>.<node>`)."""
    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    ports: dict[str, tuple[str, str]] = {}  # nested graph -> (its input node, its output node)
    for name, node in graph.nodes.items():
        full = f"{prefix}{name}"
        if not isinstance(node, nir.NIRGraph):
            nodes[full] = node
            continue
        ins = sorted(k for k, n in node.nodes.items() if isinstance(n, nir.Input))
        outs = sorted(k for k, n in node.nodes.items() if isinstance(n, nir.Output))
        if len(ins) != 1 or len(outs) != 1:
            raise NIRImportError(
                f"node '{full}' (NIRGraph): a nested graph needs exactly one Input and one "
                f"Output node to be inlined, it has {len(ins)} and {len(outs)}"
            )
        inner_nodes, inner_edges = _flatten_graph(node, f"{full}.")
        for inner in (ins[0], outs[0]):
            inner_nodes[f"{full}.{inner}"] = _PassThrough()
        outer = {f"{prefix}{k}" for k in graph.nodes}
        for inner in inner_nodes:
            if inner in outer or inner in nodes:
                raise NIRImportError(f"node '{inner}' of nested graph '{full}' clashes with a node")
        nodes.update(inner_nodes)
        edges.extend(inner_edges)
        ports[full] = (f"{full}.{ins[0]}", f"{full}.{outs[0]}")
    for src, dst in graph.edges:
        src, dst = f"{prefix}{src}", f"{prefix}{dst}"
        edges.append(
            (ports[src][1] if src in ports else src, ports[dst][0] if dst in ports else dst)
        )
    return _join_pass_throughs(nodes, edges)


def _join_pass_throughs(
    nodes: dict[str, Any], edges: list[tuple[str, str]]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    for name in [n for n, node in nodes.items() if isinstance(node, _PassThrough)]:
        into = [s for s, d in edges if d == name]
        out_of = [d for s, d in edges if s == name]
        edges = [e for e in edges if name not in e] + [(s, d) for s in into for d in out_of]
        del nodes[name]
    return nodes, edges


def _dfs(roots: Sequence[str], succs: dict[str, list[str]]) -> tuple[dict[str, int], set]:
    """Preorder numbers and back edges of a depth-first search from `roots` in order."""
    preorder: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    on_stack: set[str] = set()
    for root in roots:
        if root in preorder:
            continue
        preorder[root] = len(preorder)
        on_stack.add(root)
        stack = [(root, iter(sorted(succs[root])))]
        while stack:
            node, successors = stack[-1]
            nxt = next(successors, None)
            if nxt is None:
                stack.pop()
                on_stack.discard(node)
            elif nxt in on_stack:
                back.add((node, nxt))
            elif nxt not in preorder:
                preorder[nxt] = len(preorder)
                on_stack.add(nxt)
                stack.append((nxt, iter(sorted(succs[nxt]))))
    return preorder, back


NEURON_NODES = (nir.LIF, nir.CubaLIF, nir.IF, nir.LI, nir.CubaLI, nir.I, nir.Threshold)


def _delay_after_neurons(
    back: set[tuple[str, str]], preds: dict[str, list[str]], nodes: dict[str, Any]
) -> set[tuple[str, str]]:
    """Move each cycle's one-step delay back to the output of the neuron that feeds it.

    A back edge `u -> v` whose source `u` is not a neuron and has a single input is cut at
    that input instead (every cycle through `u -> v` passes it), repeatedly. So a recurrent
    weight reads the previous step's spikes and applies its bias from the first step on, as
    snnTorch's and Norse's recurrent layers do (`W s[t-1] + b`, with `s[-1] = 0`)."""
    moved: set[tuple[str, str]] = set()
    for src, dst in back:
        seen = {src}
        while not isinstance(nodes.get(src), NEURON_NODES) and len(preds[src]) == 1:
            pred = preds[src][0]
            if pred in seen:
                break
            src, dst = pred, src
            seen.add(src)
        moved.add((src, dst))
    return moved


def _schedule(
    preorder: dict[str, int], edges: Sequence[tuple[str, str]], back: set[tuple[str, str]]
) -> list[str]:
    """A topological order of the graph without its back edges, earliest preorder first."""
    pending = dict.fromkeys(preorder, 0)
    forward: dict[str, list[str]] = defaultdict(list)
    for src, dst in edges:
        if (src, dst) not in back:
            pending[dst] += 1
            forward[src].append(dst)
    ready = [(i, n) for n, i in preorder.items() if pending[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, node = heapq.heappop(ready)
        order.append(node)
        for dst in forward[node]:
            pending[dst] -= 1
            if pending[dst] == 0:
                heapq.heappush(ready, (preorder[dst], dst))
    assert len(order) == len(preorder), "edges without back edges form a DAG"
    return order


def name_hint(name: str) -> str | None:
    """An SSA name hint for a NIR node name: invalid characters become `_`, a leading digit
    gets an `n` prefix; xDSL drops a trailing `_<digits>` (it re-adds such suffixes itself)."""
    hint = re.sub(r"[^A-Za-z0-9_$.-]", "_", name)
    if not hint:
        return None
    if hint[0].isdigit():
        hint = f"n{hint}"
    return SSAValue.extract_valid_name(hint) or None


class _Importer:
    def __init__(self, graph: nir.NIRGraph, name: str, dt: float):
        self.name = name
        self.dt = dt
        self.attributes = _graph_attributes(graph)
        self.nodes, self.edges = _flatten_graph(graph)
        self.preds: dict[str, list[str]] = defaultdict(list)
        self.succs: dict[str, list[str]] = defaultdict(list)
        for src, dst in self.edges:
            for end in (src, dst):
                if end not in self.nodes:
                    raise NIRImportError(f"edge ('{src}', '{dst}') names a missing node '{end}'")
            self.preds[dst].append(src)
            self.succs[src].append(dst)
        self.block = Block()
        self.values: dict[str, SSAValue] = {}
        self.recurrent: dict[str, RecurrentOp] = {}
        self.back: set[tuple[str, str]] = set()

    def build(self) -> GraphOp:
        inputs = self._io_nodes(nir.Input, "input_type", "input")
        outputs = self._io_nodes(nir.Output, "output_type", "output")
        for name, shape in inputs.items():
            if self.preds[name]:
                raise NIRImportError(f"Input node '{name}' has incoming edges")
            arg = self.block.insert_arg(tensor_f32(shape), len(self.block.args))
            arg.name_hint = name_hint(name)
            self.values[name] = arg
        for name in outputs:
            if self.succs[name]:
                raise NIRImportError(f"Output node '{name}' has outgoing edges")
        preorder, back = _dfs([*inputs, *sorted(self.nodes)], self.succs)
        self.back = _delay_after_neurons(back, self.preds, self.nodes)
        for name in _schedule(preorder, self.edges, self.back):
            if name not in inputs:
                self._add_node(name)
        for name, value in self.values.items():
            if isinstance(value.owner, Operation) and name in self.nodes:
                restore_profile(self.nodes[name], value.owner, f"node '{name}'")
        for src, rec in self.recurrent.items():
            if self.values[src].type != rec.output.type:
                raise NIRImportError(
                    f"recurrent edge from '{src}': shape {list(value_shape(self.values[src]))} "
                    f"differs from the shape {list(value_shape(rec.output))} its target expects"
                )
            rec.operands = [self.values[src]]
        results = [self.values[name] for name in outputs]
        for name, shape in outputs.items():
            if value_shape(self.values[name]) != shape:
                raise NIRImportError(
                    f"Output node '{name}' has shape {list(shape)} but receives "
                    f"{list(value_shape(self.values[name]))}"
                )
        self.block.add_op(OutputOp(results))
        graph = GraphOp(
            self.name,
            [a.type for a in self.block.args],
            [r.type for r in results],
            self.dt,
            Region(self.block),
        )
        graph.attributes |= self.attributes
        for key, names in zip(NAMES_KEYS, (list(inputs), list(outputs)), strict=True):
            graph.attributes.pop(key, None)
            default = [name_hint(n) for n in names] if key == "input_names" else None
            if names != (default or _numbered("output", len(names))):
                graph.attributes[key] = ArrayAttr([StringAttr(n) for n in names])
        return graph

    def _io_nodes(self, kind: type, type_field: str, key: str) -> dict[str, tuple[int, ...]]:
        names = sorted(n for n, node in self.nodes.items() if isinstance(node, kind))
        if not names:
            raise NIRImportError(f"the graph has no {kind.__name__} node")
        shapes: dict[str, tuple[int, ...]] = {}
        for name in names:
            types = getattr(self.nodes[name], type_field, None)
            shape = types.get(key) if isinstance(types, dict) else None
            where = f"{kind.__name__} node '{name}'"
            if shape is None:
                raise NIRImportError(f"{where} has no shape")
            shapes[name] = _ints(shape, None, where, "shape")
            if not shapes[name] or min(shapes[name]) < 1:
                raise NIRImportError(f"{where}: shape must be positive sizes, got {shape}")
        return shapes

    def _add_node(self, name: str) -> None:
        node = self.nodes[name]
        where = f"node '{name}' ({type(node).__name__})"
        x = self._input_of(name, where)
        if isinstance(node, nir.Output):
            self.values[name] = x
            return
        builder = _builder(node)
        if builder is None:
            raise NIRImportError(f"{where}: unsupported NIR primitive")
        op = builder(node, x, where)
        _restore_quantization(node, op, where)
        self._append(op, name_hint(name), where)
        self.values[name] = op.results[0]

    def _append(self, op: Operation, hint: str | None, where: str) -> None:
        try:
            op.verify()
        except VerifyException as e:
            raise NIRImportError(f"{where}: {e}") from e
        op.results[0].name_hint = hint
        self.block.add_op(op)

    def _input_of(self, name: str, where: str) -> SSAValue:
        sources = sorted(self.preds[name])
        if not sources:
            raise NIRImportError(f"{where} has no incoming edge")
        forward = [s for s in sources if (s, name) not in self.back]
        if forward:
            type_ = self.values[forward[0]].type
            for src in forward[1:]:
                if self.values[src].type != type_:
                    raise NIRImportError(
                        f"{where}: inputs from '{forward[0]}' "
                        f"{list(value_shape(self.values[forward[0]]))} and '{src}' "
                        f"{list(value_shape(self.values[src]))} have different shapes"
                    )
        else:
            type_ = tensor_f32(self._declared_output_shape(sources[0], where))
        values = [
            self._recurrent(s, type_, where) if (s, name) in self.back else self.values[s]
            for s in sources
        ]
        if len(values) == 1:
            return values[0]
        add = AddOp(values)
        hint = name_hint(name)
        self._append(add, f"{hint}_in" if hint else None, where)
        return add.output

    def _declared_output_shape(self, src: str, where: str) -> tuple[int, ...]:
        types = getattr(self.nodes[src], "output_type", None)
        shape = types.get("output") if isinstance(types, dict) else None
        if shape is None:
            raise NIRImportError(
                f"{where} is only reached through a recurrent edge from '{src}', whose "
                "output shape is not declared"
            )
        return _ints(shape, None, where, f"output shape of '{src}'")

    def _recurrent(self, src: str, type_: Any, where: str) -> SSAValue:
        """The previous-step value of `src` (its operand is set once `src` is built)."""
        rec = self.recurrent.get(src)
        if rec is None:
            rec = RecurrentOp.create(operands=[], result_types=[type_])
            hint = name_hint(src)
            rec.output.name_hint = f"{hint}_prev" if hint else None
            self.block.add_op(rec)
            self.recurrent[src] = rec
        elif rec.output.type != type_:
            raise NIRImportError(f"{where}: recurrent input from '{src}' has a different shape")
        return rec.output


def _graph_attributes(graph: nir.NIRGraph) -> dict[str, Any]:
    metadata = graph.metadata if isinstance(graph.metadata, dict) else {}
    text = metadata.get(ATTRIBUTES_KEY)
    if text is None:
        return {}
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    from snn_dialect.api import make_context

    try:
        attr = Parser(make_context(), str(text), ATTRIBUTES_KEY).parse_attribute()
    except ParseError as e:
        raise NIRImportError(
            f"graph metadata '{ATTRIBUTES_KEY}' is not an attribute: {e.msg}"
        ) from None
    if not isinstance(attr, DictionaryAttr):
        raise NIRImportError(f"graph metadata '{ATTRIBUTES_KEY}' must be a dictionary")
    return dict(attr.data)


# ---- parameters ----------------------------------------------------------------------------


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _array(node: nir.NIRNode, name: str, where: str, default: float | None = None) -> np.ndarray:
    """Parameter `name` of `node` as a finite float32 array."""
    value = getattr(node, name, None)
    if value is None:
        if default is None:
            raise NIRImportError(f"{where}: missing parameter '{name}'")
        value = default
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise NIRImportError(f"{where}: parameter '{name}' is not numeric") from None
    if not np.isfinite(array).all():
        raise NIRImportError(f"{where}: parameter '{name}' holds NaN or infinite values")
    array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise NIRImportError(f"{where}: parameter '{name}' overflows float32")
    return array


def _param(
    node: nir.NIRNode, name: str, shape: tuple[int, ...], where: str, default: float | None = None
) -> np.ndarray:
    """Parameter `name` broadcast to `shape`."""
    array = _array(node, name, where, default)
    try:
        return np.ascontiguousarray(np.broadcast_to(array, shape))
    except ValueError:
        raise NIRImportError(
            f"{where}: parameter '{name}' has shape {list(array.shape)}, which does not fit "
            f"the input shape {list(shape)}"
        ) from None


def _ints(value: Any, n: int | None, where: str, name: str) -> tuple[int, ...]:
    """`value` (an int or a sequence) as `n` ints; one value is repeated `n` times."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        array = np.asarray(None)
    integral = array.dtype.kind in "iu" or (
        array.dtype.kind == "f" and np.isfinite(array).all() and (array == np.round(array)).all()
    )
    if not integral:
        raise NIRImportError(f"{where}: '{name}' must be integers, got {value!r}")
    flat = [int(v) for v in array.reshape(-1)]
    if n is not None and len(flat) == 1:
        flat = flat * n
    if n is not None and len(flat) != n:
        raise NIRImportError(f"{where}: '{name}' needs {n} values, got {value!r}")
    return tuple(flat)


# ---- one builder per primitive --------------------------------------------------------------


def _dense(node: nir.Linear | nir.Affine, x: SSAValue, where: str) -> Operation:
    weight = _array(node, "weight", where)
    if weight.ndim != 2:
        raise NIRImportError(
            f"{where}: weight must be a matrix [n_out, n_in], got shape {list(weight.shape)}"
        )
    n_in = int(np.prod(value_shape(x)))
    if weight.shape[1] != n_in:
        raise NIRImportError(
            f"{where}: weight has {weight.shape[1]} columns but the input has {n_in} elements "
            f"(shape {list(value_shape(x))})"
        )
    if isinstance(node, nir.Affine):
        return AffineOp(x, weight, _param(node, "bias", (weight.shape[0],), where))
    return LinearOp(x, weight)


def _same_padding(kernel: Sequence[int], stride: Sequence[int], dilation: Sequence[int], where):
    padding = []
    for k, s, d in zip(kernel, stride, dilation, strict=True):
        total = d * (k - 1)
        if s != 1 or total % 2:
            raise NIRImportError(
                f"{where}: padding 'same' needs stride 1 and an odd (dilated) kernel to be "
                "symmetric"
            )
        padding.append(total // 2)
    return tuple(padding)


def _block_diagonal(weight: np.ndarray, groups: int) -> np.ndarray:
    """The dense (groups = 1) weight `[C_out, C_in, *k]` of a grouped one
    `[C_out, C_in / groups, *k]`: group `g`'s block on the diagonal, zeros elsewhere."""
    per_out, per_in = weight.shape[0] // groups, weight.shape[1]
    dense = np.zeros((weight.shape[0], per_in * groups, *weight.shape[2:]), weight.dtype)
    for g in range(groups):
        rows = slice(g * per_out, (g + 1) * per_out)
        dense[rows, g * per_in : (g + 1) * per_in] = weight[rows]
    return dense


def _diagonal_blocks(weight: np.ndarray, groups: int, where: str) -> np.ndarray:
    """The inverse of `_block_diagonal`; fails naming the node when `weight` does not have
    that form (its metadata `groups` does not describe it)."""
    if weight.shape[0] % groups or weight.shape[1] % groups:
        raise NIRImportError(
            f"{where}: metadata '{GROUPS_KEY}' = {groups} does not divide the weight's "
            f"channels {list(weight.shape[:2])}"
        )
    per_out, per_in = weight.shape[0] // groups, weight.shape[1] // groups
    blocks = np.stack(
        [
            weight[g * per_out : (g + 1) * per_out, g * per_in : (g + 1) * per_in]
            for g in range(groups)
        ]
    ).reshape(weight.shape[0], per_in, *weight.shape[2:])
    if not np.array_equal(_block_diagonal(blocks, groups), weight):
        raise NIRImportError(
            f"{where}: metadata '{GROUPS_KEY}' = {groups} but the weight has nonzero entries "
            "outside its diagonal blocks (drop the metadata key to read it as a dense conv)"
        )
    return blocks


def _conv(node: nir.Conv1d | nir.Conv2d, x: SSAValue, where: str) -> Operation:
    rank = 1 if isinstance(node, nir.Conv1d) else 2
    weight = _array(node, "weight", where)
    in_shape = value_shape(x)
    if weight.ndim != rank + 2:
        raise NIRImportError(f"{where}: weight must have rank {rank + 2}, got {weight.ndim}")
    if len(in_shape) != rank + 1:
        raise NIRImportError(
            f"{where}: expects a [C, {'L' if rank == 1 else 'H, W'}] input, got shape "
            f"{list(in_shape)}"
        )
    (groups,) = _ints(node.groups, 1, where, "groups")
    metadata = getattr(node, "metadata", None)
    if isinstance(metadata, dict) and GROUPS_KEY in metadata and groups == 1:
        (groups,) = _ints(metadata[GROUPS_KEY], 1, where, f"metadata '{GROUPS_KEY}'")
        if groups < 1:
            raise NIRImportError(f"{where}: metadata '{GROUPS_KEY}' must be >= 1, got {groups}")
        weight = _diagonal_blocks(weight, groups, where)
    if groups < 1 or weight.shape[0] % groups or weight.shape[1] * groups != in_shape[0]:
        raise NIRImportError(
            f"{where}: weight {list(weight.shape)} with groups={groups} does not fit an input "
            f"with {in_shape[0]} channels"
        )
    if node.input_shape is not None:
        declared = _ints(node.input_shape, rank, where, "input_shape")
        if declared != in_shape[1:]:
            raise NIRImportError(
                f"{where}: input_shape {list(declared)} differs from the input's spatial shape "
                f"{list(in_shape[1:])}"
            )
    stride = _ints(node.stride, rank, where, "stride")
    dilation = _ints(node.dilation, rank, where, "dilation")
    kernel = weight.shape[2:]
    padding = node.padding.decode() if isinstance(node.padding, bytes) else node.padding
    if isinstance(padding, str) and padding == "same":
        padding = _same_padding(kernel, stride, dilation, where)
    elif isinstance(padding, str) and padding == "valid":
        padding = (0,) * rank
    else:
        padding = _ints(padding, rank, where, "padding")
    if rank == 2 and isinstance(metadata, dict) and KERNEL_KEY in metadata:
        weight, padding = _unsquare_kernel(weight, padding, dilation, metadata[KERNEL_KEY], where)
        kernel = weight.shape[2:]
    _check_window(in_shape[1:], kernel, stride, padding, dilation, where)
    bias = _param(node, "bias", (weight.shape[0],), where, default=0.0)
    cls = Conv1dOp if rank == 1 else Conv2dOp
    return cls(x, weight, bias, stride, padding, dilation, groups)


def _check_window(spatial, kernel, stride, padding, dilation, where: str) -> None:
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise NIRImportError(f"{where}: stride and dilation must be >= 1 and padding >= 0")
    for n, k, s, p, d in zip(spatial, kernel, stride, padding, dilation, strict=True):
        if conv_output_size(n, k, s, p, d) < 1:
            raise NIRImportError(
                f"{where}: window {list(kernel)} does not fit the input {list(spatial)}"
            )


def _pool(node: nir.SumPool2d | nir.AvgPool2d, x: SSAValue, where: str) -> Operation:
    in_shape = value_shape(x)
    if len(in_shape) != 3:
        raise NIRImportError(f"{where}: expects a [C, H, W] input, got shape {list(in_shape)}")
    kernel = _ints(node.kernel_size, 2, where, "kernel_size")
    stride = _ints(node.stride, 2, where, "stride")
    padding = _ints(node.padding, 2, where, "padding")
    if min(kernel) < 1:
        raise NIRImportError(f"{where}: kernel_size must be >= 1")
    _check_window(in_shape[1:], kernel, stride, padding, (1, 1), where)
    cls = SumPool2dOp if isinstance(node, nir.SumPool2d) else AvgPool2dOp
    return cls(x, kernel, stride, padding)


def _flatten(node: nir.Flatten, x: SSAValue, where: str) -> Operation:
    shape = value_shape(x)
    declared = node.input_type.get("input") if isinstance(node.input_type, dict) else None
    if declared is not None and _ints(declared, None, where, "input_type") != shape:
        raise NIRImportError(
            f"{where}: input_type {list(np.asarray(declared).reshape(-1))} differs from the "
            f"input's shape {list(shape)}"
        )
    (start,) = _ints(node.start_dim, 1, where, "start_dim")
    (end,) = _ints(node.end_dim, 1, where, "end_dim")
    first, last = _normalize_dim(start, len(shape)), _normalize_dim(end, len(shape))
    if first is None or last is None or first > last:
        raise NIRImportError(
            f"{where}: start_dim={start}, end_dim={end} do not fit the input shape {list(shape)}"
        )
    out = (*shape[:first], int(np.prod(shape[first : last + 1])), *shape[last + 1 :])
    return FlattenOp.create(
        operands=[x],
        result_types=[tensor_f32(out)],
        properties={"start_dim": IntegerAttr(start, i64), "end_dim": IntegerAttr(end, i64)},
    )


def _elementwise(node: nir.NIRNode, x: SSAValue, where: str) -> Operation:
    cls = ELEMENTWISE[type(node)]
    trait = cls.get_trait(ElementwiseOp)
    assert trait is not None
    shape = value_shape(x)
    properties = {
        p: dense_f32(_param(node, p, shape, where, PARAM_DEFAULTS.get(p))) for p in trait.params
    }
    return cls.create(operands=[x], result_types=[x.type], properties=properties)


_Builder = Callable[[Any, SSAValue, str], Operation]

BUILDERS: dict[type[nir.NIRNode], _Builder] = {
    nir.Linear: _dense,
    nir.Affine: _dense,
    nir.Conv1d: _conv,
    nir.Conv2d: _conv,
    nir.SumPool2d: _pool,
    nir.AvgPool2d: _pool,
    nir.Flatten: _flatten,
    **dict.fromkeys(ELEMENTWISE, _elementwise),
}
"""NIR primitive -> function building its op from the node and its input value."""


def _builder(node: Any) -> _Builder | None:
    return BUILDERS.get(type(node))


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------

ELEMENTWISE_NIR: dict[type[Operation], type[nir.NIRNode]] = {
    op: node for node, op in ELEMENTWISE.items()
}


def export_nir(module: ModuleOp | GraphOp) -> nir.NIRGraph:
    """The NIR graph of the (single) `snn.graph` in `module`."""
    return _Exporter(_single_graph(module)).build()


def write_nir(module: ModuleOp | GraphOp, path: str | Path) -> None:
    """Export `module` and write it to `path` (the file appears only once complete)."""
    graph = export_nir(module)
    with atomic_path(path) as tmp:
        nir.write(tmp, graph)


def _single_graph(module: ModuleOp | GraphOp) -> GraphOp:
    if isinstance(module, GraphOp):
        return module
    graphs = [op for op in module.ops if isinstance(op, GraphOp)]
    if len(graphs) != 1:
        raise NIRExportError(f"expected one snn.graph in the module, found {len(graphs)}")
    return graphs[0]


def _printed_names(graph: GraphOp) -> dict[SSAValue, str]:
    """The names xDSL's printer gives the values that have name hints."""
    counts: dict[str, int] = defaultdict(int)
    names: dict[SSAValue, str] = {}
    values = [*graph.block.args, *(r for op in graph.block.ops for r in op.results)]
    for value in values:
        hint = value.name_hint
        if hint:
            names[value] = f"{hint}_{counts[hint]}" if counts[hint] else hint
            counts[hint] += 1
    return names


def _numbered(prefix: str, n: int) -> list[str]:
    if n == 1:
        return [prefix]
    width = len(str(n - 1))
    return [f"{prefix}_{i:0{width}d}" for i in range(n)]


class _Exporter:
    def __init__(self, graph: GraphOp):
        self.graph = graph
        self.where = f"snn.graph @{graph.sym_name.data}"
        self.nodes: dict[str, nir.NIRNode] = {}
        self.edges: list[tuple[str, str]] = []
        self.names: dict[SSAValue, str] = {}
        self.delays: dict[RecurrentOp, str] = {}
        self.ancestors: dict[Operation, set[Operation]] = {}
        self.used: set[str] = set()

    def build(self) -> nir.NIRGraph:
        block = self.graph.block
        printed = _printed_names(self.graph)
        arg_names = [printed.get(a) for a in block.args]
        if (
            None in arg_names
            or arg_names != sorted(arg_names)
            or len(set(arg_names)) < len(arg_names)
        ):
            arg_names = _numbered("input", len(block.args))
        arg_names = self._recorded("input_names", len(block.args)) or arg_names
        for arg, name in zip(block.args, arg_names, strict=True):
            self.names[arg] = self._unique(name or "input")
            self.nodes[self.names[arg]] = nir.Input(input_type={"input": _shape(arg)})
        outputs = self.graph.output_op.outputs
        out_names = self._recorded("output_names", len(outputs))
        out_names = [self._unique(n) for n in out_names or _numbered("output", len(outputs))]
        for index, op in enumerate(o for o in block.ops if not isinstance(o, AddOp | OutputOp)):
            name = printed.get(op.results[0]) or f"{op.name.removeprefix('snn.')}_{index}"
            self.names[op.results[0]] = self._unique(name)
        for op in block.ops:
            if not isinstance(op, AddOp | OutputOp | RecurrentOp):
                self._node(op)
        for name, value in zip(out_names, outputs, strict=True):
            self.nodes[name] = nir.Output(output_type={"output": _shape(value)})
            self._connect(value, self.graph.output_op, name)
        self._keep_unread_inputs(block.args, out_names, outputs)
        for op in block.ops:
            node = self.nodes.get(self.names.get(op.results[0], "")) if op.results else None
            if node is not None:
                keep_profile(op, node)
        self._check_duplicates()
        return nir.NIRGraph(
            nodes={n: self.nodes[n] for n in self._ordered()},
            edges=self.edges,
            metadata=self._metadata(),
            type_check=False,
        )

    def _keep_unread_inputs(
        self, args: Sequence[SSAValue], out_names: list[str], outputs: Sequence[SSAValue]
    ) -> None:
        """Connect every input that no node reads to the first rank-1 output through an
        all-zero `Linear` named `<input>.unused`: NIR reads an input without edges as an
        extra output (or finds no input at all), and the zero term changes no value."""
        read = {src for src, _ in self.edges}
        flat = [n for n, v in zip(out_names, outputs, strict=True) if len(value_shape(v)) == 1]
        for arg in args:
            name = self.names[arg]
            if name in read:
                continue
            if not flat:
                raise NIRExportError(
                    f"{self.where}: input '{name}' is read by nothing, and NIR keeps an input "
                    "only with an edge; there is no rank-1 output to connect it to through "
                    "zero weights"
                )
            size = int(np.prod(value_shape(arg)))
            source = name
            if len(value_shape(arg)) != 1:
                source = self._unique(f"{name}.unused.flatten")
                self.nodes[source] = nir.Flatten(
                    input_type={"input": _shape(arg)}, start_dim=0, end_dim=-1
                )
                self.edges.append((name, source))
            zero = self._unique(f"{name}.unused")
            target = flat[0]
            width = int(np.prod(self.nodes[target].output_type["output"]))
            self.nodes[zero] = nir.Linear(weight=np.zeros((width, size), np.float32))
            self.edges += [(source, zero), (zero, target)]

    def _recorded(self, key: str, n: int) -> list[str] | None:
        """The names recorded at import under `key`, if they are `n` sorted unique names."""
        attr = self.graph.attributes.get(key)
        if not isinstance(attr, ArrayAttr):
            return None
        names = [a.data for a in attr.data if isinstance(a, StringAttr)]
        if len(names) != n or names != sorted(set(names)):
            return None
        return names

    def _ordered(self) -> list[str]:
        """Inputs, then the nodes as created, then outputs."""
        ins = [n for n, v in self.nodes.items() if isinstance(v, nir.Input)]
        outs = [n for n, v in self.nodes.items() if isinstance(v, nir.Output)]
        ends = {*ins, *outs}
        return [*ins, *(n for n in self.nodes if n not in ends), *outs]

    def _metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {"dt": self.graph.dt_value}
        kept = {k: v for k, v in self.graph.attributes.items() if k not in NAMES_KEYS}
        if kept:
            metadata[ATTRIBUTES_KEY] = str(DictionaryAttr(kept))
        return metadata

    def _unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self.used:
            candidate, k = f"{name}_{k}", k + 1
        self.used.add(candidate)
        return candidate

    def _node(self, op: Operation) -> None:
        name = self.names[op.results[0]]
        if any(0 in value_shape(v) for v in (*op.operands, *op.results)):
            raise NIRExportError(
                f"{self.where}: {op.name} '{name}' has an empty (zero-size) operand or "
                "result, which NIR cannot express"
            )
        node = self._convert(op)
        _keep_quantization(op, node)
        source = op.operands[0]
        if isinstance(op, LinearOp | AffineOp) and len(value_shape(source)) > 1:
            flat = self._unique(f"{name}.flatten")
            self.nodes[flat] = nir.Flatten(
                input_type={"input": _shape(source)}, start_dim=0, end_dim=-1
            )
            self._connect(source, op, flat)
            self.nodes[name] = node
            self.edges.append((flat, name))
            return
        self.nodes[name] = node
        for operand in op.operands:
            self._connect(operand, op, name)

    def _connect(self, value: SSAValue, consumer: Operation, target: str) -> None:
        for src in self._sources(value, consumer):
            self.edges.append((src, target))

    def _sources(self, value: SSAValue, consumer: Operation) -> list[str]:
        """NIR nodes whose outputs sum to `value` as seen by `consumer`."""
        owner = value.owner
        if isinstance(owner, AddOp):
            return [s for operand in owner.inputs for s in self._sources(operand, consumer)]
        if isinstance(owner, RecurrentOp):
            if self._closes_cycle(owner, consumer):
                return self._sources(owner.input, consumer)
            return [self._delay(owner)]
        return [self.names[value]]

    def _closes_cycle(self, rec: RecurrentOp, consumer: Operation) -> bool:
        """Whether `consumer` feeds the operand of `rec` (so NIR's cycle implies the delay)."""
        producer = rec.input.owner
        if not isinstance(producer, Operation):
            return False
        if producer not in self.ancestors:
            seen: set[Operation] = set()
            work = [producer]
            while work:
                for operand in work.pop().operands:
                    owner = operand.owner
                    if isinstance(owner, Operation) and owner not in seen:
                        seen.add(owner)
                        work.append(owner)
            self.ancestors[producer] = seen
        return consumer is producer or consumer in self.ancestors[producer]

    def _delay(self, rec: RecurrentOp) -> str:
        """A one-step `Delay` node for a recurrent edge that closes no cycle."""
        name = self.delays.get(rec)
        if name is None:
            name = self.names[rec.output]
            self.delays[rec] = name
            self.nodes[name] = nir.Delay(
                delay=np.full(value_shape(rec.output), self.graph.dt_value, np.float32)
            )
            self._connect(rec.input, rec, name)
        return name

    def _check_duplicates(self) -> None:
        seen: set[tuple[str, str]] = set()
        for edge in self.edges:
            if edge in seen:
                raise NIRExportError(
                    f"{self.where}: node '{edge[1]}' receives the output of '{edge[0]}' more "
                    "than once, which NIR cannot express"
                )
            seen.add(edge)

    def _convert(self, op: Operation) -> nir.NIRNode:
        if isinstance(op, LinearOp):
            return nir.Linear(weight=_copy(op, "weight"))
        if isinstance(op, AffineOp):
            return nir.Affine(weight=_copy(op, "weight"), bias=_copy(op, "bias"))
        if isinstance(op, ConvOpBase):
            return _export_conv(op)
        if isinstance(op, PoolOpBase):
            return _export_pool(op)
        if isinstance(op, FlattenOp):
            return nir.Flatten(
                input_type={"input": np.array(op.in_shape)},
                start_dim=int(op.start_dim.value.data),
                end_dim=int(op.end_dim.value.data),
            )
        kind = ELEMENTWISE_NIR.get(type(op))
        trait = op.get_trait(ElementwiseOp)
        if kind is None or trait is None:
            raise NIRExportError(f"{self.where}: {op.name} has no NIR primitive")
        return kind(**{p: _copy(op, p) for p in trait.params})


# ---- profile data: `firing_rates`, `input_moment`, ... in the node's metadata --------------

NOT_PROFILE = ("weight_scale", "weight_bits")
"""Optional properties that are not profile data (the integer form of quantized weights)."""

INTEGER_KEYS = ("profile_samples", "profile_steps", "unpruned_weights")
"""Profile properties that hold one integer (the rest are dense f32)."""


def profile_keys(op: Operation) -> list[str]:
    """The optional properties of `op`'s type that hold profile data: what profiling and
    calibration measured (`firing_rates`, `profile_samples`, `profile_steps`,
    `input_moment`, and any such property an op declares later), and a synapse's
    `unpruned_weights` (what structured pruning started from)."""
    definition = type(op).get_irdl_definition()  # type: ignore[attr-defined]
    return [
        k
        for k, d in definition.properties.items()
        if isinstance(d, OptionalDef) and k not in NOT_PROFILE
    ]


def keep_profile(op: Operation, node: nir.NIRNode) -> None:
    """Copy `op`'s profile data into the NIR node's metadata under the same keys: dense
    attributes as float32 arrays, integers as integers."""
    kept: dict[str, Any] = {}
    for key in profile_keys(op):
        attr = op.properties.get(key)
        if isinstance(attr, DenseIntOrFPElementsAttr):
            kept[key] = np.array(to_array(attr), dtype=np.float32)
        elif isinstance(attr, IntegerAttr):
            kept[key] = np.int64(attr.value.data)
    if kept:
        metadata = dict(node.metadata) if isinstance(node.metadata, dict) else {}
        node.metadata = metadata | kept


def restore_profile(node: nir.NIRNode, op: Operation, where: str) -> None:
    """The inverse of `keep_profile`: metadata keys naming profile properties of `op` become
    those properties (the op's verifier then checks shapes and ranges)."""
    metadata = getattr(node, "metadata", None)
    if not isinstance(metadata, dict):
        return
    for key in profile_keys(op):
        if key not in metadata:
            continue
        value = np.asarray(metadata[key])
        if value.dtype.kind not in "biuf":
            raise NIRImportError(f"{where}: metadata '{key}' must be numeric, got {value.dtype}")
        if key in INTEGER_KEYS:
            if value.size != 1 or value.dtype.kind not in "iu":
                raise NIRImportError(f"{where}: metadata '{key}' must be one integer")
            op.properties[key] = IntegerAttr(int(value.reshape(())), i64)
        else:
            op.properties[key] = dense_f32(value.astype(np.float32))


# ---- quantized weights: `weight_scale` / `weight_bits` in the node's metadata ----------------


QUANTIZABLE = (LinearOp, AffineOp, ConvOpBase)
"""Ops that may carry `weight_scale` / `weight_bits`."""


def _keep_quantization(op: Operation, node: nir.NIRNode) -> None:
    """Copy a synapse op's integer form (`snn-quantize`) into the NIR node's metadata."""
    scale, bits = op.properties.get("weight_scale"), op.properties.get("weight_bits")
    if scale is None or not isinstance(bits, IntegerAttr):
        return
    metadata = dict(node.metadata) if isinstance(node.metadata, dict) else {}
    metadata["weight_scale"] = np.array(to_array(scale), dtype=np.float32)  # type: ignore[arg-type]
    metadata["weight_bits"] = int(bits.value.data)
    node.metadata = metadata


def _restore_quantization(node: nir.NIRNode, op: Operation, where: str) -> None:
    """The inverse of `_keep_quantization`; the op's verifier then checks that the weights lie
    on the recorded grid."""
    metadata = getattr(node, "metadata", None)
    if not isinstance(metadata, dict) or "weight_scale" not in metadata:
        return
    if "weight_bits" not in metadata or not isinstance(op, QUANTIZABLE):
        raise NIRImportError(
            f"{where}: metadata 'weight_scale' needs 'weight_bits' and a linear, affine or "
            "conv node"
        )
    scale = np.asarray(metadata["weight_scale"], dtype=np.float32).reshape(-1)
    bits = np.asarray(metadata["weight_bits"])
    if bits.size != 1 or bits.dtype.kind not in "iu":
        raise NIRImportError(f"{where}: metadata 'weight_bits' must be one integer")
    op.properties["weight_scale"] = dense_f32(scale)
    op.properties["weight_bits"] = IntegerAttr(int(bits), i64)


def _shape(value: SSAValue) -> np.ndarray:
    return np.array(value_shape(value), dtype=np.int64)


def _copy(op: Operation, name: str) -> np.ndarray:
    return np.array(op.array(name), dtype=np.float32)  # type: ignore[attr-defined]


GROUPS_KEY = "groups"
"""Node metadata key of a grouped convolution exported as a block-diagonal dense one."""


def _export_conv(op: ConvOpBase) -> nir.NIRNode:
    """A NIR conv node. A grouped convolution goes out as the equal dense one (groups = 1,
    zero weights outside the diagonal blocks) with its group count in the node's metadata:
    NIR 1.0 types a conv's input as `weight.shape[1]` channels, which for groups > 1 is
    C_in / groups, so `nir.read` with its default type check would reject the file (its
    `input_shape` cannot be left out either: NIR's reader requires it). `_conv` gives the
    grouped op back."""
    stride, padding, dilation = op.window()
    spatial = op.in_shape[1:]
    groups = int(op.groups.value.data)
    weight = _copy(op, "weight")
    metadata: dict[str, Any] = {}
    if groups > 1:
        weight = _block_diagonal(weight, groups)
        metadata[GROUPS_KEY] = np.int64(groups)
    common = {
        "weight": weight,
        "bias": _copy(op, "bias"),
        "groups": 1,
        "metadata": metadata,
    }
    if isinstance(op, Conv1dOp):
        return nir.Conv1d(
            input_shape=spatial[0],
            stride=stride[0],
            padding=padding[0],
            dilation=dilation[0],
            **common,
        )
    square = _square_kernel(common["weight"], padding, dilation)
    if square is not None:
        common["weight"], padding = square
        metadata[KERNEL_KEY] = np.array(weight.shape[2:], np.int64)
    return nir.Conv2d(
        input_shape=tuple(spatial), stride=stride, padding=padding, dilation=dilation, **common
    )


KERNEL_KEY = "kernel"
"""Node metadata key of a conv2d whose kernel was exported padded to a square: its own size."""


def _square_kernel(
    weight: np.ndarray, padding: Sequence[int], dilation: Sequence[int]
) -> tuple[np.ndarray, tuple[int, int]] | None:
    """A non-square conv2d kernel zero-padded on its short axis to the long one, with that
    axis's padding grown by the same number of (dilated) steps: the same outputs, and what
    NIR 1.0 needs (it takes `weight.shape[2]` as the kernel size of both axes, so its type
    check rejects any other kernel). None for a square kernel, or when the sizes differ by
    an odd number (no symmetric padding then: such a file is read without NIR's check)."""
    kh, kw = weight.shape[2:]
    if kh == kw or (kh - kw) % 2:
        return None
    short = 2 if kh < kw else 3
    half = abs(kh - kw) // 2
    widths = [(0, 0)] * 4
    widths[short] = (half, half)
    grown = list(padding)
    grown[short - 2] += half * dilation[short - 2]
    return np.pad(weight, widths), (grown[0], grown[1])


def _unsquare_kernel(
    weight: np.ndarray, padding: tuple[int, ...], dilation: tuple[int, ...], kernel: Any, where: str
) -> tuple[np.ndarray, tuple[int, ...]]:
    """The inverse of `_square_kernel`, from the node's metadata `kernel`; fails naming the
    node when the metadata does not describe the weight and padding."""
    size = _ints(kernel, 2, where, f"metadata '{KERNEL_KEY}'")
    out = list(padding)
    rows, cols = slice(None), slice(None)
    for axis, (have, want) in enumerate(zip(weight.shape[2:], size, strict=True)):
        cut = (have - want) // 2
        if want < 1 or want > have or (have - want) % 2 or out[axis] < cut * dilation[axis]:
            raise NIRImportError(
                f"{where}: metadata '{KERNEL_KEY}' = {list(size)} does not fit the weight "
                f"{list(weight.shape)} and padding {list(padding)}"
            )
        out[axis] -= cut * dilation[axis]
        if axis == 0:
            rows = slice(cut, have - cut)
        else:
            cols = slice(cut, have - cut)
    kept = weight[:, :, rows, cols]
    if np.count_nonzero(weight) != np.count_nonzero(kept):
        raise NIRImportError(
            f"{where}: metadata '{KERNEL_KEY}' = {list(size)} but the weight has nonzero taps "
            "outside that kernel (drop the metadata key to read the padded kernel)"
        )
    return np.ascontiguousarray(kept), tuple(out)


def _export_pool(op: PoolOpBase) -> nir.NIRNode:
    kernel, stride, padding = op.window()
    kind = nir.SumPool2d if isinstance(op, SumPool2dOp) else nir.AvgPool2d
    node = kind(
        kernel_size=np.array(kernel, np.int64),
        stride=np.array(stride, np.int64),
        padding=np.array(padding, np.int64),
    )
    node.input_type = {"input": np.array(op.in_shape)}
    node.output_type = {"output": np.array(op.out_shape)}
    return node


__all__ = [
    "DEFAULT_DT",
    "NIRExportError",
    "NIRImportError",
    "export_nir",
    "import_nir",
    "read_nir_file",
    "write_nir",
]
