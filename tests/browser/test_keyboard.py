"""The citizen self-diagnosis completed with the keyboard alone, from the home page to the results:
every control is reached with Tab in the order of the page, shows where the focus is, and works
with Space and Enter."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

FOCUSED = """() => {
  const el = document.activeElement;
  // The ring is drawn on the control, or on the label or card that holds it.
  const rings = [el, el.closest('label'), el.closest('.card')].filter(Boolean)
    .map(e => getComputedStyle(e));
  const group = el.name ? [...document.querySelectorAll(`[name="${el.name}"]`)] : [];
  const fieldset = el.closest('fieldset');
  return {
    tag: el.tagName.toLowerCase(), type: el.type || '', name: el.name || '',
    value: el.value || '', text: (el.innerText || '').trim(),
    primary: el.classList.contains('primary'),
    visibleFocus: rings.some(s => s.outlineStyle !== 'none' || s.boxShadow !== 'none'),
    groupChecked: group.filter(i => i.checked).length,
    maxChoices: fieldset && fieldset.dataset.maxChoices ? +fieldset.dataset.maxChoices : 0,
    index: [...document.querySelectorAll('*')].indexOf(el),
  };
}"""


def tab(page: Page) -> dict:
    page.keyboard.press("Tab")
    return page.evaluate(FOCUSED)


def tab_until(page: Page, wanted, limit: int = 80) -> dict:
    for _ in range(limit):
        focused = tab(page)
        assert focused["visibleFocus"], f"no visible focus on {focused}"
        if wanted(focused):
            return focused
    raise AssertionError("never reached the wanted control with Tab")


def wants_a_tick(focused: dict) -> bool:
    """An unanswered radio group, or a group of boxes with room for one more (not « ne sait
    pas »)."""
    if focused["type"] == "radio":
        return focused["groupChecked"] == 0
    return (
        focused["type"] == "checkbox"
        and focused["value"] != "nsp"
        and focused["groupChecked"] < (focused["maxChoices"] or 1)
    )


def answer_page_with_keyboard(page: Page) -> None:
    """Tab through the page in order, answering as a keyboard user would, then press Enter on
    the main button."""
    last_index = -1
    for _ in range(200):
        focused = tab(page)
        assert focused["visibleFocus"], f"no visible focus on {focused}"
        if focused["index"] <= last_index and focused["tag"] != "body":
            raise AssertionError(f"focus went backwards to {focused}")
        last_index = focused["index"]
        if focused["type"] == "search" and not focused["value"]:
            page.keyboard.type("69100")
            page.get_by_role("radio", name=re.compile("^Villeurbanne")).wait_for()
        elif wants_a_tick(focused):
            page.keyboard.press("Space")
        elif focused["tag"] == "textarea":
            page.keyboard.type("Un jardin partagé avec l'école.")
        elif focused["tag"] == "button" and focused["primary"]:
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
    raise AssertionError("the main button was never reached")


def test_citizen_questionnaire_with_the_keyboard_only(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/")

    skip = tab(page)
    assert skip["text"] == "Aller au contenu principal" and skip["visibleFocus"]
    page.keyboard.press("Enter")
    tab_until(page, lambda f: f["tag"] == "a" and f["text"] == "Autodiagnostic citoyen")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_until(page, lambda f: f["tag"] == "button" and f["text"] == "Commencer")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    for number in range(1, 8):
        expect(page).to_have_title(re.compile(rf"^Étape {number} sur 7 — Autodiagnostic citoyen"))
        answer_page_with_keyboard(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Votre profil sur les trois impacts")
    scores = page.locator(".score-value").all_inner_texts()
    assert len(scores) == 3
    token = re.search(r"/r/([^/]+)/resultats", page.url).group(1)
    answers = page.request.get(f"{live_server}/api/v1/results/{token}").json()
    assert answers["territory"] == "commune:69266"
    assert answers["actor"] == "citoyen"


def test_errors_are_announced_and_take_the_focus(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/diagnostic/citoyen")
    page.get_by_role("button", name="Commencer").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Suivant", exact=True).click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_contain_text("Cette question nécessite une réponse.")
    search = page.locator("input[type=search]")
    described = search.get_attribute("aria-describedby").split()
    assert "e-territoire" in described
    expect(page.locator("#e-territoire")).to_contain_text("nécessite une réponse")
    expect(page).to_have_title(re.compile("^Erreur — Étape 1 sur 7"))
