"""Layer-wise reconstruction on calibration moments: OBS saliency, SparseGPT pruning, GPTQ
rounding and exact least-squares refits of weight rows.

A layer is a matrix `W` of rows `[w, b]` (weights of one output index and its bias as the
weight of a constant input, which is the last column) and the moment `H = E[x x^T]` of its
extended fan-in vector `x = [inputs; 1]` (see `snn_dialect.calibration`). The error of a new
matrix `W'` is the mean squared synaptic current change on the calibration data,
`tr((W - W') H (W - W')^T)`. Everything works on all rows at once (column blocks of
SparseGPT / GPTQ), in float32 BLAS after a float64 factorisation of the damped `H`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import blas, lapack

BLOCK = 128
"""Columns processed together by SparseGPT and GPTQ."""

EXACT_REFIT_FLOPS = 4e9
"""Largest `rows * F^3` for which pruned rows get an exact least-squares refit."""


LARGE = 1024
"""Moments larger than this are factorised in float32 (the damping keeps them well
conditioned); smaller ones in float64."""


def damping_amount(moment: np.ndarray, damping: float) -> float:
    """`damping` times the mean diagonal of the moment's input part (1 when that is 0)."""
    diagonal = np.diagonal(moment)[:-1]
    scale = float(diagonal.mean(dtype=np.float64)) if diagonal.size else 0.0
    return damping * (scale if scale > 0 else 1.0)


def damped(moment: np.ndarray, damping: float) -> np.ndarray:
    """`moment` (float64) plus `damping_amount` on the diagonal (an input that never varied
    gets that much curvature, not zero)."""
    h = np.array(moment, dtype=np.float64)
    h[np.diag_indices_from(h)] += damping_amount(moment, damping)
    return h


def inverse_cholesky(h: np.ndarray) -> np.ndarray:
    """Upper triangular `U` with `U^T U = h^-1` for a positive definite `h`."""
    return Factor.of(h, 0.0).u


@dataclass
class Factor:
    """A moment `H` damped by `lam` on its diagonal and factorised.

    With `J` the reversal permutation, `J (H + lam I) J = M M^T` (lower `M`, Cholesky) gives
    `(H + lam I)^-1 = U^T U` with `U = J M^-1 J` upper triangular: one factorisation and one
    triangular inverse, no full inverse. Float32 above `LARGE` rows, else float64."""

    moment: np.ndarray
    lam: float
    u: np.ndarray
    m: np.ndarray

    @classmethod
    def of(cls, moment: np.ndarray, damping: float) -> Factor:
        lam = damping_amount(moment, damping) if damping > 0 else 0.0
        dtype = np.float32 if len(moment) > LARGE else np.float64
        flipped = np.array(moment[::-1, ::-1], dtype=dtype)
        flipped[np.diag_indices_from(flipped)] += lam
        potrf, trtri = (
            (lapack.spotrf, lapack.strtri)
            if dtype == np.float32
            else (lapack.dpotrf, lapack.dtrtri)
        )
        # LAPACK reads and writes one triangle; the other keeps stale entries
        lower, info = potrf(flipped, lower=1, overwrite_a=1)
        if info != 0:
            raise np.linalg.LinAlgError("moment is not positive definite after damping")
        inverse, info = trtri(lower, lower=1, overwrite_c=0)
        if info != 0:
            raise np.linalg.LinAlgError("singular Cholesky factor")
        inverse *= np.tri(len(inverse), dtype=bool)
        u = np.ascontiguousarray(inverse[::-1, ::-1])
        return cls(moment, lam, u, lower)

    def damped(self) -> np.ndarray:
        """`H + lam I` in float64."""
        h = np.array(self.moment, dtype=np.float64)
        h[np.diag_indices_from(h)] += self.lam
        return h

    def energy(self, rows: np.ndarray) -> float:
        """`tr(W H W^T)` (undamped): `||W J M||^2 - lam ||W||^2`, with a triangular product."""
        w = np.asfortranarray(rows[:, ::-1], dtype=self.m.dtype)
        trmm = blas.strmm if self.m.dtype == np.float32 else blas.dtrmm
        product = trmm(1.0, self.m, w, side=1, lower=1)
        squares = float(np.einsum("ij,ij->", product, product, dtype=np.float64))
        return max(squares - self.lam * float(np.square(rows, dtype=np.float64).sum()), 0.0)


def current_error(delta: np.ndarray, moment: np.ndarray) -> float:
    """`tr(delta H delta^T)`: mean squared current change (summed over rows); never below 0,
    which rounding of a float32 moment that is only just positive semidefinite can give."""
    d = delta.astype(np.float64)
    return max(float(np.einsum("ij,ij->", d @ np.asarray(moment, np.float64), d)), 0.0)


