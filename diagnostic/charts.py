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
from matplotlib.patches import Rectangle

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


#: One marker per actor type, so that series read without colour.
ACTOR_MARKERS = {"citoyen": "o", "entreprise": "s", "association": "D", "elu": "^"}


def participation_timeline(timeline: Mapping[str, Mapping[str, int]], labels: Mapping[str, str],
                           title: str) -> bytes:
    """Cumulative responses per actor type, day by day."""
    figure = Figure(figsize=(7.2, 3.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    days = sorted({day for series in timeline.values() for day in series})
    if days:
        positions = {day: index for index, day in enumerate(days)}
        for actor, series in timeline.items():
            x = [positions[day] for day in sorted(series)]
            y = np.cumsum([series[day] for day in sorted(series)])
            axes.step(x, y, where="post", color=ACTOR_COLOURS.get(actor, INK), linewidth=2)
            axes.plot(x, y, linestyle="none", marker=ACTOR_MARKERS.get(actor, "o"),
                      color=ACTOR_COLOURS.get(actor, INK), markeredgecolor=INK,
                      label=labels.get(actor, actor))
            axes.annotate(str(int(y[-1])), (x[-1], y[-1]), textcoords="offset points",
                          xytext=(6, 0), va="center", fontsize=9, color=INK)
        ticks = sorted({0, len(days) - 1, *range(0, len(days), max(1, len(days) // 6))})
        axes.set_xticks(ticks)
        axes.set_xticklabels([days[t][5:] for t in ticks], fontsize=8, color=MUTED)
        axes.legend(frameon=False, fontsize=9, loc="upper left")
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    axes.grid(axis="y", color=GRID, linewidth=0.5)
    axes.tick_params(colors=MUTED, labelsize=8)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return _svg(figure)


@dataclass(frozen=True)
class HeatCell:
    #: Mean rating out of 10, None when suppressed or not rated.
    value: float | None
    suppressed: bool


def perception_heatmap(domains: Sequence[str], columns: Sequence[str],
                       cells: Sequence[Sequence[HeatCell]], indices: Sequence[float | None],
                       suppressed_label: str, index_title: str) -> bytes:
    """Domains × actor types: the mean rating out of 10 in each cell (written in it), suppressed
    cells hatched; the objective fragility index in a last column."""
    rows, cols = len(domains), len(columns)
    figure = Figure(figsize=(1.2 * cols + 4.6, 0.36 * rows + 1.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    palette = ["#f3f5f8", "#dbe6f3", "#b9cde6", "#8fb0d6", "#5f8dc2", "#1f5fa8", "#17467c"]
    for row, line in enumerate(cells):
        for col, cell in enumerate(line):
            y = rows - 1 - row
            if cell.suppressed or cell.value is None:
                axes.add_patch(Rectangle((col, y), 1, 1, facecolor="#ffffff", edgecolor=GRID,
                                         hatch="///" if cell.suppressed else None,
                                         linewidth=0.5))
                axes.text(col + 0.5, y + 0.5, suppressed_label if cell.suppressed else "—",
                          ha="center", va="center", fontsize=7.5, color=MUTED)
                continue
            shade = palette[min(len(palette) - 1, int(cell.value / 10 * len(palette)))]
            axes.add_patch(Rectangle((col, y), 1, 1, facecolor=shade, edgecolor="#ffffff",
                                     linewidth=1))
            dark = palette.index(shade) >= 5
            axes.text(col + 0.5, y + 0.5, f"{cell.value:.1f}", ha="center", va="center",
                      fontsize=9, color="#ffffff" if dark else INK,
                      fontweight="bold" if dark else "normal")
        index = indices[row]
        axes.text(cols + 0.6, rows - 1 - row + 0.5,
                  "—" if index is None else f"{index:.0f}", ha="center", va="center",
                  fontsize=9, color=INK, fontweight="bold" if index and index >= 110 else "normal")
    axes.set_xlim(0, cols + 1.2)
    axes.set_ylim(0, rows)
    axes.set_xticks([c + 0.5 for c in range(cols)] + [cols + 0.6])
    axes.set_xticklabels([*columns, index_title], fontsize=8.5, color=INK)
    axes.xaxis.tick_top()
    axes.set_yticks([rows - 1 - r + 0.5 for r in range(rows)])
    axes.set_yticklabels(domains, fontsize=8.5, color=INK)
    axes.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        axes.spines[side].set_visible(False)
    return _svg(figure)


@dataclass(frozen=True)
class Range:
    label: str
    actor: str
    median: float | None
    q1: float | None
    q3: float | None
    references: tuple[float | None, float | None] = (None, None)
    suppressed: bool = False


def impact_ranges(panels: Mapping[str, Sequence[Range]], titles: Mapping[str, str],
                  reference_labels: tuple[str, str], suppressed_label: str) -> bytes:
    """One panel per impact: per actor type, the median (marker) and the middle half (bar) of the
    scores, with the regional (|) and national (◇) medians of the same actor type."""
    figure = Figure(figsize=(8.4, 1.0 + 0.5 * max(len(r) for r in panels.values())), dpi=100,
                    layout="constrained")
    subplots = figure.subplots(1, len(panels), sharey=True)
    for panel, (axis, ranges) in zip(np.atleast_1d(subplots), panels.items(), strict=True):
        for position, item in enumerate(reversed(ranges)):
            colour = ACTOR_COLOURS.get(item.actor, INK)
            if item.median is None:
                panel.text(50, position, suppressed_label if item.suppressed else "—",
                           ha="center", va="center", fontsize=7.5, color=MUTED)
                continue
            panel.hlines(position, item.q1, item.q3, color=colour, linewidth=6, alpha=0.35)
            panel.plot(item.median, position, marker=AXIS_MARKERS[axis], color=colour,
                       markeredgecolor=INK, markersize=9, linestyle="none")
            region, country = item.references
            if region is not None:
                panel.plot(region, position, marker="|", color=INK, markersize=14)
            if country is not None:
                panel.plot(country, position, marker="D", fillstyle="none", color=INK,
                           markersize=6)
        panel.set_xlim(0, 100)
        panel.set_xticks([0, 25, 50, 75, 100])
        panel.set_yticks(range(len(ranges)))
        panel.set_yticklabels([item.label for item in reversed(ranges)], fontsize=9, color=INK)
        panel.set_title(titles[axis], fontsize=10, color=INK, loc="left")
        panel.grid(axis="x", color=GRID, linewidth=0.5)
        panel.tick_params(colors=MUTED, labelsize=8)
        for side in ("top", "right"):
            panel.spines[side].set_visible(False)
    figure.legend(handles=[
        Line2D([], [], marker="|", color=INK, linestyle="none", markersize=12,
               label=reference_labels[0]),
        Line2D([], [], marker="D", fillstyle="none", color=INK, linestyle="none",
               markersize=6, label=reference_labels[1]),
    ], loc="outside lower center", ncols=2, frameon=False, fontsize=8.5)
    return _svg(figure)


#: Up to four territories side by side: a colour, a hatch pattern and a marker shape each, so
#: that the series read in greyscale and without colour.
SERIES_STYLES = (
    ("#1f5fa8", "", "o"),
    ("#a3461a", "///", "s"),
    ("#2e7d4f", "...", "^"),
    ("#6b3fa0", "xx", "D"),
)


def fragility_indices_size(domains: int, territories: int) -> tuple[int, int]:
    """Width and height in pixels of `fragility_indices` (for the page's `<img>`)."""
    return 840, round(100 * (domains * (0.22 + 0.24 * territories) + 1.4))


def fragility_indices(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    france_label: str,
    not_available: str,
) -> bytes:
    """The fragility index of each domain for one to four territories: per domain, one bar per
    territory from the national level (100, a dashed line) to its index, hatched and ended by a
    marker of its own; « non disponible » written where a territory has no index.

    :param labels: the domains, in the page's language.
    :param series: (territory name, index per domain in `labels` order, None when missing).
    """
    if not 1 <= len(series) <= len(SERIES_STYLES):
        raise ValueError(f"1 to {len(SERIES_STYLES)} series, not {len(series)}")
    count = len(series)
    step = 0.8 / count
    width, height = fragility_indices_size(len(labels), count)
    figure = Figure(figsize=(width / 100, height / 100), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    known = [value for _name, values in series for value in values if value is not None]
    low = min([70.0, *known]) - 8
    high = max([130.0, *known]) + 12
    centres = np.arange(len(labels))[::-1].astype(float)
    for number, (_name, values) in enumerate(series):
        colour, hatch, marker = SERIES_STYLES[number]
        for centre, value in zip(centres, values, strict=True):
            y = centre + 0.4 - step * (number + 0.5)
            if value is None:
                axes.text(100 + (high - low) * 0.01, y, not_available, va="center",
                          fontsize=7, color=MUTED, style="italic")
                continue
            axes.barh(y, value - 100, left=100, height=step * 0.82, color=colour, alpha=0.3,
                      hatch=hatch, edgecolor=colour, linewidth=0.8)
            axes.plot(value, y, marker=marker, markersize=6.5, color=colour, markeredgecolor=INK,
                      linestyle="none")
            offset = 6 if value >= 100 else -6
            axes.annotate(f"{value:.0f}", (value, y), textcoords="offset points",
                          xytext=(offset, 0), ha="left" if value >= 100 else "right",
                          va="center", fontsize=7.5, color=INK)
    axes.axvline(100, color=MUTED, linestyle="--", linewidth=1)
    axes.set_xlim(low, high)
    axes.set_ylim(-0.6, len(labels) - 0.4)
    axes.set_yticks(centres)
    axes.set_yticklabels(labels, fontsize=9, color=INK)
    for boundary in centres[:-1] - 0.5:
        axes.axhline(boundary, color=GRID, linewidth=0.4)
    axes.set_title(title, fontsize=10, color=INK, loc="left")
    axes.tick_params(colors=MUTED, labelsize=8)
    axes.grid(axis="x", color=GRID, linewidth=0.5)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    handles: list = [
        (Rectangle((0, 0), 1, 1, facecolor=colour, alpha=0.3, hatch=hatch, edgecolor=colour),
         Line2D([], [], marker=marker, markersize=6.5, color=colour, markeredgecolor=INK,
                linestyle="none"))
        for colour, hatch, marker in SERIES_STYLES[:count]
    ]
    handles.append(Line2D([], [], color=MUTED, linestyle="--", linewidth=1))
    figure.legend(handles=handles, labels=[*(name for name, _values in series), france_label],
                  loc="outside lower center", ncols=2, frameon=False, fontsize=8.5)
    return _svg(figure)
