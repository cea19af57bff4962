"""Coverage pictures as deterministic PNG bytes (matplotlib Agg, no pyplot state).

* :func:`bars_png` — 1-D coverage as bars, border positions hatched and grey;
* :func:`heatmap_png` — 2-D coverage as a heatmap with a discrete colour scale and the interior
  outlined (counts written in the cells when the map is small);
* :func:`stack_png` — one panel per layer of a stack (path counts after each layer) and the
  gradient coverage of the input;
* :func:`bipartite_png` — the coverage graph of one small 1-D layer: inputs below, outputs
  above, one line per edge coloured by tap, each output labelled with its coverage.

Every function is a pure renderer: it returns PNG bytes and writes nothing.  The output depends
only on the arguments and the installed matplotlib: the style is reset to matplotlib's defaults
for the drawing, the DPI is fixed, and the PNG carries no metadata (no software tag, no time).
The colour map is viridis (monotone lightness, readable in grey-scale print) with one colour
per integer count; labels are at least 8 pt at the fixed DPI.

>>> from symconv.coverage import checkerboard
>>> from symconv.spec import ConvTranspose
>>> png = bars_png(checkerboard(ConvTranspose(kernel=3, stride=2), 6), title="k=3 s=2")
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", png == bars_png(checkerboard(ConvTranspose(kernel=3, stride=2), 6), title="k=3 s=2")
(True, True)
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symconv.coverage import Checkerboard, CoverageAnalysis, structure_map
from symconv.errors import InvalidSpecError, UnsupportedError

__all__ = ["DPI", "analysis_png", "bars_png", "bipartite_png", "heatmap_png", "stack_png"]

#: Resolution of every figure (dots per inch).
DPI = 120

#: Largest map whose cells get their count written in.
_ANNOTATE_MAX = 16

#: 1-D panels with more positions are drawn as a filled step area, not one bar per position.
_MAX_BARS = 1000

#: Count ranges with more levels get a continuous colour scale (not one colour per count).
_MAX_LEVELS = 64

_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # bundled with matplotlib: same glyphs everywhere
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "savefig.dpi": DPI,
    "figure.dpi": DPI,
    "path.simplify": False,
    "svg.hashsalt": "symconv",
}


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl
    import matplotlib.style

    rc: Any = _RC
    with matplotlib.style.context("default"), mpl.rc_context(rc):
        yield


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _margins(fig: Any, *, left: float = 0.75, right: float = 0.3, top: float = 0.75,
             bottom: float = 0.55, wspace: float = 0.45, hspace: float = 0.9) -> None:
    """Fixed margins in inches (a fixed layout: fast, and the same on every run)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h, bottom=bottom / h,
                        wspace=wspace, hspace=hspace)


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None},
                pil_kwargs={"optimize": False, "compress_level": 6})
    return buf.getvalue()


def _name(layer: Any) -> str:
    """The layer in the layer syntax (its repr when the syntax cannot express it)."""
    from symconv.spec.syntax import format_layer

    try:
        return format_layer(layer)
    except InvalidSpecError:
        return repr(layer)


