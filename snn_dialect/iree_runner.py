"""Run an `snn` module through IREE: lower it with `convert-snn-to-linalg`, print it as MLIR
text, compile it for the CPU and call its time-loop function.

IREE is an optional dependency (`pip install 'snn-dialect[iree]'`); `iree_available()` says
whether it can be imported. Nothing here is needed by the rest of the package.

```python
from snn_dialect.iree_runner import IreeModule
outputs = IreeModule(module, batch=4).run(inputs)   # inputs: [T, 4, *shape] per graph input
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

TARGET_BACKEND = "llvm-cpu"
TARGET_CPU = "generic"
"""The CPU IREE compiles for: `generic` runs anywhere (and is what the tests use); `host`
uses every feature of this machine (on the tests' graphs its spikes were identical too)."""


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
class IreeModule:
    """The graphs of an `snn` module compiled together by IREE for `batch` samples at a
    time.

    `run` calls a graph's time-loop function `@g` (the `scf.for`); `run_steps` drives the
    same time loop from Python through `@g_init` and `@g_step`, keeping the state on the
    device. Both give identical results. IREE (3.x) copies a tensor carried by an `scf.for`
    on every iteration, so `@g`'s `[T, B, ...]` outputs cost O(T^2) copying: prefer
    `run_steps` when the outputs are large and `T` is long.
    """

    module: ModuleOp | GraphOp
    batch: int = 1
    target_cpu: str = TARGET_CPU
    mlir: str = field(init=False)
    _functions: Any = field(init=False, repr=False)
    _signatures: dict[str, tuple[int, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        import iree.runtime as ireert

        graphs = (
            [self.module]
            if isinstance(self.module, GraphOp)
            else [op for op in self.module.ops if isinstance(op, GraphOp)]
        )
        if not graphs:
            raise ValueError("the module holds no snn.graph")
        self._signatures = {
            g.sym_name.data: (len(g.function_type.inputs), len(g.function_type.outputs))
            for g in graphs
        }
        self.mlir = lower_to_mlir(self.module, self.batch)
        binary = compile_mlir(self.mlir, self.target_cpu)
        context = ireert.SystemContext(config=ireert.Config("local-sync"))
        context.add_vm_module(ireert.VmModule.copy_buffer(context.instance, binary))
        self._functions = context.modules.module

    def run(
        self, inputs: np.ndarray | Sequence[np.ndarray], graph: str | None = None
    ) -> list[np.ndarray]:
        """Outputs `[T, batch, *shape]` of `graph` (by default the only one) for inputs
        `[T, batch, *shape]` (cast to float32), from the time-loop function `@graph`."""
        graph, arrays = self._check(inputs, graph)
        return [np.asarray(r.to_host()) for r in _results(self._functions[graph](*arrays))]

    def run_steps(
        self, inputs: np.ndarray | Sequence[np.ndarray], graph: str | None = None
    ) -> list[np.ndarray]:
        """Like `run`, but calls `@graph_init` once and `@graph_step` once per step."""
        graph, arrays = self._check(inputs, graph)
        if len(arrays[0]) == 0:
            return self.run(arrays, graph)
        n_outputs = self._signatures[graph][1]
        step = self._functions[f"{graph}_step"]
        state = _results(self._functions[f"{graph}_init"]())
        outputs: list[np.ndarray] = []
        for t in range(len(arrays[0])):
            results = _results(step(*(x[t] for x in arrays), *state))
            state = results[n_outputs:]
            for i, y in enumerate(results[:n_outputs]):
                value = np.asarray(y.to_host())
                if t == 0:
                    outputs.append(np.empty((len(arrays[0]), *value.shape), np.float32))
                outputs[i][t] = value
        return outputs

    def _check(
        self, inputs: np.ndarray | Sequence[np.ndarray], graph: str | None
    ) -> tuple[str, list[np.ndarray]]:
        if graph is None:
            if len(self._signatures) != 1:
                raise ValueError(f"name the graph to run: one of {sorted(self._signatures)}")
            (graph,) = self._signatures
        if graph not in self._signatures:
            raise ValueError(f"no graph @{graph}; the module has {sorted(self._signatures)}")
        arrays = [inputs] if isinstance(inputs, np.ndarray) else list(inputs)
        n_inputs = self._signatures[graph][0]
        if len(arrays) != n_inputs:
            raise ValueError(f"@{graph} takes {n_inputs} input arrays, got {len(arrays)}")
        arrays = [np.ascontiguousarray(x, dtype=np.float32) for x in arrays]
        steps = len(arrays[0])
        for x in arrays:
            if x.ndim >= 2 and len(x) == steps and x.shape[1] != self.batch:
                raise ValueError(
                    f"inputs hold {x.shape[1]} samples but the module was compiled for "
                    f"batch={self.batch} (IreeModule(..., batch={x.shape[1]}), or "
                    f"-p 'convert-snn-to-linalg{{batch={x.shape[1]}}}' before iree-compile)"
                )
            if x.ndim < 2 or x.shape[:2] != (steps, self.batch):
                raise ValueError(
                    f"inputs must be [T, {self.batch}, ...] with one T, got {list(x.shape)}"
                )
        return graph, arrays


def _results(value: Any) -> list[Any]:
    """A VM function's results as a list (it returns None, one value or a tuple)."""
    if value is None:
        return []
    return list(value) if isinstance(value, tuple | list) else [value]
