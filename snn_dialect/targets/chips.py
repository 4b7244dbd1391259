"""The chip descriptions: every limit that decides fit, with the public source it was read from.

Sources are vendor documents (URLs) or files of the vendors' open SDKs, named by repository
and path: Rockpool (github.com/synsense/rockpool, also on PyPI), Sinabs
(github.com/synsense/sinabs) and Lava (github.com/lava-nc/lava). A figure derived from sourced
figures says how in its note; a figure with no public source has `source=None` and a note.
"""

from __future__ import annotations

from snn_dialect.targets.model import Chip, Feature, Limit

ROCKPOOL_OVERVIEW = "rockpool docs/devices/xylo-overview.ipynb (Xylo family table)"
ROCKPOOL_CORE = "rockpool docs/devices/xylo-overview.ipynb (SNN core logical architecture)"
XA2_MAPPER = "rockpool rockpool/devices/xylo/syns61201/xylo_mapper.py"
XA2_DEVKIT = "rockpool rockpool/devices/xylo/syns61201/xa2_devkit_utils.py"
XA3_MAPPER = "rockpool rockpool/devices/xylo/syns65302/xylo_mapper.py"
XA3_RAM = "rockpool rockpool/devices/xylo/syns65302/ram.py"
XA3_DEVKIT = "rockpool rockpool/devices/xylo/syns65302/xa3_devkit_utils.py"
IMU_MAPPER = "rockpool rockpool/devices/xylo/syns63300/xylo_mapper.py"
IMU_INTRO = "rockpool docs/devices/xylo-imu/xylo-imu-intro.ipynb"
SINABS_CHIP = "sinabs sinabs/backend/dynapcnn/chips/dynapcnn.py (get_constraints)"
SINABS_LAYER = "sinabs sinabs/backend/dynapcnn/dynapcnn_layer.py (memory_summary)"
SINABS_DISCRETIZE = "sinabs sinabs/backend/dynapcnn/discretize.py"
SINABS_EXCEPTIONS = "sinabs sinabs/backend/dynapcnn/exceptions.py (MaxDestinationsReached)"
LOIHI2_BRIEF = "https://download.intel.com/newsroom/2021/new-technologies/neuromorphic-computing-loihi-2-brief.pdf"
LOIHI2_OPEN_NEUROMORPHIC = (
    "https://open-neuromorphic.org/neuromorphic-computing/hardware/loihi-2-intel/"
)
LAVA_DENSE = "lava src/lava/proc/dense/process.py (num_weight_bits: 8-bit default, full precision)"
LAVA_LIF = "lava src/lava/proc/lif/models.py (AbstractPyLifModelFixed, bit-accurate Loihi LIF)"
SPINNAKER2_PAPER = (
    "https://arxiv.org/abs/2401.04491 (Gonzalez et al., SpiNNaker2: a large-scale neuromorphic "
    "system for event-based and asynchronous machine learning, 2024)"
)

XYLO_NEURONS = Feature(
    ("snn.lif", "snn.cuba_lif"),
    ROCKPOOL_CORE,
    "digital LIF neurons with exponential (bit-shift) synapses; every neuron has a synaptic "
    "current, so an snn.lif (no synapse) has no exact counterpart: with dash_syn = 0 the chip "
    "clears the current before the membrane sees it (tests/test_xylo.py), and "
    "convert-snn-to-xylo refuses it",
    approximate=("snn.lif",),
)
XYLO_RESET = Feature(("subtract",), ROCKPOOL_CORE, "reset during event generation by subtraction")
XYLO_DT = Limit(
    None,
    "s",
    ROCKPOOL_CORE,
    "synchronous, one global time step dt chosen by the user; decays are bit shifts "
    "dash = round(log2(tau / dt))",
)
XYLO_WEIGHT_BITS = Limit(8, "bits", ROCKPOOL_CORE, "8-bit input, recurrent and readout weights")


def _xylo_state_bits(source: str) -> Limit:
    return Limit(16, "bits", source, "membrane and synaptic states are read back as int16")


