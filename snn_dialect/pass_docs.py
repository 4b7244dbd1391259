"""`snn-opt passes`: every pass of the project with its options, defaults and contract, read
from the pass classes themselves (their dataclass fields and docstrings)."""

from __future__ import annotations

import dataclasses
import inspect
import textwrap

from xdsl.passes import ModulePass


def pass_classes() -> dict[str, type[ModulePass]]:
    """The project's passes by name, as registered with xdsl-opt."""
    from snn_dialect.universe import SNN_UNIVERSE

    return {name: load() for name, load in SNN_UNIVERSE.all_passes.items()}


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def options(cls: type[ModulePass]) -> list[str]:
    """`name: type = default` for each option of `cls`."""
    lines = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        kind = field.type if isinstance(field.type, str) else getattr(field.type, "__name__", "")
        if field.default is not dataclasses.MISSING:
            default = _value(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            default = _value(field.default_factory())
        else:
            default = "(required)"
        lines.append(f"{field.name}: {kind} = {default}")
    return lines


def describe(name: str, cls: type[ModulePass]) -> str:
    """The help text of one pass: its name, options with defaults, and its docstring."""
    doc = inspect.cleandoc(cls.__doc__ or "(no description)")
    opts = options(cls)
    lines = [name, *(f"  option  {o}" for o in opts or ["(none)"]), ""]
    lines += [textwrap.indent(doc, "  "), ""]
    return "\n".join(lines)


def passes_text(only: str | None = None) -> str:
    """The text `snn-opt passes [NAME]` prints."""
    classes = pass_classes()
    if only is not None:
        return describe(only, classes[only])
    head = (
        "Passes of the snn dialect, for `snn-opt FILE -p ...`, `snn-opt optimize -p ...` and "
        "`xdsl-opt -p ...`.\nOptions go in braces, separated by spaces: "
        "-p 'snn-prune{sparsity=0.8 scope=global}'; floats need a '.' (1.0, 1.0e-3).\n"
    )
    return head + "\n" + "\n".join(describe(n, c) for n, c in classes.items())
