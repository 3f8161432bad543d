"""The Content-Security-Policy breaks nothing: every page of the journeys, the projector (which
replaces its live area every 2 s), and the charts and QR codes opened on their own log no
policy violation and no script error in Chromium."""

from __future__ import annotations

import re

from tests.browser.conftest import LAPTOP
from tests.browser.pages import (
    RICH_ANSWERS,
    completed_response,
    explorer_visits,
    facilitator_visits,
    journey_visits,
    log_in,
    organiser_visits,
    participant_visits,
    projector_visits,
    workshops,
)
from tests.browser.server import DEMO_CAMPAIGN

#: Makes every violation a console error, whatever Chromium would log for it.
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', event => console.error(
  'Content Security Policy violation: ' + event.violatedDirective + ' ' + event.blockedURI));
"""


def watched(new_page, **options):
    """A page, and the list its policy violations and script errors go to."""
    page = new_page(**options)
    page.add_init_script(REPORT_VIOLATIONS)
    problems: list[str] = []

    def console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"{page.url}: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return page, problems


def test_no_page_breaks_the_content_security_policy(live_server, new_page):
    page, problems = watched(new_page)
    response = page.goto(live_server + "/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    visits = [
        *journey_visits(live_server),
        *explorer_visits(live_server),
        *participant_visits(live_server),
        *organiser_visits(live_server),
        *facilitator_visits(live_server),
        *projector_visits(live_server),
    ]
    for visit in visits:
        if visit.name == "login-error":
            continue  # one failed login more would lock the account (the others' tests make 4)
        visit.go(page)
        page.wait_for_load_state()
    # The projector's live area, fetched and put in place by the page's script.
    page.wait_for_timeout(2500)
    assert page.locator("[data-participants]").count() == 1
    assert problems == []


def test_charts_and_qr_codes_open_on_their_own(live_server, new_page, browser):
    page, problems = watched(new_page, viewport=LAPTOP)
    token = completed_response(page, live_server, "entreprise", RICH_ANSWERS)
    log_in(page, live_server)
    page.get_by_role("link", name=DEMO_CAMPAIGN).click()
    page.wait_for_url(re.compile(r"/campagnes/[^/]+$"))
    campaign = page.url.rsplit("/", 1)[1]
    panel = workshops(browser, live_server).revealed[1]
    for path in (
        f"/r/{token}/profil.svg",
        f"/r/{token}/domaines.svg",
        f"/campagnes/{campaign}/participation.svg",
        f"/campagnes/{campaign}/regards.svg",
        f"/campagnes/{campaign}/impacts.svg",
        f"/campagnes/{campaign}/qr/citoyen.svg",
        "/territoires/region:84/indices.svg",
        "/territoires/departement:69/regards.svg",
        "/territoires/comparer.svg?t=departement:69&t=departement:38",
    ):
        response = page.goto(live_server + path)
        assert response.status == 200, path
        assert response.headers["content-type"].startswith("image/svg+xml"), path
        assert page.locator("svg").first.is_visible(), path
        # The inline styles of matplotlib's charts apply: a white background stays white.
        fills = page.evaluate(
            "() => [...document.querySelectorAll('[style*=\"fill: #ffffff\"]')]"
            ".slice(0, 3).map(shape => getComputedStyle(shape).fill)"
        )
        assert all(fill == "rgb(255, 255, 255)" for fill in fills), (path, fills)
    response = page.goto(panel + "/qr.svg")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert problems == []
