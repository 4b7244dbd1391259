"""Compiled loops of the reference simulator: ordered synapse sums and neuron updates.

The loops are compiled by numba on first use (and cached on disk). Each one computes exactly
what the simulator's module docstring defines, in the order it defines:

* `dense_ordered`: `y[n] = sum_j x[n, j] * W[:, j]`, the terms added one after the other in
  increasing `j`, starting from +0.0 (no fused multiply-add), then the bias.
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


def _dense_ordered(x: Any, wt: Any, bias: Any, out: Any, skip: bool) -> None:  # pragma: no cover
    n, k_in = x.shape
    m_out = wt.shape[1]
    active = np.empty(k_in, np.int64)
    for r in range(n):
        row = x[r]
        acc = out[r]
        acc[:] = 0.0
        m = k_in
        if skip:
            m = 0
            for j in range(k_in):  # branch-free: the indices of the terms to add, in order
                active[m] = j
                m += row[j] != 0.0
        else:
            for j in range(k_in):
                active[j] = j
        q = 0
        while q + 8 <= m:  # eight terms per pass over the row, still added one by one
            j0, j1, j2, j3 = active[q], active[q + 1], active[q + 2], active[q + 3]
            j4, j5, j6, j7 = active[q + 4], active[q + 5], active[q + 6], active[q + 7]
            w0, w1, w2, w3, w4, w5, w6, w7 = (
                wt[j0],
                wt[j1],
                wt[j2],
                wt[j3],
                wt[j4],
                wt[j5],
                wt[j6],
                wt[j7],
            )
            v0, v1, v2, v3 = row[j0], row[j1], row[j2], row[j3]
            v4, v5, v6, v7 = row[j4], row[j5], row[j6], row[j7]
            ones = v0 == 1.0 and v1 == 1.0 and v2 == 1.0 and v3 == 1.0
            if ones and v4 == 1.0 and v5 == 1.0 and v6 == 1.0 and v7 == 1.0:
                for o in range(m_out):
                    acc[o] = acc[o] + w0[o] + w1[o] + w2[o] + w3[o] + w4[o] + w5[o] + w6[o] + w7[o]
            else:
                for o in range(m_out):
                    acc[o] = (
                        acc[o]
                        + v0 * w0[o]
                        + v1 * w1[o]
                        + v2 * w2[o]
                        + v3 * w3[o]
                        + v4 * w4[o]
                        + v5 * w5[o]
                        + v6 * w6[o]
                        + v7 * w7[o]
                    )
            q += 8
        while q < m:
            j0 = active[q]
            w0, v0 = wt[j0], row[j0]
            for o in range(m_out):
                acc[o] = acc[o] + v0 * w0[o]
            q += 1
        for o in range(m_out):
            acc[o] = acc[o] + bias[o]


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
                counts[i] += spike


def _integrate_steps(
    x: Any, v: Any, c: Any, threshold: Any, reset: Any, y: Any, counts: Any, spiking: bool
) -> None:  # pragma: no cover
    steps, batch, size = x.shape
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
                counts[i] += spike


_SOURCES = {
    "dense_ordered": _dense_ordered,
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


def dense_ordered(x: np.ndarray, wt: np.ndarray, bias: np.ndarray | None, skip: bool) -> np.ndarray:
    """`x: [N, K]` times `wt: [K, M]` (the transposed weight) as ordered sums, plus `bias`
    (added last): `[N, M]`."""
    x = np.ascontiguousarray(x)
    out = np.empty((len(x), wt.shape[1]), wt.dtype)
    b = np.zeros(wt.shape[1], wt.dtype) if bias is None else np.ascontiguousarray(bias)
    compiled("dense_ordered")(x, wt, b, out, skip)
    return out


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