def _cmap_norm(counts: NDArray[Any]) -> tuple[Any, Any, list[int]]:
    """Viridis with one colour per integer count between the extremes."""
    import matplotlib as mpl

    lo = int(counts.min()) if counts.size else 0
    hi = int(counts.max()) if counts.size else 0
    if hi - lo >= _MAX_LEVELS:  # path counts can be huge: a continuous scale, a few ticks
        ticks = sorted({round(v) for v in np.linspace(lo, hi, 7).tolist()})
        return mpl.colormaps["viridis"], mpl.colors.Normalize(lo, hi), ticks
    levels = list(range(lo, hi + 1))
    if len(levels) > 12:
        step = -(-len(levels) // 12)
        ticks = levels[::step]
    else:
        ticks = levels
    boundaries = np.arange(lo - 0.5, hi + 1.5)
    cmap = mpl.colormaps["viridis"].resampled(max(len(levels), 2))
    norm = mpl.colors.BoundaryNorm(boundaries, cmap.N)
    return cmap, norm, ticks


def _summary(cb: Checkerboard) -> str:
    if cb.empty:
        return "no interior position"
    if cb.uniform:
        return f"even: {cb.min} everywhere inside" + ("" if cb.complete else " (short interior)")
    ratio = "inf (holes)" if cb.ratio is None else str(cb.ratio)
    return f"uneven: {cb.min}..{cb.max}, ratio {ratio}, period {'x'.join(map(str, cb.period))}"


def _draw_bars(ax: Any, cb: Checkerboard, title: str, xlabel: str) -> None:
    counts = cb.counts
    x = np.arange(counts.size)
    border = cb.border_mask
    cmap, norm, _ = _cmap_norm(counts)
    if counts.size > _MAX_BARS:
        # one bar per position would be unreadable and slow: _MAX_BARS bins, each drawn as
        # its largest count (filled; grey where it holds a border position) and its smallest
        edges = np.linspace(0, counts.size, _MAX_BARS + 1).astype(np.int64)
        highs = np.maximum.reduceat(counts, edges[:-1])
        low = np.minimum.reduceat(counts, edges[:-1])
        rim = np.logical_or.reduceat(border, edges[:-1])
        where = edges - 0.5
        ax.stairs(np.where(rim, 0, highs), where, fill=True,
                  color=cmap(norm(int(highs.max()))), label="interior (max per bin)")
        if rim.any():
            ax.stairs(np.where(rim, highs, 0), where, fill=True, color="0.75", label="border")
        ax.stairs(low, where, color="black", linewidth=0.6, label="min per bin")
    else:
        colours = [cmap(norm(v)) for v in counts.tolist()]
        ax.bar(x[~border], counts[~border], width=0.85,
               color=[c for c, b in zip(colours, border, strict=True) if not b],
               edgecolor="black", linewidth=0.4, label="interior")
        if border.any():
            ax.bar(x[border], counts[border], width=0.85, color="0.85", hatch="///",
                   edgecolor="0.35", linewidth=0.4, label="border")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("coverage")
    ax.set_title(f"{title}\n{_summary(cb)}" if title else _summary(cb))
    top = int(counts.max()) if counts.size else 1
    ax.set_ylim(0, top + 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    if counts.size <= 40:
        ax.set_xticks(x)
        ax.tick_params(axis="x", labelsize=7 if counts.size > 20 else 8)
    ax.legend(loc="upper right", fontsize=8, frameon=False, ncols=2)


def _draw_heatmap(fig: Any, ax: Any, cb: Checkerboard, title: str) -> None:
    from matplotlib.patches import Rectangle

    counts = cb.counts
    cmap, norm, ticks = _cmap_norm(counts)
    image = ax.imshow(counts, cmap=cmap, norm=norm, interpolation="nearest", origin="upper")
    h, w = counts.shape
    if max(h, w) <= _ANNOTATE_MAX:
        for (r, c), v in np.ndenumerate(counts):
            rgba = cmap(norm(v))
            light = 0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2] > 0.5
            ax.text(c, r, str(int(v)), ha="center", va="center", fontsize=7 if h > 12 else 8,
                    color="black" if light else "white")
    if not cb.empty:
        (r0, r1), (c0, c1) = cb.interior
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False,
                               edgecolor="red", linewidth=1.2, linestyle="--"))
    ax.set_title(f"{title}\n{_summary(cb)}" if title else _summary(cb))
    ax.set_xlabel("x (dashed: interior)")
    ax.set_ylabel("y")
    bar = fig.colorbar(image, ax=ax, ticks=ticks, fraction=0.046, pad=0.04)
    bar.set_label("coverage")


