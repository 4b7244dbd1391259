"""Chip descriptions (`snn_dialect.targets`) and the mapping of networks onto them."""

from __future__ import annotations

import importlib.util
import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Region
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.api import run_passes
from snn_dialect.dense import tensor_f32
from snn_dialect.graph import LayerNode, SNNGraph, graph_to_module
from snn_dialect.nir_io import import_nir
from snn_dialect.ops import Conv2dOp, GraphOp, IFOp, OutputOp
from snn_dialect.targets import CHIPS, LIMIT_NAMES, get_chip
from snn_dialect.targets.report import FitReport, Usage, Violation
from transforms.quantize import QuantizePass
from transforms.target_fit import fit_reports

DATA = Path(__file__).parent / "data"

# --------------------------------------------------------------------------------------------
# The descriptions
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CHIPS))
def test_every_limit_is_known_and_sourced_or_marked(name: str):
    chip = CHIPS[name]
    assert chip.name == name
    for key, limit in chip.limits.items():
        assert key in LIMIT_NAMES, key
        # a number without a public source says so: source None and a note
        assert limit.source is not None or limit.note, (name, key)
        assert "no public source" in limit.citation() or limit.source is not None
        if limit.per_core:
            assert len(limit.per_core) == chip.value("cores")
    assert chip.neuron_models.values and all(
        m.startswith("snn.") for m in chip.neuron_models.values
    )
    assert chip.reset_modes.values


def test_the_named_chips_are_described():
    assert {"xylo-audio2", "xylo-audio3", "xylo-imu", "speck", "loihi2", "spinnaker2"} <= set(CHIPS)
    with pytest.raises(KeyError, match=r"unknown chip 'xylo9'.*xylo-audio2"):
        get_chip("xylo9")


def _rockpool_xylo() -> Path:
    spec = importlib.util.find_spec("rockpool")
    if spec is None or spec.origin is None:
        pytest.skip("rockpool is not installed")
    return Path(spec.origin).parent / "devices" / "xylo"


@pytest.mark.parametrize(
    ("chip", "device"),
    [("xylo-audio2", "syns61201"), ("xylo-audio3", "syns65302"), ("xylo-imu", "syns63300")],
)
def test_xylo_neuron_counts_match_rockpools_mapper(chip: str, device: str):
    """The hidden and output neuron counts are the defaults of the installed Rockpool mapper
    (read from its source: the device modules need `samna` to import)."""
    text = (_rockpool_xylo() / device / "xylo_mapper.py").read_text()
    hidden = re.search(r"max_hidden_neurons: int = (\d+)", text)
    output = re.search(r"max_output_neurons: int = (\d+)", text)
    assert hidden is not None and output is not None
    assert get_chip(chip).value("hidden_neurons") == int(hidden.group(1))
    assert get_chip(chip).value("output_neurons") == int(output.group(1))


def test_xylo_audio3_weight_memories_match_rockpools_memory_map():
    text = (_rockpool_xylo() / "syns65302" / "ram.py").read_text()
    address = {
        k: int(v.replace("_", ""), 16) for k, v in re.findall(r"^(\w+) = (0x[\w_]+)", text, re.M)
    }
    chip = get_chip("xylo-audio3")
    assert address["HWT2RAM"] - address["HWTRAM"] == chip.value("recurrent_weights")
    assert address["IWT2RAM"] - address["IWTRAM"] == chip.value("input_weights")


# --------------------------------------------------------------------------------------------
# Mapping: networks built to sit exactly at a limit, and one just over it
# --------------------------------------------------------------------------------------------


def chain(sizes: list[int], bits: int | None = 8, neuron: str = "LIF", seed: int = 0) -> ModuleOp:
    """A dense chain `sizes[0] -> sizes[1] -> ...` of `neuron` layers with all weights
    nonzero, quantized to `bits` (None: f32)."""
    rng = np.random.default_rng(seed)
    layers = [
        LayerNode(f"l{i}", n_in, n_out, rng.uniform(0.5, 1.0, (n_out, n_in)), neuron)
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes))
    ]
    module = graph_to_module(SNNGraph(layers))
    if bits is not None:
        run_passes(module, [QuantizePass(bits=bits, param_bits=0)])
    return module


def report_of(module: ModuleOp, chip: str) -> FitReport:
    (report,) = fit_reports(module, chip)
    return report


