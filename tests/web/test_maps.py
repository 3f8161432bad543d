"""The fragility maps: one link per region (18) and department (101), colours that follow the
index on one legend, hatched « donnée non disponible », overseas insets, the current territory
outlined; and the API that serves them from the reference data."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from sqlalchemy import delete

from diagnostic import maps
from diagnostic.extensions import db
from diagnostic.models import Indicator, IndicatorValue, ReferenceImport
from diagnostic.registry import catalog
from diagnostic.services import reference
from diagnostic.services.maps import MEAN, level_fragility
from diagnostic.services.territories import get_territory
from scoring.fragility import mean_index

SVG = "{http://www.w3.org/2000/svg}"
HREF = "{http://www.w3.org/1999/xlink}href"
LABELS = maps.MapLabels(
    title="Indice de fragilité par région : santé",
    legend_title="Indice de fragilité (100 = France)",
    no_data="donnée non disponible",
    less_fragile="moins fragile que la France",
    more_fragile="plus fragile que la France",
    paris_caption="Paris et petite couronne",
)
OVERSEAS_NAMES = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
}


def draw(level: str, values, **options) -> ET.Element:
    svg = maps.choropleth(
        level, values, href=lambda code: f"/territoires/{level}:{code}", labels=LABELS, **options
    )
    return ET.fromstring(svg)


def links(root: ET.Element) -> dict[str, str]:
    """Per link, the text of its `<title>`."""
    found = {}
    for link in root.iter(f"{SVG}a"):
        assert link.get(HREF) not in found, link.get(HREF)
        found[link.get(HREF)] = link.find(f"{SVG}title").text
    return found


def group(root: ET.Element, gid: str) -> ET.Element:
    matches = [element for element in root.iter() if element.get("id") == gid]
    assert len(matches) == 1, (gid, len(matches))
    return matches[0]


def fill(root: ET.Element, gid: str) -> str:
    return group(root, gid).find(f".//{SVG}path").get("fill")


def xs(root: ET.Element, gid: str) -> list[float]:
    """The x coordinates of the path of a group."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", group(root, gid).find(
        f".//{SVG}path").get("d"))]
    return numbers[0::2]


def text_x(root: ET.Element, gid: str) -> float:
    return float(group(root, gid).find(f".//{SVG}text").get("x"))


def classes_of(root: ET.Element) -> dict[str, str]:
    """Per territory code, the legend class written on its group."""
    found = {}
    for element in root.iter(f"{SVG}g"):
        if (element.get("id") or "").startswith("territory-"):
            kind, name = element.get("class").split()
            assert kind == "territory"
            found[element.get("id").removeprefix("territory-")] = name.removeprefix("fragility-")
    return found


# --------------------------------------------------------------------------- the outlines


def test_the_outlines_are_the_18_regions_and_101_departments():
    regions, departments = maps.feature_codes("region"), maps.feature_codes("departement")
    assert len(regions) == len(set(regions)) == 18
    assert len(departments) == len(set(departments)) == 101
    assert {"01", "02", "03", "04", "06", "11", "84", "94"} <= set(regions)
    assert {"2A", "2B", "69", "75", "971", "976"} <= set(departments)
    assert "20" not in departments
    overseas = {o.code for o in maps.outlines("departement") if o.overseas}
    assert overseas == {"971", "972", "973", "974", "976"}
    corse = next(o for o in maps.outlines("region") if o.code == "94")
    assert not corse.overseas  # Corsica is drawn with metropolitan France
    with pytest.raises(ValueError):
        maps.feature_codes("commune")


def test_metropolitan_france_is_in_lambert_93():
    # PROJ (cs2cs EPSG:4326 → EPSG:2154) gives 652469.02 6862035.26 m for Paris, 2.3522 E
    # 48.8566 N; the projection's origin, 3 E 46.5 N, is 700000 6600000 m.
    projected = maps.lambert93(np.array([2.3522, 3.0]), np.array([48.8566, 46.5]))
    assert projected[0] == pytest.approx([652.46902, 6862.03526], abs=1e-4)
    assert projected[1] == pytest.approx([700.0, 6600.0], abs=1e-9)
    # Paris lies inside the Île-de-France outline, Lyon in Auvergne-Rhône-Alpes'.
    outlines = {o.code: o.path for o in maps.outlines("region")}
    paris, lyon = maps.lambert93(np.array([2.3522, 4.8357]), np.array([48.8566, 45.7640]))
    assert outlines["11"].contains_point(paris) and not outlines["84"].contains_point(paris)
    assert outlines["84"].contains_point(lyon)


