"""Chip descriptions (`snn_dialect.targets`) and the mapping of networks onto them."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from snn_dialect.targets import CHIPS, LIMIT_NAMES, get_chip

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
