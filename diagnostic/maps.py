"""Maps of France rendered on the server with matplotlib, as SVG bytes (no pyplot: thread-safe).

A choropleth of the fragility index by region or department: metropolitan France (Corsica
included) in the Lambert-93 projection, each overseas region in an inset of its own, the classes
of one shared scale (100 = France) in a legend with the hatched « donnée non disponible ». Every
territory is a link to its profile with a `<title>` naming it with its value; the page that shows
a map lists the same values in a table (colour is never the only carrier of a value).

Pure rendering: plain data in, SVG out, no request and no database. The outlines (IGN GEOFLA via
france-geojson, see `data/maps/README.md`) are read and projected once per process.
"""

from __future__ import annotations

import bisect
import io
import json
import math
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as ShapePath

from .charts import GRID, INK, MUTED

LEVELS = ("region", "departement")
OUTLINES_DIR = Path(__file__).resolve().parent / "data" / "maps"
OUTLINE_FILES = {"region": "regions.geojson", "departement": "departements.geojson"}
#: The overseas regions (each also a department), drawn in insets, top to bottom: Guadeloupe,
#: Martinique, Guyane, La Réunion, Mayotte.
OVERSEAS = {
    "region": ("01", "02", "03", "04", "06"),
    "departement": ("971", "972", "973", "974", "976"),
}
#: Paris and the petite couronne, too small on a national map: shown again in a zoom (not linked
#: twice: the links are on the national map).
PARIS_ZOOM = ("75", "92", "93", "94")

#: The class boundaries of the fragility index, the same for every domain and level; a class
#: holds [lower, upper): 100 itself (the national level) is on the more fragile side.
BOUNDS = (80.0, 90.0, 100.0, 110.0, 120.0)
#: The classes, from least to most fragile: the first three are less fragile than France.
CLASSES = ("much-less", "less", "slightly-less", "slightly-more", "more", "much-more")
LESS_FRAGILE = CLASSES[:3]
MORE_FRAGILE = CLASSES[3:]
#: Blues below 100, oranges from 100, and a lightness that falls from the least to the most
#: fragile class (CIE L* 95, 86, 76, 66, 51, 38), so that the order reads in greyscale too.
CLASS_COLOURS = {
    "much-less": "#eaf2fa",
    "less": "#c6dbef",
    "slightly-less": "#9dbfe3",
    "slightly-more": "#dc8f5c",
    "more": "#bd5f2c",
    "much-more": "#94401a",
}
NO_DATA_COLOUR = "#e6e8ec"
NO_DATA_HATCH = "////"
#: Borders in the ink colour: 15.8:1 against the white page, 2.2:1 on the darkest class.
BORDER = INK
CURRENT_HALO = "#ffffff"

FIGURE_SIZE = (7.2, 7.6)
#: Matplotlib draws a hatch pattern and clip paths with ids hashed from this salt: fixed, the
#: same data always gives the same bytes.
HASH_SALT = "diagnostic-maps"
#: The digits after the first decimal of a number.
_DECIMALS = re.compile(r"(?<=\.\d)\d+")


@dataclass(frozen=True)
class MapLabels:
    """The words of a map, already in the page's language."""

    title: str
    legend_title: str
    no_data: str
    less_fragile: str
    more_fragile: str
    #: The `<title>` of each territory, with `{name}` and `{value}` (the index, or `no_data`).
    territory_title: str = "{name} : {value}"
    decimal_mark: str = ","
    #: Caption of the zoom on Paris and the petite couronne (department map); empty: no zoom.
    paris_caption: str = ""


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    #: Projected outline in km: Lambert-93 for metropolitan France, a local equirectangular
    #: projection for an overseas territory. One path per territory (islands included), so that
    #: it is one shape, one link.
    path: ShapePath
    overseas: bool


def fragility_class(index: float | None) -> str | None:
    """The legend class of a fragility index (100 = France); None when there is no index."""
    if index is None or not math.isfinite(index):
        return None
    return CLASSES[bisect.bisect_right(BOUNDS, index)]


def class_range(name: str) -> tuple[float | None, float | None]:
    """The [lower, upper) interval of a class, None for an open end."""
    position = CLASSES.index(name)
    lower = BOUNDS[position - 1] if position > 0 else None
    upper = BOUNDS[position] if position < len(BOUNDS) else None
    return lower, upper


def feature_codes(level: str) -> list[str]:
    """The INSEE codes of the outlines of a level, in the order of the file (18 / 101)."""
    return [outline.code for outline in outlines(level)]


# --------------------------------------------------------------------------- outlines

_A = 6378137.0  # GRS80
_E = math.sqrt(2 / 298.257222101 - (1 / 298.257222101) ** 2)


