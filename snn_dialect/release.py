"""Weights of replaced ops freed when a pass drops them, not whenever Python's collector runs.

An op erased by a rewrite still references itself through its results, so it is freed only
by the cycle collector, which visits old objects rarely: the weights it holds stay in memory
while the next passes allocate theirs. `run_releasing` runs a pass and, when an op holding a
large dense attribute left the module, collects at once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from xdsl.dialects.builtin import DenseIntOrFPElementsAttr
from xdsl.ir import Operation

RELEASE_ABOVE = 1 << 20
"""Bytes of a dense attribute whose op, once gone from the module, is worth a collection."""


def large_attributes(root: Operation) -> set[int]:
    """ids of the dense attributes of more than `RELEASE_ABOVE` bytes held by ops in `root`."""
    found: set[int] = set()
    for op in root.walk():
        for attrs in (op.properties, op.attributes):
            for attr in attrs.values():
                if isinstance(attr, DenseIntOrFPElementsAttr) and (
                    len(attr.data.data) > RELEASE_ABOVE
                ):
                    found.add(id(attr))
    return found


def run_releasing(root: Operation, run: Callable[[], None]) -> None:
    """`run()`, then a garbage collection if a large attribute of `root` is no longer in it
    (an id can be reused only once its attribute is freed, so none is missed)."""
    before = large_attributes(root)
    run()
    if before - large_attributes(root):
        gc.collect()
