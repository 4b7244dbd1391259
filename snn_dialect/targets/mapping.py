"""Mapping a network onto a chip's cores and checking every limit: the fit check's logic.

`fit_report(graph, chip)` builds the network view (`targets.network`), assigns its neuron
populations to cores by the chip's architecture and returns a `FitReport`:

* `xylo`: graph inputs are the input channels; neuron ops that feed a graph output are the
  readout neurons, all others hidden neurons. Hidden-to-hidden weights (feed-forward or
  recurrent) fill the recurrent weight memory and set each hidden neuron's fan-out.
* `dynapcnn`: one layer per neuron op (its convolution or dense weights, its neurons, the
  pooling after it). Memory needs follow Sinabs' `memory_summary` (sizes rounded up to
  powers of two); layers go to cores by bipartite matching (each core holds one layer and
  must have room for its kernel, neurons and bias); a layer sends to at most `destinations`
  layers.
* `multicore`: each population is cut into core-sized pieces in neuron order (a piece stops
  where the next neuron would exceed the core's neuron, synapse or memory budget); the last,
  partial pieces of all populations share cores by first-fit decreasing. A neuron's synapses
  are its nonzero incoming weights (fan-in).

Every chip also checks neuron models (unsupported ones are violations), weight bits (f32 or
wider integer weights are violations; `snn-quantize` records the bits), weights in a row
(`snn-fuse` merges them) and reset modes (a different reset is a warning: the lowering
decides whether it can keep the behaviour).
"""

from __future__ import annotations

import math

import numpy as np
from xdsl.ir import Operation

from snn_dialect.interfaces import value_shape
from snn_dialect.ops import AffineOp, ConvOpBase, FlattenOp, GraphOp, LinearOp
from snn_dialect.targets.model import Chip
from snn_dialect.targets.network import Network, Population, Projection, network_of
from snn_dialect.targets.report import CoreUse, FitReport, Usage, Violation

DEAD_OR_DUPLICATE = "snn-dead-neuron and snn-redundancy remove silent and duplicate neurons"


def _ceil2(x: float) -> float:
    """`x` rounded up to two decimals (an option value that surely reaches a target)."""
    return math.ceil(x * 100 - 1e-9) / 100


def _neuron_fix(excess: int, size: int) -> str:
    if size <= 0 or excess >= size:
        return DEAD_OR_DUPLICATE
    sparsity = min(_ceil2(excess / size), 0.99)
    return f"{DEAD_OR_DUPLICATE}; snn-prune{{structured=true sparsity={sparsity}}} removes neurons"


def _synapse_fix(
    used: int, allowed: int, projections: list[Projection], per_neuron: bool = False
) -> str:
    """A layer-wise pruning option that brings `used` element-level synapses of
    `projections` down to `allowed` (zeroing a weight removes its share of connections)."""
    weights = sum(p.weights for p in projections)
    nonzero = sum(p.nonzero for p in projections)
    if weights <= 0 or allowed <= 0 or used <= 0:
        return ""
    sparsity = min(max(_ceil2(1 - nonzero * allowed / used / weights), 0.01), 0.99)
    caveat = " (layer-wise, so check each neuron again)" if per_neuron else ""
    return f"snn-prune{{sparsity={sparsity}}} zeros enough weights{caveat}"


def fit_report(graph: GraphOp, chip: Chip) -> FitReport:
    """Map `graph` onto `chip` and check every limit."""
    network = network_of(graph)
    report = FitReport(chip, graph.sym_name.data)
    if chip.architecture == "xylo":
        _map_xylo(network, chip, report)
    elif chip.architecture == "dynapcnn":
        _map_dynapcnn(network, chip, report)
    else:
        _map_multicore(network, chip, report)
    _check_common(network, chip, report)
    unsourced = sorted(
        name
        for name, limit in chip.limits.items()
        if limit.source is None and limit.value is not None
    )
    if unsourced:
        report.warnings.append(
            f"limits without a public source used as given: {', '.join(unsourced)}"
        )
    return report


