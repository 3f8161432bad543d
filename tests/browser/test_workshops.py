"""A live workshop in real browsers: the facilitator creates it, two participants join with its
code on their phones and answer, and the projector view, left open, follows the room without
being reloaded; results stay hidden until revealed and until enough people have answered. In
step-by-step mode, phones follow the facilitator's « Question suivante » by themselves.

The application is started with a smallest group of 2 (MIN_GROUP_SIZE), so that two participants
are enough to show figures."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.pages import log_in, submit
from tests.browser.server import live_app
from tests.browser.test_journey import assert_fits_the_screen

PROJECTOR = {"width": 1280, "height": 720}
MIN_GROUP_SIZE = 2
#: How long to wait for the projector (every 2 s) or a phone (every 2 s) to catch up, in ms: the
#: machine running the tests may be slow and busy.
CATCH_UP = 30_000
#: The smallest font size on the projector, in CSS pixels: read from the back of the room.
PROJECTOR_TEXT = 20


@pytest.fixture(scope="module")
def workshop_server(tmp_path_factory) -> Iterator[str]:
    """The application with a smallest group of 2, and no demo responses (not needed here)."""
    with live_app(
        tmp_path_factory.mktemp("workshops"), demo_responses=0, MIN_GROUP_SIZE=MIN_GROUP_SIZE
    ) as url:
        yield url


def create_workshop(page: Page, base: str, title: str, step_mode: bool = False) -> str:
    """Through the organiser's menu and the form, a workshop in Lannion found by its postal code;
    returns its join code (the organiser is left on its panel)."""
    page.goto(f"{base}/campagnes")
    page.get_by_role("navigation", name="Espace organisateurs").get_by_role(
        "link", name="Ateliers"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ateliers en direct")
    page.get_by_role("link", name="Nouvel atelier").click()
    page.get_by_label("Titre", exact=True).fill(title)
    # 22300 covers several communes: the organiser picks Lannion among them.
    page.locator("#q-territory input[type=search]").fill("22300")
    page.get_by_role("radio", name=re.compile("^Lannion")).check()
    expect(page.get_by_role("combobox", name="Questionnaire")).to_have_value("atelier")
    if step_mode:
        page.get_by_role("checkbox", name=re.compile("^Pas à pas")).check()
    page.get_by_role("button", name="Créer l'atelier").last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".kicker")).to_contain_text("Lannion")
    code = page.locator(".join-box .code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{6}", code), code
    return code


def press(page: Page, name: str) -> None:
    """Press one of the facilitator panel's buttons; it comes back to the panel."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def answer(page: Page, *choices: str) -> None:
    """On a participant's question page, choose these options and send the answer."""
    for choice in choices:
        page.get_by_label(choice, exact=True).check()
    submit(page, page.get_by_role("button", name="Envoyer ma réponse"))


