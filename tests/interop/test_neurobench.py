"""Our metrics against NeuroBench's own, on the same networks built in snnTorch.

Needs the optional extra (`pip install torch==2.13.0 '.[neurobench]'`); skipped otherwise.

Each network is built twice from the same weights: in snnTorch (`nn.Linear`/`nn.Conv2d`,
`nn.AvgPool2d`, `snn.Leaky` with reset to zero and no reset delay, which is NIR's LIF with
`dt/tau = 1 - beta`, `r = tau/dt`) for NeuroBench 2.3's `Benchmark`, and as a NIR graph
imported into the `snn` dialect for `snn_dialect.metrics`, then run on the same inputs.
Equal by definition: parameter count of the connection layers, connection sparsity,
activation sparsity, effective ACs and MACs, dense operations and membrane updates.
The footprint differs by a known amount (see `test_footprint_difference_is_the_neurons`).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip(
    "torch", reason="NeuroBench needs torch: pip install torch==2.13.0 '.[neurobench]'"
)
snn = pytest.importorskip("snntorch", reason="NeuroBench's models need snnTorch")
pytest.importorskip("neurobench", reason="the cross-check needs '.[neurobench]'")

import nir  # noqa: E402
from neurobench.benchmarks import Benchmark  # noqa: E402
from neurobench.metrics.static import (  # noqa: E402
    ConnectionSparsity,
    Footprint,
    ParameterCount,
)
from neurobench.metrics.workload import (  # noqa: E402
    ActivationSparsity,
    MembraneUpdates,
    SynapticOperations,
)
from neurobench.models import SNNTorchModel  # noqa: E402
from torch import nn  # noqa: E402

from snn_dialect.metrics import ModuleMetrics, measure_activity, module_metrics  # noqa: E402
from snn_dialect.nir_io import import_nir  # noqa: E402

BETA, THRESHOLD = 0.875, 0.5
STEPS, SAMPLES = 25, 6
LEAKY_BUFFER_BYTES = 20
"""What `snn.Leaky` holds as buffers: scalar `threshold`, `graded_spikes_factor`, `beta`
(f32) and `reset_mechanism_val` (int64); `mem` is empty when the static metrics run."""
LIF_PARAMETER_BYTES = 20
"""What NIR's LIF stores per neuron: `tau`, `r`, `v_leak`, `v_threshold`, `v_reset` (f32)."""


def leaky(output: bool = False):
    return snn.Leaky(
        beta=BETA,
        threshold=THRESHOLD,
        init_hidden=True,
        output=output,
        reset_mechanism="zero",
        reset_delay=False,
    )


def lif_node(shape: tuple[int, ...]) -> nir.LIF:
    tau = np.full(shape, 1.0 / (1.0 - BETA), np.float32)  # dt = 1
    return nir.LIF(
        tau=tau,
        r=tau.copy(),
        v_leak=np.zeros(shape, np.float32),
        v_threshold=np.full(shape, THRESHOLD, np.float32),
        v_reset=np.zeros(shape, np.float32),
    )


def prune(layer: nn.Module, fraction: float, seed: int) -> None:
    """Zero `fraction` of the layer's weights (connection sparsity to measure)."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        mask = torch.from_numpy(rng.random(layer.weight.shape) < fraction)
        layer.weight[mask] = 0.0


class MLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.lif1 = nn.Linear(20, 16), leaky()
        self.fc2, self.lif2 = nn.Linear(16, 4), leaky(output=True)
        prune(self.fc1, 0.4, 1)
        prune(self.fc2, 0.2, 2)
        with torch.no_grad():
            self.fc1.weight.mul_(2.0)

    def forward(self, x):
        return self.lif2(self.fc2(self.lif1(self.fc1(x))))

    def nir(self) -> nir.NIRGraph:
        def affine(fc: nn.Linear) -> nir.Affine:
            return nir.Affine(fc.weight.detach().numpy(), fc.bias.detach().numpy())

        return nir.NIRGraph.from_list(
            nir.Input(input_type={"input": np.array([20])}),
            affine(self.fc1),
            lif_node((16,)),
            affine(self.fc2),
            lif_node((4,)),
            nir.Output(output_type={"output": np.array([4])}),
        )


class ConvNet(nn.Module):
    """Conv (padding 1) -> average pool -> LIF -> flatten -> linear -> LIF."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.pool, self.lif1 = nn.AvgPool2d(2), leaky()
        self.flat = nn.Flatten()
        self.fc, self.lif2 = nn.Linear(4 * 4 * 4, 5), leaky(output=True)
        prune(self.conv, 0.3, 3)
        prune(self.fc, 0.5, 4)
        with torch.no_grad():
            self.conv.weight.mul_(3.0)
            self.fc.weight.mul_(4.0)

    def forward(self, x):
        return self.lif2(self.fc(self.flat(self.lif1(self.pool(self.conv(x))))))

    def nir(self) -> nir.NIRGraph:
        conv = nir.Conv2d(
            input_shape=(8, 8),
            weight=self.conv.weight.detach().numpy(),
            stride=(1, 1),
            padding=(1, 1),
            dilation=(1, 1),
            groups=1,
            bias=self.conv.bias.detach().numpy(),
        )
        pool = nir.AvgPool2d(
            kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])
        )
        flat = nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1)
        fc = nir.Affine(self.fc.weight.detach().numpy(), self.fc.bias.detach().numpy())
        return nir.NIRGraph.from_list(
            nir.Input(input_type={"input": np.array([2, 8, 8])}),
            conv,
            pool,
            lif_node((4, 4, 4)),
            flat,
            fc,
            lif_node((5,)),
            nir.Output(output_type={"output": np.array([5])}),
        )


