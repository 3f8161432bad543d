"""The pages of the journeys, reached as a visitor would, for the accessibility checks and the
screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from playwright.sync_api import Page

from tests.browser.server import DEMO_CAMPAIGN, ORGANISER

FULL = ("citoyen", "entreprise", "association", "elu")
SECTIONS = 7


@dataclass(frozen=True)
class Visit:
    """A page to look at: its name, and how to bring the browser there."""

    name: str
    go: Callable[[Page], None]


def start(page: Page, base: str, questionnaire: str) -> str:
    """Start a self-diagnosis in the browser; returns its private token."""
    page.goto(f"{base}/diagnostic/{questionnaire}")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/r/[^/]+/etape/1$"))
    return page.url.rsplit("/", 3)[-3]


def completed_response(page: Page, base: str, questionnaire: str, answers: dict) -> str:
    """A response submitted through the API; returns its private token."""
    created = page.request.post(
        f"{base}/api/v1/responses",
        data={"questionnaire": questionnaire, "territory": "commune:69123", "answers": answers},
    )
    assert created.status == 201, created.text()
    return created.json()["token"]


RICH_ANSWERS = {
    "partenariats": "oui",
    "conf_interlocuteurs": 4,
    "conf_associations": 3,
    "conf_vision_partagee": None,
    "conf_mefiance": 2,
    "conf_chacun_pour_soi": 2,
    "conf_engagement_salaries": 3,
    "conf_pouvoir_agir": 4,
    "perf_rse_concrete": 3,
    "perf_attractivite": 2,
    "perf_resilience": 3,
    "perf_marginal": 2,
    "inno_source": 4,
    "inno_complementarite": 3,
    "inno_experimentation": 4,
    "inno_hors_sujet": 1,
}
SPARSE_ANSWERS = {
    "partenariats": "non",
    "conf_interlocuteurs": None,
    "conf_associations": None,
    "conf_vision_partagee": None,
    "conf_mefiance": 2,
    "inno_source": 3,
}


def journey_visits(base: str) -> Iterator[Visit]:
    """Every page of the respondent journey, in its notable states."""
    yield Visit("home", lambda page: page.goto(base + "/"))
    yield Visit("method", lambda page: page.goto(base + "/methode"))
    yield Visit("not-found", lambda page: page.goto(base + "/r/unknown-link"))
    for questionnaire in FULL:
        yield Visit(
            f"start-{questionnaire}",
            lambda page, q=questionnaire: page.goto(f"{base}/diagnostic/{q}"),
        )
    tokens: dict[str, str] = {}

    def section(questionnaire: str, number: int) -> Callable[[Page], None]:
        def go(page: Page) -> None:
            if questionnaire not in tokens:
                tokens[questionnaire] = start(page, base, questionnaire)
            page.goto(f"{base}/r/{tokens[questionnaire]}/etape/{number}")

        return go

    for questionnaire in FULL:
        for number in range(1, SECTIONS + 1):
            yield Visit(f"{questionnaire}-step-{number}", section(questionnaire, number))

    def ambiguous_commune(page: Page) -> None:
        start(page, base, "citoyen")
        page.locator("input[type=search]").fill("Saint-Denis")
        page.locator(".actions button.primary").click()
        page.wait_for_selector(".error-summary")

    def answer_errors(page: Page) -> None:
        start(page, base, "entreprise")
        page.locator("input[type=search]").fill("Zzyzx")
        page.locator(".actions button.primary").click()
        page.wait_for_selector(".error-summary")

    def pause(page: Page) -> None:
        start(page, base, "elu")
        page.locator(".actions button.link").click()
        page.wait_for_url(re.compile(r"/pause$"))

    yield Visit("entreprise-step-1-several-communes", ambiguous_commune)
    yield Visit("entreprise-step-1-error", answer_errors)
    yield Visit("pause", pause)
    yield Visit(
        "results",
        lambda page: page.goto(
            f"{base}/r/{completed_response(page, base, 'entreprise', RICH_ANSWERS)}/resultats"
        ),
    )
    yield Visit(
        "results-insufficient-data",
        lambda page: page.goto(
            f"{base}/r/{completed_response(page, base, 'entreprise', SPARSE_ANSWERS)}/resultats"
        ),
    )


def log_in(page: Page, base: str) -> None:
    """Log the live application's organiser in."""
    page.goto(f"{base}/connexion")
    page.locator("input[name=email]").fill(ORGANISER[0])
    page.locator("input[name=password]").fill(ORGANISER[1])
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/campagnes")


def organiser_visits(base: str) -> Iterator[Visit]:
    """Every page of the organisers' space, the dashboard with a campaign's answers."""

    def login_error(page: Page) -> None:
        page.goto(f"{base}/connexion")
        page.locator("input[name=email]").fill(ORGANISER[0])
        page.locator("input[name=password]").fill("pas le bon mot de passe")
        page.locator("form button[type=submit]").first.click()
        page.wait_for_selector(".notice-error, .error-summary, [role=alert]")

    def form_errors(page: Page) -> None:
        page.goto(f"{base}/campagnes/nouvelle")
        page.locator(".actions button.primary").click()
        page.wait_for_selector(".error-summary")

    def campaign_page(suffix: str = "") -> Callable[[Page], None]:
        def go(page: Page) -> None:
            page.goto(f"{base}/campagnes")
            page.get_by_role("link", name=DEMO_CAMPAIGN).click()
            page.wait_for_url(re.compile(r"/campagnes/[^/]+$"))
            if suffix:
                page.goto(page.url + suffix)

        return go

    yield Visit("login", lambda page: page.goto(f"{base}/connexion"))
    yield Visit("login-error", login_error)
    yield Visit("campaigns", lambda page: log_in(page, base))
    yield Visit("campaign-form", lambda page: page.goto(f"{base}/campagnes/nouvelle"))
    yield Visit("campaign-form-errors", form_errors)
    yield Visit("dashboard", campaign_page())
    yield Visit("dashboard-citizens", campaign_page("?acteur=citoyen"))
    yield Visit("dashboard-commune", campaign_page("?lieu=commune:69123"))
    yield Visit("links", campaign_page("/liens"))
    yield Visit("settings", lambda page: page.goto(f"{base}/compte"))
