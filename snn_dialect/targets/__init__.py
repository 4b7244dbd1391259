"""Deployment targets: chip descriptions as data (each limit with its public source) and the
mapping of a network onto a chip's cores that the `snn-target` fit check reports."""

from __future__ import annotations

from snn_dialect.targets.chips import CHIPS
from snn_dialect.targets.model import LIMIT_NAMES, Chip, Feature, Limit

__all__ = ["CHIPS", "LIMIT_NAMES", "Chip", "Feature", "Limit", "get_chip"]


def get_chip(name: str) -> Chip:
    """The chip called `name`; `KeyError` with the known names otherwise."""
    try:
        return CHIPS[name]
    except KeyError:
        raise KeyError(f"unknown chip '{name}' (known: {', '.join(CHIPS)})") from None