XYLO_AUDIO2 = Chip(
    name="xylo-audio2",
    title="SynSense Xylo Audio 2 (SYNS61201)",
    architecture="xylo",
    limits={
        "input_channels": Limit(
            16, "channels", ROCKPOOL_OVERVIEW, "also le_16_input_channels in " + XA2_MAPPER
        ),
        "hidden_neurons": Limit(
            1000, "neurons", ROCKPOOL_OVERVIEW, "max_hidden_neurons=1000 in " + XA2_MAPPER
        ),
        "output_neurons": Limit(
            8, "neurons", ROCKPOOL_OVERVIEW, "max_output_neurons=8 in " + XA2_MAPPER
        ),
        "input_projection": Limit(
            1000, "neurons", ROCKPOOL_OVERVIEW, "input weights reach all 1000 hidden neurons"
        ),
        "output_projection": Limit(
            1000, "neurons", ROCKPOOL_OVERVIEW, "readout weights come from all 1000 hidden neurons"
        ),
        "fan_out": Limit(64, "synapses", ROCKPOOL_OVERVIEW, "max. fanout of a hidden neuron"),
        "recurrent_weights": Limit(
            32000,
            "weights",
            XA2_DEVKIT,
            "RFORAM..RWTRAM and RWTRAM..RWT2RAM address gaps of the memory table (0x7D00 "
            "entries per synaptic state); matches the documented average fanout 32+32 x 1000",
        ),
        "input_weights": Limit(
            16000, "weights", XA2_DEVKIT, "IWTRAM..IWT2RAM address gap (0x3E80) per synaptic state"
        ),
        "synaptic_states": Limit(
            2, "states", ROCKPOOL_OVERVIEW, "hidden neurons; readout neurons have one"
        ),
        "weight_bits": XYLO_WEIGHT_BITS,
        "state_bits": _xylo_state_bits(XA2_DEVKIT),
        "threshold_bits": Limit(16, "bits", XA2_MAPPER, "threshold_dtype int16"),
    },
    neuron_models=XYLO_NEURONS,
    reset_modes=XYLO_RESET,
    time_step=XYLO_DT,
    notes=(
        "hidden neurons emit up to 31 events per step, readout neurons one (" + ROCKPOOL_CORE + ")",
        "readout neurons may not be recurrent (output_neurons_cannot_be_recurrent in "
        + XA2_MAPPER
        + ")",
    ),
)

XYLO_AUDIO3 = Chip(
    name="xylo-audio3",
    title="SynSense Xylo Audio 3 (SYNS65302)",
    architecture="xylo",
    limits={
        "input_channels": Limit(16, "channels", ROCKPOOL_OVERVIEW),
        "hidden_neurons": Limit(
            992, "neurons", ROCKPOOL_OVERVIEW, "max_hidden_neurons=992 in " + XA3_MAPPER
        ),
        "output_neurons": Limit(
            32, "neurons", ROCKPOOL_OVERVIEW, "max_output_neurons=32 in " + XA3_MAPPER
        ),
        "input_projection": Limit(
            128, "neurons", ROCKPOOL_OVERVIEW, "input weights reach the first 128 hidden neurons"
        ),
        "output_projection": Limit(
            128, "neurons", ROCKPOOL_OVERVIEW, "readout weights come from up to 128 hidden neurons"
        ),
        "fan_out": Limit(1024, "synapses", ROCKPOOL_OVERVIEW, "max. fanout of a hidden neuron"),
        "recurrent_weights": Limit(
            31744,
            "weights",
            XA3_RAM,
            "HWTRAM..HWT2RAM address gap (0x7C00 entries per synaptic state); matches the "
            "documented average fanout 32+32 x 992",
        ),
        "input_weights": Limit(
            2048, "weights", XA3_RAM, "IWTRAM..IWT2RAM address gap (0x800 = 16 x 128)"
        ),
        "synaptic_states": Limit(
            2, "states", ROCKPOOL_OVERVIEW, "hidden neurons; readout neurons have one"
        ),
        "weight_bits": XYLO_WEIGHT_BITS,
        "state_bits": _xylo_state_bits(XA3_DEVKIT),
        "threshold_bits": Limit(16, "bits", XA3_MAPPER, "threshold_dtype int16"),
    },
    neuron_models=XYLO_NEURONS,
    reset_modes=XYLO_RESET,
    time_step=XYLO_DT,
)

