"""Compiled loops of the reference simulator: ordered synapse sums and neuron updates.

The loops are compiled by numba on first use (and cached on disk). Each one computes exactly
what the simulator's module docstring defines, in the order it defines:

* `dense_ordered`: `y[n] = sum_j x[n, j] * W[:, j]`, the terms added one after the other in
  increasing `j`, starting from +0.0 (no fused multiply-add), then the bias. The outputs are
  computed a tile of columns at a time (`tile_dense_weight`) for all rows, so the tile's
  weights stay in cache; the order of the terms within each output is the same.
* `conv_ordered`: each output `y[n, o, *p]` adds `x * w` over (input channel, kernel taps)
  in lexicographic order, like the rows of an im2col matrix, starting from +0.0, then the
  bias; positions in the zero padding contribute nothing.
* `lif_steps`, `integrate_steps`: the LIF and IF/integrator updates of the simulator, one
  operation at a time, step after step, adding each neuron's spikes to its count.

With `skip=True` the sums leave out the terms whose input is zero. That changes no bit of the
result when the weights are finite: a product `0 * w` is +0.0 or -0.0, adding a signed zero
leaves a nonzero sum unchanged, and a sum that starts at +0.0 never becomes -0.0 (in round to
nearest, `a + b == -0.0` needs both `a` and `b` to be -0.0). An input of exactly 1 adds `w`
itself (`1 * w == w`). So the sparse (skipping) and dense (visiting) forms are bit-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

_compiled: dict[str, Any] = {}


def _njit() -> Any:
    import numba  # here: importing numba would add to every start-up

    return numba.njit(cache=True, nogil=True, error_model="numpy")


def _active_inputs(x: Any, skip: bool) -> tuple[Any, Any, Any, Any]:  # pragma: no cover
    """Per row `r` of `x`: the input indices its sum visits, `index[first[r]:last[r]]` in
    increasing order (all of them, or with `skip` those of the nonzero inputs), and whether
    each visited input is exactly 1."""
    n, k_in = x.shape
    first, last = np.empty(n, np.int64), np.empty(n, np.int64)
    ones = np.empty(n, np.bool_)
    if not skip:
        index = np.arange(k_in).astype(np.int32)
        for r in range(n):
            row, other = x[r], 0
            for j in range(k_in):
                other += row[j] != 1.0
            first[r], last[r], ones[r] = 0, k_in, other == 0
        return first, last, index, ones
    m = 0
    for r in range(n):  # first the counts, so `index` is no larger than the active inputs
        row, found, other = x[r], np.int32(0), np.int32(0)
        for j in range(k_in):
            found += row[j] != 0.0
            other += (row[j] != 0.0) & (row[j] != 1.0)
        first[r], last[r], ones[r] = m, m + found, other == 0
        m += found
    index = np.empty(m + 1, np.int32)  # + 1: the last row's last (skipped) write
    for r in range(n):
        row, found, into = x[r], np.int32(0), index[first[r] :]
        for j in range(k_in):  # branch-free: the indices of the terms to add, in order
            into[found] = j
            found += row[j] != 0.0
    return first, last, index, ones


def _dense_tiles(
    x: Any, tiles: Any, bias: Any, out: Any, first: Any, last: Any, index: Any, ones: Any
) -> None:  # pragma: no cover
    n, m_out = out.shape
    n_tiles, _, width = tiles.shape
    acc = np.empty(width, out.dtype)
    for t in range(n_tiles):  # a tile of columns stays in cache while every row uses it
        w, c0 = tiles[t], t * width
        used = min(width, m_out - c0)
        for r in range(n):
            acc[:] = 0.0
            q, end = first[r], last[r]
            if ones[r]:  # `1 * w` is `w`: the same terms without the products
                while q + 8 <= end:  # eight terms per pass over the tile, still added in order
                    w0, w1, w2, w3 = w[index[q]], w[index[q + 1]], w[index[q + 2]], w[index[q + 3]]
                    w4, w5 = w[index[q + 4]], w[index[q + 5]]
                    w6, w7 = w[index[q + 6]], w[index[q + 7]]
                    for o in range(width):
                        acc[o] = (
                            acc[o] + w0[o] + w1[o] + w2[o] + w3[o] + w4[o] + w5[o] + w6[o] + w7[o]
                        )
                    q += 8
                while q < end:
                    w0 = w[index[q]]
                    for o in range(width):
                        acc[o] = acc[o] + w0[o]
                    q += 1
            else:
                row = x[r]
                while q + 4 <= end:
                    j0, j1, j2, j3 = index[q], index[q + 1], index[q + 2], index[q + 3]
                    w0, w1, w2, w3 = w[j0], w[j1], w[j2], w[j3]
                    v0, v1, v2, v3 = row[j0], row[j1], row[j2], row[j3]
                    for o in range(width):
                        acc[o] = acc[o] + v0 * w0[o] + v1 * w1[o] + v2 * w2[o] + v3 * w3[o]
                    q += 4
                while q < end:
                    j0 = index[q]
                    w0, v0 = w[j0], row[j0]
                    for o in range(width):
                        acc[o] = acc[o] + v0 * w0[o]
                    q += 1
            target = out[r]
            for o in range(used):
                target[c0 + o] = acc[o] + bias[c0 + o]


def _conv_ordered(
    x: Any,
    wp: Any,
    bias: Any,
    out: Any,
    starts: Any,
    taps: Any,
    c_group: int,
    skip: bool,
) -> None:  # pragma: no cover
    n, c_in, height, width = x.shape
    _, kh, kw, o_group = wp.shape
    c_out, out_h, out_w = out.shape[1], out.shape[2], out.shape[3]
    positions, per_channel = out_h * out_w, kh * kw
    weights, inputs, outputs = wp.reshape(-1), x.reshape(-1), out.reshape(-1)
    acc = np.empty(positions * c_out, out.dtype)  # channels last
    for s in range(n):
        acc[:] = 0.0
        for c in range(c_in):
            base = (c // c_group) * o_group
            offset = (s * c_in + c) * height * width
            for p in range(height * width):
                value = inputs[offset + p]
                if skip and value == 0.0:
                    continue
                for e in range(starts[p], starts[p + 1]):
                    w = (c * per_channel + taps[e, 0]) * o_group
                    at = taps[e, 1] * c_out + base
                    # views indexed from 0: the loop vectorizes (`value * w` is `w` for 1)
                    target, tap = acc[at : at + o_group], weights[w : w + o_group]
                    for o in range(o_group):
                        target[o] = target[o] + value * tap[o]
        for o in range(c_out):  # channels first, plus the bias
            target, b = (s * c_out + o) * positions, bias[o]
            for q in range(positions):
                outputs[target + q] = acc[q * c_out + o] + b


def _lif_steps(
    x: Any,
    v: Any,
    a: Any,
    r: Any,
    v_leak: Any,
    threshold: Any,
    reset: Any,
    y: Any,
    counts: Any,
) -> None:  # pragma: no cover
    steps, batch, size = x.shape
    spikes = np.zeros(size, np.int32)  # counted in 32 bits: the loop vectorizes wider
    for t in range(steps):
        for b in range(batch):
            vb, xb, yb = v[b], x[t, b], y[t, b]
            for i in range(size):
                change = v_leak[i] - vb[i]
                change = change + r[i] * xb[i]
                change = change * a[i]
                now = vb[i] + change
                spike = now > threshold[i]
                vb[i] = reset[i] if spike else now
                yb[i] = 1.0 if spike else 0.0
                spikes[i] += spike
    counts += spikes


def _integrate_steps(
    x: Any, v: Any, c: Any, threshold: Any, reset: Any, y: Any, counts: Any, spiking: bool
) -> None:  # pragma: no cover
    steps, batch, size = x.shape
    spikes = np.zeros(size, np.int32)  # counted in 32 bits: the loop vectorizes wider
    for t in range(steps):
        for b in range(batch):
            vb, xb, yb = v[b], x[t, b], y[t, b]
            if not spiking:
                for i in range(size):
                    vb[i] = vb[i] + c[i] * xb[i]
                    yb[i] = vb[i]
                continue
            for i in range(size):
                now = vb[i] + c[i] * xb[i]
                spike = now > threshold[i]
                vb[i] = reset[i] if spike else now
                yb[i] = 1.0 if spike else 0.0
                spikes[i] += spike
    counts += spikes


_SOURCES = {
    "active_inputs": _active_inputs,
    "dense_tiles": _dense_tiles,
    "conv_ordered": _conv_ordered,
    "lif_steps": _lif_steps,
    "integrate_steps": _integrate_steps,
}


def compiled(name: str) -> Any:
    """The compiled form of the loop `name` (compiled once per process, cached on disk)."""
    fn = _compiled.get(name)
    if fn is None:
        fn = _njit()(_SOURCES[name])
        _compiled[name] = fn
    return fn


def dense_ordered(
    x: np.ndarray, tiles: np.ndarray, bias: np.ndarray | None, skip: bool, outputs: int
) -> np.ndarray:
    """`x: [N, K]` times the weight in `tiles` (`tile_dense_weight`) as ordered sums, plus
    `bias` (added last): `[N, outputs]`."""
    x = np.ascontiguousarray(x)
    out = np.empty((len(x), outputs), tiles.dtype)
    b = np.zeros(outputs, tiles.dtype) if bias is None else np.ascontiguousarray(bias)
    active = compiled("active_inputs")(x, skip)
    compiled("dense_tiles")(x, tiles, b, out, *active)
    return out


TILE_BYTES = 1024
"""Bytes of one row of a weight tile: `K` such rows (0.8-1 MB for 784-1024 inputs) stay in
a core's L2 cache while every sample of a block adds its active rows."""


