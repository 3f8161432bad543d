"""axe-core on every page of the journeys, in French and English, on a phone and a laptop.

The suite fails on any violation of impact serious or critical; the others are listed in
tests/.artifacts/accessibility-report.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.pages import journey_visits, organiser_visits

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
REPORT = Path(__file__).resolve().parent.parent / ".artifacts" / "accessibility-report.md"
BLOCKING = {"serious", "critical"}
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
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules},"
        " resultTypes: ['violations']})",
        RULES,
    )
    return result["violations"]


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_serious_accessibility_violation(live_server, new_page, report, language, viewport):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` fetches axe-core from the npm registry")
    page = new_page(viewport=viewport, locale=language)
    where = f"{language}, {viewport['width']}×{viewport['height']}"
    blocking = []
    checked = 0
    for visit in [*journey_visits(live_server), *organiser_visits(live_server)]:
        try:
            visit.go(page)
        except Exception as error:
            raise AssertionError(f"could not reach {visit.name}: {error}") from error
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language, visit.name
        for violation in run_axe(page):
            report.append((where, visit.name, violation))
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"][:3]]
                blocking.append(
                    f"{visit.name}: {violation['id']} ({violation['impact']}) "
                    f"{violation['help']} {targets}"
                )
        checked += 1
    assert checked == 50
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
