"""The slide style of every lecture figure: canvas, type, notation, colours and direct labels.

- **Canvas:** every panel is a 16:9 canvas of ``PANEL_W`` x ``PANEL_H`` inches; a figure has at most
  2 x 2 panels, so the whole figure (at most 12.8 x 7.2 in) fits a 13.33 x 7.5 in (16:9) slide at
  100 % or more. Multi-panel figures are also saved one panel per file (``make.panel_boxes``).
- **Type:** no text below ``MIN_PT`` = 14 pt, so every label is >= 14 pt at slide size (a test walks
  every text artist of every figure). Titles state the figure's message with its key number.
- **Notation:** lecture notation through mathtext (``W^{[l]}``, ``\\alpha_0``, ``\\eta``); true minus
  signs (``axes.unicode_minus``, and ``fmt`` writes U+2212 in numbers placed in text).
- **Colours:** the Okabe-Ito colour-blind-safe palette; one *role* per concept, the same in every
  figure (``ROLE``): e.g. ``WITH_BN`` / ``WITHOUT_BN``, ``TRAIN`` / ``TEST``, ``BATCH`` / ``MINIBATCH`` /
  ``SGD``. Pairs that must be told apart never rely on red versus green alone: they differ in
  lightness and line style too.
- **Editable SVG:** text is written as ``<text>`` in ``FONT_NAME`` (``svg.fonttype = "none"``), not as
  outlines: a lecturer can retype a label in Keynote or PowerPoint.
- **Direct labels:** ``label_line`` writes a curve's name at its end (or at a chosen x) in its colour,
  instead of a legend box over the data.
"""

import math

import numpy as np

PANEL_W, PANEL_H = 6.4, 3.6  # inches, 16:9
SLIDE_W, SLIDE_H = 13.333, 7.5  # a 16:9 slide, inches
SINGLE_W, SINGLE_H = 9.6, 5.4  # a figure of one panel (16:9; 1.5 panels wide: less crowded at 14 pt)
DIAGRAM_W, DIAGRAM_H = 12.8, 7.2  # a diagram: the whole slide
MIN_PT = 14.0  # smallest text, points (at 100 %: the figure is never shrunk on a slide)

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision deficiencies
BLACK = "#000000"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#7A7A7A"
LIGHT = "#D9D9D9"

# one colour per concept, the same in every figure
ROLE = {
    # data and models
    "DATA": "#3A3A3A",
    "FIT": BLUE,
    "ALT_FIT": ORANGE,
    "OUTLIER": VERMILLION,
    "OPTIMUM": BLACK,
    "CLASS0": BLUE,
    "CLASS1": ORANGE,
    "CLUSTER1": GREEN,
    "CLUSTER2": PURPLE,
    # functions and their gradients; iterates of gradient descent
    "FUNCTION": BLUE,
    "GRADIENT": VERMILLION,
    "ITERATE": ORANGE,
    "BOUND": GREY,
    # activations
    "SIGMOID": BLUE,
    "TANH": GREEN,
    "RELU": ORANGE,
    "LEAKY_RELU": PURPLE,
    # training vs held-out
    "TRAIN": BLUE,
    "TEST": VERMILLION,
    # batch normalization
    "WITH_BN": BLUE,
    "WITHOUT_BN": ORANGE,
    # initializers
    "NORMAL_INIT": GREY,
    "XAVIER": GREEN,
    "HE": PURPLE,
    # input scaling
    "RAW": ORANGE,
    "MINMAX": SKY,
    "STANDARDIZED": BLUE,
    # learning rates: too small, good, too large
    "LR_SLOW": SKY,
    "LR_GOOD": BLUE,
    "LR_FAST": VERMILLION,
    # decay schedules
    "INVERSE": SKY,
    "EXPONENTIAL": ORANGE,
    "POLY1": GREEN,
    "POLY2": BLUE,
    "MULTISTEP": BLACK,
    "COSINE": PURPLE,
    # cyclical policies (Smith 2015)
    "FIXED": GREY,
    "TRIANGULAR": BLUE,
    "TRIANGULAR2": GREEN,
    "EXP": ORANGE,
    "EXP_RANGE": PURPLE,
    # gradient-descent flavours
    "BATCH": BLUE,
    "MINIBATCH": ORANGE,
    "SGD": PURPLE,
    # batch-size schedules
    "LR_DECAY": BLUE,
    "BATCH_INCREASE": ORANGE,
    "ACCUMULATED": GREEN,
    # flat vs sharp minima
    "FLAT": BLUE,
    "SHARP": ORANGE,
    # diagrams
    "NODE": "#1F3B73",
    "NODE_FILL": "#E8EEF8",
    "EDGE": "#9AA5B8",
    "ARROW": "#333333",
    "FORWARD": BLUE,
    "BACKWARD": VERMILLION,
    "NOTE": "#444444",
}

FONT = MIN_PT
FONT_NAME = "DejaVu Sans"  # ships with matplotlib: the same glyphs in every PNG; named in every SVG text
RC = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": FONT,
    "axes.titlesize": 16,
    "axes.titleweight": "normal",
    "axes.labelsize": 15,
    "legend.fontsize": FONT,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "figure.titlesize": 18,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": True,
    "axes.prop_cycle": __import__("cycler").cycler(color=[BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, BLACK]),
    "axes.formatter.use_mathtext": True,
    "axes.formatter.limits": (-3, 4),
    "lines.linewidth": 2.4,
    "lines.markersize": 7,
    "legend.frameon": True,
    "legend.framealpha": 0.92,
    "mathtext.fontset": "dejavusans",
    "mathtext.default": "it",
    "svg.hashsalt": "nn-ref",
    "svg.fonttype": "none",  # SVG text stays <text> (editable in Keynote / PowerPoint), in the font named below
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_NAME],
    "image.cmap": "viridis",
    "figure.constrained_layout.h_pad": 0.06,
    "figure.constrained_layout.w_pad": 0.06,
}

