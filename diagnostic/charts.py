"""Charts rendered on the server with matplotlib, as SVG bytes (no pyplot: thread-safe).

Every chart is shown with a text alternative and its numbers in a table by the page that uses it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from scoring import AXES, AxisScore

#: The product palette, as in static/css/app.css (a test keeps them equal): one colour and one
#: marker shape per impact, one colour per actor type.
AXIS_COLOURS = {"confiance": "#1f5fa8", "performance": "#a3461a", "innovation": "#2e7d4f"}
AXIS_MARKERS = {"confiance": "o", "performance": "s", "innovation": "^"}
ACTOR_COLOURS = {
    "citoyen": "#6b3fa0",
    "entreprise": "#0f6e7a",
    "association": "#b02a5b",
    "elu": "#7a5c00",
}
INK = "#1d2433"
GRID = "#c5cad3"


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # Text stays text: smaller files, and the words can be read out and copied.
    with rc_context({"svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def impact_radar(
    scores: Mapping[str, AxisScore], labels: Mapping[str, str], no_data_label: str
) -> bytes:
    """A radar of the three impact scores on 0–100; an impact without score is marked, not drawn.

    :param scores: per axis, the AxisScore (score None when data are insufficient).
    :param labels: per axis, its label in the page's language.
    """
    figure = Figure(figsize=(4.2, 4.2), dpi=100, layout="constrained")
    axes = figure.add_subplot(projection="polar")
    angles = np.linspace(0, 2 * np.pi, len(AXES), endpoint=False) + np.pi / 2
    values = [scores[axis].score if axis in scores else None for axis in AXES]
    axes.set_ylim(0, 100)
    axes.set_yticks([25, 50, 75, 100])
    axes.set_yticklabels(["25", "50", "75", "100"], color=INK, fontsize=8)
    axes.set_xticks(angles)
    axes.set_xticklabels(
        [
            labels[axis] if value is not None else f"{labels[axis]}\n({no_data_label})"
            for axis, value in zip(AXES, values, strict=True)
        ],
        color=INK,
        fontsize=10,
    )
    axes.grid(color=GRID, linewidth=0.8)
    axes.spines["polar"].set_color(GRID)
    known = [
        (angle, value) for angle, value in zip(angles, values, strict=True) if value is not None
    ]
    if len(known) >= 2:
        ring = [*known, known[0]]
        axes.fill([a for a, _v in ring], [v for _a, v in ring], color=INK, alpha=0.08)
        axes.plot([a for a, _v in ring], [v for _a, v in ring], color=INK, linewidth=1.5)
    markers = {"confiance": "o", "performance": "s", "innovation": "^"}
    for axis, angle, value in zip(AXES, angles, values, strict=True):
        if value is None:
            continue
        axes.plot(
            [angle],
            [value],
            marker=markers[axis],
            markersize=9,
            color=AXIS_COLOURS[axis],
            markeredgecolor=INK,
            linestyle="none",
        )
        axes.annotate(
            f"{value:.0f}",
            (angle, value),
            textcoords="offset points",
            xytext=(0, 9),
            ha="center",
            fontsize=10,
            fontweight="bold",
            color=INK,
        )
    return _svg(figure)
