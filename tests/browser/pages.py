"""The pages of the journeys, reached as a visitor would, for the accessibility checks and the
screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from playwright.sync_api import Browser, Locator, Page

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

    def delete_answers(page: Page) -> None:
        """« Supprimer mes réponses » on the results page: the page asking to confirm."""
        token = completed_response(page, base, "entreprise", RICH_ANSWERS)
        page.goto(f"{base}/r/{token}/resultats")
        submit(page, page.locator("form.delete-answers button[type=submit]"))

    def answers_deleted(page: Page) -> None:
        submit(page, page.locator("main form.actions button[type=submit]"))
        page.wait_for_url(re.compile(r"/reponses-supprimees$"))

    yield Visit("delete-answers", delete_answers)
    yield Visit("answers-deleted", answers_deleted)


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

    def delete_campaign(page: Page) -> None:
        """The page asking to confirm the campaign's deletion (never confirmed here)."""
        campaign_page()(page)
        submit(page, page.locator('form[action$="/supprimer"] button[type=submit]'))

    yield Visit("campaign-delete", delete_campaign)
    yield Visit("settings", lambda page: page.goto(f"{base}/compte"))


# --------------------------------------------------------------------------- live workshops

#: A territory with a campaign of the organiser (so that a closed workshop offers to attach its
#: answers to it): what is typed, and the suggestion picked.
LYON = ("Métropole de Lyon", r"^Métropole de Lyon")
#: Participants of the workshop whose results are revealed: one more than the default smallest
#: group shown (5), so that the projector shows figures, some groups suppressed.
ROOM = ("citoyen",) * 5 + ("elu",)


def create_workshop(
    page: Page,
    base: str,
    title: str,
    territory: tuple[str, str] = ("22300", r"^Lannion"),
    step_mode: bool = False,
) -> tuple[str, str]:
    """Create a workshop through the form (the organiser is logged in), its territory found as
    one types; returns its join code and the URL of its panel."""
    page.goto(f"{base}/ateliers/nouveau")
    page.locator("input[name=title]").fill(title)
    page.locator("#q-territory input[type=search]").fill(territory[0])
    page.get_by_role("radio", name=re.compile(territory[1])).check()
    if step_mode:
        page.locator("input[name=step_mode]").check()
    page.locator(".actions button.primary").click()
    page.wait_for_url(re.compile(r"/ateliers/[0-9a-f]+$"))
    return page.locator(".join-box .code").inner_text().strip(), page.url


def submit(page: Page, button: Locator) -> None:
    """Click a button that sends a form, and wait until the browser has left the page."""
    before = page.url
    button.click()
    page.wait_for_url(lambda url: url != before)


def take_part(page: Page, base: str, code: str) -> None:
    """Join a workshop from its join page: the participant lands on their first question."""
    page.goto(f"{base}/a/{code}")
    submit(page, page.locator("main form button[type=submit]"))


def send_answer(page: Page, *values: str) -> None:
    """Tick the options of these values on the participant's question page, then send."""
    form = page.locator("form.one-question")
    for value in values:
        form.locator(f'input[value="{value}"]').check()
    submit(page, form.locator(".actions button[value=next]"))


def skip_to_the_end(page: Page) -> None:
    """Skip every question left (free mode), up to the thank-you page."""
    while "/q/" in page.url:
        submit(page, page.locator("form.one-question .actions button[value=skip]"))


def panel_action(page: Page, panel: str, action: str) -> None:
    """Press one of the panel's buttons that post to `<panel>/<action>`."""
    page.goto(panel)
    with page.expect_navigation(url=panel):
        page.locator(f'form[action$="/{action}"] button[type=submit]').click()


@dataclass(frozen=True)
class Workshops:
    """Workshops of the live application in the states the checks look at: (code, panel URL)."""

    free: tuple[str, str]
    step: tuple[str, str]
    paused: tuple[str, str]
    closed: tuple[str, str]
    revealed: tuple[str, str]


_workshops: dict[str, Workshops] = {}


def workshops(browser: Browser, base: str) -> Workshops:
    """The workshops, set up once per live application by its organiser in a browser of their
    own; the participants of the revealed one answer on their own phones."""
    if base in _workshops:
        return _workshops[base]
    context = browser.new_context(locale="fr-FR", extra_http_headers={"Accept-Language": "fr"})
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        log_in(page, base)
        free = create_workshop(page, base, "Atelier des acteurs lyonnais", LYON)
        step = create_workshop(page, base, "Atelier pas à pas", step_mode=True)
        paused = create_workshop(page, base, "Atelier suspendu")
        panel_action(page, paused[1], "suspendre")
        closed = create_workshop(page, base, "Atelier terminé", LYON)
        panel_action(page, closed[1], "fermer")
        revealed = create_workshop(page, base, "Forum des acteurs de la Métropole", LYON)
        page.goto(revealed[1])
        # The histogram of the first scale question is shown on the projector.
        submit(page, page.locator('button[name=question][value="conf_interlocuteurs"]'))
        panel_action(page, revealed[1], "reveler")
        for number, actor in enumerate(ROOM):
            phone = browser.new_context(locale="fr-FR")
            try:
                participant = phone.new_page()
                take_part(participant, base, revealed[0])
                send_answer(participant, actor)
                send_answer(participant, *("sante", "emploi", "mobilite")[: 1 + number % 3])
                send_answer(participant, str(1 + number % 4))
                skip_to_the_end(participant)
            finally:
                phone.close()
    finally:
        context.close()
    _workshops[base] = Workshops(free, step, paused, closed, revealed)
    return _workshops[base]