MINUS = "\u2212"


def fmt(value, spec="g"):
    """``format(value, spec)`` with a true minus sign (U+2212) in place of the ASCII hyphen."""
    return format(value, spec).replace("-", MINUS)


_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def sci(value, digits=1):
    """``value`` as plain text ``a×10ⁿ`` with Unicode superscripts (no ``1e-08`` code notation), e.g.
    ``sci(3.2e-5)`` -> ``'3.2×10⁻⁵'``; a mantissa of 1 is dropped (``'10⁻²'``)."""
    if value == 0 or not math.isfinite(value):
        return fmt(value)
    exp = int(math.floor(math.log10(abs(value))))
    mant = value / 10**exp
    if round(abs(mant), digits) >= 10:
        mant, exp = mant / 10, exp + 1
    power = "10" + str(exp).translate(_SUPERSCRIPT)
    mant_s = fmt(mant, f".{digits}f")
    if -2 <= exp < 3:
        return fmt(value, f".{digits + 1}g")
    return power if float(mant_s.replace(MINUS, "-")) == 1 and mant > 0 else f"{mant_s}×{power}"


def pm(mean, spread, digits=2, scale=1.0, unit=""):
    """``'mean ± spread'`` with a true minus sign; ``scale`` multiplies both (e.g. 100 for %)."""
    return f"{fmt(scale * mean, f'.{digits}f')} ± {fmt(scale * spread, f'.{digits}f')}{unit}"


def figsize(nrows=1, ncols=1):
    """(width, height) in inches of a figure of ``nrows`` x ``ncols`` 16:9 panels (at most 2 x 2; a figure
    of one panel is ``SINGLE_W`` x ``SINGLE_H``). Every size is at most 12.8 x 7.2 in: on a 13.33 x 7.5 in
    slide the figure is shown at 100 % or more, so 14 pt text stays >= 14 pt."""
    if nrows > 2 or ncols > 2:
        raise ValueError(f"slide style: at most 2 x 2 panels, got {nrows} x {ncols}")
    if nrows == ncols == 1:
        return SINGLE_W, SINGLE_H
    return ncols * PANEL_W, nrows * PANEL_H


def label_line(ax, x, y, text, color, x_at=None, dx=6, dy=0, ha="left", va="center", **kwargs):
    """Write ``text`` beside the curve (x, y) in its colour: at the last point, or at the point nearest
    ``x_at``; offset (dx, dy) points. A direct label in place of a legend over the data."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    i = len(x) - 1 if x_at is None else int(np.argmin(np.abs(x - x_at)))
    return ax.annotate(
        text,
        (x[i], y[i]),
        xytext=(dx, dy),
        textcoords="offset points",
        color=color,
        ha=ha,
        va=va,
        fontsize=kwargs.pop("fontsize", MIN_PT),
        annotation_clip=False,
        **kwargs,
    )


def band(ax, x, runs, color, label=None, lw=2.4, ls="-", alpha=0.22, **kwargs):
    """Mean of ``runs`` (seeds x points) as a line and the min..max over the seeds as a band; returns
    (mean, lo, hi)."""
    runs = np.asarray(runs, dtype=float)
    mean, lo, hi = runs.mean(axis=0), runs.min(axis=0), runs.max(axis=0)
    ax.fill_between(x, lo, hi, color=color, alpha=alpha, lw=0)
    ax.plot(x, mean, color=color, lw=lw, ls=ls, label=label, **kwargs)
    return mean, lo, hi


def small_texts(fig, min_pt=MIN_PT):
    """``[(text, size)]`` of every visible, non-empty text artist of ``fig`` smaller than ``min_pt``."""
    from matplotlib.text import Text

    found = []
    for artist in fig.findobj(Text):
        if not artist.get_visible() or not artist.get_text().strip():
            continue
        if artist.get_fontsize() < min_pt - 1e-9:
            found.append((artist.get_text(), artist.get_fontsize()))
    return found


def end_labels(ax, items, x=1.02, min_gap=0.085, connector=True, top=0.97):
    """Direct labels in the right margin of ``ax``: ``items`` = [(y in data units, text, colour)], each
    written at axes-x ``x`` beside its curve's end, pushed apart to at least ``min_gap`` (axes fraction)
    so that none overlaps; a thin connector joins label and curve end."""
    to_axes = ax.transData + ax.transAxes.inverted()
    placed = []
    for y, text, color in items:
        ya = float(to_axes.transform((ax.get_xlim()[1], y))[1])
        placed.append([ya, ya, text, color])
    placed.sort(key=lambda p: p[0])
    for i in range(1, len(placed)):
        placed[i][1] = max(placed[i][1], placed[i - 1][1] + min_gap)
    overshoot = placed[-1][1] - top if placed else 0.0
    if overshoot > 0:  # shift the stack down, keeping the gaps
        for p in placed:
            p[1] -= overshoot
        for i in range(len(placed) - 2, -1, -1):
            placed[i][1] = min(placed[i][1], placed[i + 1][1] - min_gap)
    for ya, yl, text, color in placed:
        ax.text(x, yl, text, transform=ax.transAxes, color=color, ha="left", va="center", clip_on=False)
        if connector:
            ax.plot([1.0, x - 0.005], [ya, yl], transform=ax.transAxes, color=color, lw=0.8, clip_on=False)
