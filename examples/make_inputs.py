"""Write `braille_spikes.npz`: random input spikes for `braille.nir` (12 input channels).

The array `input` is `[T, B, 12]` = 200 steps of 4 samples, each channel spiking with
probability 0.1 per step (seeded, so the file is reproducible):

    python examples/make_inputs.py            # writes examples/braille_spikes.npz
    snn-opt simulate examples/braille.nir --input examples/braille_spikes.npz -o out.npz
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

STEPS, SAMPLES, CHANNELS, RATE, SEED = 200, 4, 12, 0.1, 0


def make_spikes() -> np.ndarray:
    """`[STEPS, SAMPLES, CHANNELS]` float32 0/1 spikes."""
    rng = np.random.default_rng(SEED)
    return (rng.random((STEPS, SAMPLES, CHANNELS)) < RATE).astype(np.float32)


def main(argv: list[str]) -> int:
    target = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("braille_spikes.npz")
    np.savez_compressed(target, input=make_spikes())
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
