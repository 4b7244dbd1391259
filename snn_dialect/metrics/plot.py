"""Per-layer bar charts of the cost metrics before and after optimization (matplotlib)."""

from __future__ import annotations

from pathlib import Path

from snn_dialect.metrics import ModuleMetrics

PANELS = (
    ("neurons", "neurons", lambda layer: layer.static.neurons),
    ("nonzero weights", "weights", lambda layer: layer.static.nonzero_weights),
    ("synaptic ops / sample", "weights", lambda layer: layer.workload.synaptic_ops),
)
"""Title, which layers it shows (neuron or synapse ops), and the figure per layer."""


class PlotUnavailable(ImportError):
    """matplotlib is not installed."""


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise PlotUnavailable("--plot needs matplotlib: pip install 'snn-dialect[plot]'") from e
    return plt


def check_available() -> None:
    """Raise `PlotUnavailable` unless matplotlib imports."""
    _pyplot()


FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
"""The image formats `--plot` writes, by the file's extension."""


def plot_format(path: str | Path) -> str | None:
    """The image format for `path` by its extension (see `FORMATS`), or None."""
    return FORMATS.get(Path(path).suffix.lower())


def plot_layers(
    path: str | Path,
    before: ModuleMetrics,
    after: ModuleMetrics | None = None,
    title: str = "",
    image_format: str = "png",
) -> None:
    """Write an image (`image_format`: png, pdf or svg): one panel per figure of `PANELS`, a
    bar per layer, before and after side by side. Layers are matched by name; a layer gone
    after the passes has no `after` bar."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 4.2), squeeze=False)
    after_by_name = {layer.name: layer for layer in after.layers} if after is not None else {}
    for ax, (label, kind, value) in zip(axes[0], PANELS, strict=True):
        layers = [
            layer
            for layer in before.layers
            if (layer.static.neurons if kind == "neurons" else layer.static.synapse)
        ]
        names = [layer.name for layer in layers]
        xs = range(len(layers))
        width = 0.4 if after is not None else 0.8
        old_values = [value(layer) for layer in layers]
        new_values = [value(after_by_name[n]) if n in after_by_name else 0 for n in names]
        old = [v or 0 for v in old_values]
        new = [v or 0 for v in new_values]
        ax.bar([x - width / 2 if after is not None else x for x in xs], old, width, label="before")
        if after is not None:
            ax.bar([x + width / 2 for x in xs], new, width, label="after")
        for x, v in zip(xs, old_values, strict=True):
            if v is None:  # unknown (not zero): say so where the bar would be
                ax.text(x, 0, "unknown", rotation=90, ha="center", va="bottom", fontsize=8)
        ax.set_title(label)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
        ax.set_yscale("symlog" if max(old + new, default=0) > 1000 else "linear")
        if after is not None:
            ax.legend(fontsize=8)
        if label.startswith("synaptic") and before.source is None:
            ax.text(0.5, 0.5, "no profile or input data", ha="center", transform=ax.transAxes)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, format=image_format, dpi=100)
    plt.close(fig)
