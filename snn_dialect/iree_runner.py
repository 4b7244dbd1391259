"""Run an `snn` module through IREE: lower it with `convert-snn-to-linalg`, print it as MLIR
text, compile it for the CPU and call its time-loop function.

IREE is an optional dependency (`pip install 'snn-dialect[iree]'`); `iree_available()` says
whether it can be imported. Nothing here is needed by the rest of the package.

```python
from snn_dialect.iree_runner import IreeGraph
outputs = IreeGraph(module, batch=4).run(inputs)   # inputs: [T, 4, *shape] per graph input
```
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.printer import Printer

from snn_dialect.ops import GraphOp
from snn_dialect.simulator import find_graph

TARGET_BACKEND = "llvm-cpu"
TARGET_CPU = "generic"
"""The CPU IREE compiles for: `generic` runs anywhere; `host` uses every feature of this
machine (the results are the same: IREE does not contract `mulf`+`addf` into FMAs)."""


def iree_available() -> bool:
    """Whether both `iree.compiler` and `iree.runtime` can be imported."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("iree.compiler", "iree.runtime")
    )


def lower_to_mlir(module: ModuleOp | GraphOp, batch: int = 1) -> str:
    """The MLIR text of `module` lowered by `convert-snn-to-linalg` (`module` is unchanged)."""
    from transforms.convert_snn_to_linalg import ConvertSnnToLinalgPass

    if isinstance(module, GraphOp):
        module = ModuleOp([module.clone()])
    else:
        module = module.clone()
    ConvertSnnToLinalgPass(batch=batch).apply(Context(), module)
    module.verify()
    return print_mlir(module)


def print_mlir(op: Operation) -> str:
    """`op` in xDSL's custom syntax, which MLIR tools parse."""
    import io

    out = io.StringIO()
    Printer(stream=out).print_op(op)
    return out.getvalue() + "\n"


def compile_mlir(text: str, target_cpu: str = TARGET_CPU) -> bytes:
    """An IREE VM flatbuffer for the CPU from MLIR text (raises `CompilerToolError`)."""
    import iree.compiler as ireec

    return ireec.compile_str(
        text,
        target_backends=[TARGET_BACKEND],
        extra_args=[f"--iree-llvmcpu-target-cpu={target_cpu}"],
    )


@dataclass
class IreeGraph:
    """An `snn` module's single graph compiled by IREE for `batch` samples at a time."""

    module: ModuleOp | GraphOp
    batch: int = 1
    target_cpu: str = TARGET_CPU
    mlir: str = field(init=False)
    _function: Any = field(init=False, repr=False)
    _n_inputs: int = field(init=False)

    def __post_init__(self) -> None:
        import iree.runtime as ireert

        graph = find_graph(self.module)
        self._n_inputs = len(graph.block.args)
        self.mlir = lower_to_mlir(self.module, self.batch)
        binary = compile_mlir(self.mlir, self.target_cpu)
        context = ireert.SystemContext(config=ireert.Config("local-task"))
        context.add_vm_module(ireert.VmModule.copy_buffer(context.instance, binary))
        self._function = context.modules.module[graph.sym_name.data]

    def run(self, inputs: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
        """Outputs `[T, batch, *shape]` for inputs `[T, batch, *shape]` (float32)."""
        arrays = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        if len(arrays) != self._n_inputs:
            raise ValueError(f"expected {self._n_inputs} input arrays, got {len(arrays)}")
        arrays = [np.ascontiguousarray(x, dtype=np.float32) for x in arrays]
        for x in arrays:
            if x.ndim < 2 or x.shape[1] != self.batch:
                raise ValueError(f"inputs must be [T, {self.batch}, ...], got {list(x.shape)}")
        result = self._function(*arrays)
        results = result if isinstance(result, tuple | list) else [result]
        return [np.asarray(r.to_host()) for r in results]