def violations(report: FitReport, limit: str) -> list[Violation]:
    return [v for v in report.violations if v.limit == limit]


def usage(report: FitReport, limit: str, core: int = 0) -> Usage:
    return next(u for u in report.cores[core].usage if u.limit == limit)


@pytest.mark.parametrize(
    ("chip", "sizes", "limit", "used"),
    [
        # Xylo Audio 2: 16 input channels, 1000 hidden neurons, 8 readout neurons
        ("xylo-audio2", [16, 4, 2], "input_channels", 16),
        ("xylo-audio2", [4, 1000, 8], "hidden_neurons", 1000),
        ("xylo-audio2", [4, 10, 8], "output_neurons", 8),
        # hidden 500 -> hidden 64: every neuron's fan-out is 64, and 32000 recurrent weights
        ("xylo-audio2", [2, 500, 64, 2], "recurrent_weights", 32000),
        ("xylo-audio2", [2, 10, 64, 2], "fan_out", 64),
        # Xylo Audio 3: input weights reach the first 128 hidden neurons only
        ("xylo-audio3", [4, 128, 2], "input_projection", 128),
        ("xylo-audio3", [4, 128, 2], "output_projection", 128),
        ("xylo-audio3", [4, 10, 32], "output_neurons", 32),
        # Xylo IMU: 16 readout neurons, inputs reach 128 hidden neurons (its fan-out of 512
        # exceeds its 496 hidden neurons: no network reaches it)
        ("xylo-imu", [4, 10, 16], "output_neurons", 16),
        ("xylo-imu", [4, 128, 2], "input_projection", 128),
    ],
)
def test_xylo_at_and_over_a_limit(chip: str, sizes: list[int], limit: str, used: int):
    at = report_of(chain(sizes), chip)
    assert at.fits, at.text()
    assert usage(at, limit).used == used == get_chip(chip).value(limit)
    # one more input channel, neuron or source neuron
    grow = {"input_channels": 0, "output_neurons": len(sizes) - 1, "recurrent_weights": 1}
    bigger = list(sizes)
    bigger[grow.get(limit, 1 if limit != "fan_out" else 2)] += 1
    over = report_of(chain(bigger), chip)
    assert not over.fits
    (violation,) = violations(over, limit)
    assert violation.allowed == get_chip(chip).value(limit)
    assert violation.used > violation.allowed
    assert f"exceeded by {violation.used - violation.allowed}" in violation.message()


def test_xylo_fixes_name_a_pass_and_option():
    over = report_of(chain([4, 1001, 8]), "xylo-audio2")
    (violation,) = violations(over, "hidden_neurons")
    assert "hidden neurons 1001 > 1000 (exceeded by 1 neurons)" in violation.message()
    assert "snn-prune{structured=true sparsity=0.01}" in violation.fix
    wide = report_of(chain([2, 501, 64, 2]), "xylo-audio2")
    (memory,) = violations(wide, "recurrent_weights")
    # 32064 nonzero weights must come down to 32000: 0.2 % of them, rounded up
    assert memory.used == 32064 and "snn-prune{sparsity=0.01}" in memory.fix
    fan = violations(report_of(chain([2, 2, 65, 2]), "xylo-audio2"), "fan_out")
    assert fan and fan[0].used == 65 and "snn-prune{sparsity=0.02}" in fan[0].fix


def test_xylo_weight_bits_and_models():
    assert report_of(chain([4, 8, 2], bits=8), "xylo-audio2").fits
    nine = report_of(chain([4, 8, 2], bits=9), "xylo-audio2")
    assert [v.used for v in violations(nine, "weight_bits")] == [9, 9]
    assert all("snn-quantize{bits=8}" in v.fix for v in violations(nine, "weight_bits"))
    floats = report_of(chain([4, 8, 2], bits=None), "xylo-audio2")
    assert all("weights are f32" in v.message() for v in violations(floats, "weight_bits"))
    integrators = report_of(chain([4, 8, 2], neuron="IF"), "xylo-audio2")
    assert len(violations(integrators, "neuron_models")) == 2


