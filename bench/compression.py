"""Compression that keeps accuracy: pruning methods and the budgeted search on trained SNNs.

Trains two small spiking networks with snnTorch on each of two tasks (`--tasks`, both by
default): scikit-learn's bundled 8x8 digits (`load_digits`, 1797 images; nothing is
downloaded) and a generated task of 12x12 glyphs (`bench/glyphs.py`), exports them with
`snntorch.export_to_nir`, imports them, and measures with the reference simulator:

- the dense network's test accuracy, in snnTorch and in the simulator (the import is trusted
  only when they agree);
- test accuracy at 50/70/80/90 % sparsity for each pruning method, in global and layer scope;
- what `snn-opt compress` reaches at a 1-point budget (calibration and validation sets),
  and its accuracy on the test set, which neither the calibration nor the search saw.

Networks (LIF neurons, beta 0.9, threshold 1, reset to zero; rate-coded input, 25 steps;
Adam, `EPOCHS` epochs, the training images rate-coded afresh in each epoch):

- `mlp`: 64-256-128-10 (50,432 weights) on digits, 144-256-128-10 (70,912) on glyphs;
- `conv`: 1x8x8 -> conv 3x3 16 ch -> conv 3x3 32 ch stride 2 -> 512-128 -> 128-10 (71,568
  weights, 4,752 of them in the convolutions: shaped like LeNet, whose fully connected
  layers hold most weights); on glyphs 1x12x12 -> the same convolutions -> 1152-128 ->
  128-10 (153,488 weights).

Digits (seeded): the 1797 images are split FIRST into disjoint sets of originals, train 1000,
validation 397, test 400. Each held-out set is then enlarged with `DRAWS` = 5 independent
rate-code draws of its own images (1985 validation and 2000 test samples), which averages
out the noise of the spike coding (not that of which images were held out); calibration is
5 draws of the first 100 training images (500 samples). The validation originals are then
halved by image: the first 199 (995 samples) stay validation, on which the search selects;
the other 198 (990 samples) form the confirmation set, on which the chosen network must also
hold (`compress(..., confirmation=...)`). No set sees another's originals, and the test set is
seen by nothing but the final measurements (its images and draws are those of the split
above, unchanged by the halving).

Glyphs: ten classes of three-stroke glyphs with stroke jitter, missing strokes, a clutter
stroke, translations by up to one pixel and background firing (`GLYPHS`, chosen on the dense
networks' training and validation accuracy only). Every set is generated with its own seed,
so all samples are independent: train 12,000 images, calibration 1,000, validation 5,000,
confirmation 10,000, test 5,000 (one point of test accuracy is 50 independent samples; the
confirmation set is the largest because the budget is certified on it, at 95 % confidence
with a margin of about 0.3 points there).
Searched: the setting of the README's command (calibrated, float, 95 % confidence), and the
same with `bits=(8, 4)` as on digits.

    python bench/compression.py [--tasks digits,glyphs] [--nets mlp,conv] [--epochs N]
        [--out DIR] [--budgeted-only]

Needs torch, snntorch and scikit-learn (`pip install -e '.[bench]'`). Prints Markdown.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from glyphs import Glyphs

STEPS = 25
SEED = 0
SPLITS = {"train": 1000, "validation": 397, "test": 400}
"""Original images per split (disjoint), before variants are made."""
DRAWS = 5
"""Independent rate-code draws of each calibration, validation and test image."""
CALIBRATION = 100
"""Training images whose `DRAWS` draws form the calibration set."""
VALIDATION_KEPT = 199
"""Validation originals that stay validation; the rest of them form the confirmation set."""
SPARSITIES = (0.5, 0.7, 0.8, 0.9)
BUDGETED = {
    "digits": (
        ("magnitude", (), 0.95, False),
        ("calibrated", (), 0.5, False),
        ("calibrated", (), 0.95, False),
        ("calibrated", (), 0.95, True),
        ("calibrated", (8, 4), 0.95, False),
    ),
    "glyphs": (("calibrated", (), 0.95, False), ("calibrated", (8, 4), 0.95, False)),
}
"""Budgeted searches per task: (method, bits, confidence, whether the confidence margins
count the draws of one validation or confirmation image as one unit, `compress(...,
groups=..., confirmation_groups=...)`); on the generated task the setting of the README's
command, fixed before any of its test figures, and the digits' setting with `bits` (added
after the float rows' test figures were seen, not chosen on them)."""
EPOCHS = {"digits": {"mlp": 12, "conv": 12}, "glyphs": {"mlp": 4, "conv": 2}}
"""Training epochs per task and net (`--epochs` overrides)."""
GLYPHS = Glyphs()
"""The generated task's settings (`bench/glyphs.py`), chosen on the dense networks'
training and validation accuracy only."""
GLYPH_SETS = {
    "train": 12000,
    "calibration": 1000,
    "validation": 5000,
    "confirmation": 10000,
    "test": 5000,
}
"""Samples per set of the generated task, each set generated with its own seed."""


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass
class Split:
    """Rate-coded spikes `[T, B, *shape]` (float32 0/1) and labels `[B]`."""

    spikes: np.ndarray
    labels: np.ndarray
    groups: np.ndarray | None = None
    """The original image of each sample, where several samples are draws of one."""