def inputs(kind: str) -> np.ndarray:
    """`[T, B, ...]`: input spikes for the MLP, real values (MACs) for the conv net."""
    rng = np.random.default_rng(7)
    if kind == "mlp":
        return (rng.random((STEPS, SAMPLES, 20)) < 0.3).astype(np.float32)
    x = rng.normal(0.2, 1.0, (STEPS, SAMPLES, 2, 8, 8)).astype(np.float32)
    x[rng.random(x.shape) < 0.5] = 0.0  # zeros in real-valued input do not count either
    return x


def neurobench(net: nn.Module, x: np.ndarray) -> dict:
    data = torch.from_numpy(np.ascontiguousarray(x.swapaxes(0, 1)))  # [B, T, ...]
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(data, torch.zeros(len(data))), batch_size=len(data)
    )
    benchmark = Benchmark(
        SNNTorchModel(net),
        loader,
        [],
        [],
        [
            [Footprint, ConnectionSparsity, ParameterCount],
            [ActivationSparsity, SynapticOperations, MembraneUpdates],
        ],
    )
    return benchmark.run(quiet=True)


def ours(net: nn.Module, x: np.ndarray) -> ModuleMetrics:
    module = import_nir(net.nir(), dt=1.0)
    return module_metrics(module, measure_activity(module, x))


@pytest.fixture(scope="module", params=["mlp", "conv"])
def case(request):
    torch.manual_seed(0)
    net = MLP() if request.param == "mlp" else ConvNet()
    x = inputs(request.param)
    return request.param, net, ours(net, x), neurobench(net, x)


def test_outputs_agree_so_the_workloads_are_comparable(case) -> None:
    """The two runs spike alike: snnTorch's spike count equals the simulator's."""
    _, _, metrics, nb = case
    assert metrics.activation_sparsity is not None
    assert metrics.activation_sparsity == pytest.approx(nb["ActivationSparsity"], abs=1e-12)
    assert 0.0 < metrics.activation_sparsity < 1.0


def test_static_metrics_equal(case) -> None:
    _, _, metrics, nb = case
    synapses = [layer.static for layer in metrics.layers if layer.static.synapse]
    assert sum(s.parameters for s in synapses) == nb["ParameterCount"]
    assert round(metrics.connection_sparsity, 4) == nb["ConnectionSparsity"]
    assert metrics.connection_sparsity > 0.1


def test_synaptic_operations_equal(case) -> None:
    kind, _, metrics, nb = case
    ops = nb["SynapticOperations"]
    assert metrics.effective_acs == pytest.approx(ops["Effective_ACs"], rel=1e-12)
    assert metrics.effective_macs == pytest.approx(ops["Effective_MACs"], rel=1e-12)
    assert metrics.dense_ops == pytest.approx(ops["Dense"], rel=1e-12)
    # the conv net reads real values in its first layer: MACs; spikes elsewhere: ACs
    assert (metrics.effective_macs > 0) == (kind == "conv")
    assert metrics.effective_acs > 0


def test_membrane_updates_equal(case) -> None:
    _, _, metrics, nb = case
    assert metrics.membrane_updates == pytest.approx(nb["MembraneUpdates"], rel=1e-12)
    # some membranes rest (no input, at zero): fewer updates than neurons x steps
    assert metrics.membrane_updates < metrics.neuron_updates


def test_footprint_difference_is_the_neurons(case) -> None:
    """NeuroBench's footprint is torch's parameters and buffers: the same weights and biases,
    plus 20 bytes of scalar bookkeeping per `snn.Leaky` layer, where NIR (and so this
    project) stores five f32 parameters per LIF neuron."""
    _, net, metrics, nb = case
    leaky_layers = sum(isinstance(m, snn.Leaky) for m in net.modules())
    neurons = metrics.neurons
    expected = nb["Footprint"] - LEAKY_BUFFER_BYTES * leaky_layers + LIF_PARAMETER_BYTES * neurons
    assert metrics.footprint_bytes == expected
    synapse_bytes = sum(l.static.footprint_bytes for l in metrics.layers if l.static.synapse)
    assert synapse_bytes == nb["Footprint"] - LEAKY_BUFFER_BYTES * leaky_layers
