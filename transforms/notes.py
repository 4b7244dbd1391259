"""How approximate passes say what they changed: a note on the graph itself.

Each approximate or profile-guided rewrite appends a dictionary to the graph's
`snn.approximations` attribute, so the printed IR, the NIR export's metadata and the report all
carry it, e.g. `snn.approximations = [{pass = "snn-prune", sparsity = 0.8 : f64}]`.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    f64,
    i64,
)
from xdsl.ir import Attribute

from snn_dialect.ops import GraphOp

NOTES_ATTR = "snn.approximations"


def _attr(value: float | int | str) -> Attribute:
    if isinstance(value, bool | int):
        return IntegerAttr(int(value), i64)
    if isinstance(value, float):
        return FloatAttr(value, f64)
    return StringAttr(str(value))


def record_approximation(graph: GraphOp, pass_name: str, **facts: float | int | str) -> None:
    """Append `{pass = pass_name, **facts}` to the graph's approximation notes."""
    entry = DictionaryAttr(
        {"pass": StringAttr(pass_name)} | {k: _attr(v) for k, v in facts.items()}
    )
    old = graph.attributes.get(NOTES_ATTR)
    previous = list(old.data) if isinstance(old, ArrayAttr) else []
    graph.attributes[NOTES_ATTR] = ArrayAttr([*previous, entry])


def approximation_notes(graph: GraphOp) -> list[dict[str, float | int | str]]:
    """The notes as plain Python values."""
    old = graph.attributes.get(NOTES_ATTR)
    if not isinstance(old, ArrayAttr):
        return []
    notes: list[dict[str, float | int | str]] = []
    for entry in old.data:
        assert isinstance(entry, DictionaryAttr)
        note: dict[str, float | int | str] = {}
        for key, value in entry.data.items():
            if isinstance(value, IntegerAttr):
                note[key] = int(value.value.data)
            elif isinstance(value, FloatAttr):
                note[key] = float(value.value.data)
            elif isinstance(value, StringAttr):
                note[key] = value.data
        notes.append(note)
    return notes
