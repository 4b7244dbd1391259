"""snn-optimize: the default pipeline, repeated until nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from snn_dialect.release import run_releasing
from snn_dialect.stats import graph_stats
from transforms.dead_neuron import DeadNeuronPass
from transforms.fuse import FusePass
from transforms.redundancy import RedundancyPass


def fingerprint(module: ModuleOp) -> tuple[object, ...]:
    """Changes whenever a pass of the pipeline changed something."""
    return (graph_stats(module), sum(1 for _ in module.walk()))


@dataclass(frozen=True)
class OptimizePass(ModulePass):
    """Runs `snn-dead-neuron`, `snn-redundancy` and `snn-fuse` in turn until a round changes
    nothing (at most `max_rounds` rounds).

    Exact, except that dead-neuron elimination also trusts profiled firing rates when they
    are present (profile-guided; `use_profile=false` makes the whole pipeline exact).
    Contract: exact with `use_profile=false`; profile-guided otherwise.
    Options `spike_inputs`, `use_profile` and `allow_silent_layers` are passed to
    `snn-dead-neuron`; `max_rounds` (>= 1) bounds the rounds.
    """

    name = "snn-optimize"

    spike_inputs: bool = False
    use_profile: bool = True
    max_rounds: int = 10
    allow_silent_layers: bool = False

    def pipeline(self) -> tuple[ModulePass, ...]:
        return (
            DeadNeuronPass(
                spike_inputs=self.spike_inputs,
                use_profile=self.use_profile,
                allow_silent_layers=self.allow_silent_layers,
            ),
            RedundancyPass(),
            FusePass(),
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        # replaced weights are freed after each pass, not left to the cycle collector
        self.apply_with(op, lambda p: run_releasing(op, lambda: p.apply(ctx, op)))

    def apply_with(self, op: ModuleOp, run: Callable[[ModulePass], None]) -> None:
        """Iterate the pipeline on `op`, applying each pass through `run` (which may time
        or report it)."""
        if self.max_rounds < 1:
            raise PassFailedException(
                f"{self.name}: max_rounds must be at least 1, got {self.max_rounds}"
            )
        passes = self.pipeline()
        for _ in range(self.max_rounds):
            before = fingerprint(op)
            for p in passes:
                run(p)
            if fingerprint(op) == before:
                return
