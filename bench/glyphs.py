"""A generated 2-D glyph task for the compression benchmark: as many independent samples as wanted.

Ten classes of glyphs, each a fixed set of `STROKES` line segments whose end points lie on a
lattice inside a `box` x `box` square (the class templates, drawn from `template_seed`). A
sample is its class's template with every end point moved by Gaussian `jitter` (pixels),
each stroke missing with probability `drop`, with probability `clutter` one extra stroke at
random, the whole glyph translated by up to `shift` pixels in each direction, drawn with a
Gaussian profile of `width` pixels on a `size` x `size` canvas. Its pixel intensities set
the firing probability per step of a rate code: `background` everywhere, up to `peak` on a
stroke. The same template generator serves a fully connected net (flattened input) and a
conv net (translations make 2-D structure matter).

Every image depends only on the generator's settings and the seed of its set, so sets made
with different seeds are independent samples of the same distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = 10
STROKES = 3
LATTICE = 4
"""End points of template strokes lie on a `LATTICE` x `LATTICE` grid spanning the box."""


@dataclass(frozen=True)
class Glyphs:
    """The generator's settings (see the module docstring)."""

    template_seed: int = 0
    size: int = 12
    box: int = 8
    shift: int = 1
    jitter: float = 0.5
    width: float = 0.55
    drop: float = 0.1
    clutter: float = 0.2
    background: float = 0.05
    peak: float = 0.9

    def templates(self) -> np.ndarray:
        """Stroke end points `[CLASSES, STROKES, 2 (end), 2 (y, x)]` in box coordinates; no
        stroke shorter than half the box, and no two classes with the same set of strokes."""
        rng = np.random.default_rng(self.template_seed)
        points = np.linspace(0.0, self.box - 1.0, LATTICE)
        seen: set[tuple[int, ...]] = set()
        out = np.zeros((CLASSES, STROKES, 2, 2))
        c = 0
        while c < CLASSES:
            ends = rng.integers(0, LATTICE, (STROKES, 2, 2))
            length = np.linalg.norm(points[ends[:, 0]] - points[ends[:, 1]], axis=-1)
            key = tuple(sorted(tuple(sorted(map(tuple, s.tolist()))) for s in ends))  # type: ignore[arg-type]
            if length.min() < (self.box - 1) / 2 or key in seen:
                continue
            seen.add(key)  # type: ignore[arg-type]
            out[c] = points[ends]
            c += 1
        return out

    def images(self, n: int, seed: int | tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """`n` samples from the generator with `seed`: firing probabilities `[n, size, size]`
        (float32 in [0, 1]) and labels `[n]` (as balanced as `n` allows, in random order)."""
        rng = np.random.default_rng(seed)
        labels = rng.permutation(np.arange(n) % CLASSES)
        strokes = self.templates()[labels]  # [n, S, 2, 2]
        strokes = strokes + rng.normal(0.0, self.jitter, strokes.shape)
        kept = rng.random((n, STROKES)) >= self.drop
        extra = rng.uniform(0.0, self.box - 1.0, (n, 1, 2, 2))
        strokes = np.concatenate([strokes, extra], axis=1)
        kept = np.concatenate([kept, rng.random((n, 1)) < self.clutter], axis=1)
        shifts = rng.integers(-self.shift, self.shift + 1, (n, 1, 1, 2))
        strokes = strokes + (self.size - self.box) / 2 + shifts
        grid = np.stack(np.meshgrid(np.arange(self.size), np.arange(self.size), indexing="ij"), -1)
        pixels = grid.reshape(1, 1, -1, 2).astype(np.float64)  # [1, 1, P, 2]
        a, b = strokes[:, :, None, 0], strokes[:, :, None, 1]  # [n, S+1, 1, 2]
        ab = b - a
        t = ((pixels - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9)
        nearest = a + np.clip(t, 0.0, 1.0)[..., None] * ab
        d2 = ((pixels - nearest) ** 2).sum(-1)  # [n, S+1, P]
        ink = (np.exp(-d2 / (2 * self.width**2)) * kept[:, :, None]).max(axis=1)
        rate = self.background + (self.peak - self.background) * ink
        return rate.reshape(n, self.size, self.size).astype(np.float32), labels.astype(np.int64)