def test_a_multipolygon_is_one_shape():
    # Guadeloupe's islands, Brittany's and Provence's islands: one path, hence one link each.
    outline = next(o for o in maps.outlines("departement") if o.code == "971")
    assert list(outline.path.codes).count(outline.path.MOVETO) > 1
    root = draw("departement", {})
    assert len(group(root, "territory-971").findall(f".//{SVG}path")) == 1


# --------------------------------------------------------------------------- the scale


@pytest.mark.parametrize(
    ("index", "name"),
    [
        (42.0, "much-less"),
        (79.99, "much-less"),
        (80.0, "less"),
        (89.9, "less"),
        (90.0, "slightly-less"),
        (99.99, "slightly-less"),
        (100.0, "slightly-more"),
        (109.9, "slightly-more"),
        (110.0, "more"),
        (119.99, "more"),
        (120.0, "much-more"),
        (130.0, "much-more"),
        (None, None),
        (math.nan, None),
    ],
)
def test_fragility_class(index, name):
    assert maps.fragility_class(index) == name


def test_the_classes_fall_on_both_sides_of_france():
    assert maps.LESS_FRAGILE == ("much-less", "less", "slightly-less")
    assert maps.MORE_FRAGILE == ("slightly-more", "more", "much-more")
    assert [maps.class_range(name) for name in maps.CLASSES] == [
        (None, 80.0),
        (80.0, 90.0),
        (90.0, 100.0),
        (100.0, 110.0),
        (110.0, 120.0),
        (120.0, None),
    ]


