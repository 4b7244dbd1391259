"""Lowered modules compiled by IREE compute what the reference simulator computes.

Each graph is lowered with `convert-snn-to-linalg`, printed by xDSL, compiled by
`iree.compiler` for the CPU and run by `iree.runtime` on random inputs; every value of the
graph (hidden layers too, made extra outputs) is compared with `simulate` in float32:
spikes must be identical, other values equal up to the reassociation of the sums in
matmul/convolution (a few ulp). The real NIR networks are compared before and after
`snn-optimize`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

pytest.importorskip(
    "iree.compiler", reason="IREE is not installed (pip install 'snn-dialect[iree]')"
)
pytest.importorskip(
    "iree.runtime", reason="the IREE runtime is not installed (pip install 'snn-dialect[iree]')"
)

from conftest import DATA
from test_lowering import LOWERING_CASES
from xdsl.context import Context
from xdsl.dialects.builtin import FunctionType, ModuleOp, StringAttr
from xdsl.ir import Operation, SSAValue

from snn_dialect.dense import dense_f32
from snn_dialect.interfaces import NeuronOp
from snn_dialect.iree_runner import IreeModule
from snn_dialect.nir_io import import_nir
from snn_dialect.ops import GraphOp, OutputOp
from snn_dialect.simulator import simulate

STEPS, BATCH = 300, 3

FIXTURES: dict[str, float | None] = {
    "lif_norse": None,
    "two_lif_neurons": None,
    "braille_noDelay_bias_zero": None,
    "braille_noDelay_noBias_subtract": None,
    # Sinabs' IF neurons are discrete-time (v += I per step): with the NIR default dt = 1e-4
    # they would hardly ever fire, so the comparison would see no spikes.
    "cnn_sinabs": 1.0,
}
"""Fixture networks in `tests/data` and the dt they are imported with (None: the default)."""


def probe_every_value(graph: GraphOp) -> list[bool]:
    """Make the result of every op of `graph` an extra output (after the real ones), so that
    hidden layers are compared too; returns, per output, whether it holds spikes."""
    output = graph.output_op
    ops = [op for op in graph.block.ops if not isinstance(op, OutputOp)]
    values = [*output.outputs, *(op.results[0] for op in ops)]
    spiking = [_is_spikes(v) for v in values]
    graph.block.add_op(OutputOp(values))
    graph.block.erase_op(output)
    graph.function_type = FunctionType.from_lists(
        [a.type for a in graph.block.args], [v.type for v in values]
    )
    graph.verify()
    return spiking


def _is_spikes(value: SSAValue) -> bool:
    owner = value.owner
    trait = owner.get_trait(NeuronOp) if isinstance(owner, Operation) else None
    return trait is not None and trait.spiking


@dataclass
class Agreement:
    """How IREE's results compare with the simulator's for one graph."""

    spike_elements: int = 0
    """Elements of spiking values compared (neurons x steps x samples)."""
    spikes: int = 0
    """Spikes the simulator emitted among them."""
    spike_mismatches: int = 0
    values: int = 0
    """Elements of non-spike values compared."""
    max_error: float = 0.0
    """Largest |iree - simulator| / (1 + |simulator|) over the non-spike values."""

    def add(self, got: np.ndarray, expected: np.ndarray, spiking: bool) -> None:
        assert got.shape == expected.shape
        if spiking:
            self.spike_elements += expected.size
            self.spikes += int(np.count_nonzero(expected))
            self.spike_mismatches += int(np.count_nonzero(got != expected))
            return
        self.values += expected.size
        if expected.size:
            error = np.abs(got - expected) / (1.0 + np.abs(expected))
            self.max_error = max(self.max_error, float(error.max()))


def _random_inputs(graph: GraphOp, seed: int, rate: float = 0.3) -> list[np.ndarray]:
    """Sparse positive inputs `[STEPS, BATCH, *shape]`: spike-like events of random size."""
    rng = np.random.default_rng(seed)
    inputs = []
    for arg in graph.block.args:
        shape = (STEPS, BATCH, *arg.type.get_shape())  # type: ignore[union-attr]
        events = rng.random(shape) < rate
        inputs.append((events * rng.uniform(0.5, 2.0, shape)).astype(np.float32))
    return inputs


def _graphs(module: ModuleOp) -> list[GraphOp]:
    return [op for op in module.ops if isinstance(op, GraphOp)]


def _combined(modules: dict[str, ModuleOp]) -> tuple[ModuleOp, dict[str, list[bool]]]:
    """One module holding each module's graph, renamed after its key and probed, so that
    IREE compiles them all at once."""
    graphs, spiking = [], {}
    for name, module in modules.items():
        (graph,) = _graphs(module)
        graph.detach()
        graph.sym_name = StringAttr(name)
        spiking[name] = probe_every_value(graph)
        graphs.append(graph)
    combined = ModuleOp(graphs)
    combined.verify()
    return combined, spiking


@dataclass
class Compiled:
    """Probed graphs compiled by IREE in one module, with which outputs are spikes."""

    module: ModuleOp
    iree: IreeModule
    spiking: dict[str, list[bool]]

    @classmethod
    def of(cls, modules: dict[str, ModuleOp]) -> Compiled:
        module, spiking = _combined(modules)
        return cls(module, IreeModule(module, batch=BATCH), spiking)

    def graph(self, name: str) -> GraphOp:
        return next(g for g in _graphs(self.module) if g.sym_name.data == name)

    def agreement(self, name: str, seed: int, reference: GraphOp | None = None) -> Agreement:
        """IREE (stepped from the host) against `simulate` of `reference` (by default the
        same graph) on random inputs."""
        graph = self.graph(name)
        inputs = _random_inputs(graph, seed)
        expected = simulate(reference or graph, inputs).outputs
        got = self.iree.run_steps(inputs, graph=name)
        agreement = Agreement()
        for g, e, s in zip(got, expected, self.spiking[name], strict=True):
            agreement.add(g, e, s)
        return agreement

    def check(self, silent: frozenset[str] = frozenset()) -> dict[str, Agreement]:
        """Identical spikes, other values within float reassociation; and graphs with
        spiking neurons did spike (else the comparison would prove little), except the
        `silent` ones."""
        found = {}
        for seed, graph in enumerate(_graphs(self.module)):
            name = graph.sym_name.data
            a = found[name] = self.agreement(name, seed)
            assert a.spike_mismatches == 0, f"{name}: {a}"
            assert a.max_error < 1e-5, f"{name}: {a}"
            if name not in silent:
                assert a.spikes > 0 or a.spike_elements == 0, f"{name}: no spikes: {a}"
        return found


def _fixture(name: str) -> ModuleOp:
    return import_nir(DATA / f"{name}.nir", dt=FIXTURES[name])


@pytest.fixture(scope="module")
def cases() -> Compiled:
    return Compiled.of({name: build() for name, build in LOWERING_CASES.items()})


@pytest.fixture(scope="module")
def fixtures() -> Compiled:
    return Compiled.of({name: _fixture(name) for name in FIXTURES})


def test_every_op_matches_simulator(cases: Compiled):
    cases.check()


def test_nir_fixtures_match_simulator(fixtures: Compiled):
    cases = fixtures.check()
    assert cases["cnn_sinabs"].spikes > 1000


def test_optimized_nir_fixtures_match_simulator():
    optimize = pytest.importorskip("transforms.optimize", reason="snn-optimize is not there yet")
    modules: dict[str, ModuleOp] = {}
    for name in FIXTURES:
        module = _fixture(name)
        optimize.OptimizePass().apply(Context(), module)
        modules[name] = module
    # the first neuron of two_lif_neurons feeds only one that never fires: it is removed
    Compiled.of(modules).check(silent=frozenset({"two_lif_neurons"}))


def test_time_loop_function_matches_stepping(fixtures: Compiled):
    """`@g` (the `scf.for` over time) computes what `@g_init` + `@g_step` compute."""
    for seed, graph in enumerate(_graphs(fixtures.module)):
        inputs = [x[:40] for x in _random_inputs(graph, seed)]
        name = graph.sym_name.data
        looped = fixtures.iree.run(inputs, graph=name)
        stepped = fixtures.iree.run_steps(inputs, graph=name)
        for a, b in zip(looped, stepped, strict=True):
            np.testing.assert_array_equal(a, b)


def test_the_comparison_can_fail(cases: Compiled):
    """A graph that differs from the compiled one by a 1% higher LIF threshold is told
    apart: spikes change."""
    reference = cases.graph("dense_chain").clone()
    lif = next(op for op in reference.block.ops if op.name == "snn.lif")
    lif.properties["v_threshold"] = dense_f32(lif.array("v_threshold") * np.float32(1.01))  # type: ignore[attr-defined]
    assert cases.agreement("dense_chain", seed=0, reference=reference).spike_mismatches > 0


def test_batch_mismatch_names_the_option(fixtures: Compiled):
    """Inputs with another number of samples than the module was compiled for say how to
    compile for theirs (`convert-snn-to-linalg{batch=N}`)."""
    graph = _graphs(fixtures.module)[0]
    x = [np.zeros((3, BATCH + 1, *a.type.get_shape()), np.float32) for a in graph.block.args]  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match=rf"convert-snn-to-linalg\{{batch={BATCH + 1}\}}"):
        fixtures.iree.run(x, graph=graph.sym_name.data)