# --------------------------------------------------------------------------------------------
# Checks every chip makes
# --------------------------------------------------------------------------------------------


def _check_common(network: Network, chip: Chip, report: FitReport) -> None:
    models = chip.neuron_models.values
    resets = chip.reset_modes.values
    different_reset: dict[str, list[str]] = {}
    for population in network.populations:
        if population.model not in models:
            report.violations.append(
                Violation(
                    population.label,
                    "neuron_models",
                    None,
                    None,
                    what=f"{population.model} neurons are not supported by {chip.name} "
                    f"(it runs {', '.join(models)})",
                )
            )
        if population.model in chip.neuron_models.approximate:
            report.warnings.append(
                f"{population.label}: {population.model} runs only approximately on "
                f"{chip.name}: {chip.neuron_models.note}"
            )
        mode = population.reset_mode
        if mode not in ("none", *resets):
            different_reset.setdefault(mode, []).append(population.label)
    for mode, labels in different_reset.items():
        report.warnings.append(
            f"{', '.join(labels)}: reset mode '{mode}', {chip.name} supports "
            f"{', '.join(repr(r) for r in resets)}; a lowering must keep or report the difference"
        )
    bits = chip.limit("weight_bits")
    for projection in network.projections:
        if projection.feeds_synapse:
            report.violations.append(
                Violation(
                    projection.label,
                    "weights_in_a_row",
                    None,
                    None,
                    what="its result feeds another synapse op with no neurons between",
                    fix="snn-fuse merges the two",
                )
            )
        if bits is None or bits.value is None:
            continue
        allowed = int(bits.value)
        if projection.weight_bits is None:
            report.violations.append(
                Violation(
                    projection.label,
                    "weight_bits",
                    None,
                    allowed,
                    what=f"weights are f32, not {allowed}-bit integers",
                    fix=f"snn-quantize{{bits={allowed}}}",
                )
            )
        elif projection.weight_bits > allowed:
            report.violations.append(
                Violation(
                    projection.label,
                    "weight_bits",
                    projection.weight_bits,
                    allowed,
                    "bits",
                    fix=f"snn-quantize{{bits={allowed}}}",
                )
            )


def _bits_usage(network: Network, chip: Chip) -> Usage | None:
    bits = chip.limit("weight_bits")
    if bits is None or not network.projections:
        return None
    widest = max(network.projections, key=lambda p: 32 if p.weight_bits is None else p.weight_bits)
    used = 32 if widest.weight_bits is None else widest.weight_bits
    label = widest.label + (" (f32)" if widest.weight_bits is None else "")
    return Usage("weight_bits", used, bits.value, "bits", label, bits.sourced)


def _usage(chip: Chip, name: str, used: int | float, where: str = "", core: int = 0) -> Usage:
    limit = chip.limit(name)
    allowed = limit.at(core) if limit is not None else None
    unit = limit.unit if limit is not None else ""
    return Usage(name, used, allowed, unit, where, limit is None or limit.sourced)


def _over(
    report: FitReport, chip: Chip, name: str, used: int, op: str, fix: str = "", core: int = 0
) -> None:
    limit = chip.limit(name)
    if limit is None or limit.at(core) is None:
        return
    allowed = limit.at(core)
    assert allowed is not None
    if used > allowed:
        report.violations.append(Violation(op, name, used, allowed, limit.unit, fix=fix))


# --------------------------------------------------------------------------------------------
# Xylo
# --------------------------------------------------------------------------------------------


def _from_inputs(projection: Projection) -> bool:
    return any(isinstance(s, int) for s in projection.sources)


def _from_populations(projection: Projection) -> list[Population]:
    return [s for s in projection.sources if isinstance(s, Population)]