def tile_dense_weight(weight: np.ndarray) -> np.ndarray:
    """`W: [M, K]` as tiles of columns of its transpose, `[ceil(M / C), K, C]`, zero-padded
    to a whole tile: tile `t` holds `W[t*C : (t+1)*C, :].T`."""
    m_out, k_in = weight.shape
    width = min(TILE_BYTES // weight.itemsize, -(-m_out // 8) * 8) if m_out else 8
    n_tiles = -(-m_out // width)
    padded = np.zeros((n_tiles * width, k_in), weight.dtype)
    padded[:m_out] = weight
    return np.ascontiguousarray(padded.reshape(n_tiles, width, k_in).transpose(0, 2, 1))


def _axis_taps(
    size: int, kernel: int, stride: int, padding: int, dilation: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Along one axis: the (input index, tap, output index) triples where the tap reads the
    input, sorted by input index, and the number of outputs."""
    out = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    i, k = np.meshgrid(np.arange(size), np.arange(kernel), indexing="ij")  # [size, kernel]
    shifted = i + padding - k * dilation
    o = shifted // stride
    valid = (shifted >= 0) & (shifted % stride == 0) & (o < out)
    return i[valid], k[valid], o[valid], out


def _taps(
    shape: Sequence[int],
    kernel: Sequence[int],
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """For a 2-d input of `shape`: per flat input position `p`, rows `starts[p]:starts[p + 1]`
    of `taps` hold (flat kernel tap, flat output position) of every tap that reads `p`; and
    the output's shape."""
    (iy, ky, oy, out_h), (ix, kx, ox, out_w) = (
        _axis_taps(*axis) for axis in zip(shape, kernel, stride, padding, dilation, strict=True)
    )
    position = (iy[:, None] * shape[1] + ix[None, :]).reshape(-1)
    tap = (ky[:, None] * kernel[1] + kx[None, :]).reshape(-1)
    target = (oy[:, None] * out_w + ox[None, :]).reshape(-1)
    order = np.argsort(position, kind="stable")
    starts = np.zeros(shape[0] * shape[1] + 1, np.int64)
    np.cumsum(np.bincount(position, minlength=shape[0] * shape[1]), out=starts[1:])
    return starts, np.stack([tap[order], target[order]], axis=1), (out_h, out_w)


def conv_ordered(
    x: np.ndarray,
    packed: np.ndarray,
    bias: np.ndarray | None,
    stride: Sequence[int],
    padding: Sequence[int],
    dilation: Sequence[int],
    c_group: int,
    skip: bool,
) -> np.ndarray:
    """2-d cross-correlation of `x: [N, C_in, H, W]` with `packed: [C_in, kh, kw, C_out /
    groups]` (`pack_conv_weight`) as ordered sums, plus `bias`: `[N, C_out, H_out, W_out]`."""
    x = np.ascontiguousarray(x)
    c_out = packed.shape[3] * (x.shape[1] // c_group)
    starts, taps, spatial = _taps(x.shape[2:], packed.shape[1:3], stride, padding, dilation)
    out = np.empty((len(x), c_out, *spatial), packed.dtype)
    b = np.zeros(c_out, packed.dtype) if bias is None else np.ascontiguousarray(bias)
    compiled("conv_ordered")(x, packed, b, out, starts, taps, c_group, skip)
    return out


def pack_conv_weight(weight: np.ndarray, groups: int) -> np.ndarray:
    """`W: [C_out, C_in / groups, kh, kw]` as `[C_in, kh, kw, C_out / groups]`: the taps of
    input channel `c` onto the output channels of its group."""
    c_out, c_group = weight.shape[:2]
    o_group = c_out // groups
    blocks = weight.reshape(groups, o_group, c_group, *weight.shape[2:])
    return np.ascontiguousarray(blocks.transpose(0, 2, 3, 4, 1)).reshape(
        groups * c_group, *weight.shape[2:], o_group
    )
