"""Charts rendered on the server with matplotlib, as SVG bytes (no pyplot: thread-safe).

Every chart is shown with a text alternative and its numbers in a table by the page that uses it,
and reads in greyscale: impacts have marker shapes, series have line styles, classes have symbols.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from scoring import AXES

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
MUTED = "#4a5363"
GRID = "#c5cad3"
#: The perception classes: a fill and a symbol each (the symbol carries the meaning).
CLASS_STYLES = {
    "shared_priority": ("#a3461a", "D"),
    "blind_spot": ("#1d2433", "X"),
    "perceived_only": ("#1f5fa8", "o"),
    "not_priority": ("#8a93a3", "s"),
    "unknown": ("#ffffff", ""),
}


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # Text stays text: smaller files, and the words can be read out and copied.
    with rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()


def impact_radar(
    scores: Mapping[str, float | None],
    labels: Mapping[str, str],
    no_data_label: str,
    references: Sequence[tuple[str, Mapping[str, float]]] = (),
    own_label: str = "",
) -> bytes:
    """A radar of the three impact scores on 0–100, with reference medians if given.

    :param scores: per axis, the score (None when data are insufficient: marked, not drawn).
    :param labels: per axis, its label in the page's language.
    :param references: (legend label, medians per axis) of reference groups, drawn dashed and
        dotted.
    """
    figure = Figure(figsize=(4.6, 4.6), dpi=100, layout="constrained")
    axes = figure.add_subplot(projection="polar")
    angles = np.linspace(0, 2 * np.pi, len(AXES), endpoint=False) + np.pi / 2
    axes.set_ylim(0, 100)
    axes.set_yticks([25, 50, 75, 100])
    axes.set_yticklabels(["25", "50", "75", "100"], color=MUTED, fontsize=8)
    axes.set_xticks(angles)
    axes.set_xticklabels(
        [
            labels[axis] if scores.get(axis) is not None else f"{labels[axis]}\n({no_data_label})"
            for axis in AXES
        ],
        color=INK,
        fontsize=11,
    )
    axes.grid(color=GRID, linewidth=0.8)
    axes.spines["polar"].set_color(GRID)
    handles = []
    for (label, medians), style in zip(references, ("--", ":"), strict=False):
        points = [
            (angle, medians[axis])
            for axis, angle in zip(AXES, angles, strict=True)
            if medians.get(axis) is not None
        ]
        if len(points) >= 2:
            ring = [*points, points[0]]
            axes.plot(
                [a for a, _v in ring],
                [v for _a, v in ring],
                color=MUTED,
                linestyle=style,
                linewidth=1.6,
            )
            handles.append(Line2D([], [], color=MUTED, linestyle=style, linewidth=1.6, label=label))
    known = [
        (angle, scores[axis])
        for axis, angle in zip(AXES, angles, strict=True)
        if scores.get(axis) is not None
    ]
    if len(known) >= 2:
        ring = [*known, known[0]]
        axes.fill([a for a, _v in ring], [v for _a, v in ring], color=INK, alpha=0.08)
        axes.plot([a for a, _v in ring], [v for _a, v in ring], color=INK, linewidth=2)
    for axis, angle in zip(AXES, angles, strict=True):
        value = scores.get(axis)
        if value is None:
            continue
        axes.plot(
            [angle],
            [value],
            marker=AXIS_MARKERS[axis],
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
            fontsize=11,
            fontweight="bold",
            color=INK,
        )
    if handles:
        handles.insert(0, Line2D([], [], color=INK, linewidth=2, label=own_label))
        figure.legend(
            handles=handles, loc="outside lower center", ncols=1, frameon=False, fontsize=9
        )
    return _svg(figure)


@dataclass(frozen=True)
class DomainRow:
    label: str
    #: The respondent's rating out of 10 (None: « ne sait pas » or no answer).
    rating: float | None
    #: Fragility index, 100 = France (None: « non disponible »).
    index: float | None
    classification: str


def domain_comparison(
    rows: Sequence[DomainRow],
    titles: tuple[str, str],
    not_available: str,
    class_labels: Mapping[str, str],
) -> bytes:
    """Two panels sharing the 16 domains: the respondent's rating (0–10) and the objective
    fragility index (100 = France, dashed line at the national level)."""
    height = 0.36 * len(rows) + 1.6
    figure = Figure(figsize=(8.4, height), dpi=100, layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=(1, 1.2))
    positions = np.arange(len(rows))[::-1]
    for position, row in zip(positions, rows, strict=True):
        if row.rating is not None:
            left.barh(
                position, row.rating, color="#e9f0f9", edgecolor=INK, linewidth=0.8, height=0.6
            )
            left.text(
                row.rating + 0.15, position, f"{row.rating:.0f}", va="center", fontsize=8, color=INK
            )
        else:
            left.text(0.15, position, "—", va="center", fontsize=8, color=MUTED)
        if row.index is not None:
            colour, marker = CLASS_STYLES[row.classification]
            right.hlines(position, 100, row.index, color=GRID, linewidth=2)
            right.plot(
                row.index,
                position,
                marker=marker or "o",
                markersize=8,
                color=colour,
                markeredgecolor=INK,
                linestyle="none",
            )
            right.text(
                row.index, position + 0.32, f"{row.index:.0f}", ha="center", fontsize=7.5, color=INK
            )
        else:
            right.text(
                101, position, not_available, va="center", fontsize=7.5, color=MUTED, style="italic"
            )
    left.set_xlim(0, 10.8)
    left.set_xticks(range(0, 11, 2))
    left.set_yticks(positions)
    left.set_yticklabels([row.label for row in rows], fontsize=9, color=INK)
    left.set_title(titles[0], fontsize=10, color=INK, loc="left")
    indices = [row.index for row in rows if row.index is not None]
    low = min([60.0, *indices]) - 10
    high = max([140.0, *indices]) + 15
    right.set_xlim(low, high)
    right.axvline(100, color=MUTED, linestyle="--", linewidth=1)
    right.set_title(titles[1], fontsize=10, color=INK, loc="left")
    for panel in (left, right):
        panel.tick_params(colors=MUTED, labelsize=8)
        panel.grid(axis="x", color=GRID, linewidth=0.5)
        panel.set_axisbelow(True)
        for side in ("top", "right"):
            panel.spines[side].set_visible(False)
        panel.spines["left"].set_color(GRID)
        panel.spines["bottom"].set_color(GRID)
    handles = [
        Line2D(
            [],
            [],
            marker=CLASS_STYLES[name][1],
            color=CLASS_STYLES[name][0],
            markeredgecolor=INK,
            linestyle="none",
            markersize=7,
            label=class_labels[name],
        )
        for name in ("shared_priority", "blind_spot", "perceived_only", "not_priority")
    ]
    figure.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, fontsize=8.5)
    return _svg(figure)
