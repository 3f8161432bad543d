"""axe-core on every page of the journeys, in French and English, on a phone and a laptop; the
projector view of a live workshop at projector sizes.

The suite fails on any violation of impact serious or critical; the others are listed in
tests/.artifacts/accessibility-report.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.pages import (
    Visit,
    explorer_visits,
    facilitator_visits,
    journey_visits,
    log_in,
    organiser_visits,
    participant_visits,
    projector_visits,
)
from tests.browser.test_workshops import assert_projector_reads_well

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
REPORT = Path(__file__).resolve().parent.parent / ".artifacts" / "accessibility-report.md"
BLOCKING = {"serious", "critical"}
#: Meeting-room projectors and large screens.
PROJECTORS = [{"width": 1280, "height": 720}, {"width": 1920, "height": 1080}]
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]


@pytest.fixture(scope="module")
def report():
    """Violations found, by page; written out when the module's tests are done."""
    found: list[tuple[str, str, dict]] = []
    yield found
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# Accessibility report (axe-core)", ""]
    if not found:
        lines.append("No violation on any page.")
    for where, page_name, violation in found:
        nodes = ", ".join(
            node["target"][0] if isinstance(node["target"][0], str) else json.dumps(node["target"])
            for node in violation["nodes"][:5]
        )
        lines.append(
            f"- **{violation['impact']}** `{violation['id']}` on {page_name} "
            f"({where}): {violation['help']} — {nodes}"
        )
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_axe(page) -> list[dict]:
    # Evaluated rather than added as an inline <script>, which the pages' CSP refuses.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules},"
        " resultTypes: ['violations']})",
        RULES,
    )
    return result["violations"]


def audit(page, visit: Visit, language: str, where: str, report: list) -> list[str]:
    """Bring the page to the visit, run axe-core on it; returns its blocking violations (all of
    them go to the report)."""
    try:
        visit.go(page)
    except Exception as error:
        raise AssertionError(f"could not reach {visit.name}: {error}") from error
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language, visit.name
    blocking = []
    for violation in run_axe(page):
        report.append((where, visit.name, violation))
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"][:3]]
            blocking.append(
                f"{visit.name}: {violation['id']} ({violation['impact']}) "
                f"{violation['help']} {targets}"
            )
    return blocking


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_serious_accessibility_violation(live_server, new_page, report, language, viewport):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` fetches axe-core from the npm registry")
    page = new_page(viewport=viewport, locale=language)
    where = f"{language}, {viewport['width']}×{viewport['height']}"
    blocking = []
    checked = 0
    # Workshop participants have no account: their pages come before the organiser logs in.
    for visit in [
        *journey_visits(live_server),
        *explorer_visits(live_server),
        *participant_visits(live_server),
        *organiser_visits(live_server),
        *facilitator_visits(live_server),
    ]:
        blocking += audit(page, visit, language, where, report)
        checked += 1
    assert checked == 85
    assert blocking == []


@pytest.mark.parametrize(
    "viewport", PROJECTORS, ids=[f"{size['width']}x{size['height']}" for size in PROJECTORS]
)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_projector_view_is_accessible_and_legible(
    live_server, new_page, report, language, viewport
):
    """The projector view of a live workshop, waiting for results and with revealed results
    (enough answers, a histogram), at projector sizes: no serious fault, the code and the count
    on screen without scrolling, text large enough to read from the back of the room."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` fetches axe-core from the npm registry")
    page = new_page(viewport=viewport, locale=language)
    log_in(page, live_server)
    where = f"{language}, {viewport['width']}×{viewport['height']}"
    blocking = []
    visits = list(projector_visits(live_server))
    for visit in visits:
        blocking += audit(page, visit, language, where, report)
        assert_projector_reads_well(page)
    assert len(visits) == 2
    # The last one shows the room's figures.
    assert page.locator(".projector-figures table").count() == 2
    assert page.locator(".projector-figures progress").count() >= 5
    assert blocking == []


def test_the_checker_finds_violations(new_page):
    """axe-core is really run: a page with known faults fails it."""
    page = new_page()
    page.set_content(
        '<html><body><img src="x.png"><input type="text">'
        '<p style="color:#bbb;background:#fff">pâle</p></body></html>'
    )
    found = {violation["id"]: violation["impact"] for violation in run_axe(page)}
    assert found["image-alt"] == "critical"
    assert found["label"] == "critical"
    assert found["color-contrast"] == "serious"