def _map_xylo(network: Network, chip: Chip, report: FitReport) -> None:
    hidden = [p for p in network.populations if not p.is_output]
    readout = [p for p in network.populations if p.is_output]
    graph = f"@{report.graph}"
    for projection in network.projections:
        if isinstance(projection.op, ConvOpBase):
            report.violations.append(
                Violation(
                    projection.label,
                    "dense_only",
                    None,
                    None,
                    what=f"{chip.name} has dense input, recurrent and readout weights only, "
                    "no convolutions",
                )
            )
        if projection.feeds_output:
            report.violations.append(
                Violation(
                    projection.label,
                    "outputs_from_neurons",
                    None,
                    None,
                    what=f"it drives a graph output directly; {chip.name} outputs are readout "
                    "neuron spikes",
                )
            )
        if _from_inputs(projection) and any(t.is_output for t in projection.targets):
            report.violations.append(
                Violation(
                    projection.label,
                    "input_to_readout",
                    None,
                    None,
                    what="graph inputs drive readout neurons directly; input weights reach "
                    "hidden neurons only",
                )
            )
        sources = _from_populations(projection)
        if any(s.is_output for s in sources):
            report.violations.append(
                Violation(
                    projection.label,
                    "readout_sends",
                    None,
                    None,
                    what="readout neurons send spikes on (recurrent or to other neurons); "
                    "readout neurons may only drive graph outputs",
                )
            )
    if network.outputs_from_inputs:
        report.violations.append(
            Violation(
                graph,
                "outputs_from_neurons",
                None,
                None,
                what="a graph input reaches a graph output with no neurons between",
            )
        )

    # hidden neurons reached by input weights; hidden neurons read by readout weights;
    # hidden-to-hidden fan-out
    receives_input = {id(p): np.zeros(p.size, bool) for p in hidden}
    read_out = {id(p): np.zeros(p.size, bool) for p in hidden}
    fan_out = {id(p): np.zeros(p.size, np.int64) for p in hidden}
    recurrent_synapses = 0
    hh_ops: list[Projection] = []
    for projection in network.projections:
        sources = _from_populations(projection)
        hidden_targets = [t for t in projection.targets if not t.is_output]
        if _from_inputs(projection):
            for target in hidden_targets:
                receives_input[id(target)] |= _per(projection.fan_in, target.size) > 0
        hidden_sources = [s for s in sources if not s.is_output]
        if hidden_sources and any(t.is_output for t in projection.targets):
            for source in hidden_sources:
                read_out[id(source)] |= _per(projection.fan_out, source.size) > 0
        if hidden_sources and hidden_targets:
            recurrent_synapses += projection.synapses
            hh_ops.append(projection)
            for source in hidden_sources:
                fan_out[id(source)] += _per(projection.fan_out, source.size)

    n_hidden = sum(p.size for p in hidden)
    n_readout = sum(p.size for p in readout)
    n_in_proj = int(sum(m.sum() for m in receives_input.values()))
    n_out_proj = int(sum(m.sum() for m in read_out.values()))
    worst_fan_out, worst_where = 0, ""
    for population in hidden:
        values = fan_out[id(population)]
        if values.size and int(values.max()) > worst_fan_out:
            worst_fan_out = int(values.max())
            worst_where = f"{population.label} neuron {int(values.argmax())}"
    hidden_labels = ", ".join(p.label for p in hidden) or "none"
    readout_labels = ", ".join(p.label for p in readout) or "none"
    core = CoreUse(
        "SNN core",
        [f"hidden: {hidden_labels}", f"readout: {readout_labels}"],
        [
            _usage(
                chip,
                "input_channels",
                network.input_channels,
                ", ".join(f"{n} {list(s)}" for n, s in network.inputs),
            ),
            _usage(chip, "hidden_neurons", n_hidden),
            _usage(chip, "output_neurons", n_readout),
            _usage(chip, "input_projection", n_in_proj),
            _usage(chip, "output_projection", n_out_proj),
            _usage(chip, "recurrent_weights", recurrent_synapses),
            _usage(chip, "fan_out", worst_fan_out, worst_where),
            _usage(chip, "synaptic_states", 1 if network.populations else 0),
        ],
    )
    if (bits := _bits_usage(network, chip)) is not None:
        core.usage.append(bits)
    core.usage = [u for u in core.usage if u.allowed is not None or u.limit != "input_weights"]
    report.cores.append(core)

    _over(report, chip, "input_channels", network.input_channels, f"{graph} inputs")
    _over(
        report,
        chip,
        "hidden_neurons",
        n_hidden,
        f"{graph} hidden neurons ({hidden_labels})",
        _neuron_fix(n_hidden - int(chip.value("hidden_neurons") or 0), n_hidden),
    )
    _over(
        report,
        chip,
        "output_neurons",
        n_readout,
        f"{graph} readout neurons ({readout_labels})",
        "readout neurons are graph outputs: no pass of this project removes them",
    )
    _over(
        report,
        chip,
        "input_projection",
        n_in_proj,
        f"{graph} hidden neurons with input weights",
        _neuron_fix(n_in_proj - int(chip.value("input_projection") or 0), n_in_proj),
    )
    _over(
        report,
        chip,
        "output_projection",
        n_out_proj,
        f"{graph} hidden neurons with readout weights",
        _neuron_fix(n_out_proj - int(chip.value("output_projection") or 0), n_out_proj),
    )
    allowed_rec = chip.value("recurrent_weights")
    _over(
        report,
        chip,
        "recurrent_weights",
        recurrent_synapses,
        f"{graph} hidden-to-hidden weights ({', '.join(p.label for p in hh_ops)})",
        _synapse_fix(recurrent_synapses, int(allowed_rec or 0), hh_ops),
    )
    allowed_fan_out = chip.value("fan_out")
    if allowed_fan_out is not None and worst_fan_out > allowed_fan_out:
        for population in hidden:
            values = fan_out[id(population)]
            if values.size and int(values.max()) > allowed_fan_out:
                over = int((values > allowed_fan_out).sum())
                report.violations.append(
                    Violation(
                        f"{population.label} ({over} neurons over, worst neuron "
                        f"{int(values.argmax())})",
                        "fan_out",
                        int(values.max()),
                        allowed_fan_out,
                        "synapses",
                        fix=_synapse_fix(
                            int(values.max()),
                            int(allowed_fan_out),
                            [p for p in population.outgoing if p in hh_ops],
                            per_neuron=True,
                        ),
                    )
                )