def encode(images: np.ndarray, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Rate code over `STEPS` steps: a pixel of intensity p spikes with probability p at each
    step. `[B, 8, 8]` -> `[T, B, *shape]` float32."""
    spikes = rng.random((STEPS, *images.shape)) < images[None]
    return spikes.astype(np.float32).reshape(STEPS, len(images), *shape)


@dataclass
class Task:
    """A task's data: training images `[N, H, W]` (firing probabilities, rate-coded afresh in
    each epoch) and the rate-coded calibration, validation, confirmation and test sets."""

    train_images: np.ndarray
    train_labels: np.ndarray
    sets: dict[str, Split]

    def __getitem__(self, name: str) -> Split:
        return self.sets[name]


def digits_splits(image_shape: tuple[int, ...]) -> Task:
    """The digits, shuffled with `SEED` and cut into `SPLITS` of original images FIRST; then
    each of calibration (the first `CALIBRATION` training images), validation and test is
    enlarged to `DRAWS` independent rate-code draws of its own images (draw-major order). No
    set sees another's originals."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(digits.target))
    images = (digits.images[order] / 16.0).astype(np.float32)
    labels = digits.target[order].astype(np.int64)
    edges = np.cumsum([0, *SPLITS.values()])
    parts = {
        name: (images[a:b], labels[a:b])
        for name, a, b in zip(SPLITS, edges[:-1], edges[1:], strict=True)
    }
    train_images, train_labels = parts["train"]
    parts["calibration"] = (train_images[:CALIBRATION], train_labels[:CALIBRATION])
    sets = {}
    for name in ("calibration", "validation", "test"):
        x, y = parts[name]
        x, y = np.concatenate([x] * DRAWS), np.tile(y, DRAWS)
        sets[name] = Split(encode(x, image_shape, rng), y)
    # halve validation by original image (draw-major order: sample j shows image j % n)
    whole = sets["validation"]
    image = np.arange(len(whole.labels)) % SPLITS["validation"]
    for name, keep in (
        ("validation", image < VALIDATION_KEPT),
        ("confirmation", image >= VALIDATION_KEPT),
    ):
        sets[name] = Split(whole.spikes[:, keep], whole.labels[keep], image[keep])
    return Task(train_images, train_labels, sets)


def glyph_splits(image_shape: tuple[int, ...]) -> Task:
    """The generated glyph task (`bench/glyphs.py` with `GLYPHS`): every set of
    `GLYPH_SETS` generated with its own seed (independent samples, one rate-code draw
    each, itself seeded apart)."""
    sets = {}
    for k, (name, n) in enumerate(GLYPH_SETS.items()):
        images, labels = GLYPHS.images(n, (SEED, k))
        if name == "train":
            train = (images, labels)
            continue
        spikes = encode(images, image_shape, np.random.default_rng((SEED, k, 1)))
        sets[name] = Split(spikes, labels)
    return Task(*train, sets)


def input_shape(task: str, kind: str) -> tuple[int, ...]:
    side = 8 if task == "digits" else GLYPHS.size
    return (side * side,) if kind == "mlp" else (1, side, side)


# --------------------------------------------------------------------------------------------
# Training with snnTorch
# --------------------------------------------------------------------------------------------


def _leaky(*shape: int):
    import snntorch as snn
    import torch

    # Parameters shaped like the layer, so that the exported NIR node has its shape; reset to
    # zero in the step of the spike, which is what NIR's LIF (and the simulator) computes.
    return snn.Leaky(
        beta=torch.full(shape, 0.9),
        threshold=torch.ones(shape),
        init_hidden=True,
        reset_mechanism="zero",
        reset_delay=False,
    )


