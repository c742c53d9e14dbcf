"""The one dynamic program both aligners share: cheapest monotone path of n:m links.

Cells outside a band around the diagonal are skipped so long inputs stay near-linear; the band
always contains both corners, so a path always exists (1:0 and 0:1 links are always allowed).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from amts.align.evidence import Shape

CostFn = Callable[[int, int, Shape], float]


def cheapest_path(
    n: int, m: int, shapes: Sequence[Shape], cost: CostFn, band: int | None = None
) -> list[tuple[int, int, Shape, float]]:
    """Links ``(i, j, shape, cost)`` covering ``0..n`` and ``0..m`` in order, of least total cost.

    ``cost(i, j, shape)`` is the cost of linking items ``i..i+shape.src`` with ``j..j+shape.tgt``;
    1:0 and 0:1 links cost ``shape.prior``.
    ``band`` limits ``|j - i*m/n|`` (plus the length difference); None means the full table.
    """
    inf = math.inf
    total = [[inf] * (m + 1) for _ in range(n + 1)]
    back: list[list[Shape | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    step: list[list[float]] = [[0.0] * (m + 1) for _ in range(n + 1)]
    total[0][0] = 0.0
    width = None if band is None else band + abs(n - m)
    # (shape, rows back, columns back, prior, links both sides): looked up once, not per cell
    moves = [(shape, shape.src, shape.tgt, shape.prior, bool(shape.src and shape.tgt)) for shape in shapes]
    for i in range(n + 1):
        if width is None:
            lo, hi = 0, m
        else:
            centre = i * m / n if n else 0
            lo, hi = max(0, int(centre - width)), min(m, int(centre + width) + 1)
        row, row_back, row_step = total[i], back[i], step[i]
        # the earlier row each shape reaches back to (None where it would leave the table)
        sources = [(shape, total[i - a] if i >= a else None, b, prior, linked) for shape, a, b, prior, linked in moves]
        for j in range(lo, hi + 1):
            if i == 0 and j == 0:
                continue
            best, best_shape, best_step = inf, None, 0.0
            for shape, before_row, b, prior, linked in sources:
                pj = j - b
                if before_row is None or pj < 0:
                    continue
                before = before_row[pj]
                if before == inf:
                    continue
                here = cost(i - shape.src, pj, shape) if linked else prior
                if before + here < best:
                    best, best_shape, best_step = before + here, shape, here
            row[j], row_back[j], row_step[j] = best, best_shape, best_step
    if total[n][m] == inf:
        raise ValueError(f"no alignment path for {n}x{m} items")
    path: list[tuple[int, int, Shape, float]] = []
    i, j = n, m
    while i or j:
        shape = back[i][j]
        assert shape is not None
        i, j = i - shape.src, j - shape.tgt
        path.append((i, j, shape, step[i + shape.src][j + shape.tgt]))
    path.reverse()
    return path