def _per(values: np.ndarray, size: int) -> np.ndarray:
    """`values` per element, `size` long (the largest value everywhere when sizes differ)."""
    if values.size == size:
        return values
    return np.full(size, int(values.max(initial=0)), values.dtype)


# --------------------------------------------------------------------------------------------
# DynapCNN (Speck)
# --------------------------------------------------------------------------------------------


def _pow2_bits(n: int) -> int:
    """ceil(log2(n)) for n >= 1 (0 for n <= 1)."""
    return max(int(n) - 1, 0).bit_length()


def _kernel_geometry(op: Operation) -> tuple[int, int, int]:
    """`(c_in, kernel elements, c_out)` of a synapse op as DynapCNN lays it out: a dense
    layer reading a `[C, H, W]` map (directly or through a flatten) is a `H x W` convolution
    with C input channels; one reading a vector of n is a 1x1 convolution with n channels."""
    weight_shape = tuple(int(d) for d in op.properties["weight"].get_shape())  # type: ignore[union-attr]
    if isinstance(op, ConvOpBase):
        return weight_shape[1], int(np.prod(weight_shape[2:])), weight_shape[0]
    assert isinstance(op, LinearOp | AffineOp)
    shape = value_shape(op.operands[0])
    producer = op.operands[0].owner
    if len(shape) == 1 and isinstance(producer, FlattenOp):
        shape = value_shape(producer.operands[0])
    if len(shape) >= 2:
        return shape[0], int(np.prod(shape[1:])), weight_shape[0]
    return shape[0], 1, weight_shape[0]


