"""snn-quantize{calibrated=true}: GPTQ-style rounding with error compensation on the profiled
input moments keeps the integer form and lowers the current error of plain rounding."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GraphBuilder
from test_calibrated_prune import (
    NETWORKS,
    current_error,
    graph_of,
    random_layer,
    rows_of,
    synapses,
)
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.calibration import input_moment
from snn_dialect.ops import LinearOp, RecurrentOp
from transforms.notes import approximation_notes
from transforms.quantize import QuantizePass


def run(module: ModuleOp, **options: object) -> ModuleOp:
    quantized = module.clone()
    QuantizePass(**options).apply(Context(), quantized)  # type: ignore[arg-type]
    quantized.verify()  # the verifier checks weight / weight_scale are integers in range
    return quantized


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("bits", [3, 8])
@pytest.mark.parametrize("per_channel", [False, True])
def test_integer_form_kept_and_second_run_changes_nothing(name: str, bits: int, per_channel: bool):
    module, _ = NETWORKS[name]()
    quantized = run(module, bits=bits, per_channel=per_channel, calibrated=True)
    assert graph_of(quantized).function_type == graph_of(module).function_type
    for op in synapses(quantized):
        assert op.properties["weight_bits"].value.data == bits  # type: ignore[attr-defined]
        assert input_moment(op) is not None
    note = approximation_notes(graph_of(quantized))[-1]
    assert 0 < note["current_error"] < 1
    again = run(quantized, bits=bits, per_channel=per_channel, calibrated=True)
    assert str(again) == str(quantized)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("bits", [3, 4])
def test_compensation_lowers_current_error_against_rounding(seed: int, bits: int):
    module, x = random_layer(seed)
    (before,) = synapses(module)
    (plain,) = synapses(run(module, bits=bits, param_bits=0))
    (calibrated,) = synapses(run(module, bits=bits, param_bits=0, calibrated=True))
    # the same grid: the same scale, integers in the same range
    assert calibrated.properties["weight_scale"] == plain.properties["weight_scale"]
    assert current_error(before, calibrated, x) < 0.8 * current_error(before, plain, x)


def test_a_linear_op_gets_a_rounded_bias():
    module, _ = NETWORKS["recurrent"]()
    quantized = run(module, bits=3, calibrated=True)
    recurrent = [op for op in synapses(quantized) if isinstance(op.operands[0].owner, RecurrentOp)]
    rows = rows_of(recurrent[0])
    scale = recurrent[0].array("weight_scale")  # type: ignore[attr-defined]
    q = rows / scale[0]
    np.testing.assert_array_equal(q, np.rint(q))


def test_missing_profile_is_one_line():
    b = GraphBuilder([2])
    module = b.module(b.add(LinearOp(b.inputs[0], np.array([[0.5, -1.0]]))))
    with pytest.raises(
        PassFailedException, match=r"no calibration statistics.*snn-opt profile"
    ) as e:
        run(module, calibrated=True)
    assert "\n" not in str(e.value)
    with pytest.raises(PassFailedException, match="damping must be > 0"):
        run(module, calibrated=True, damping=0.0)


def test_pruned_weights_stay_pruned():
    from test_calibrated_prune import run as prune

    module, _ = NETWORKS["mlp"]()
    pruned = prune(module, sparsity=0.7, method="calibrated")
    quantized = run(pruned, bits=4, calibrated=True)
    for a, b in zip(synapses(pruned), synapses(quantized), strict=True):
        zero = rows_of(a)[:, :-1] == 0
        assert (rows_of(b)[:, :-1][zero] == 0).all()