def participant_visits(base: str) -> Iterator[Visit]:
    """The pages of a workshop participant on their phone, without an account: the code, the
    join page, questions one at a time, waiting, thanks, answering paused, a workshop over."""

    def room(page: Page) -> Workshops:
        return workshops(page.context.browser, base)

    def join(page: Page) -> None:
        page.goto(f"{base}/a/{room(page).free[0]}")

    def first_question(page: Page) -> None:
        submit(page, page.locator("main form button[type=submit]"))
        page.wait_for_selector("form.one-question")

    def question_error(page: Page) -> None:
        page.locator("form.one-question .actions button[value=next]").click()
        page.wait_for_selector(".error-summary")

    def waiting(page: Page) -> None:
        take_part(page, base, room(page).step[0])
        send_answer(page, "association")
        page.wait_for_selector("[data-workshop-state]")

    def paused(page: Page) -> None:
        submit(page, page.locator("main form button[type=submit]"))
        page.wait_for_selector("[data-workshop-status=paused]")

    yield Visit("workshop-code", lambda page: page.goto(f"{base}/a"))
    yield Visit("workshop-code-unknown", lambda page: page.goto(f"{base}/a?code=zz-zz"))
    yield Visit("workshop-join", join)
    yield Visit("workshop-question-actor", first_question)
    yield Visit("workshop-question-error", question_error)
    yield Visit("workshop-question-ranking", lambda page: send_answer(page, "entreprise"))
    yield Visit("workshop-question-scale", lambda page: send_answer(page, "sante", "logement"))
    yield Visit("workshop-thanks", skip_to_the_end)
    yield Visit("workshop-waiting", waiting)
    yield Visit("workshop-join-paused", lambda page: page.goto(f"{base}/a/{room(page).paused[0]}"))
    yield Visit("workshop-paused", paused)
    yield Visit("workshop-ended", lambda page: page.goto(f"{base}/a/{room(page).closed[0]}"))


def facilitator_visits(base: str) -> Iterator[Visit]:
    """The facilitator's pages of live workshops (the organiser is logged in)."""

    def room(page: Page) -> Workshops:
        return workshops(page.context.browser, base)

    def form_errors(page: Page) -> None:
        page.goto(f"{base}/ateliers/nouveau")
        page.locator(".actions button.primary").click()
        page.wait_for_selector(".error-summary")

    yield Visit("workshops", lambda page: page.goto(f"{base}/ateliers"))
    yield Visit("workshop-form", lambda page: page.goto(f"{base}/ateliers/nouveau"))
    yield Visit("workshop-form-errors", form_errors)
    yield Visit("workshop-panel", lambda page: page.goto(room(page).revealed[1]))
    yield Visit("workshop-panel-step", lambda page: page.goto(room(page).step[1]))
    yield Visit("workshop-panel-closed", lambda page: page.goto(room(page).closed[1]))
    yield Visit("workshop-summary", lambda page: page.goto(room(page).revealed[1] + "/synthese"))

    def delete_workshop(page: Page) -> None:
        """The page asking to confirm the workshop's deletion (never confirmed here)."""
        page.goto(room(page).closed[1])
        submit(page, page.locator('form[action$="/supprimer"] button[type=submit]'))

    yield Visit("workshop-delete", delete_workshop)


def projector_visits(base: str) -> Iterator[Visit]:
    """The projector view (the organiser is logged in): waiting for the results, and showing
    them revealed, with enough answers, a histogram among them."""

    def projector(which: str) -> Callable[[Page], None]:
        def go(page: Page) -> None:
            page.goto(getattr(workshops(page.context.browser, base), which)[1] + "/projection")
            page.wait_for_selector("[data-participants]")

        return go

    yield Visit("projector-hidden", projector("free"))
    yield Visit("projector-revealed", projector("revealed"))


# --------------------------------------------------------------------------- territory explorer


def explorer_visits(base: str) -> Iterator[Visit]:
    """The territory explorer: the maps, the profiles of a region, a department (with the
    respondents' figures of the demo data), an EPCI and a commune, the comparison (with a search
    listing several matches, and refused), and the way into a questionnaire from a profile."""
    yield Visit("explorer-regions", lambda page: page.goto(f"{base}/territoires"))
    yield Visit(
        "explorer-departments",
        lambda page: page.goto(f"{base}/territoires?niveau=departement&domaine=logement"),
    )
    yield Visit("explorer-search", lambda page: page.goto(f"{base}/territoires?q=Saint-Denis"))
    yield Visit("explorer-region", lambda page: page.goto(f"{base}/territoires/region:84"))
    yield Visit(
        "explorer-department", lambda page: page.goto(f"{base}/territoires/departement:69")
    )
    yield Visit("explorer-epci", lambda page: page.goto(f"{base}/territoires/epci:200046977"))
    yield Visit("explorer-commune", lambda page: page.goto(f"{base}/territoires/commune:69123"))
    yield Visit(
        "explorer-compare",
        lambda page: page.goto(
            f"{base}/territoires/comparer?t=departement:69&t=departement:38&t=region:84"
        ),
    )
    yield Visit(
        "explorer-compare-matches",
        lambda page: page.goto(f"{base}/territoires/comparer?t=departement:69&q=Rh%C3%B4ne"),
    )
    yield Visit(
        "explorer-compare-refused", lambda page: page.goto(f"{base}/territoires/comparer?t=x:1")
    )

    def start_from_department(page: Page) -> None:
        page.goto(f"{base}/territoires/departement:69")
        submit(page, page.locator(".start-here button[type=submit]"))

    def first_step(page: Page) -> None:
        submit(page, page.locator("main form button[type=submit]"))
        page.wait_for_selector("#territory-hint")

    yield Visit("explorer-start", start_from_department)
    yield Visit("explorer-first-step", first_step)