def layer_memory(population: Population) -> dict[str, int]:
    """Kernel, neuron and bias memory a DynapCNN layer needs (Sinabs' `memory_summary`):
    kernel `c_in * 2^(ceil(log2(k)) + ceil(log2(c_out)))`, neurons
    `c_out * 2^(ceil(log2(h)) + ceil(log2(w)))`, bias `c_out` when there is a bias."""
    kernel = bias = 0
    for projection in population.incoming:
        c_in, k, c_out = _kernel_geometry(projection.op)
        kernel += c_in * 2 ** (_pow2_bits(k) + _pow2_bits(c_out))
        b = projection.op.properties.get("bias")
        if b is not None and np.any(np.asarray(projection.op.array("bias"))):  # type: ignore[attr-defined]
            bias += c_out
    shape = population.shape
    c = shape[0] if shape else 1
    spatial = shape[1:]
    h = spatial[0] if len(spatial) >= 1 else 1
    w = int(np.prod(spatial[1:])) if len(spatial) >= 2 else 1
    neuron = c * 2 ** (_pow2_bits(h) + _pow2_bits(w))
    return {"kernel_memory": kernel, "neuron_memory": neuron, "bias_memory": bias}


def _match(candidates: list[list[int]], n_cores: int) -> list[int] | None:
    """A core per layer from its candidate cores, no core used twice (Kuhn's augmenting
    paths), or None when none exists."""
    owner = [-1] * n_cores

    def place(layer: int, seen: set[int]) -> bool:
        for core in candidates[layer]:
            if core in seen:
                continue
            seen.add(core)
            if owner[core] < 0 or place(owner[core], seen):
                owner[core] = layer
                return True
        return False

    for layer in range(len(candidates)):
        if not place(layer, set()):
            return None
    assignment = [-1] * len(candidates)
    for core, layer in enumerate(owner):
        if layer >= 0:
            assignment[layer] = core
    return assignment


def _map_dynapcnn(network: Network, chip: Chip, report: FitReport) -> None:
    n_cores = int(chip.value("cores") or 0)
    kinds = ("kernel_memory", "neuron_memory", "bias_memory")
    layers = [p for p in network.populations if p.incoming]
    needs = [layer_memory(p) for p in layers]
    candidates: list[list[int]] = []
    for population, need in zip(layers, needs, strict=True):
        if len(population.incoming) > 1:
            report.violations.append(
                Violation(
                    population.label,
                    "one_convolution",
                    None,
                    None,
                    what=f"{len(population.incoming)} synapse ops drive it "
                    f"({', '.join(p.label for p in population.incoming)}); a layer holds one",
                )
            )
        fits = [
            core
            for core in range(n_cores)
            if all(need[k] <= (chip.limit(k).at(core) or 0) for k in kinds)  # type: ignore[union-attr]
        ]
        candidates.append(fits)
        if fits:
            continue
        alone = False
        for kind in kinds:
            largest = max(chip.limit(kind).per_core)  # type: ignore[union-attr]
            if need[kind] > largest:
                alone = True
                fix = (
                    _neuron_fix(need[kind] - largest, need[kind])
                    if kind == "neuron_memory"
                    else "snn-prune{structured=true ...} removes channels"
                )
                report.violations.append(
                    Violation(
                        f"{population.label} (layer of {population.incoming[0].label})",
                        kind,
                        need[kind],
                        largest,
                        "entries (largest core)",
                        fix=fix,
                    )
                )
        if not alone:
            report.violations.append(
                Violation(
                    population.label,
                    "memory",
                    None,
                    None,
                    what="no core has room for kernel {kernel_memory}, neurons {neuron_memory} "
                    "and bias {bias_memory} together".format(**need),
                )
            )
    destinations = chip.value("destinations")
    for population in network.populations:
        targets = {id(t): t for p in population.outgoing for t in p.targets}
        if destinations is not None and len(targets) > destinations:
            report.violations.append(
                Violation(population.label, "destinations", len(targets), destinations, "layers")
            )
    if len(layers) > n_cores:
        report.violations.append(
            Violation(
                f"@{report.graph} ({len(layers)} layers)",
                "cores",
                len(layers),
                n_cores,
                "cores",
                fix="snn-fuse merges dense layers with no neurons between",
            )
        )
    assignment = _match(candidates, n_cores) if all(candidates) else None
    if all(candidates) and assignment is None and len(layers) <= n_cores:
        report.violations.append(
            Violation(
                f"@{report.graph}",
                "cores",
                None,
                None,
                what="every layer fits some core, but not all at once",
            )
        )
    by_core = dict(zip(assignment or [], range(len(layers)), strict=False))
    for core in range(n_cores):
        if core not in by_core:
            continue
        index = by_core[core]
        population, need = layers[index], needs[index]
        use = CoreUse(
            f"core {core}",
            [f"{population.label} <- {', '.join(p.label for p in population.incoming)}"],
            [_usage(chip, k, need[k], core=core) for k in kinds],
        )
        targets = {id(t) for p in population.outgoing for t in p.targets}
        use.usage.append(_usage(chip, "destinations", len(targets)))
        report.cores.append(use)
    if assignment is None:
        unplaced = CoreUse("unplaced", [p.label for p in layers])
        for population, need in zip(layers, needs, strict=True):
            unplaced.usage.extend(
                Usage(k, need[k], max(chip.limit(k).per_core), "entries", population.label)  # type: ignore[union-attr]
                for k in kinds
            )
        report.cores.append(unplaced)
    if (bits := _bits_usage(network, chip)) is not None:
        report.cores.append(CoreUse("chip", [], [bits]))