def skip_to_the_end(page: Page) -> None:
    while "/q/" in page.url:
        submit(page, page.get_by_role("button", name="Passer cette question"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merci, vos réponses sont enregistrées"
    )


def assert_question(page: Page, label: str) -> None:
    """The phone shows this question (waiting for it as long as a poll may take)."""
    expect(page.locator("form.one-question legend").first).to_contain_text(label, timeout=CATCH_UP)


def assert_projector_reads_well(page: Page) -> None:
    """The join code and the participant count are on screen without scrolling, nothing
    scrolls sideways, and every text of the projector view is at least 20 px."""
    viewport = page.viewport_size
    assert page.evaluate("window.scrollY") == 0
    for selector in (".projector-code", "[data-participants]"):
        box = page.locator(selector).bounding_box()
        assert box is not None, f"{selector} is not shown"
        assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (selector, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (selector, box)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the projector view scrolls sideways by {overflow}px"
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('.projector *')]
        .filter(e => e.offsetParent && !e.closest('.visually-hidden')
          && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => [e.tagName.toLowerCase() + '.' + e.className, e.textContent.trim().slice(0, 40),
                   parseFloat(getComputedStyle(e).fontSize)])"""
    )
    assert sizes, "no text on the projector"
    small = [size for size in sizes if size[2] < PROJECTOR_TEXT]
    assert small == [], f"text smaller than {PROJECTOR_TEXT}px on the projector: {small}"


def test_a_room_answers_and_the_projector_follows(workshop_server, new_page):
    base = workshop_server
    title = "Atelier des acteurs du Trégor"
    facilitator = new_page(viewport=LAPTOP)
    log_in(facilitator, base)
    code = create_workshop(facilitator, base, title)
    expect(facilitator.locator("#workshop-status")).to_contain_text("résultats masqués")

    # The projector view, opened from the panel in a window of its own and never reloaded.
    projector = facilitator.context.new_page()
    projector.set_viewport_size(PROJECTOR)
    href = facilitator.get_by_role("link", name="Ouvrir la vue de projection").get_attribute("href")
    projector.goto(base + href)
    expect(projector.locator(".projector-code")).to_have_text(code)
    # The address to type is the code entry page's, without the scheme.
    expect(projector.locator(".projector-url")).to_have_text(base.split("://", 1)[1] + "/a")
    participants = projector.locator("[data-participants]")
    expect(participants).to_have_text("0")
    hidden = "Les résultats apparaîtront ici quand l'animateur les révélera."
    expect(projector.locator(".projector-wait")).to_have_text(hidden)
    assert_projector_reads_well(projector)
    projector.evaluate("window.__marker = 'not reloaded'")

    # One participant types the code on the home page, as typed from the screen (lower case,
    # a space in the middle); the other opens /a/<code> (the QR code's link).
    alice = new_page(viewport=PHONE)
    alice.goto(base + "/")
    alice.get_by_label("Code de l'atelier").fill(f"{code[:3].lower()} {code[3:].lower()}")
    alice.get_by_role("button", name="Rejoindre").click()
    expect(alice).to_have_url(f"{base}/a/{code}")
    expect(alice.get_by_role("heading", level=1)).to_have_text(title)
    assert_fits_the_screen(alice)
    submit(alice, alice.get_by_role("button", name="Participer"))
    assert_question(alice, "Vous participez en tant que…")
    assert_fits_the_screen(alice)

    bob = new_page(viewport=PHONE)
    bob.goto(f"{base}/a/{code}")
    expect(bob.get_by_role("heading", level=1)).to_have_text(title)
    submit(bob, bob.get_by_role("button", name="Participer"))
    assert_question(bob, "Vous participez en tant que…")
    # Joining is not yet saying who one is: nobody is counted yet.
    expect(participants).to_have_text("0")

    # Each one counts on the projector once they said who they are, without a reload.
    answer(alice, "Citoyen")
    expect(participants).to_have_text("1", timeout=CATCH_UP)
    assert projector.evaluate("window.__marker") == "not reloaded"
    answer(bob, "Élu local")
    expect(participants).to_have_text("2", timeout=CATCH_UP)
    actors = projector.locator(".projector-actors li")
    expect(actors.filter(has_text="Citoyens")).to_contain_text("1")
    expect(actors.filter(has_text="Élus locaux")).to_contain_text("1")

    # Alice answers more; the results are not revealed: nothing is shown.
    assert_question(alice, "Quels sont les trois domaines")
    answer(alice, "Santé", "Mobilité / transports", "Mal-logement")
    assert_question(alice, "Je sais à qui m'adresser")
    answer(alice, "Plutôt d'accord")
    skip_to_the_end(alice)
    projector.wait_for_timeout(3 * 2000)
    expect(projector.locator(".projector-wait")).to_have_text(hidden)
    expect(projector.locator(".projector-figures")).to_have_count(0)

    # Revealed, but one person has answered and a group is shown from 2: still nothing.
    press(facilitator, "Révéler les résultats")
    expect(facilitator.locator("#workshop-status")).to_contain_text("résultats affichés")
    expect(projector.locator(".projector-wait")).to_have_text(
        "Les résultats apparaîtront dès que 2 personnes auront répondu (1 pour l'instant).",
        timeout=CATCH_UP,
    )
    expect(projector.locator(".projector-figures")).to_have_count(0)

    # Bob answers too: the room's figures appear on the projector, still without a reload.
    answer(bob, "Santé", "Emploi / chômage / insertion")
    figures = projector.locator(".projector-figures")
    expect(figures).to_be_visible(timeout=CATCH_UP)
    priorities = figures.get_by_role("region", name="Les priorités de la salle")
    expect(priorities.locator("li").first).to_contain_text("Santé")
    expect(priorities.locator("li").first).to_contain_text("100 %")
    expect(projector.locator(".projector-wait")).to_have_count(0)
    assert projector.evaluate("window.__marker") == "not reloaded"
    assert_projector_reads_well(projector)

    # Reloading, coming back through the code or the link: the same participant, where they
    # were; the count does not grow.
    assert_question(bob, "Je sais à qui m'adresser")
    question_url = bob.url
    bob.reload()
    expect(bob).to_have_url(question_url)
    assert_question(bob, "Je sais à qui m'adresser")
    bob.goto(f"{base}/a/{code}")
    expect(bob).to_have_url(question_url)
    alice.reload()
    expect(alice.get_by_role("heading", level=1)).to_have_text(
        "Merci, vos réponses sont enregistrées"
    )
    alice.goto(base + "/")
    alice.get_by_label("Code de l'atelier").fill(code)
    alice.get_by_role("button", name="Rejoindre").click()
    expect(alice.get_by_role("heading", level=1)).to_have_text(
        "Merci, vos réponses sont enregistrées"
    )
    projector.wait_for_timeout(3 * 2000)
    expect(participants).to_have_text("2")
    facilitator.reload()
    expect(facilitator.locator("#participant-total")).to_have_text("2")
    answered = facilitator.locator("#question tbody tr").first.locator("td").first
    expect(answered).to_have_text("2")
    assert projector.evaluate("window.__marker") == "not reloaded"

    # Hidden again from the panel: the projector follows.
    press(facilitator, "Masquer les résultats")
    expect(projector.locator(".projector-wait")).to_have_text(hidden, timeout=CATCH_UP)
    expect(figures).to_have_count(0)


def test_phones_follow_the_facilitator_step_by_step(workshop_server, new_page):
    base = workshop_server
    facilitator = new_page(viewport=LAPTOP)
    log_in(facilitator, base)
    code = create_workshop(facilitator, base, "Atelier pas à pas du Trégor", step_mode=True)

    phone = new_page(viewport=PHONE)
    phone.goto(f"{base}/a/{code}")
    submit(phone, phone.get_by_role("button", name="Participer"))
    assert_question(phone, "Vous participez en tant que…")
    answer(phone, "Entreprise")
    waiting = phone.get_by_role("heading", level=1, name="Réponse enregistrée")
    expect(waiting).to_be_visible()

    # « Question suivante »: the phone shows the room's new question by itself.
    press(facilitator, "Question suivante")
    assert_question(phone, "Quels sont les trois domaines")
    answer(phone, "Éducation")
    expect(waiting).to_be_visible()
    press(facilitator, "Question suivante")
    assert_question(phone, "Je sais à qui m'adresser")

    # A latecomer says who they are, then gets the room's question.
    latecomer = new_page(viewport=PHONE)
    latecomer.goto(f"{base}/a/{code}")
    submit(latecomer, latecomer.get_by_role("button", name="Participer"))
    answer(latecomer, "Association ou fondation")
    assert_question(latecomer, "Je sais à qui m'adresser")

    # The room moves on before they answered: both phones follow.
    press(facilitator, "Question suivante")
    assert_question(phone, "se méfient les uns des autres")
    assert_question(latecomer, "se méfient les uns des autres")

    # Paused, then opened again: the phones say so, then come back to the question.
    press(facilitator, "Suspendre les réponses")
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Les réponses sont suspendues", timeout=CATCH_UP
    )
    press(facilitator, "Ouvrir les réponses")
    assert_question(phone, "se méfient les uns des autres")
    answer(phone, "Pas du tout d'accord")
    expect(waiting).to_be_visible()

    # Back to an earlier question: the phone follows there too.
    press(facilitator, "Question précédente")
    assert_question(phone, "Je sais à qui m'adresser")
    facilitator.reload()
    expect(facilitator.locator("#participant-total")).to_have_text("2")
