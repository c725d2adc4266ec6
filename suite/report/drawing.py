"""How every figure of the report is drawn and embedded: matplotlib set up once, figures to data URIs.

Each function takes plain data (records, arrays) and returns an ``<img>``-ready
data URI (or ``None`` when there is nothing to draw), so the report stays one
self-contained file. Which figure a benchmark gets follows the artefact names of
``suite.artefacts``; ``artefact_figures`` is the one entry point for them.

Size and speed: plots with few marks are SVG (smaller and sharp at any zoom); plots
with many points, pictures and heatmaps are PNG at a modest dpi, re-encoded with a
256-colour palette (about half the bytes). Drawing dominates the cost of a report,
so each figure is rendered once, in one format, without ``tight_layout`` (the
``bbox_inches="tight"`` crop does the trimming), and grids of small pictures are
one mosaic image on one axis rather than dozens of axes.
Long series are thinned to at most ``MAX_POINTS`` per line before drawing: a
10 000-step curve drawn 600 pixels wide shows nothing more with all its points.
"""

from __future__ import annotations

import base64
import io

import numpy as np

#: Resolution of embedded PNGs: sharp on a laptop screen, small on disk.
DPI = 90
MAX_POINTS = 600
#: Up to this many plotted points a line plot is smaller as SVG than as PNG (measured: ~40 bytes a point).
VECTOR_MAX_POINTS = 1500
_STYLE_SET = False


def _setup():
    global _STYLE_SET
    import matplotlib

    matplotlib.use("Agg")
    if not _STYLE_SET:
        import seaborn as sns

        sns.set_theme(style="whitegrid", context="notebook", font_scale=0.85)
        matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller and crisp
        matplotlib.rcParams["svg.hashsalt"] = "keras-repro"  # stable ids: same figure, same bytes
        _STYLE_SET = True


def pyplot():
    _setup()
    import matplotlib.pyplot as plt

    return plt


def to_data_uri(figure, *, dpi: int = DPI, vector: bool = False) -> str:
    """The figure as a data URI (closed afterwards): SVG when ``vector``, else a palette-compressed PNG.

    Only one format is rendered (drawing is most of the cost): callers ask for SVG
    where the figure has few marks (it is then smaller and sharp) and PNG otherwise.
    """
    import matplotlib.pyplot as plt

    try:
        buffer = io.BytesIO()
        if vector:
            figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
            return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
        return "data:image/png;base64," + base64.b64encode(_compress_png(buffer.getvalue())).decode()
    finally:
        plt.close(figure)


def _compress_png(payload: bytes) -> bytes:
    """A 256-colour palette version when smaller: plots use few colours, anti-aliased edges lose nothing visible.

    (Pillow's ``optimize`` pass was measured too: 5 % smaller for ten times the time.)
    """
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with matplotlib; without it keep matplotlib's PNG
        return payload
    image = Image.open(io.BytesIO(payload)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, format="PNG")
    return min(payload, out.getvalue(), key=len)


def thin(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(y) > MAX_POINTS:
        index = np.unique(np.linspace(0, len(y) - 1, MAX_POINTS).astype(int))
        return x[index], y[index]
    return x, y


def tick_label(value) -> str:
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def text_of(value, default: str = "") -> str:
    if value is None:
        return default
    array = np.asarray(value)
    return str(array.item()) if array.ndim == 0 else str(value)