XYLO_IMU = Chip(
    name="xylo-imu",
    title="SynSense Xylo IMU (SYNS63300)",
    architecture="xylo",
    limits={
        "input_channels": Limit(16, "channels", IMU_INTRO),
        "hidden_neurons": Limit(
            496, "neurons", IMU_INTRO, "max_hidden_neurons=496 in " + IMU_MAPPER
        ),
        "output_neurons": Limit(16, "neurons", IMU_INTRO, "max_output_neurons=16 in " + IMU_MAPPER),
        "input_projection": Limit(
            128, "neurons", IMU_INTRO, "input weights reach the first 128 hidden neurons"
        ),
        "output_projection": Limit(
            128, "neurons", IMU_INTRO, "readout weights come from up to 128 hidden neurons"
        ),
        "fan_out": Limit(512, "synapses", IMU_INTRO, "fanout recurrent weights per hidden neuron"),
        "recurrent_weights": Limit(31744, "weights", IMU_INTRO, "recurrent weights in total"),
        "synaptic_states": Limit(1, "states", IMU_INTRO, "one synaptic state per neuron"),
        "weight_bits": XYLO_WEIGHT_BITS,
        "state_bits": Limit(
            16,
            "bits",
            None,
            "no public figure for Xylo IMU itself; the Xylo family reads states as int16 ("
            + XA2_DEVKIT
            + ")",
        ),
        "threshold_bits": Limit(16, "bits", IMU_MAPPER, "threshold_dtype int16"),
    },
    neuron_models=XYLO_NEURONS,
    reset_modes=XYLO_RESET,
    time_step=XYLO_DT,
)

SPECK = Chip(
    name="speck",
    title="SynSense Speck / DynapCNN",
    architecture="dynapcnn",
    limits={
        "cores": Limit(9, "cores", SINABS_CHIP, "nine entries in each memory list"),
        "kernel_memory": Limit(
            None,
            "entries",
            SINABS_CHIP,
            "per core: 16K, 16K, 16K, 32K, 32K, 64K, 64K, 16K, 16K; a layer needs "
            "c_in * 2^(ceil(log2(kh*kw)) + ceil(log2(c_out))) (" + SINABS_LAYER + ")",
            per_core=(16384, 16384, 16384, 32768, 32768, 65536, 65536, 16384, 16384),
        ),
        "neuron_memory": Limit(
            None,
            "entries",
            SINABS_CHIP,
            "per core: 64K, 64K, 64K, 32K, 32K, 16K, 16K, 16K, 16K; a layer needs "
            "c_out * 2^(ceil(log2(h_out)) + ceil(log2(w_out))) (" + SINABS_LAYER + ")",
            per_core=(65536, 65536, 65536, 32768, 32768, 16384, 16384, 16384, 16384),
        ),
        "bias_memory": Limit(
            1024, "entries", SINABS_CHIP, "1024 on every core", per_core=(1024,) * 9
        ),
        "destinations": Limit(
            2, "layers", SINABS_EXCEPTIONS, "a layer sends its spikes to at most two layers"
        ),
        "weight_bits": Limit(8, "bits", SINABS_DISCRETIZE, "DYNAPCNN_WEIGHT_PRECISION_BITS"),
        "state_bits": Limit(16, "bits", SINABS_DISCRETIZE, "DYNAPCNN_STATE_PRECISION_BITS"),
    },
    neuron_models=Feature(
        ("snn.if",),
        "sinabs sinabs/backend/dynapcnn/dynapcnn_layer.py (spiking layer: IAFSqueeze)",
        "integrate-and-fire neurons after a convolution (linear layers become 1x1 outputs)",
    ),
    reset_modes=Feature(
        ("zero", "subtract"),
        "sinabs sinabs/backend/dynapcnn/chips/dynapcnn.py (return_to_zero from "
        "MembraneReset / MembraneSubtract)",
    ),
    time_step=Limit(None, "s", None, "event-driven: no time step; a NIR dt is ignored"),
)

