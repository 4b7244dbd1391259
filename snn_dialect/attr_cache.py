"""Values derived from dense attributes, remembered for as long as the attribute lives.

Attributes are immutable, so what is computed from one attribute's bytes (a row hash, a
count of nonzeros, the bounds a weight maps an input range to) stays valid while that
attribute object exists. A pass that runs again over ops that did not change finds its
results here instead of reading their weights again. Entries go when their attribute is
garbage-collected, so replaced weights are not kept alive.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr
from xdsl.ir import Operation

T = TypeVar("T")


class AttrMemo(Generic[T]):
    """A map from (attribute object, key) to a value, holding the attribute weakly."""

    def __init__(self) -> None:
        self._entries: dict[int, tuple[weakref.ref[object], dict[Hashable, T]]] = {}

    def get(self, attr: object, key: Hashable, compute: Callable[[], T]) -> T:
        """The value stored for `(attr, key)`, computed by `compute()` the first time."""
        entry = self._entries.get(id(attr))
        if entry is None or entry[0]() is not attr:
            ident = id(attr)

            def forget(_: object, ident: int = ident, memo: AttrMemo[T] = self) -> None:
                memo._entries.pop(ident, None)

            entry = (weakref.ref(attr, forget), {})
            self._entries[ident] = entry
        values = entry[1]
        if key not in values:
            values[key] = compute()
        return values[key]

    def holds(self, attr: object) -> bool:
        """Whether values are stored for `attr`."""
        entry = self._entries.get(id(attr))
        return entry is not None and entry[0]() is attr

    def __len__(self) -> int:
        return len(self._entries)


def attribute_of(op: Operation, array: np.ndarray) -> DenseIntOrFPElementsAttr | None:
    """The dense property of `op` whose bytes `array` views (as `to_array` makes it), or
    None when `array` is not such a view."""
    root: object = array
    while isinstance(root, np.ndarray) and root.base is not None:
        root = root.base
    for attr in op.properties.values():
        if isinstance(attr, DenseIntOrFPElementsAttr) and attr.data.data is root:
            return attr
    return None
