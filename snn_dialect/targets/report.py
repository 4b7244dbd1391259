"""The fit report: per-core use against each limit, violations with their fix, as text or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from snn_dialect.targets.model import LIMIT_NAMES, Chip


def _number(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:g}"
    return f"{int(value):,}".replace(",", "")


@dataclass
class Usage:
    """How much of limit `limit` a core (or the chip) uses; `where` names the op that sets a
    maximum (fan-in, fan-out, bits)."""

    limit: str
    used: int | float
    allowed: int | float | None
    unit: str = ""
    where: str = ""
    sourced: bool = True

    @property
    def over(self) -> bool:
        return self.allowed is not None and self.used > self.allowed

    def text(self) -> str:
        allowed = _number(self.allowed) if self.allowed is not None else "no limit"
        percent = (
            f" ({self.used / self.allowed:.0%})"
            if self.allowed not in (None, 0) and self.allowed is not None
            else ""
        )
        marks = ("  OVER" if self.over else "") + ("" if self.sourced else "  [no public source]")
        where = f"  at {self.where}" if self.where else ""
        return (
            f"{LIMIT_NAMES.get(self.limit, self.limit)}: {_number(self.used)} / {allowed}"
            f"{percent}{where}{marks}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "used": self.used,
            "allowed": self.allowed,
            "unit": self.unit,
            "where": self.where,
            "sourced": self.sourced,
            "over": self.over,
        }


@dataclass
class CoreUse:
    """One core (or, for Xylo, the whole SNN core): what it holds and how full it is."""

    core: str
    holds: list[str]
    usage: list[Usage] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"core": self.core, "holds": self.holds, "usage": [u.as_dict() for u in self.usage]}


@dataclass
class Violation:
    """A limit the network exceeds: at `op`, `used` against `allowed` of `limit`; `fix` is a
    pass (with options) of this project that can meet it, when one can."""

    op: str
    limit: str
    used: int | float | None
    allowed: int | float | None
    unit: str = ""
    what: str = ""
    """A sentence for violations that are not a number over a limit (unsupported ops)."""
    fix: str = ""

    def message(self) -> str:
        if self.what:
            body = self.what
        else:
            assert self.used is not None and self.allowed is not None
            unit = f" {self.unit}" if self.unit else ""
            body = (
                f"{LIMIT_NAMES.get(self.limit, self.limit)} {_number(self.used)} > "
                f"{_number(self.allowed)} (exceeded by {_number(self.used - self.allowed)}{unit})"
            )
        fix = f"; {self.fix}" if self.fix else ""
        return f"{self.op}: {body}{fix}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "limit": self.limit,
            "used": self.used,
            "allowed": self.allowed,
            "unit": self.unit,
            "message": self.message(),
            "fix": self.fix,
        }


@dataclass
class FitReport:
    """Whether graph `graph` fits `chip`: per-core use, violations, warnings (differences that
    do not stop deployment but change behaviour, limits used without a public source)."""

    chip: Chip
    graph: str
    cores: list[CoreUse] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        """One line: fits, or the first violation and how many more."""
        if self.fits:
            return f"@{self.graph} fits {self.chip.name}"
        more = len(self.violations) - 1
        tail = f" (and {more} more violation{'s' * (more > 1)})" if more else ""
        return f"@{self.graph} does not fit {self.chip.name}: {self.violations[0].message()}{tail}"

    def text(self) -> str:
        """The whole report, a few lines per core."""
        lines = [f"fit of @{self.graph} on {self.chip.title} ({self.chip.name}):"]
        for core in self.cores:
            holds = f": {', '.join(core.holds)}" if core.holds else ""
            lines.append(f"  {core.core}{holds}")
            lines.extend(f"    {u.text()}" for u in core.usage)
        if self.violations:
            lines.append(f"  violations ({len(self.violations)}):")
            lines.extend(f"    {v.message()}" for v in self.violations)
        lines.extend(f"  warning: {w}" for w in self.warnings)
        verdict = "FITS" if self.fits else "DOES NOT FIT"
        lines.append(f"  {verdict}: {self.summary()}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "chip": self.chip.name,
            "graph": self.graph,
            "fits": self.fits,
            "cores": [c.as_dict() for c in self.cores],
            "violations": [v.as_dict() for v in self.violations],
            "warnings": self.warnings,
            "limits": {
                name: {
                    "value": limit.value,
                    "per_core": list(limit.per_core),
                    "unit": limit.unit,
                    "source": limit.source,
                    "note": limit.note,
                }
                for name, limit in self.chip.limits.items()
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, default=_json_default)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
