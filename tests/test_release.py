"""Weights of ops a pass replaced are freed right after the pass, not left to the collector."""

from __future__ import annotations

import gc
import weakref

import numpy as np
from conftest import LIF, GraphBuilder, synapses
from xdsl.rewriter import Rewriter

from snn_dialect import release
from snn_dialect.ops import LIFOp, LinearOp


def network(rows: int = 600, columns: int = 500):
    """A linear -> LIF graph whose weight (1.2 MB) is a large attribute."""
    b = GraphBuilder([columns])
    weight = np.random.default_rng(0).normal(size=(rows, columns)).astype(np.float32)
    y = b.add(LinearOp(b.inputs[0], weight))
    return b.module(b.neuron(LIFOp, y, **LIF))


def replace_weight(module) -> None:
    (op,) = synapses(module)
    Rewriter.replace_op(op, LinearOp(op.operands[0], 2 * op.array("weight")))


def test_a_replaced_weight_is_freed_after_the_pass(monkeypatch):
    module = network()
    (op,) = synapses(module)
    old = weakref.ref(op.properties["weight"])
    del op
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1) or gc_collect(*a))
    was_enabled = gc.isenabled()
    gc.disable()  # no automatic collection: only the one the pass driver asks for
    try:
        release.run_releasing(module, lambda: replace_weight(module))
        assert old() is None and collections == [1]
        release.run_releasing(module, lambda: None)  # nothing replaced: no collection
        assert collections == [1]
    finally:
        if was_enabled:
            gc.enable()


def test_small_attributes_are_not_worth_a_collection(monkeypatch):
    module = network(rows=10, columns=10)
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *a: collections.append(1))
    release.run_releasing(module, lambda: replace_weight(module))
    assert collections == [] and release.large_attributes(module) == set()


gc_collect = gc.collect