def test_xylo_warns_that_a_synapse_free_lif_is_approximate():
    """Every Xylo neuron has a synaptic current: an snn.lif fits, with a warning each."""
    lif = report_of(chain([4, 8, 2], neuron="LIF"), "xylo-audio2")
    assert lif.fits
    assert sum("runs only approximately" in w for w in lif.warnings) == 2
    cuba = report_of(chain([4, 8, 2], neuron="CubaLIF"), "xylo-audio2")
    assert not any("approximately" in w for w in cuba.warnings)


def test_braille_fits_xylo_audio2_after_quantization():
    module = import_nir(DATA / "braille_noDelay_noBias_subtract.nir")
    before = report_of(module, "xylo-audio2")
    assert {v.limit for v in before.violations} == {"weight_bits"}
    run_passes(module, [QuantizePass(bits=8)])
    after = report_of(module, "xylo-audio2")
    assert after.fits, after.text()
    assert usage(after, "hidden_neurons").used == 40
    assert usage(after, "output_neurons").used == 7
    assert usage(after, "input_channels").used == 12
    recurrent = next(
        op for op in module.walk() if op.results and op.results[0].name_hint == "lif1.w_rec"
    )
    nonzero = int(np.count_nonzero(recurrent.array("weight")))
    assert 0 < nonzero <= 1600
    assert usage(after, "recurrent_weights").used == nonzero


def test_sinabs_cnn_does_not_fit_xylo_and_says_why():
    report = report_of(import_nir(DATA / "cnn_sinabs.nir", dt=1.0), "xylo-audio2")
    limits = {v.limit for v in report.violations}
    assert {"dense_only", "input_channels", "hidden_neurons", "output_neurons"} <= limits
    assert report.summary().startswith(
        "@cnn_sinabs does not fit xylo-audio2: %n0 (snn.conv2d #0, 16x2x5x5): xylo-audio2 has "
        "dense input, recurrent and readout weights only"
    )
    (inputs,) = violations(report, "input_channels")
    assert (inputs.used, inputs.allowed) == (2 * 34 * 34, 16)


def test_sinabs_cnn_fits_speck_after_quantization():
    module = import_nir(DATA / "cnn_sinabs.nir", dt=1.0)
    assert {v.limit for v in report_of(module, "speck").violations} == {"weight_bits"}
    run_passes(module, [QuantizePass(bits=8)])
    report = report_of(module, "speck")
    assert report.fits, report.text()
    # the dense 128 -> 256 layer reads a flattened 8x4x4 map: a 4x4 kernel on 8 channels,
    # 8 * 2^(4 + 8) = 32768 kernel entries: it needs one of the two 32K or two 64K cores
    dense = next(c for c in report.cores if "%n9" in " ".join(c.holds))
    assert usage(report, "kernel_memory", report.cores.index(dense)).used == 32768
    assert int(dense.core.split()[-1]) in (3, 4, 5, 6)


def conv_net(
    in_shape: tuple[int, int, int], out_channels: int, kernel: int, branches: int = 1
) -> ModuleOp:
    """input -> conv(kernel) -> IF, then `branches` 1x1 convs -> IF as graph outputs; 8-bit."""
    block = Block(arg_types=[tensor_f32(list(in_shape))])
    weight = np.ones((out_channels, in_shape[0], kernel, kernel), np.float32)
    conv = Conv2dOp(block.args[0], weight, None, (1, 1), (0, 0), (1, 1), 1)
    spikes = IFOp.from_params(conv.results[0], {"r": 1.0, "v_threshold": 1.0, "v_reset": 0.0})
    block.add_ops([conv, spikes])
    outputs = []
    for _ in range(branches):
        head = Conv2dOp(
            spikes.results[0],
            np.ones((1, out_channels, 1, 1), np.float32),
            None,
            (1, 1),
            (0, 0),
            (1, 1),
            1,
        )
        neuron = IFOp.from_params(head.results[0], {"r": 1.0, "v_threshold": 1.0, "v_reset": 0.0})
        block.add_ops([head, neuron])
        outputs.append(neuron.results[0])
    block.add_op(OutputOp(outputs))
    graph = GraphOp(
        "conv", [tensor_f32(list(in_shape))], [v.type for v in outputs], 1.0, Region(block)
    )
    module = ModuleOp([graph])
    run_passes(module, [QuantizePass(bits=8, param_bits=0)])
    return module