def luminance(colour: str) -> float:
    """WCAG relative luminance of #rrggbb."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_colours_read_in_greyscale_and_borders_stand_out():
    lightness = [luminance(maps.CLASS_COLOURS[name]) for name in maps.CLASSES]
    # Darker with each class, by a visible step (luminance ratio at least 1.2).
    assert all(a / b >= 1.2 for a, b in itertools.pairwise(lightness))
    assert contrast(maps.BORDER, "#ffffff") >= 4.5
    assert contrast(maps.BORDER, maps.CLASS_COLOURS["much-more"]) >= 2
    assert contrast(maps.CLASS_COLOURS["much-less"], "#ffffff") < contrast(maps.BORDER, "#ffffff")


# --------------------------------------------------------------------------- the map


def test_one_link_per_region_with_its_name_and_value():
    values = dict.fromkeys(maps.feature_codes("region"), 100.0)
    values.update({"76": 115.86, "11": 72.4, "28": None})
    root = draw("region", values, names={"76": "Occitanie (nom de la base)"})
    found = links(root)
    assert len(found) == 18
    assert set(found) == {f"/territoires/region:{c}" for c in maps.feature_codes("region")}
    assert found["/territoires/region:76"] == "Occitanie (nom de la base) : 115,9"
    assert found["/territoires/region:11"] == "Île-de-France : 72,4"
    assert found["/territoires/region:28"] == "Normandie : donnée non disponible"
    assert found["/territoires/region:01"] == "Guadeloupe : 100,0"
    # Each link is the territory's group: its shape, nothing else.
    for code in maps.feature_codes("region"):
        territory = group(root, f"territory-{code}")
        (link,) = territory.findall(f"{SVG}a")
        assert link.get(HREF) == f"/territoires/region:{code}"
        assert link.get("target") is None  # opens in the same window


def test_one_link_per_department():
    root = draw("departement", {"2A": 104.0, "69": 96.0}, current="69")
    found = links(root)
    assert len(found) == 101
    codes = maps.feature_codes("departement")
    assert set(found) == {f"/territoires/departement:{code}" for code in codes}
    assert found["/territoires/departement:2A"] == "Corse-du-Sud : 104,0"
    # The Paris zoom draws 75, 92, 93 and 94 again, without a second link.
    for code in maps.PARIS_ZOOM:
        zoom = group(root, f"zoom-{code}")
        assert zoom.find(f".//{SVG}a") is None
        assert zoom.find(f".//{SVG}path").get("fill") == fill(root, f"territory-{code}")
    assert group(root, "caption-paris").find(f".//{SVG}text").text == "Paris et petite couronne"


def test_colours_follow_the_index_on_the_legend():
    values = dict.fromkeys(maps.feature_codes("region"), 95.0)
    values.update({"76": 130.0, "11": 70.0, "84": 100.0, "93": 112.0})
    root = draw("region", values)
    classes = classes_of(root)
    assert (classes["76"], classes["11"], classes["84"], classes["93"], classes["24"]) == (
        "much-more", "much-less", "slightly-more", "more", "slightly-less"
    )
    # The fill of a territory is that of its class's swatch in the legend.
    for code, name in classes.items():
        assert fill(root, f"territory-{code}") == maps.CLASS_COLOURS[name]
        assert fill(root, f"legend-{name}") == maps.CLASS_COLOURS[name]
    assert fill(root, "territory-76") == "#94401a"
    assert fill(root, "territory-11") == "#eaf2fa"
    # 130 is on the « plus fragile » side of the line of France, 70 on the other side.
    france = xs(root, "legend-france")[0]
    assert min(xs(root, "legend-much-more")) >= france
    assert max(xs(root, "legend-much-less")) <= france
    for name in maps.MORE_FRAGILE:
        assert min(xs(root, f"legend-{name}")) >= france
    for name in maps.LESS_FRAGILE:
        assert max(xs(root, f"legend-{name}")) <= france
    more = group(root, "legend-more-fragile").find(f".//{SVG}text")
    less = group(root, "legend-less-fragile").find(f".//{SVG}text")
    assert more.text == "plus fragile que la France →" and more.get("text-anchor") == "start"
    assert float(more.get("x")) > france  # starts right of the line
    assert less.text == "← moins fragile que la France" and less.get("text-anchor") == "end"
    assert float(less.get("x")) < france  # ends left of it
    legend_numbers = [
        text.text for text in root.iter(f"{SVG}text") if text.text in {"80", "90", "100", "110",
                                                                        "120"}
    ]
    assert legend_numbers == ["80", "90", "100", "110", "120"]


def test_a_domain_without_data_is_hatched_everywhere():
    root = draw("region", dict.fromkeys(maps.feature_codes("region")))
    hatch = fill(root, "legend-no-data")
    assert re.fullmatch(r"url\(#h[0-9a-f]+\)", hatch)
    pattern = group(root, hatch[5:-1])
    assert pattern.tag == f"{SVG}pattern"
    assert pattern.find(f"{SVG}rect").get("fill") == maps.NO_DATA_COLOUR
    assert pattern.find(f"{SVG}path").get("d").count("M") >= 10  # the hatch lines
    assert set(classes_of(root).values()) == {"no-data"}
    for code in maps.feature_codes("region"):
        assert fill(root, f"territory-{code}") == hatch
    assert all(title.endswith(" : donnée non disponible") for title in links(root).values())
    assert group(root, "legend-no-data") is not None
    assert "donnée non disponible" in {text.text for text in root.iter(f"{SVG}text")}
    # A territory missing from the values has no data either.
    partial = draw("region", {"76": 104.0})
    assert fill(partial, "territory-11") == fill(partial, "legend-no-data")
    assert fill(partial, "territory-76") == maps.CLASS_COLOURS["slightly-more"]


@pytest.mark.parametrize("level", maps.LEVELS)
def test_overseas_regions_are_insets_with_captions(level):
    root = draw(level, {})
    for region, code in zip(maps.OVERSEAS["region"], maps.OVERSEAS[level], strict=True):
        inset = group(root, f"inset-{code}")
        assert group(inset, f"territory-{code}").find(f".//{SVG}a") is not None
        caption = group(root, f"caption-{code}").find(f".//{SVG}text")
        assert caption.text == OVERSEAS_NAMES[region]
    # Metropolitan territories are not in an inset.
    metropolitan = "84" if level == "region" else "69"
    for code in maps.OVERSEAS[level]:
        inset = group(root, f"inset-{code}")
        assert all(e.get("id") != f"territory-{metropolitan}" for e in inset.iter())
    zoom = [e for e in root.iter() if e.get("id") == "inset-paris"]
    assert len(zoom) == (level == "departement")


def test_the_current_territory_is_outlined_on_top():
    root = draw("region", {"84": 130.0}, current="84")
    outline = group(root, "current-84").find(f".//{SVG}path")
    assert outline.get("fill") == "none"
    assert outline.get("stroke") == maps.INK
    assert float(outline.get("stroke-width")) > 2
    shape = group(root, "territory-84").find(f".//{SVG}path").get("d")
    assert re.findall(r"M [\d.]+ [\d.]+", outline.get("d")) == re.findall(r"M [\d.]+ [\d.]+", shape)
    order = [e.get("id") for e in root.iter(f"{SVG}g")]
    assert order.index("current-84") > order.index("territory-94")  # after every territory
    assert len(links(root)) == 18  # the outline is not a second link
    assert not any((e.get("id") or "").startswith("current-") for e in draw("region", {}).iter())
    overseas = draw("departement", {}, current="974")
    assert group(group(overseas, "inset-974"), "current-974") is not None
    with pytest.raises(ValueError):
        draw("region", {}, current="99")


def test_the_svg_is_deterministic_accessible_and_script_free():
    values = {"76": 130.0, "11": 70.0}
    first = maps.choropleth("region", values, href=lambda c: f"/t/{c}?x=1&y=2", labels=LABELS,
                            names={"76": "Occitanie <&> « test »"}, current="11")
    second = maps.choropleth("region", values, href=lambda c: f"/t/{c}?x=1&y=2", labels=LABELS,
                             names={"76": "Occitanie <&> « test »"}, current="11")
    assert first == second
    text = first.decode("utf-8")
    assert "<script" not in text.lower() and not re.search(r"\son\w+=", text)
    assert "dc:date" not in text and "Matplotlib" not in text
    assert "style=" not in text and "<style" not in text  # presentation attributes only
    root = ET.fromstring(first)
    assert root.find(f"{SVG}title").text == LABELS.title
    assert links(root)["/t/76?x=1&y=2"] == "Occitanie <&> « test » : 130,0"
    assert maps.html_fragment(first).startswith("<svg ")
    ET.fromstring(maps.html_fragment(first))
    english = maps.MapLabels(
        title="t", legend_title="l", no_data="not available", less_fragile="less",
        more_fragile="more", territory_title="{name}: {value}", decimal_mark=".",
    )
    root = ET.fromstring(maps.choropleth("departement", {"69": 104.25}, href=str,
                                         labels=english))
    assert links(root)["69"] == "Rhône: 104.2"
    assert links(root)["01"] == "Ain: not available"
    assert not any(e.get("id") == "inset-paris" for e in root.iter())  # no caption, no zoom


# --------------------------------------------------------------------------- the API


def api_map(client, path: str, status: int = 200):
    answer = client.get(path)
    assert answer.status_code == status, answer.get_data(as_text=True)[:300]
    return answer


def test_api_serves_the_region_and_department_maps(client):
    answer = api_map(client, "/api/v1/maps/regions.svg")
    assert answer.content_type == "image/svg+xml; charset=utf-8"
    assert answer.headers["Cache-Control"] == "public, max-age=3600"
    assert {"Cookie", "Accept-Language"} <= set(answer.vary)
    root = ET.fromstring(answer.data)
    assert set(links(root)) == {f"/territoires/region:{c}" for c in maps.feature_codes("region")}
    root = ET.fromstring(api_map(client, "/api/v1/maps/departements.svg?domain=sante").data)
    assert len(links(root)) == 101
    assert "/territoires/departement:2A" in links(root)


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/api/v1/maps/communes.svg", 404, None),
        ("/api/v1/maps/region.svg", 404, None),
        ("/api/v1/maps/regions.png", 404, None),
        ("/api/v1/maps/regions.svg?domain=xyz", 400, "domain"),
        ("/api/v1/maps/regions.svg?domain=", 400, "domain"),
        ("/api/v1/maps/regions.svg?current=99", 400, "current"),
        ("/api/v1/maps/departements.svg?current=20", 400, "current"),
        ("/api/v1/maps/regions.svg?current=69", 400, "current"),
    ],
)
def test_api_refuses_unknown_levels_domains_and_territories(client, path, status, field):
    body = api_map(client, path, status).get_json()
    assert set(body) == {"error", "details"}
    if field == "domain":
        valid = body["details"]["domain"]
        assert "moyenne" in valid and "sante" in valid and "transition_energetique" in valid
    elif field == "current":
        assert "current" in body["details"]


def test_api_colours_territories_with_their_reference_index(app, client):
    with app.app_context():
        domains = list(catalog().vocabulary.domains)
        occitanie = reference.territory_fragility(get_territory("region:76"), domains)
        haute_garonne = reference.territory_fragility(get_territory("departement:31"), domains)
    # Poverty 2019: 100 × 16.8 / 14.5 = 115.9, in 110–120.
    pauvrete = occitanie["pauvrete"].index
    assert pauvrete == pytest.approx(100 * 16.8 / 14.5)
    root = ET.fromstring(api_map(client, "/api/v1/maps/regions.svg?domain=pauvrete").data)
    assert classes_of(root)["76"] == maps.fragility_class(pauvrete) == "more"
    assert fill(root, "territory-76") == maps.CLASS_COLOURS["more"]
    title = links(root)["/territoires/region:76"]
    assert title.startswith("Occitanie") and title.endswith("115,9")
    # Normandie is not in the test extract, Occitanie has no environment indicator: hatched.
    assert classes_of(root)["28"] == "no-data"
    root = ET.fromstring(api_map(client, "/api/v1/maps/regions.svg?domain=environnement").data)
    assert occitanie["environnement"].index is None
    assert classes_of(root)["76"] == "no-data"
    assert fill(root, "territory-76") == fill(root, "legend-no-data")
    # The mean over the domains with an index (the default domain).
    mean = mean_index(result.index for result in occitanie.values())
    assert sum(result.index is not None for result in occitanie.values()) >= 5
    root = ET.fromstring(api_map(client, "/api/v1/maps/regions.svg").data)
    assert classes_of(root)["76"] == maps.fragility_class(mean)
    assert links(root)["/territoires/region:76"].endswith(f"{mean:.1f}".replace(".", ","))
    # Departments too, with the current one outlined.
    root = ET.fromstring(
        api_map(client, "/api/v1/maps/departements.svg?domain=securite&current=31").data
    )
    assert classes_of(root)["31"] == maps.fragility_class(haute_garonne["securite"].index)
    assert classes_of(root)["31"] != "no-data"
    assert group(root, "current-31") is not None


def test_level_fragility_matches_territory_fragility(app):
    with app.app_context():
        domains = list(catalog().vocabulary.domains)
        regions = level_fragility("region", domains)
        for code in ("04", "11", "76", "84"):
            expected = reference.territory_fragility(get_territory(f"region:{code}"), domains)
            assert regions.indices[code] == {d: r.index for d, r in expected.items()}
        assert regions.names["76"] == "Occitanie"
        assert regions.values(MEAN)["11"] == pytest.approx(
            mean_index(regions.indices["11"].values())
        )
        assert level_fragility("region", domains) is regions  # kept while nothing is loaded


def test_a_reference_load_redraws_the_maps(app, client, tmp_path):
    """The figures are cached per worker until reference data are loaded again."""
    before = ET.fromstring(api_map(client, "/api/v1/maps/regions.svg?domain=environnement").data)
    assert classes_of(before)["76"] == "no-data"
    path = tmp_path / "carte_artificialisation.csv"
    path.write_text(
        "level,code,name,domain,indicator,value,unit,year,source,higher_is_fragile\n"
        "region,76,Occitanie,environnement,carte_sols_artificialises,6.3,%,2021,Cerema,oui\n"
        "pays,FR,France,environnement,carte_sols_artificialises,5.4,%,2021,Cerema,oui\n",
        encoding="utf-8",
    )
    with app.app_context():
        try:
            assert reference.load_indicators(catalog(), path) == 2
            after = ET.fromstring(
                api_map(client, "/api/v1/maps/regions.svg?domain=environnement").data
            )
            # 100 × 6.3 / 5.4 = 116.7
            assert classes_of(after)["76"] == "more"
            assert links(after)["/territoires/region:76"].endswith("116,7")
        finally:
            db.session.rollback()
            db.session.execute(
                delete(IndicatorValue).where(
                    IndicatorValue.indicator_key == "carte_sols_artificialises"
                )
            )
            db.session.execute(
                delete(Indicator).where(Indicator.key == "carte_sols_artificialises")
            )
            db.session.execute(
                delete(ReferenceImport).where(
                    ReferenceImport.name == "indicators:carte_artificialisation.csv"
                )
            )
            db.session.commit()
    again = ET.fromstring(api_map(client, "/api/v1/maps/regions.svg?domain=environnement").data)
    assert classes_of(again)["76"] == "no-data"
