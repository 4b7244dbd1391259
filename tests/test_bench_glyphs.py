"""The generated glyph task of the compression benchmark (`bench/glyphs.py`): reproducible
per seed, independent across seeds, balanced, and translated within the canvas."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent.parent / "bench"))

from glyphs import CLASSES, Glyphs


def test_a_seed_gives_the_same_samples_and_another_seed_others():
    glyphs = Glyphs()
    x, y = glyphs.images(50, (0, 1))
    again, labels = glyphs.images(50, (0, 1))
    other, _ = glyphs.images(50, (0, 2))
    assert np.array_equal(x, again) and np.array_equal(y, labels)
    assert not np.array_equal(x, other)
    assert x.shape == (50, glyphs.size, glyphs.size) and x.dtype == np.float32
    assert x.min() >= glyphs.background - 1e-6 and x.max() <= glyphs.peak + 1e-6
    assert np.array_equal(np.bincount(y, minlength=CLASSES), np.full(CLASSES, 5))


def test_templates_are_distinct_and_strokes_long():
    glyphs = Glyphs()
    t = glyphs.templates()
    assert t.shape == (CLASSES, 3, 2, 2)
    assert np.array_equal(t, Glyphs().templates())
    assert len({tuple(sorted(map(tuple, c.reshape(3, 4).tolist()))) for c in t}) == CLASSES
    assert np.linalg.norm(t[:, :, 0] - t[:, :, 1], axis=-1).min() >= (glyphs.box - 1) / 2


def test_without_noise_a_class_is_its_template_translated():
    glyphs = Glyphs(jitter=0.0, drop=0.0, clutter=0.0, shift=2)
    x, y = glyphs.images(200, (0, 3))
    ink = x > (glyphs.background + glyphs.peak) / 2
    first = np.flatnonzero(y == y[0])
    # same class: the same ink up to a translation by at most `shift` in each direction
    for i in first[1:]:
        assert any(
            np.array_equal(np.roll(ink[first[0]], (dy, dx), axis=(0, 1)), ink[i])
            for dy in range(-4, 5)
            for dx in range(-4, 5)
        )
    assert not np.array_equal(ink[first[0]], ink[np.flatnonzero(y != y[0])[0]])


def test_trained_weights_are_cached_under_what_training_reads(monkeypatch):
    import compression

    name = compression.cache_name("glyphs", "mlp", 4)
    sets = dict(compression.GLYPH_SETS)
    monkeypatch.setattr(compression, "GLYPH_SETS", {**sets, "confirmation": 123})
    assert compression.cache_name("glyphs", "mlp", 4) == name
    monkeypatch.setattr(compression, "GLYPH_SETS", {**sets, "train": 123})
    assert compression.cache_name("glyphs", "mlp", 4) != name
    monkeypatch.setattr(compression, "GLYPHS", Glyphs(jitter=0.0))
    monkeypatch.setattr(compression, "GLYPH_SETS", sets)
    assert compression.cache_name("glyphs", "mlp", 4) != name