LOIHI2 = Chip(
    name="loihi2",
    title="Intel Loihi 2 (one chip)",
    architecture="multicore",
    limits={
        "cores": Limit(
            128, "cores", LOIHI2_BRIEF, "128 neuro cores; also " + LOIHI2_OPEN_NEUROMORPHIC
        ),
        "neurons_per_core": Limit(
            8192,
            "neurons",
            LOIHI2_BRIEF,
            "derived: up to 1M neurons per chip / 128 cores; the real figure depends on the "
            "neuron program and its state (Lava's per-core constraint data is not public)",
        ),
        "synapses_per_core": Limit(
            937500,
            "synapses",
            LOIHI2_BRIEF,
            "derived: up to 120M synapses per chip / 128 cores; the real figure depends on "
            "weight precision and compression",
        ),
        "fan_in": Limit(None, "synapses", None, "no public per-neuron fan-in figure for Loihi 2"),
        "fan_out": Limit(None, "synapses", None, "no public per-neuron fan-out figure for Loihi 2"),
        "weight_bits": Limit(8, "bits", LAVA_DENSE),
        "state_bits": Limit(24, "bits", LAVA_LIF, "u and v are 24 bits"),
    },
    neuron_models=Feature(
        ("snn.lif", "snn.cuba_lif", "snn.if", "snn.li", "snn.cuba_li", "snn.integrator"),
        LOIHI2_BRIEF,
        "neuron models are microcode programs; Lava ships LIF (CUBA: current u, voltage v)",
    ),
    reset_modes=Feature(("zero",), LAVA_LIF, "Lava's LIF resets v to 0 after a spike"),
    time_step=Limit(None, "s", LAVA_LIF, "algorithmic time steps (LoihiProtocol); no fixed dt"),
)

SPINNAKER2 = Chip(
    name="spinnaker2",
    title="SpiNNaker2 (one chip, 152 processing elements)",
    architecture="multicore",
    limits={
        "cores": Limit(152, "cores", SPINNAKER2_PAPER, "152 ARM Cortex-M4F processing elements"),
        "memory_per_core": Limit(
            131072,
            "bytes",
            SPINNAKER2_PAPER,
            "128 kB local SRAM per processing element; the PE architecture: "
            "https://arxiv.org/abs/2103.08392 (Hoeppner et al., 2021)",
        ),
        "neurons_per_core": Limit(
            None,
            "neurons",
            None,
            "set by hand per population (max atoms per core); bounded here by memory",
        ),
        "bytes_per_synapse": Limit(
            4,
            "bytes",
            None,
            "assumed: one 32-bit synaptic word per synapse, the SpiNNaker row format; no "
            "public SpiNNaker2 figure",
        ),
        "bytes_per_neuron": Limit(
            64,
            "bytes",
            None,
            "assumed: neuron parameters and state of a LIF neuron; no public SpiNNaker2 figure",
        ),
        "fan_in": Limit(None, "synapses", None, "no public per-neuron figure; bounded by memory"),
        "weight_bits": Limit(
            None, "bits", None, "software-defined on ARM cores; no fixed public figure"
        ),
        "state_bits": Limit(
            None, "bits", None, "software-defined on ARM cores; no fixed public figure"
        ),
    },
    neuron_models=Feature(
        ("snn.lif", "snn.cuba_lif", "snn.if", "snn.li", "snn.cuba_li", "snn.integrator"),
        SPINNAKER2_PAPER,
        "neuron models are programs on the ARM cores",
    ),
    reset_modes=Feature(("value", "subtract", "zero"), SPINNAKER2_PAPER, "software-defined"),
    time_step=Limit(1e-3, "s", None, "real-time 1 ms steps are customary; configurable"),
)

CHIPS: dict[str, Chip] = {
    chip.name: chip for chip in (XYLO_AUDIO2, XYLO_AUDIO3, XYLO_IMU, SPECK, LOIHI2, SPINNAKER2)
}
"""Every described chip by its name (the `chip=` option of `snn-target`)."""
