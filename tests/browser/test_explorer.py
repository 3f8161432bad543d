"""The territory explorer in a real browser, on a phone and a laptop: from the home page to the
map of the regions, a click on a region of the map, one of its departments, the comparison with
two others, the CSV of the figures, and a questionnaire started with the territory filled in."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.test_journey import assert_fits_the_screen


def compared(page: Page) -> list[str]:
    return parse_qs(urlsplit(page.url).query)["t"]


def wait_away(page: Page, click) -> None:
    before = page.url
    click()
    page.wait_for_url(lambda url: url != before)


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_from_the_map_to_a_comparison_and_a_questionnaire(live_server, new_page, viewport):
    page = new_page(viewport=viewport)
    page.goto(live_server + "/")
    wait_away(page, lambda: page.locator("main a[href='/territoires']").click())
    assert page.url == live_server + "/territoires"
    assert_fits_the_screen(page)

    # The map is in the page, its regions are links: click Auvergne-Rhône-Alpes on it.
    region = page.locator("figure.map-figure svg #territory-84 a")
    expect(region).to_have_count(1)
    assert "Auvergne-Rhône-Alpes" in region.locator("title").text_content()
    assert region.evaluate("link => { link.focus(); return document.activeElement === link; }")
    wait_away(page, lambda: region.locator("path").click())
    assert page.url.endswith("/territoires/region:84")
    expect(page.locator("h1")).to_have_text("Auvergne-Rhône-Alpes")
    # Outlined on its map; its figures with their sources; the respondents' view (demo data).
    expect(page.locator("figure.map-figure svg #current-84")).to_have_count(1)
    expect(page.locator("table.indicators td.source").first).not_to_be_empty()
    expect(page.locator("#perceived-domains")).to_be_visible()
    assert_fits_the_screen(page)

    # One of its departments.
    wait_away(page, lambda: page.locator(".children").get_by_role("link", name="Rhône",
                                                                   exact=True).click())
    assert page.url.endswith("/territoires/departement:69")
    expect(page.locator("figure.map-figure svg #current-69")).to_have_count(1)
    assert_fits_the_screen(page)

    # Compared with two others: the Isère typed in full (the server finds it), the Ain picked
    # among the suggestions made while typing.
    wait_away(page, lambda: page.locator("a[href='/territoires/comparer?t=departement:69']")
              .click())
    search = page.locator("form.add-territory input[type=search]")
    search.fill("Isère")
    wait_away(page, lambda: page.locator("form.add-territory button[type=submit]").click())
    assert compared(page) == ["departement:69", "departement:38"]
    page.locator("form.add-territory input[type=search]").fill("Ain")
    page.get_by_role("radio", name=re.compile(r"^Ain \(01")).check()
    expect(page.locator("form.add-territory input[type=search]")).to_have_value("")
    wait_away(page, lambda: page.locator("form.add-territory button[type=submit]").click())
    page.wait_for_url(re.compile(r"comparer\?t=[^q]*$"))
    assert compared(page) == ["departement:69", "departement:38", "departement:01"]
    headers = page.locator("table.comparison thead th")
    expect(headers).to_have_text(["Domaine", "Rhône", "Isère", "Ain"])
    expect(page.locator("figure.chart img")).to_have_attribute(
        "src", "/territoires/comparer.svg?t=departement:69&t=departement:38&t=departement:01")
    assert page.locator("figure.chart img").evaluate("image => image.naturalWidth") > 0
    assert_fits_the_screen(page)

    # The figures shown, with their sources, as CSV.
    with page.expect_download() as download:
        page.locator("a[href^='/territoires/comparer.csv']").click()
    path = download.value.path()
    with open(path, "rb") as stream:
        raw = stream.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == ["territory", "level", "code", "domain", "index", "indicator",
                             "value", "unit", "year", "source"]
    assert {row["territory"] for row in rows} == {"Rhône", "Isère", "Ain"}
    assert all(row["source"] and row["year"] for row in rows if row["indicator"])
    rhone = [row for row in rows if row["code"] == "69" and row["domain"] == "Mal-logement"]
    assert rhone and rhone[0]["index"]
    assert rhone[0]["index"].replace(".", ",") in page.locator("table.comparison").inner_text()

    # Back to the Rhône, the self-diagnosis of an association on this territory.
    wait_away(page, lambda: page.locator(".chosen").get_by_role("link", name="Rhône",
                                                                 exact=True).click())
    page.locator(".start-here input[value=association]").check()
    wait_away(page, lambda: page.locator(".start-here button[type=submit]").click())
    assert page.url.endswith("/diagnostic/association?territoire=departement:69")
    expect(page.locator("main .notice")).to_contain_text("Rhône")
    wait_away(page, lambda: page.locator("main form button[type=submit]").click())
    assert re.search(r"/r/[^/]+/etape/1\?territoire=departement:69$", page.url), page.url
    expect(page.locator("#territory-hint")).to_contain_text("Rhône")
    # The search suggests the municipalities of the Rhône only.
    page.locator("#q-territoire input[type=search]").fill("Saint")
    choices = page.locator("#q-territoire [data-territory-options] label")
    expect(choices.first).to_be_visible()
    labels = choices.all_inner_texts()
    assert labels and all("(69 · Rhône)" in label for label in labels), labels
    page.locator("#q-territoire input[type=search]").fill("Villeurbanne")
    page.get_by_role("radio", name=re.compile(r"^Villeurbanne \(69")).check()
    wait_away(page, lambda: page.locator(".actions button.primary").click())
    assert re.search(r"/etape/2$", page.url), page.url
    wait_away(page, lambda: page.locator(".actions button.secondary").click())
    expect(page.locator("#q-territoire input[value='commune:69266']")).to_be_checked()
    assert_fits_the_screen(page)