# --------------------------------------------------------------------------------------------
# Multi-core chips (Loihi 2, SpiNNaker2)
# --------------------------------------------------------------------------------------------


def _cost_columns(chip: Chip, fan_in: np.ndarray) -> list[tuple[str, np.ndarray, float]]:
    """Per-neuron cost and per-core budget of every resource the chip bounds."""
    columns: list[tuple[str, np.ndarray, float]] = []
    neurons = chip.value("neurons_per_core")
    if neurons is not None:
        columns.append(("neurons_per_core", np.ones(fan_in.size), float(neurons)))
    synapses = chip.value("synapses_per_core")
    if synapses is not None:
        columns.append(("synapses_per_core", fan_in.astype(np.float64), float(synapses)))
    memory = chip.value("memory_per_core")
    per_neuron = chip.value("bytes_per_neuron") or 0
    per_synapse = chip.value("bytes_per_synapse") or 0
    if memory is not None:
        cost = per_neuron + fan_in.astype(np.float64) * per_synapse
        columns.append(("memory_per_core", cost, float(memory)))
    return columns


def _pieces(columns: list[tuple[str, np.ndarray, float]], size: int) -> list[tuple[int, int]]:
    """Consecutive `[start, stop)` neuron ranges, each within every budget (a neuron that
    alone exceeds a budget gets a range of its own; the caller reports it)."""
    pieces: list[tuple[int, int]] = []
    start = 0
    cumulative = [np.concatenate([[0.0], np.cumsum(c)]) for _, c, _ in columns]
    while start < size:
        stop = size
        for (_, _, budget), sums in zip(columns, cumulative, strict=True):
            # the last index whose cumulative cost from `start` stays within budget
            limit = int(np.searchsorted(sums, sums[start] + budget, side="right")) - 1
            stop = min(stop, limit)
        stop = max(stop, start + 1)
        pieces.append((start, stop))
        start = stop
    return pieces