def test_speck_kernel_memory_rounds_channels_to_powers_of_two():
    # 64 channels x 4x4 kernel -> 64 channels: 64 * 2^(4 + 6) = 65536, the largest core
    at = report_of(conv_net((64, 4, 4), 64, 4), "speck")
    assert at.fits, at.text()
    layer = next(c for c in at.cores if "snn.conv2d #0" in " ".join(c.holds))
    assert int(layer.core.split()[-1]) in (5, 6)  # only the two 64K kernel memories
    # 65 output channels round up to 128: twice the memory of any core
    over = report_of(conv_net((64, 4, 4), 65, 4), "speck")
    (violation,) = violations(over, "kernel_memory")
    assert (violation.used, violation.allowed) == (131072, 65536)


def test_speck_neuron_memory_and_destinations():
    # 16 channels of 64x64 neurons: 16 * 2^(6 + 6) = 65536 neuron entries
    assert report_of(conv_net((1, 64, 64), 16, 1), "speck").fits
    (violation,) = violations(report_of(conv_net((1, 65, 64), 16, 1), "speck"), "neuron_memory")
    assert (violation.used, violation.allowed) == (131072, 65536)
    assert report_of(conv_net((2, 8, 8), 4, 3, branches=2), "speck").fits
    (fanout,) = violations(
        report_of(conv_net((2, 8, 8), 4, 3, branches=3), "speck"), "destinations"
    )
    assert (fanout.used, fanout.allowed) == (3, 2)


def test_speck_has_nine_cores():
    assert report_of(chain([4] * 10, neuron="IF"), "speck").fits  # 9 layers
    over = report_of(chain([4] * 11, neuron="IF"), "speck")
    (violation,) = violations(over, "cores")
    assert (violation.used, violation.allowed) == (10, 9)


def test_loihi2_packs_neurons_into_cores():
    # 8192 neurons a core: 8192 fill one core, 8193 spill one neuron into a second
    one = report_of(chain([1, 8192]), "loihi2")
    assert one.fits and usage(one, "cores").used == 1
    two = report_of(chain([1, 8193]), "loihi2")
    assert two.fits and usage(two, "cores").used == 2
    assert [c.holds for c in two.cores[1:]] == [
        ["%l0 (snn.lif #0, 8193)[0:8192]"],
        ["%l0 (snn.lif #0, 8193)[8192:8193]"],
    ]


def test_loihi2_chip_is_full_at_128_cores():
    n = 128 * 8192
    at = report_of(chain([1, n]), "loihi2")
    assert at.fits and usage(at, "cores").used == 128
    over = report_of(chain([1, n + 1]), "loihi2")
    (violation,) = violations(over, "cores")
    assert (violation.used, violation.allowed) == (129, 128)
    assert "snn-prune{structured=true sparsity=0.01}" in violation.fix


def test_spinnaker2_packs_by_memory():
    # 64 bytes a neuron + 4 a synapse in 131072 bytes: one neuron with 32752 inputs fills a core
    assert report_of(chain([32752, 1]), "spinnaker2").fits
    over = report_of(chain([32753, 1]), "spinnaker2")
    (violation,) = violations(over, "memory_per_core")
    assert (violation.used, violation.allowed) == (131076, 131072)
    # neurons with one input take 68 bytes: 1927 a core
    assert usage(report_of(chain([1, 1927]), "spinnaker2"), "cores").used == 1
    assert usage(report_of(chain([1, 1928]), "spinnaker2"), "cores").used == 2
    assert any("no public source" in w for w in over.warnings) or any(
        "without a public source" in w for w in over.warnings
    )


def test_the_pass_is_an_analysis_and_fails_with_one_line(capsys: pytest.CaptureFixture[str]):
    module = chain([4, 8, 2], bits=None)
    text = str(module)
    with pytest.raises(PassFailedException) as failure:
        run_passes(module, "snn-target{chip=xylo-audio2}")
    message = str(failure.value)
    assert "\n" not in message
    assert message.startswith("snn-target: @net does not fit xylo-audio2: %l0_syn")
    assert message.endswith("(and 1 more violation)")
    run_passes(module, "snn-target{chip=xylo-audio2 report_only=true}")
    assert "DOES NOT FIT" in capsys.readouterr().err
    assert str(module) == text
    with pytest.raises(PassFailedException, match="unknown chip 'nope'"):
        run_passes(module, "snn-target{chip=nope}")
