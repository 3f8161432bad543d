"""The company self-diagnosis in a real browser on a phone: stop after two sections, resume with
the private link on another device, finish, read the three impacts and the chart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

TEXT = {
    "fr": {
        "title": "Autodiagnostic « Entreprise & territoire »",
        "start": "Commencer",
        "territory": "Dans quelle commune votre entreprise",
        "size": "10 à 49",
        "next": "Suivant",
        "finish": "Terminer et voir mes résultats",
        "health": "Santé",
        "priorities": ["Emploi / chômage / insertion", "Mobilité / transports", "Santé"],
        "partnerships": "Votre entreprise a-t-elle aujourd'hui des partenariats",
        "yes": "Oui",
        "practice": "Mécénat",
        "results": "Votre profil sur les trois impacts",
        "step3": "Étape 3 sur 7",
        "impacts": ["Confiance", "Performance", "Innovation"],
        "locale": "fr-FR",
    },
    "en": {
        "title": "“Company & territory” self-diagnosis",
        "start": "Start",
        "territory": "In which municipality is your company",
        "size": "10 to 49",
        "next": "Next",
        "finish": "Finish and see my results",
        "health": "Health",
        "priorities": [
            "Employment / unemployment / integration into work",
            "Mobility / transport",
            "Health",
        ],
        "partnerships": "Does your company currently have partnerships",
        "yes": "Yes",
        "practice": "Corporate philanthropy (mécénat)",
        "results": "Your three-impact profile",
        "step3": "Step 3 of 7",
        "impacts": ["Trust", "Performance", "Innovation"],
        "locale": "en-GB",
    },
}


def assert_fits_the_screen(page: Page) -> None:
    """No horizontal scrolling on a 390 px wide phone."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def answer_every_group(page: Page) -> None:
    """Pick an answer in every visible radio group not yet answered (second option)."""
    groups = page.locator("fieldset.question:visible")
    for index in range(groups.count()):
        group = groups.nth(index)
        radios = group.locator("input[type=radio]")
        if radios.count() and not group.locator("input[type=radio]:checked").count():
            group.locator("label.option").nth(1).click()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_company_self_diagnosis_with_stop_and_resume(live_server, new_page, language):
    text = TEXT[language]
    page = new_page(locale=text["locale"])
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_fits_the_screen(page)
    page.get_by_role("link", name=text["title"]).click()
    page.get_by_role("button", name=text["start"]).click()

    # Step 1: the private link is shown; the commune is found by postal code as one types.
    expect(page).to_have_title(re.compile("^" + re.escape(text["step3"]).replace("3", "1")))
    page.wait_for_load_state()
    resume_url = page.locator("#resume-url").input_value()
    assert re.fullmatch(re.escape(live_server) + r"/r/[A-Za-z0-9_-]{43}", resume_url)
    page.get_by_label(text["territory"]).fill("69100")
    suggestion = page.get_by_role("radio", name=re.compile("^Villeurbanne"))
    suggestion.check()
    expect(page.get_by_label(text["territory"])).to_have_value("")
    page.get_by_role("radio", name=text["size"]).check()
    assert_fits_the_screen(page)
    page.get_by_role("button", name=text["next"], exact=True).click()

    # Step 2: the 16 domains as stacked questions, then the three priorities.
    health = page.get_by_role("group", name=text["health"], exact=True)
    health.get_by_role("radio", name="7", exact=True).check()
    answer_every_group(page)
    priorities = page.locator("#q-priorites")
    for domain in text["priorities"]:
        priorities.get_by_role("checkbox", name=domain, exact=True).check()
    # A fourth priority cannot be ticked.
    expect(priorities.get_by_role("checkbox", name=text["health"] + "x")).to_have_count(0)
    expect(priorities.locator("input:disabled")).to_have_count(13)
    assert_fits_the_screen(page)
    page.get_by_role("button", name=text["next"], exact=True).click()
    expect(page).to_have_title(re.compile("^" + re.escape(text["step3"])))
    page.context.close()

    # Later, on another device: the private link reopens the third section.
    page = new_page(locale=text["locale"])
    page.goto(resume_url)
    expect(page).to_have_title(re.compile("^" + re.escape(text["step3"])))
    partnerships = page.get_by_role("group", name=re.compile(re.escape(text["partnerships"])))
    practices = page.locator("#q-pratiques")
    expect(practices).to_be_hidden()
    partnerships.get_by_role("radio", name=text["yes"], exact=True).check()
    expect(practices).to_be_visible()
    practices.get_by_role("checkbox", name=text["practice"]).check()
    page.get_by_role("button", name=text["next"], exact=True).click()

    for _section in range(3):  # confiance, performance, innovation
        answer_every_group(page)
        assert_fits_the_screen(page)
        page.get_by_role("button", name=text["next"], exact=True).click()
    answer_every_group(page)
    page.get_by_role("button", name=text["finish"]).click()

    # Results: the three impacts, each with a score or « données insuffisantes », and the chart.
    expect(page.get_by_role("heading", level=1)).to_have_text(text["results"])
    for name in text["impacts"]:
        expect(page.get_by_role("heading", level=3, name=name, exact=True)).to_be_visible()
    scores = page.locator(".score-value").all_inner_texts()
    assert len(scores) == 3 and all(re.fullmatch(r"\d{1,3}", score) for score in scores)
    chart = page.locator("img[src$='profil.svg']")
    expect(chart).to_be_visible()
    page.wait_for_function("img => img.complete", arg=chart.element_handle())
    assert page.evaluate("img => img.naturalWidth", chart.element_handle()) > 200
    assert scores[0] in chart.get_attribute("alt")
    expect(page.locator("#scores-caption").locator("xpath=..").locator("tbody tr")).to_have_count(3)
    assert_fits_the_screen(page)

    token = resume_url.rsplit("/", 1)[1]
    api = page.request.get(f"{live_server}/api/v1/results/{token}").json()
    shown = [
        round(api["scores"][axis]["score"]) for axis in ("confiance", "performance", "innovation")
    ]
    assert [int(score) for score in scores] == shown


def test_every_page_of_a_self_diagnosis_fits_a_360px_phone(live_server, new_page):
    page = new_page(viewport={"width": 360, "height": 740})
    page.goto(live_server + "/")
    assert_fits_the_screen(page)
    page.goto(live_server + "/methode")
    assert_fits_the_screen(page)
    page.goto(live_server + "/diagnostic/association")
    assert_fits_the_screen(page)
    page.get_by_role("button", name="Commencer").click()
    page.wait_for_load_state()
    page.get_by_label("Dans quelle commune").fill("Saint-Étienne")
    page.get_by_role("button", name="Suivant", exact=True).click()
    for _number in range(2, 8):
        page.wait_for_load_state()
        expect(page).to_have_title(re.compile(rf"^Étape {_number} sur 7"))
        answer_every_group(page)
        assert_fits_the_screen(page)
        page.locator(".actions button.primary").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXT["fr"]["results"])
    assert_fits_the_screen(page)