def _map_multicore(network: Network, chip: Chip, report: FitReport) -> None:
    n_cores = int(chip.value("cores") or 0)
    fan_in_limit = chip.value("fan_in")
    Piece = tuple[Population, int, int, dict[str, float]]
    full: list[Piece] = []
    partial: list[Piece] = []
    budgets: dict[str, float] = {}
    for population in network.populations:
        fan_in = population.fan_in()
        if fan_in_limit is not None and fan_in.size and int(fan_in.max()) > fan_in_limit:
            worst = int(fan_in.max())
            report.violations.append(
                Violation(
                    f"{population.label} neuron {int(fan_in.argmax())}",
                    "fan_in",
                    worst,
                    fan_in_limit,
                    "synapses",
                    fix=_synapse_fix(
                        worst, int(fan_in_limit), population.incoming, per_neuron=True
                    ),
                )
            )
        columns = _cost_columns(chip, fan_in)
        if not columns:
            continue
        for name, cost, budget in columns:
            budgets[name] = budget
            if cost.size and cost.max() > budget:
                neuron = int(cost.argmax())
                report.violations.append(
                    Violation(
                        f"{population.label} neuron {neuron}",
                        name,
                        _int(cost.max()),
                        _int(budget),
                        chip.limit(name).unit,  # type: ignore[union-attr]
                        what=""
                        if name != "memory_per_core"
                        else f"one neuron needs {_int(cost.max())} bytes (fan-in "
                        f"{int(fan_in[neuron])}), a core has {_int(budget)}",
                        fix=_synapse_fix(
                            int(fan_in[neuron]),
                            int(fan_in[neuron] * budget / cost.max()),
                            population.incoming,
                            per_neuron=True,
                        ),
                    )
                )
        pieces = _pieces(columns, population.size)
        for i, (start, stop) in enumerate(pieces):
            use = {name: float(cost[start:stop].sum()) for name, cost, _ in columns}
            # every piece but the last was cut at a budget; the last may share a core
            (full if i < len(pieces) - 1 else partial).append((population, start, stop, use))
    # full pieces take a core each; partial pieces share cores, first-fit decreasing
    cores: list[list[Piece]] = [[piece] for piece in full]
    loads: list[dict[str, float]] = [dict(piece[3]) for piece in full]

    def weight(piece: Piece) -> float:
        return max((piece[3][n] / budgets[n] for n in budgets), default=0.0)

    for piece in sorted(partial, key=weight, reverse=True):
        for load, members in zip(loads, cores, strict=True):
            if all(load[n] + piece[3][n] <= budgets[n] for n in budgets):
                for n in budgets:
                    load[n] += piece[3][n]
                members.append(piece)
                break
        else:
            cores.append([piece])
            loads.append(dict(piece[3]))
    for index, (members, load) in enumerate(zip(cores, loads, strict=True)):
        holds = [f"{p.label}[{a}:{b}]" for p, a, b, _ in members]
        report.cores.append(
            CoreUse(f"core {index}", holds, [_usage(chip, n, _int(load[n])) for n in budgets])
        )
    if len(cores) > n_cores:
        total_neurons = sum(p.size for p in network.populations)
        biggest = max(network.populations, key=lambda p: p.size)
        excess_share = 1 - n_cores / len(cores)
        report.violations.append(
            Violation(
                f"@{report.graph} ({total_neurons} neurons in {len(network.populations)} "
                "populations)",
                "cores",
                len(cores),
                n_cores,
                "cores",
                fix=f"{DEAD_OR_DUPLICATE}; snn-prune{{structured=true "
                f"sparsity={min(_ceil2(excess_share), 0.99)}}} shrinks {biggest.label} and the "
                "other layers; snn-prune{sparsity=...} frees synapse memory",
            )
        )
    chip_use = CoreUse("chip", [], [_usage(chip, "cores", len(cores))])
    if (bits := _bits_usage(network, chip)) is not None:
        chip_use.usage.append(bits)
    if fan_in_limit is not None or chip.limit("fan_in") is not None:
        worst = max((int(p.fan_in().max(initial=0)) for p in network.populations), default=0)
        chip_use.usage.append(_usage(chip, "fan_in", worst))
    report.cores.insert(0, chip_use)


def _int(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)
