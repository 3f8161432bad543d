"""A council's campaign in real browsers: the organiser logs in, creates a campaign for a commune
found by its postal code, a citizen answers through the campaign's link on a phone, and the
organiser's dashboard counts the response."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE
from tests.browser.server import DEMO_CAMPAIGN, DEMO_CAMPAIGN_RESPONSES, ORGANISER
from tests.browser.test_journey import answer_every_group, assert_fits_the_screen

PROJECTOR = {"width": 1280, "height": 720}


def log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail").fill(ORGANISER[0])
    page.get_by_label("Mot de passe").fill(ORGANISER[1])
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}/campagnes")


def participation(page: Page) -> dict[str, str]:
    """The participation table of the dashboard: actor type → responses."""
    rows = page.locator("#participation-caption").locator("xpath=..").locator("tbody tr")
    return {
        rows.nth(i).locator("th").inner_text().strip(): rows.nth(i).locator("td").inner_text()
        for i in range(rows.count())
    }


def test_a_council_runs_a_campaign_and_sees_a_citizen_answer(live_server, new_page):
    organiser = new_page(viewport=PROJECTOR)
    log_in(organiser, live_server)
    organiser.get_by_role("link", name="Nouvelle campagne").click()

    title = "Diagnostic de territoire — Lannion 2027"
    organiser.get_by_label("Titre", exact=True).fill(title)
    # Picked by postal code: 22300 covers several communes, the organiser chooses Lannion.
    organiser.locator("#q-territory input[type=search]").fill("22300")
    organiser.get_by_role("radio", name=re.compile("^Lannion")).check()
    for actor in ("Entreprises", "Associations et fondations"):
        organiser.get_by_role("checkbox", name=actor, exact=True).uncheck()
    organiser.locator(".actions button.primary").click()

    # The links page: one link and one QR code per chosen actor type.
    expect(organiser.get_by_role("heading", level=1)).to_have_text("Liens à partager")
    expect(organiser.locator(".link-cards > li")).to_have_count(2)
    citizen_url = organiser.locator("#link-citoyen").input_value()
    assert re.fullmatch(re.escape(live_server) + r"/c/[A-Za-z0-9_-]+", citizen_url)
    qr = organiser.locator(".actor-citoyen img.qr")
    organiser.wait_for_function("img => img.complete", arg=qr.element_handle())
    assert organiser.evaluate("img => img.naturalWidth", qr.element_handle()) > 0

    organiser.get_by_role("link", name=title).click()
    expect(organiser.get_by_role("heading", level=1)).to_have_text(title)
    expect(organiser.locator(".kicker")).to_contain_text("Lannion")
    assert participation(organiser) == {"Citoyens": "0", "Élus locaux": "0"}
    dashboard_url = organiser.url

    # A citizen, on their own phone, answers through the link.
    citizen = new_page(viewport=PHONE)
    citizen.goto(citizen_url)
    expect(citizen.get_by_role("heading", level=1)).to_have_text(title)
    assert_fits_the_screen(citizen)
    citizen.get_by_role("button", name="Commencer").click()
    # The commune is the campaign's: already filled in.
    expect(citizen.get_by_role("radio", name=re.compile("^Lannion"))).to_be_checked()
    for number in range(1, 8):
        expect(citizen).to_have_title(re.compile(rf"^Étape {number} sur 7"))
        answer_every_group(citizen)
        citizen.locator(".actions button.primary").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text(
        "Votre profil sur les trois impacts"
    )

    organiser.goto(dashboard_url)
    assert participation(organiser) == {"Citoyens": "1", "Élus locaux": "0"}
    expect(organiser.locator(".big-number")).to_have_text("1")
    # One response is too few to show anything else.
    expect(organiser.get_by_role("status")).to_contain_text("Moins de 5 réponses")
    overflow = organiser.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    # Closed, the link says so and takes no more answers.
    organiser.get_by_role("button", name="Clôturer la campagne").click()
    late = new_page(viewport=PHONE)
    late.goto(citizen_url)
    expect(late.get_by_role("heading", level=1)).to_contain_text("close")
    expect(late.get_by_role("button", name="Commencer")).to_have_count(0)


def test_the_dashboard_reads_well_projected(live_server, new_page):
    """At 1280×720, the size of a meeting-room projector: no sideways scrolling, text large
    enough to read from the back of the room, every chart drawn, no accessibility fault."""
    from tests.browser.test_accessibility import BLOCKING, run_axe

    page = new_page(viewport=PROJECTOR)
    log_in(page, live_server)
    page.get_by_role("link", name=DEMO_CAMPAIGN).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_CAMPAIGN)
    total = int(page.locator(".big-number").inner_text())
    assert total == DEMO_CAMPAIGN_RESPONSES
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    charts = page.locator("figure.chart img")
    assert charts.count() == 3
    for index in range(3):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=chart.element_handle())
        size = page.evaluate(
            "img => [img.naturalWidth, img.getBoundingClientRect().width]", chart.element_handle()
        )
        assert size[0] > 0 and 0 < size[1] <= PROJECTOR["width"]
    smallest = page.evaluate(
        "() => Math.min(...[...document.querySelectorAll('main td, main th, main p')]"
        ".filter(e => e.offsetParent && !e.closest('.visually-hidden'))"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 14
    body = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('#regards-title + p')).fontSize)"
    )
    assert body >= 16
    blocking = [v["id"] for v in run_axe(page) if v["impact"] in BLOCKING]
    assert blocking == []