def obs_saliency(rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """`w_ij^2 / [H^-1]_jj` for every weight (the current error of removing it alone with the
    other weights of its row refit), float64 `[rows, F]` without the bias column."""
    inverse_diagonal = np.einsum("ij,ij->j", u, u)[:-1]
    return rows[:, :-1].astype(np.float64) ** 2 / inverse_diagonal


Selector = Callable[[np.ndarray, np.ndarray, int], np.ndarray]
"""(block weights `[rows, b]`, curvature `diag(U)` of the block `[b]`, first column) -> mask
of the weights of the block to remove."""


def sparsegpt(
    rows: np.ndarray, u: np.ndarray, select: Selector, block: int = BLOCK
) -> tuple[np.ndarray, float]:
    """SparseGPT: walk the columns in blocks; in each block pick the weights to remove with
    `select` (on the weights as updated so far), zero them one column at a time, and push each
    removal's optimal compensation into the columns not yet visited (the bias column is last
    and never removed). Returns the new rows (float32) and the current error on the damped
    moment that `u` factorises, `sum (w / U_jj)^2` over the removals (each OBS step is
    exact, so this is `tr(dW (H + lam I) dW^T)`)."""
    w = np.array(rows, dtype=np.float32)
    u32 = u.astype(np.float32, copy=False)
    loss = 0.0
    n_columns = w.shape[1]
    prunable = n_columns - 1
    for start in range(0, n_columns, block):
        end = min(start + block, n_columns)
        w1 = w[:, start:end].copy()
        u1 = u32[start:end, start:end]
        diagonal = np.diagonal(u1).copy()
        width = min(end, prunable) - start
        mask = np.zeros(w1.shape, dtype=bool)
        if width > 0:
            mask[:, :width] = select(w1[:, :width], diagonal[:width], start)
        errors = np.zeros_like(w1)
        for i in range(width):
            column = mask[:, i]
            if not column.any():
                continue
            err = np.where(column, w1[:, i], np.float32(0)) / diagonal[i]
            w1[:, i:] -= np.outer(err, u1[i, i:])
            w1[column, i] = 0.0
            errors[:, i] = err
        loss += float(np.square(errors, dtype=np.float64).sum())
        w[:, start:end] = w1
        if end < n_columns and width > 0:
            w[:, end:] -= errors @ u32[start:end, end:]
    return w, loss


def gptq(
    rows: np.ndarray, u: np.ndarray, quantize: Callable[[np.ndarray, int], np.ndarray]
) -> tuple[np.ndarray, float]:
    """GPTQ: round the columns in order with `quantize(column values, column index)` (which
    must return values that float32 holds exactly), pushing each column's rounding error into
    the columns not yet rounded; the bias column is last and is rounded too. Returns the new
    rows (float32, every column as `quantize` returned it) and the error on the damped moment
    that `u` factorises (`sum (dw / U_jj)^2`, as in `sparsegpt`)."""
    w = np.array(rows, dtype=np.float32)
    u32 = u.astype(np.float32, copy=False)
    n_columns = w.shape[1]
    loss = 0.0
    for start in range(0, n_columns, BLOCK):
        end = min(start + BLOCK, n_columns)
        w1 = w[:, start:end].copy()
        u1 = u32[start:end, start:end]
        errors = np.zeros_like(w1)
        for i in range(end - start):
            q = quantize(w1[:, i], start + i)
            err = (w1[:, i] - q) / u1[i, i]
            w1[:, i:] -= np.outer(err, u1[i, i:])
            w1[:, i] = q
            errors[:, i] = err
        loss += float(np.square(errors, dtype=np.float64).sum())
        w[:, start:end] = w1
        if end < n_columns:
            w[:, end:] -= errors @ u32[start:end, end:]
    return w, loss


def refit(rows: np.ndarray, h: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Per row, the weights with `removed` (`[rows, F]`, no bias column) forced to zero and the
    others (bias included) chosen to minimise the row's current error on `h` exactly: the
    least-squares solution `w_K = h_KK^-1 h_K: w` on the kept set `K` of the row. Float64."""
    w = rows.astype(np.float64)
    n, size = w.shape
    keep = np.ones((n, size), dtype=bool)
    keep[:, :-1] = ~removed
    target = (w @ h) * keep  # h_K: w (h symmetric)
    out = np.zeros_like(w)
    piece = max(1, int(2**27 // max(size * size * 8, 1)))
    for s in range(0, n, piece):
        k = keep[s : s + piece]
        # the kept block of h, identity on the removed entries
        system = h[None] * (k[:, :, None] & k[:, None, :])
        diag = np.arange(size)
        system[:, diag, diag] += ~k
        out[s : s + piece] = np.linalg.solve(system, target[s : s + piece, :, None])[:, :, 0]
    out[:, :-1][removed] = 0.0
    return out


def refit_shared(rows: np.ndarray, h: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """`refit` when every row loses the same columns (`removed`: `[F]`): one solve with all
    rows as right-hand sides. Float64."""
    w = rows.astype(np.float64)
    keep = np.append(~removed, True)
    kept = np.flatnonzero(keep)
    out = np.zeros_like(w)
    if kept.size:
        system = h[np.ix_(kept, kept)]
        out[:, kept] = np.linalg.solve(system, (w @ h[:, kept]).T).T
    return out


def current_variance(rows: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """Per row (bias column last), the variance of its current `w . x + b` on `moment`
    (`E[[x; 1][x; 1]^T]`), float64 `[rows]`."""
    h = np.asarray(moment)
    dtype = np.float32 if len(h) > LARGE else np.float64
    mean = h[-1, :-1].astype(np.float64)
    covariance = (h[:-1, :-1] - np.outer(mean, mean)).astype(dtype)
    w = rows[:, :-1].astype(dtype)
    return np.einsum("ij,ij->i", w @ covariance, w, dtype=np.float64)


def scaled_to_variance(rows: np.ndarray, moment: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`rows` (bias column last) with each row's weights scaled about its mean current on
    `moment` so that the current's variance there is `target` (per row); the bias takes the
    change of mean current, so the mean stays. Rows whose variance or target is zero stay as
    they are; zeros stay zero. Float64."""
    variance = current_variance(rows, moment)
    scale = np.ones(len(rows))
    both = (variance > 0) & (target > 0)
    scale[both] = np.sqrt(target[both] / variance[both])
    out = rows.astype(np.float64)
    mean = np.asarray(moment)[-1, :-1].astype(np.float64)
    out[:, -1] += (out[:, :-1] @ mean) * (1.0 - scale)
    out[:, :-1] *= scale[:, None]
    return out


def keep_variance(old: np.ndarray, new: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """`new` rows scaled (`scaled_to_variance`) to the current variance of the same rows of
    `old` on `moment`. A least-squares refit onto fewer inputs keeps only the part of the
    current the kept inputs can carry, so it lowers the variance, and a threshold neuron fed a
    weaker fluctuation fires less."""
    return scaled_to_variance(new, moment, current_variance(old, moment))


def exact_refit_affordable(n_rows: int, size: int) -> bool:
    return n_rows * float(size) ** 3 <= EXACT_REFIT_FLOPS


@dataclass(frozen=True)
class Quota:
    """How many weights of a group of columns to remove: `count` over the whole layer,
    `per_group` of every `group` consecutive columns (N:M) when `group > 0`."""

    count: int = 0
    group: int = 0
    per_group: int = 0


def _smallest(key: np.ndarray, count: int) -> np.ndarray:
    """Mask of `count` smallest entries of `key` (any of equal keys at the cut)."""
    flat = key.reshape(-1)
    mask = np.zeros(flat.size, dtype=bool)
    if count >= flat.size:
        mask[:] = True
    elif count > 0:
        mask[np.argpartition(flat, count - 1)[:count]] = True
    return mask.reshape(key.shape)


def block_selector(rows: np.ndarray, quota: Quota) -> Selector:
    """A `Selector` removing, in each block, existing zeros first and then the smallest OBS
    saliency `w^2 / U_jj^2`.

    Unstructured (`quota.count`): each block removes its own zeros plus a share of the
    weights still to go, proportional to its nonzero weights (cumulative rounding, so that
    exactly `max(count, zeros)` weights go in all). N:M: in each row, each group of `group`
    columns loses at least `per_group` weights (more when it already has more zeros)."""
    zeros = rows[:, :-1] == 0
    if quota.group:
        return _n_m_selector(quota)
    per_column_nonzero = (~zeros).sum(axis=0)
    total_zero = int(zeros.sum())
    extra = max(quota.count - total_zero, 0)
    nonzero_before = np.concatenate([[0], np.cumsum(per_column_nonzero)])
    total_nonzero = int(nonzero_before[-1])

    def select(w1: np.ndarray, diagonal: np.ndarray, start: int) -> np.ndarray:
        end = start + w1.shape[1]
        if total_nonzero:
            share = round(extra * nonzero_before[end] / total_nonzero) - round(
                extra * nonzero_before[start] / total_nonzero
            )
        else:
            share = 0
        block_zeros = zeros[:, start:end]
        key = (w1.astype(np.float64) / diagonal) ** 2
        key[block_zeros] = -1.0
        return _smallest(key, int(block_zeros.sum()) + share)

    return select


def _n_m_selector(quota: Quota) -> Selector:
    m, drop = quota.group, quota.per_group

    def select(w1: np.ndarray, diagonal: np.ndarray, start: int) -> np.ndarray:
        key = (w1.astype(np.float64) / diagonal) ** 2
        key[w1 == 0] = -1.0
        n, width = key.shape
        groups = key.reshape(n, width // m, m)
        order = np.argsort(groups, axis=2, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(m)[None, None, :], axis=2)
        zeros = (groups == -1.0).sum(axis=2, keepdims=True)
        return (ranks < np.maximum(zeros, drop)).reshape(n, width)

    return select