def _lambert_t(latitude: np.ndarray | float) -> np.ndarray | float:
    sine = np.sin(latitude)
    return np.tan(np.pi / 4 - latitude / 2) / ((1 - _E * sine) / (1 + _E * sine)) ** (_E / 2)


def _lambert_m(latitude: float) -> float:
    return math.cos(latitude) / math.sqrt(1 - (_E * math.sin(latitude)) ** 2)


_PHI1, _PHI2, _PHI0, _LAMBDA0 = (math.radians(d) for d in (44.0, 49.0, 46.5, 3.0))
_N = (math.log(_lambert_m(_PHI1)) - math.log(_lambert_m(_PHI2))) / (
    math.log(_lambert_t(_PHI1)) - math.log(_lambert_t(_PHI2))
)
_F = _lambert_m(_PHI1) / (_N * _lambert_t(_PHI1) ** _N)
_RHO0 = _A * _F * _lambert_t(_PHI0) ** _N


def lambert93(longitude: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    """Lambert-93 (EPSG:2154) coordinates in km of WGS84 degrees: the official projection of
    metropolitan France (conformal conic on GRS80, standard parallels 44° and 49°)."""
    rho = _A * _F * _lambert_t(np.radians(latitude)) ** _N
    theta = _N * (np.radians(longitude) - _LAMBDA0)
    x = 700000.0 + rho * np.sin(theta)
    y = 6600000.0 + _RHO0 - rho * np.cos(theta)
    return np.column_stack([x, y]) / 1000.0


def _equirectangular(reference_latitude: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Longitude scaled by cos(latitude) around one latitude, in km: fine for one island."""
    scale = 6371.0 * math.pi / 180

    def project(longitude: np.ndarray, latitude: np.ndarray) -> np.ndarray:
        x = longitude * scale * math.cos(math.radians(reference_latitude))
        return np.column_stack([x, latitude * scale])

    return project


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _shape(polygons: list, project) -> ShapePath:
    """One path of all the polygons of a territory: outer rings anticlockwise, holes clockwise,
    so that SVG's default non-zero fill leaves the holes empty."""
    vertices, codes = [], []
    for polygon in polygons:
        for position, ring in enumerate(polygon):
            points = np.asarray(ring, dtype=float)
            if len(points) > 1 and np.array_equal(points[0], points[-1]):
                points = points[:-1]
            if len(points) < 3:
                continue
            projected = project(points[:, 0], points[:, 1])
            outer = position == 0
            if (_signed_area(projected) > 0) != outer:
                projected = projected[::-1]
            vertices += [projected, projected[:1]]
            codes += [
                [ShapePath.MOVETO] + [ShapePath.LINETO] * (len(projected) - 1),
                [ShapePath.CLOSEPOLY],
            ]
    return ShapePath(np.concatenate(vertices), np.concatenate(codes).astype(ShapePath.code_type))


@cache
def outlines(level: str) -> tuple[Outline, ...]:
    """The projected outlines of a level, read once per process."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    collection = json.loads((OUTLINES_DIR / OUTLINE_FILES[level]).read_text(encoding="utf-8"))
    found = []
    for feature in collection["features"]:
        code, geometry = feature["properties"]["code"], feature["geometry"]
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        overseas = code in OVERSEAS[level]
        if overseas:
            latitudes = [point[1] for polygon in polygons for point in polygon[0]]
            project = _equirectangular((min(latitudes) + max(latitudes)) / 2)
        else:
            project = lambert93
        found.append(Outline(code, feature["properties"]["nom"], _shape(polygons, project),
                             overseas))
    return tuple(found)


# --------------------------------------------------------------------------- drawing


def _fill(patch: PathPatch, name: str | None) -> None:
    if name is None:
        patch.set_facecolor(NO_DATA_COLOUR)
        patch.set_hatch(NO_DATA_HATCH)
        patch.set_hatchcolor(MUTED)
    else:
        patch.set_facecolor(CLASS_COLOURS[name])


def _territory(axes: Axes, outline: Outline, name: str | None, width: float,
               gid: str | None = None, url: str | None = None) -> None:
    patch = PathPatch(outline.path, edgecolor=BORDER, linewidth=width, clip_on=False, zorder=1)
    _fill(patch, name)
    patch.set_gid(gid)
    patch.set_url(url)
    # Not add_patch: the limits are set by _frame, and updating them from every vertex would
    # take most of the rendering time.
    axes.add_artist(patch)


def _outline_current(axes: Axes, outline: Outline, gid: str) -> None:
    """A thick dark line with a white halo, on top: it shows on the darkest class too."""
    for colour, line_width, line_gid in ((CURRENT_HALO, 4.4, None), (INK, 2.2, gid)):
        axes.add_artist(PathPatch(outline.path, facecolor="none", edgecolor=colour,
                                  linewidth=line_width, clip_on=False, zorder=3, gid=line_gid))


def _frame(axes: Axes, paths: list[ShapePath], margin: float) -> None:
    """Limits around the paths, widened to the shape of the axes: one km is as long across as
    up, and every inset keeps the box it was given."""
    extents = np.array([path.get_extents().bounds for path in paths])
    x0, y0 = extents[:, 0].min(), extents[:, 1].min()
    x1 = (extents[:, 0] + extents[:, 2]).max()
    y1 = (extents[:, 1] + extents[:, 3]).max()
    pad = margin * max(x1 - x0, y1 - y0)
    width, height = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    box = axes.get_position()
    figure_width, figure_height = axes.get_figure().get_size_inches()
    ratio = (box.height * figure_height) / (box.width * figure_width)
    width, height = max(width, height / ratio), max(height, width * ratio)
    middle_x, middle_y = (x0 + x1) / 2, (y0 + y1) / 2
    axes.set_xlim(middle_x - width / 2, middle_x + width / 2)
    axes.set_ylim(middle_y - height / 2, middle_y + height / 2)
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])


def _boxed(axes: Axes) -> None:
    for spine in axes.spines.values():
        spine.set_color(GRID)
        spine.set_linewidth(0.8)


def _legend(figure: Figure, labels: MapLabels) -> None:
    """The six classes left to right, the line of France (100) between the two sides, and the
    hatched swatch of « donnée non disponible »."""
    axes = figure.add_axes((0.03, 0.012, 0.94, 0.118))
    axes.set_xlim(0, 100)
    axes.set_ylim(0, 10)
    axes.set_axis_off()
    axes.text(0, 9.6, labels.legend_title, fontsize=9.5, fontweight="bold", color=INK, va="top")
    left, width, bottom, height = 1.0, 9.5, 4.4, 2.6
    for position, name in enumerate(CLASSES):
        swatch = Rectangle((left + position * width, bottom), width, height, edgecolor=BORDER,
                           linewidth=0.6, gid=f"legend-{name}")
        _fill(swatch, name)
        axes.add_patch(swatch)
    for position, bound in enumerate(BOUNDS, start=1):
        national = bound == 100
        axes.text(left + position * width, bottom - 0.6, f"{bound:.0f}", ha="center", va="top",
                  fontsize=8.5 if not national else 9, color=INK,
                  fontweight="bold" if national else "normal")
    middle = left + 3 * width
    axes.plot([middle, middle], [bottom - 0.3, bottom + height + 0.8], color=INK, linewidth=1.6,
              gid="legend-france", solid_capstyle="butt")
    axes.text(middle - 0.8, 0.6, f"← {labels.less_fragile}", ha="right", va="bottom",
              fontsize=8.5, color=INK, gid="legend-less-fragile")
    axes.text(middle + 0.8, 0.6, f"{labels.more_fragile} →", ha="left", va="bottom",
              fontsize=8.5, color=INK, gid="legend-more-fragile")
    no_data_left = left + 6 * width + 5
    swatch = Rectangle((no_data_left, bottom), 6, height, edgecolor=BORDER, linewidth=0.6,
                       gid="legend-no-data")
    _fill(swatch, None)
    axes.add_patch(swatch)
    axes.text(no_data_left + 7.2, bottom + height / 2, textwrap.fill(labels.no_data, 22),
              va="center", fontsize=8.5, color=INK)


def _format(value: float | None, labels: MapLabels) -> str:
    if value is None or not math.isfinite(value):
        return labels.no_data
    return f"{value:.1f}".replace(".", labels.decimal_mark)


def _svg(figure: Figure) -> str:
    buffer = io.BytesIO()
    # Text stays text, as in charts.py; the salt makes the ids, hence the bytes, reproducible.
    with rc_context({"svg.fonttype": "none", "font.family": "DejaVu Sans",
                     "svg.hashsalt": HASH_SALT, "hatch.linewidth": 0.8}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue().decode("utf-8")


def _attributes(style: str) -> str:
    declarations = (item.split(":", 1) for item in style.split(";") if item.strip())
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in declarations)


def _finish(svg: str, titles: Mapping[str, str], classes: Mapping[str, str], title: str) -> str:
    """What matplotlib cannot say: a `<title>` for the document and for each territory's link
    (its accessible name and tooltip), a class naming the territory's legend class, and links
    that open in the same window.

    Styles become presentation attributes (`fill="…"` instead of `style="fill: …"`, no `<style>`
    element), so that a page may put the map in its HTML, links and all, under a policy without
    inline styles. Path coordinates to 0.1 pt, on one line: a third of the bytes, the same
    drawing."""

    def territory(match: re.Match) -> str:
        code = match["code"]
        return (
            f'<g id="territory-{code}" class="territory fragility-{classes[code]}">'
            f'{match["space"]}<a xlink:href={match["href"]}>'
            f"<title>{escape(titles[code])}</title>"
        )

    svg = re.sub(
        r'<g id="territory-(?P<code>[0-9AB]+)">(?P<space>\s*)<a xlink:href=(?P<href>"[^"]*")'
        r' target="_blank">',
        territory,
        svg,
    )
    svg = re.sub(r"(<svg [^>]*>)", lambda m: f"{m[1]}\n <title>{escape(title)}</title>", svg,
                 count=1)
    svg = re.sub(r'\s*<defs>\s*<style type="text/css">\*\{(?P<style>[^}]*)\}</style>\s*</defs>'
                 r'(?P<space>\s*)<g id="figure_1">',
                 lambda m: f'{m["space"]}<g id="figure_1"{_attributes(m["style"])}>', svg, count=1)
    svg = re.sub(r' style="([^"]*)"', lambda m: _attributes(m[1]), svg)
    return re.sub(r' d="[^"]*"', lambda m: _DECIMALS.sub("", m[0]).replace(" \n", " "), svg)


def html_fragment(svg: bytes) -> str:
    """A map as an element to put in an HTML page: without the XML declaration and doctype."""
    text = svg.decode("utf-8")
    return text[text.index("<svg "):]


def choropleth(
    level: str,
    values: Mapping[str, float | None],
    *,
    href: Callable[[str], str],
    labels: MapLabels,
    names: Mapping[str, str] | None = None,
    current: str | None = None,
) -> bytes:
    """A map of France by region or department, each territory filled with the class of its
    fragility index (hatched grey when it has none) and linked to `href(code)`.

    :param level: "region" or "departement".
    :param values: fragility index (100 = France) per INSEE code; a code missing or None has no
        data.
    :param names: territory names per code, for the titles (else the names of the outlines).
    :param current: the code of a territory to outline.
    """
    shapes = outlines(level)
    codes = {outline.code for outline in shapes}
    if current is not None and current not in codes:
        raise ValueError(f"no {level} {current!r} on the map")
    names = names or {}
    classes, titles = {}, {}
    for outline in shapes:
        value = values.get(outline.code)
        name = fragility_class(value)
        classes[outline.code] = name or "no-data"
        titles[outline.code] = labels.territory_title.format(
            name=names.get(outline.code, outline.name), value=_format(value, labels)
        )
    width = 0.6 if level == "region" else 0.35
    figure = Figure(figsize=FIGURE_SIZE, dpi=72)
    figure.text(0.02, 0.985, textwrap.fill(labels.title, 64), fontsize=12, fontweight="bold",
                color=INK, va="top")
    main = figure.add_axes((0.2, 0.15, 0.79, 0.77))
    main.set_axis_off()
    metropolitan = [outline for outline in shapes if not outline.overseas]
    for outline in metropolitan:
        _territory(main, outline, fragility_class(values.get(outline.code)), width,
                   f"territory-{outline.code}", href(outline.code))
        if outline.code == current:
            _outline_current(main, outline, f"current-{outline.code}")
    _frame(main, [outline.path for outline in metropolitan], 0.01)

    overseas = {outline.code: outline for outline in shapes if outline.overseas}
    inset_height, gap, top = 0.128, 0.027, 0.9
    for position, code in enumerate(OVERSEAS[level]):
        outline = overseas[code]
        bottom = top - position * (inset_height + gap) - inset_height
        inset = figure.add_axes((0.015, bottom, 0.165, inset_height), gid=f"inset-{code}")
        _territory(inset, outline, fragility_class(values.get(code)), width,
                   f"territory-{code}", href(code))
        if code == current:
            _outline_current(inset, outline, f"current-{code}")
        _frame(inset, [outline.path], 0.08)
        _boxed(inset)
        inset.text(0.5, 1.02, names.get(code, outline.name), transform=inset.transAxes,
                   ha="center", va="bottom", fontsize=8, color=INK, gid=f"caption-{code}")

    if level == "departement" and labels.paris_caption:
        zoom = figure.add_axes((0.8, 0.745, 0.155, 0.155), gid="inset-paris")
        for outline in shapes:
            if outline.code in PARIS_ZOOM:
                _territory(zoom, outline, fragility_class(values.get(outline.code)), 0.5,
                           f"zoom-{outline.code}")
                if outline.code == current:
                    _outline_current(zoom, outline, f"zoom-current-{outline.code}")
        _frame(zoom, [o.path for o in shapes if o.code in PARIS_ZOOM], 0.06)
        _boxed(zoom)
        zoom.text(0.5, 1.02, textwrap.fill(labels.paris_caption, 26), transform=zoom.transAxes,
                  ha="center", va="bottom", fontsize=8, color=INK, gid="caption-paris")

    _legend(figure, labels)
    return _finish(_svg(figure), titles, classes, labels.title).encode("utf-8")
