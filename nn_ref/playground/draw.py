"""The playground's pictures as RGB arrays and inline PNGs: the decision boundary (or the regression surface)
and the network drawn as in TensorFlow Playground (every unit with its output over the input plane, links by
weight sign and size). No Streamlit here; ``app.py`` shows them as ``<img src="data:image/png;base64,...">``
with a fixed width and height, so a frame replaces the picture in place (no file for the browser to fetch,
no broken image, no layout jump).
"""

import base64
import hashlib
import io

import numpy as np
from PIL import Image, ImageDraw

from nn_ref import datasets
from nn_ref.playground.model import CLASS_COLORS, GRID, PIXELS, boundary_grid

NEGATIVE, POSITIVE = np.array([230.0, 120.0, 20.0]), np.array([20.0, 110.0, 200.0])  # orange < 0 < blue
DIAGRAM_W, DIAGRAM_H = 480, 230  # the network picture, pixels
UNIT_PX = 26  # a unit's output map, pixels
MAX_DRAWN_UNITS = 8  # units drawn per layer; the rest are counted ("+3")


def diverging(v, scale=1.0):
    """RGB (..., 3) float for values v: orange for -scale, white for 0, blue for +scale (clipped), as
    TensorFlow Playground colours a unit's output and a weight."""
    v = np.clip(np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0) / scale, -1.0, 1.0)[..., None]
    white = np.full(3, 255.0)
    return np.where(v >= 0, white + v * (POSITIVE - white), white - v * (NEGATIVE - white))


def _points(img, pg, size, colors_of):
    """Training points as filled squares with a dark edge, test points as rings in their class colour
    (the pixels and their values are computed once per run and kept on ``pg``: the points do not move)."""
    key = ("_points_overlay", size)
    if key not in pg.__dict__:
        pg.__dict__[key] = _points_overlay(img.shape, pg, size, colors_of)
    rows, cols, values = pg.__dict__[key]
    img[rows, cols] = values
    return img


def _points_overlay(shape, pg, size, colors_of):
    """(rows, cols, values) of the points' pixels, test points drawn over training points."""
    img = np.full(shape, np.nan)
    x0, x1, y0, y1 = pg.extent()
    for X, Y, test in ((pg.X_train_raw, pg.Y_train, False), (pg.X_test_raw, pg.Y_test, True)):
        colors = colors_of(Y)
        cols = np.clip(((X[0] - x0) / (x1 - x0) * (size - 1)).round().astype(int), 3, size - 4)
        rows = np.clip(((y1 - X[1]) / (y1 - y0) * (size - 1)).round().astype(int), 3, size - 4)
        for dr in range(-3, 4):
            for dc in range(-3, 4):
                ring = max(abs(dr), abs(dc))
                if test:  # a ring: dark edge, class colour, white centre
                    value = 40.0 if ring == 3 else (colors if ring == 2 else 255.0)
                else:  # a filled square, one pixel smaller
                    if ring == 3:
                        continue
                    value = 40.0 if ring == 2 else colors
                img[rows + dr, cols + dc] = value
    rows, cols = np.nonzero(~np.isnan(img[..., 0]))
    return rows, cols, img[rows, cols]


def boundary_image(pg, grid=GRID, pixels=PIXELS):
    """The decision boundary as an RGB image (grid*pixels, grid*pixels, 3) uint8: each cell coloured by
    sum_k P(k) colour_k, pale (regression: the prediction, orange low, blue high, on the targets' scale);
    training points filled squares, test points rings, both in their class colour (regression: target)."""
    P = np.nan_to_num(boundary_grid(pg, grid), nan=0.5)
    if pg.regression:
        lo, hi = float(pg.Y.min()), float(pg.Y.max())
        mid, half = (lo + hi) / 2, max((hi - lo) / 2, 1e-12)
        rgb = diverging(P[0] - mid, half)

        def colors_of(Y):
            return 0.8 * diverging(Y[0] - mid, half)

    else:
        P = np.concatenate([1.0 - P, P]) if P.shape[0] == 1 else P  # (K, grid, grid) class probabilities
        colors = CLASS_COLORS[: P.shape[0]]
        rgb = np.tensordot(P.transpose(1, 2, 0), colors, axes=1)

        def colors_of(Y):
            return 0.85 * colors[datasets.labels_of(Y)]

    rgb = 255.0 - 0.45 * (255.0 - rgb)  # pale background
    img = np.repeat(np.repeat(rgb, pixels, axis=0), pixels, axis=1)
    return _points(img, pg, grid * pixels, colors_of).clip(0, 255).astype(np.uint8)