def build(kind: str, side: int = 8):
    """`mlp`: (side^2)-256-128-10; `conv`: 1 x side x side -> conv 3x3 16 ch -> conv 3x3 32 ch
    stride 2 -> (32 (side/2)^2)-128 -> 128-10."""
    import torch

    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(
            nn.Linear(side * side, 256),
            _leaky(256),
            nn.Linear(256, 128),
            _leaky(128),
            nn.Linear(128, 10),
            _leaky(10),
        )
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        _leaky(16, side, side),
        nn.Conv2d(16, 32, 3, stride=2, padding=1),
        _leaky(32, side // 2, side // 2),
        nn.Flatten(),
        nn.Linear(32 * (side // 2) ** 2, 128),
        _leaky(128),
        nn.Linear(128, 10),
        _leaky(10),
    )


def run_torch(net, spikes) -> object:
    """Output spikes `[T, B, 10]` of `net` on `spikes` (a torch tensor `[T, B, ...]`)."""
    import torch
    from snntorch import utils

    utils.reset(net)
    return torch.stack([net(x) for x in spikes])


def train(kind: str, shape: tuple[int, ...], data: Task, epochs: int, log: Callable[[str], None]):
    """Adam on the cross-entropy of output spike counts; the training images are rate-coded
    afresh in every epoch."""
    import torch

    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED + 1)
    net = build(kind, data.train_images.shape[-1])
    images, labels = data.train_images, data.train_labels
    y = torch.from_numpy(labels)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    for epoch in range(epochs):
        x = torch.from_numpy(encode(images, shape, rng))
        order = torch.from_numpy(rng.permutation(len(labels)))
        for i in range(0, len(labels), 50):
            batch = order[i : i + 50]
            counts = run_torch(net, x[:, batch]).sum(0)
            loss = loss_fn(counts, y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        log(f"{kind}: epoch {epoch + 1}/{epochs}, loss {loss.item():.3f}")
    log(f"{kind}: trained in {time.perf_counter() - start:.1f} s")
    return net


def torch_counts(net, split: Split) -> np.ndarray:
    import torch

    with torch.no_grad():
        return run_torch(net, torch.from_numpy(split.spikes)).sum(0).numpy()


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def accuracy_of(counts: np.ndarray, labels: np.ndarray) -> float:
    """Argmax of output spike counts `[B, 10]`; a silent sample is wrong (`snn_dialect.drift`)."""
    from snn_dialect.drift import winners

    return float((winners(counts, True) == labels).mean())


def sim_counts(module, split: Split) -> np.ndarray:
    from snn_dialect.simulator import simulate

    return simulate(module, split.spikes).outputs[0].sum(0)


def pruned(profiled, spec: str):
    from snn_dialect.api import run_passes

    module = profiled.clone()
    run_passes(module, spec)
    return module


PRUNE_SPECS = {
    "magnitude": "snn-prune{{method=magnitude sparsity={s} scope={scope}}}",
    "activity-aware": "snn-prune{{method=activity sparsity={s} scope={scope}}}",
    "calibrated": "snn-prune{{method=calibrated sparsity={s} scope={scope}}}",
}
"""Pruning methods: `snn-prune` options with `{s}` for the sparsity and `{scope}`."""


def cache_name(task: str, kind: str, epochs: int) -> str:
    """The file of trained weights; for the generated task it names a digest of what training
    reads (the generator's settings, the training set's size, the steps), so that changed
    settings never load stale weights."""
    if task == "digits":
        return f"digits_{kind}_e{epochs}.pt"
    trained_on = (GLYPHS, GLYPH_SETS["train"], STEPS)
    digest = hashlib.sha256(repr(trained_on).encode()).hexdigest()[:8]
    return f"{task}_{kind}_e{epochs}_{digest}.pt"


def trained_network(task: str, kind: str, data: Task, epochs: int, out: Path, log):
    """The trained torch network, from `out` when trained before with the same settings."""
    import torch

    cached = out / cache_name(task, kind, epochs)
    net = build(kind, data.train_images.shape[-1])
    if cached.exists():
        net.load_state_dict(torch.load(cached))
        log(f"{task} {kind}: loaded {cached}")
    else:
        net = train(kind, input_shape(task, kind), data, epochs, log)
        torch.save(net.state_dict(), cached)
    net.eval()
    return net


def bench_net(
    task: str, kind: str, epochs: int, out: Path, log, budgeted_only: bool = False
) -> list[str]:
    import nir
    import torch
    from snntorch.export_nir import export_to_nir

    from snn_dialect.compress import compress
    from snn_dialect.nir_io import import_nir
    from snn_dialect.profile import annotate_firing_rates
    from snn_dialect.stats import graph_stats

    shape = input_shape(task, kind)
    data = digits_splits(shape) if task == "digits" else glyph_splits(shape)
    prefix = "" if task == "digits" else f"{task}_"  # the digits' file names as before
    for name in ("calibration", "validation", "confirmation", "test"):
        split = data[name]
        groups = {} if split.groups is None else {"groups": split.groups}
        np.savez(
            out / f"{prefix}{kind}_{name}.npz", input=split.spikes, labels=split.labels, **groups
        )
    net = trained_network(task, kind, data, epochs, out, log)
    graph = export_to_nir(net, torch.from_numpy(data["test"].spikes[0, :1]), ignore_dims=[0])
    path = out / f"{task}_{kind}.nir"
    nir.write(path, graph)
    module = import_nir(path)
    test = data["test"]
    theirs, ours = torch_counts(net, test), sim_counts(module, test)
    dense = accuracy_of(ours, test.labels)
    same = float(np.all(theirs == ours, axis=1).mean())
    weights = graph_stats(module).synapses
    lines = [
        f"### {task} `{kind}`: {weights} weights; dense test accuracy {dense:.2%} "
        f"({len(test.labels)} samples) in the simulator, "
        f"{accuracy_of(theirs, test.labels):.2%} in snnTorch ({same:.1%} of test samples with "
        "identical output spike counts)",
    ]
    if not budgeted_only:
        lines += [
            "",
            "| method | scope | " + " | ".join(f"{s:.0%}" for s in SPARSITIES) + " |",
            "|---|---|" + "---|" * len(SPARSITIES),
        ]
    profiled = module.clone()
    annotate_firing_rates(profiled, data["calibration"].spikes)
    for method, spec in {} if budgeted_only else PRUNE_SPECS.items():
        for scope in ("global", "layer"):
            cells = []
            for s in SPARSITIES:
                try:
                    candidate = pruned(profiled, spec.format(s=s, scope=scope))
                except (ValueError, RuntimeError) as e:  # a method that refuses this case
                    cells.append(f"fails: {str(e).splitlines()[0][:60]}")
                    continue
                acc = accuracy_of(sim_counts(candidate, test), test.labels)
                cells.append(f"{acc:.2%} ({100 * (acc - dense):+.1f})")
            lines.append(f"| {method} | {scope} | " + " | ".join(cells) + " |")
            log(lines[-1])
    lines += [
        "",
        "| budgeted search (1 point) | confidence | weights dense -> kept | compression "
        "| sparsity per layer | validation | confirmation | test |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for method, bits, confidence, grouped in BUDGETED[task]:
        start = time.perf_counter()
        result, report = compress(
            module,
            data["calibration"].spikes,
            data["validation"].spikes,
            data["validation"].labels,
            max_drop=1.0,
            bits=bits,
            method=method,
            progress=True,
            confidence=confidence,
            confirmation=data["confirmation"].spikes,
            confirmation_labels=data["confirmation"].labels,
            groups=data["validation"].groups if grouped else None,
            confirmation_groups=data["confirmation"].groups if grouped else None,
        )
        acc = accuracy_of(sim_counts(result, test), test.labels)
        width = "float" if report.bits == 32 else f"{report.bits}-bit"
        layers = ", ".join(f"{s:.0%}" for s in report.layer_sparsity.values())
        lines.append(
            f"| {method}, {width} | {confidence:g}{', by image' if grouped else ''} | "
            f"{report.weights_before} -> "
            f"{report.weights_after} | {report.compression:.2f}x | {layers} | "
            f"{report.baseline:.2%} -> {report.achieved:.2%} | "
            f"{report.confirmation_baseline:.2%} -> {report.confirmation_achieved:.2%} | "
            f"{dense:.2%} -> {acc:.2%} ({100 * (acc - dense):+.2f}) |"
        )
        log(lines[-1] + f" ({time.perf_counter() - start:.0f} s)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", default="digits,glyphs", help="digits, glyphs or both")
    parser.add_argument("--nets", default="mlp,conv")
    parser.add_argument("--epochs", type=int, default=None, help=f"default: {EPOCHS}")
    parser.add_argument(
        "--budgeted-only", action="store_true", help="skip the table of pruning methods"
    )
    parser.add_argument("--out", default=None, help="keep the NIR, .npz and trained weights here")
    parser.add_argument(
        "--threads", type=int, default=2, help="torch threads (1 when two runs share 2 cores)"
    )
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="snn-compression-"))
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    tasks = args.tasks.split(",")
    if any(t not in EPOCHS for t in tasks):
        parser.error(f"--tasks: expected a list of {', '.join(EPOCHS)}, got {args.tasks!r}")
    for task in tasks:
        for kind in args.nets.split(","):
            epochs = args.epochs or EPOCHS[task][kind]
            lines += [*bench_net(task, kind, epochs, out, log, args.budgeted_only), ""]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