def _two_d(cb: Checkerboard) -> Checkerboard:
    """A 2-D view: the middle slice of the leading axes of an N-D map (N > 2)."""
    if cb.ndim <= 2:
        return cb
    lead = tuple((lo + hi) // 2 if hi > lo else 0 for lo, hi in cb.interior[:-2])
    from symconv.coverage import _make_checkerboard

    counts = cb.counts[lead]
    return _make_checkerboard(counts, cb.interior[-2:], cb.structural_period[-2:])


def bars_png(cb: Checkerboard, title: str = "", xlabel: str = "position") -> bytes:
    """1-D coverage as bars (interior coloured by count, border hatched grey)."""
    if cb.ndim != 1:
        raise InvalidSpecError(f"coverage ndim={cb.ndim} must be 1 for bars (use heatmap_png)")
    with _style():
        fig = _figure(max(4.0, min(12.0, 0.22 * cb.counts.size + 2)), 3.0)
        _margins(fig)
        _draw_bars(fig.add_subplot(), cb, title, xlabel)
        return _png(fig)


def heatmap_png(cb: Checkerboard, title: str = "") -> bytes:
    """2-D coverage as a heatmap (N-D: the middle slice of the leading axes)."""
    if cb.ndim < 2:
        raise InvalidSpecError(f"coverage ndim={cb.ndim} must be at least 2 (use bars_png)")
    view = _two_d(cb)
    with _style():
        fig = _figure(5.2, 4.6)
        _margins(fig, right=0.6)
        _draw_heatmap(fig, fig.add_subplot(), view, title)
        return _png(fig)


def stack_png(analysis: CoverageAnalysis) -> bytes:
    """One panel per layer of the stack (path counts after it) and one for the gradient
    coverage of the input."""
    panels: list[tuple[Checkerboard, str]] = []
    for lc in analysis.per_layer:
        size = "x".join(map(str, lc.output_size))
        panels.append((lc.path, f"after layer {lc.index + 1}: {_name(lc.layer)} ({size})"))
    panels.append((analysis.gradient, "gradient coverage of the input"))
    one_d = analysis.stack.ndim == 1
    with _style():
        if one_d:
            widest = max(cb.counts.size for cb, _ in panels)
            fig = _figure(max(5.0, min(14.0, 0.2 * widest + 2)), 2.6 * len(panels))
            _margins(fig, hspace=0.9)
            axes = fig.subplots(len(panels), 1, squeeze=False)[:, 0]
            for ax, (cb, title) in zip(axes, panels, strict=True):
                _draw_bars(ax, cb, title, "position")
        else:
            cols = min(3, len(panels))
            rows = -(-len(panels) // cols)
            fig = _figure(5.0 * cols, 4.6 * rows)
            _margins(fig, right=0.6, wspace=0.45, hspace=0.35)
            axes = fig.subplots(rows, cols, squeeze=False).ravel()
            for ax, (cb, title) in zip(axes, panels, strict=False):
                _draw_heatmap(fig, ax, _two_d(cb), title)
            for ax in axes[len(panels):]:
                ax.set_axis_off()
        return _png(fig)


def bipartite_png(layer: Any, size: int, max_positions: int = 32) -> bytes:
    """The coverage graph of one 1-D layer on a small input (inputs below, outputs above)."""
    m = structure_map(layer, size)
    if m.in_shape is None or m.out_shape is None or len(m.in_shape) != 2:
        raise InvalidSpecError(f"size={size!r} must be a 1-D input size for the bipartite view")
    n_in, n_out = m.shape[1], m.shape[0]
    if max(n_in, n_out) > max_positions:
        raise UnsupportedError(
            f"size={size} gives {max(n_in, n_out)} positions; the bipartite drawing needs at "
            f"most max_positions={max_positions}"
        )
    import matplotlib as mpl

    counts = np.bincount(m.rows, minlength=n_out)
    taps = m.taps[:, 0] if m.degree else np.zeros(m.nnz, dtype=np.int64)
    # Centre both rows on the same axis so that output j sits above the inputs it reads.
    scale = (n_out - 1) / max(n_in - 1, 1) if n_in > 1 else 0.0
    xin = np.arange(n_in) * scale
    xout = np.arange(n_out, dtype=float)
    palette = mpl.colormaps["tab10"]
    with _style():
        fig = _figure(max(5.5, min(13.0, 0.45 * n_out + 2.5)), 3.2)
        _margins(fig, left=0.2, right=1.0, bottom=0.1, top=0.45)
        ax = fig.add_subplot()
        order = np.lexsort((m.cols, m.rows))
        for e in order.tolist():
            t = int(taps[e])
            ax.plot([xin[m.cols[e]], xout[m.rows[e]]], [0, 1], color=palette(t % 10),
                    linewidth=1.2, zorder=1)
        ax.scatter(xin, np.zeros(n_in), s=140, color="white", edgecolor="black", zorder=2)
        ax.scatter(xout, np.ones(n_out), s=140, color="white", edgecolor="black", zorder=2)
        for i in range(n_in):
            ax.text(xin[i], -0.12, str(i), ha="center", va="top", fontsize=8)
        for j in range(n_out):
            ax.text(xout[j], 1.0, str(int(counts[j])), ha="center", va="center", fontsize=8,
                    zorder=3)
            ax.text(xout[j], 1.12, str(j), ha="center", va="bottom", fontsize=8)
        ntaps = int(taps.max()) + 1 if taps.size else 0
        if m.degree and ntaps <= 10:
            from matplotlib.lines import Line2D

            handles = [Line2D([0], [0], color=palette(t), linewidth=1.5) for t in range(ntaps)]
            ax.legend(handles, [f"tap {t}" for t in range(ntaps)], loc="center left",
                      bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
        ax.set_ylim(-0.35, 1.35)
        ax.set_xlim(-0.7, max(n_out - 1, 1) + 0.7)
        ax.set_axis_off()
        ax.set_title(f"{_name(layer)}: outputs (top, with coverage) and inputs (bottom)")
        return _png(fig)


def analysis_png(analysis: CoverageAnalysis, bipartite_limit: int = 24) -> bytes:
    """The picture ``symconv coverage --png`` writes: the bipartite graph for a single tiny
    1-D layer, else :func:`stack_png`."""
    if (len(analysis.layers) == 1 and len(analysis.input_size) == 1
            and max(analysis.input_size[0], analysis.output_size[0]) <= bipartite_limit):
        try:
            return bipartite_png(analysis.layers[0], analysis.input_size[0])
        except UnsupportedError:
            pass
    return stack_png(analysis)