def _unit_tile(values, scale):
    """One unit's output map (grid, grid) as an RGB tile (UNIT_PX, UNIT_PX, 3) uint8 on the diverging scale."""
    tile = Image.fromarray(diverging(values, scale).clip(0, 255).astype(np.uint8))
    return tile.resize((UNIT_PX, UNIT_PX), Image.NEAREST)


def column_x(L, width=DIAGRAM_W):
    """The left edge (pixels) of each of the network picture's L + 1 columns: A[0], ..., A[L]."""
    return np.linspace(50, width - 40 - UNIT_PX, L + 1).round().astype(int)


def column_cells(columns):
    """Relative widths of ``columns`` cells across the network picture, each centred on its layer's column
    (the app puts the +/- unit buttons in them, so they stand above their layer)."""
    centres = (column_x(columns - 1) + UNIT_PX / 2) / DIAGRAM_W
    edges = np.concatenate([[0.0], (centres[1:] + centres[:-1]) / 2, [1.0]])
    return [float(w) for w in np.diff(edges)]


def network_image(pg, maps=None, width=DIAGRAM_W, height=DIAGRAM_H):
    """The network as in TensorFlow Playground, an RGB array (height, width, 3) uint8: one column per layer
    (the input features, every hidden layer, the output), each unit a small map of its output A[l] over the
    input plane (orange < 0 < blue, on [-1, 1]: a vanished unit is white), each link W[l][j, i] a line
    blue for > 0 and orange for < 0, as thick as |W[l][j, i]| (1 px at 0.25, at most 5 px). At most
    MAX_DRAWN_UNITS units are drawn per layer (the rest counted under the column)."""
    maps = pg.unit_maps() if maps is None else maps
    params = pg.host_parameters()
    L = len(maps) - 1
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    xs = column_x(L, width)
    top, bottom = 14, height - 26

    def ys(n):
        shown = min(n, MAX_DRAWN_UNITS)
        step = min(UNIT_PX + 6, (bottom - top - UNIT_PX) / max(shown - 1, 1))
        first = (top + bottom - UNIT_PX - step * (shown - 1)) / 2
        return [int(round(first + step * i)) for i in range(shown)]

    centres = [[(xs[l] + UNIT_PX // 2, y + UNIT_PX // 2) for y in ys(maps[l].shape[0])] for l in range(L + 1)]
    for l in range(1, L + 1):  # links first, units on top
        W = np.nan_to_num(params[f"W{l}"])
        for j, (xj, yj) in enumerate(centres[l]):
            for i, (xi, yi) in enumerate(centres[l - 1]):
                w = float(W[j, i])
                thick = int(round(min(5.0, abs(w) * 4.0)))
                if thick < 1:
                    continue
                color = tuple(int(c) for c in (POSITIVE if w > 0 else NEGATIVE))
                draw.line([(xi + UNIT_PX // 2, yi), (xj - UNIT_PX // 2, yj)], fill=color, width=thick)
    out_scale = 1.0
    if pg.regression:
        out_scale = max(float(np.abs(pg.Y).max()), 1e-12)
    for l in range(L + 1):
        scale = 1.0 if 0 < l < L else (out_scale if l == L else max(float(np.abs(maps[0]).max()), 1e-12))
        for u, (x, y) in enumerate(centres[l]):
            values = maps[l][u]
            if l == L and pg.config.output_activation in ("sigmoid", "softmax"):
                values = 2.0 * values - 1.0  # P in [0, 1] drawn on [-1, 1]: 0.5 is white
            image.paste(_unit_tile(values, scale), (x - UNIT_PX // 2, y - UNIT_PX // 2))
            draw.rectangle(
                [x - UNIT_PX // 2 - 1, y - UNIT_PX // 2 - 1, x + UNIT_PX // 2, y + UNIT_PX // 2], outline=(90, 90, 90)
            )
        n = maps[l].shape[0]
        label = f"A[{l}] ({n})"
        if n > MAX_DRAWN_UNITS:
            label += f" +{n - MAX_DRAWN_UNITS}"
        draw.text((xs[l] - 6, height - 20), label, fill=(40, 40, 40))
    for name, (_, y) in zip(pg.features, centres[0]):
        draw.text((2, y - 5), name[:7], fill=(40, 40, 40))
    return np.asarray(image)


def data_uri(img, kind="png"):
    """An RGB array (H, W, 3) uint8 as a ``data:image/...;base64,...`` URI: PNG (lossless) or JPEG (quality
    90: the network picture, whose PNG takes several times longer to encode)."""
    buffer = io.BytesIO()
    if kind == "png":
        Image.fromarray(np.ascontiguousarray(img)).save(buffer, format="PNG", compress_level=1)
    else:
        Image.fromarray(np.ascontiguousarray(img)).save(buffer, format="JPEG", quality=85)
    return f"data:image/{kind};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_hash(img):
    """A short hash of an image's bytes (the tests see the picture change through it)."""
    return hashlib.sha1(np.ascontiguousarray(img).tobytes()).hexdigest()[:16]


# ----------------------------------------------------------------------------- line charts
CHART_W, CHART_H = 300, 170  # a chart, pixels
LAYER_COLORS = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
]


def _nice_ticks(lo, hi, most=5):
    """Round tick values covering [lo, hi] (at most about ``most``)."""
    span = max(hi - lo, 1e-300)
    step = 10 ** np.floor(np.log10(span / most))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= most:
            step *= factor
            break
    return np.arange(np.ceil(lo / step) * step, hi + step * 1e-9, step)


def line_chart(series, title, log_domain=None, marker_x=None, width=CHART_W, height=CHART_H):
    """A line chart as an RGB array (height, width, 3) uint8, drawn by the server (a picture costs the browser
    far less than a chart library redrawing every frame). ``series``: [(label, x, y, (r, g, b), line width)];
    y on a linear axis fitted to the finite values, or on the log axis ``log_domain`` = (lo, hi) shared by
    several charts (values outside are drawn at its edge, so 0 sits at the bottom and 1e9 at the top);
    ``marker_x``: a red vertical line there (t now)."""
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    left, right, top, bottom = 44, width - 16, 30, height - 18
    draw.text((left, 2), title, fill=(30, 30, 30))
    x_end = max([float(np.max(x)) for _, x, _, _, _ in series if len(x)] + [1.0])
    ys = [np.asarray(y, dtype=float) for _, _, y, _, _ in series]
    finite = np.concatenate([y[np.isfinite(y)] for y in ys] + [np.zeros(0)])
    if log_domain is not None:
        lo, hi = np.log10(log_domain[0]), np.log10(log_domain[1])
        ticks = np.arange(np.ceil(lo), hi + 1e-9, 2)
        labels = [f"1e{int(t)}" for t in ticks]
    else:
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if 0 <= lo < 0.5 * hi:
            lo = 0.0  # costs and rates: the axis from 0
        if not hi > lo:  # a constant: 0 .. 2 x it (or +-1 around it)
            lo, hi = (0.0, 2.0 * hi) if hi > 0 else (lo - 1.0, hi + 1.0)
        ticks = _nice_ticks(lo, hi, 4)
        labels = [f"{t:.3g}" for t in ticks]

    def px(x, y):
        yv = np.log10(np.clip(y, log_domain[0], log_domain[1])) if log_domain is not None else y
        X = left + (np.asarray(x, float) / x_end) * (right - left)
        Y = bottom - (np.clip(yv, lo, hi) - lo) / (hi - lo) * (bottom - top)
        return X, Y

    for t, label in zip(ticks, labels):
        y = bottom - (t - lo) / (hi - lo) * (bottom - top)
        draw.line([(left, y), (right, y)], fill=(232, 232, 232))
        draw.text((2, y - 6), label, fill=(90, 90, 90))
    for t in _nice_ticks(0, x_end, 4):
        x = left + t / x_end * (right - left)
        draw.text((x - 8, bottom + 3), f"{t:g}", fill=(90, 90, 90))
    draw.rectangle([left, top, right, bottom], outline=(170, 170, 170))
    if marker_x is not None:
        x = left + min(marker_x / x_end, 1.0) * (right - left)
        draw.line([(x, top), (x, bottom)], fill=(220, 30, 30), width=2)
    legend_x = left
    for (label, x, _, color, line), yy in zip(series, ys):
        draw.line([(legend_x, 21), (legend_x + 10, 21)], fill=color, width=3)
        draw.text((legend_x + 13, 15), label, fill=(60, 60, 60))
        legend_x += 18 + 6 * len(label)
        ok = np.isfinite(yy)
        if ok.sum() >= 1:
            X, Y = px(np.asarray(x, float)[ok], yy[ok])
            points = list(zip(X.tolist(), Y.tolist()))
            if len(points) == 1:
                points = points * 2
            draw.line(points, fill=color, width=line)
    return np.asarray(image)
