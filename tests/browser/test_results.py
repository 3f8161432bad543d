"""An association's self-diagnosis in a real browser, among demo responses: the results say
where it stands, against whom, and what to do next; the PDF says the same."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.test_journey import answer_every_group


def test_association_results_with_benchmarks_and_pdf(live_server, new_page):
    page = new_page()
    page.goto(live_server + "/")
    page.get_by_role("link", name="Autodiagnostic association ou fondation").click()
    page.get_by_role("button", name="Commencer").click()
    page.wait_for_load_state()
    page.locator("input[type=search]").fill("Marseille")
    page.locator(".actions button.primary").click()
    page.wait_for_url(re.compile(r"/etape/2$"))
    answer_every_group(page)
    page.locator(".actions button.primary").click()
    page.wait_for_url(re.compile(r"/etape/3$"))
    page.locator("#q-partenariats").get_by_role("radio", name="Oui", exact=True).check()
    page.locator("#q-pratiques").get_by_role("checkbox").first.check()
    answer_every_group(page)
    for number in range(4, 8):
        page.locator(".actions button.primary").click()
        page.wait_for_url(re.compile(rf"/etape/{number}$"))
        answer_every_group(page)
    page.locator(".actions button.primary").click()
    page.wait_for_url(re.compile(r"/resultats$"))

    # Where it stands, against a named reference group.
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre profil sur les trois impacts")
    standing = page.locator("#impact-confiance").locator("xpath=..").locator(".standing").first
    expect(standing).to_contain_text(
        re.compile(
            r"(Au-dessus de \d+ associations? (ou|et) fondations? sur 10|Parmi les scores les plus "
            r"bas|Au-dessus de presque toutes) .*dans votre région \(Provence-Alpes-Côte d'Azur\)"
        )
    )
    expect(standing).to_contain_text(re.compile(r"\d+ réponses"))
    scores = page.locator(".score-value").all_inner_texts()

    # The radar (with the medians) and the 16-domain comparison, with their tables.
    for name in ("radar", "domains"):
        image = page.locator(f"img[src$='{'profil.svg' if name == 'radar' else 'domaines.svg'}']")
        page.wait_for_function("img => img.complete", arg=image.element_handle())
        assert page.evaluate("img => img.naturalWidth", image.element_handle()) > 200
    expect(page.locator("#scores-caption")).to_be_visible()
    expect(page.locator("table.domains tbody tr")).to_have_count(16)
    expect(page.locator("table.domains")).to_contain_text("Mal-logement")

    # What to do next: three to five practices, each with why.
    practices = page.locator("ol.practices > li")
    assert 3 <= practices.count() <= 5
    expect(practices.first.locator(".why")).to_contain_text("Pourquoi")

    # The PDF says the same.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en PDF").click()
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(download.value.path()).pages
    )
    assert "Votre profil sur les trois impacts" in text
    for score in scores:
        assert f"{score} / 100" in text
    assert "Provence-Alpes-Côte d'Azur" in text
    first_practice = practices.first.locator("h3").inner_text()
    assert first_practice in text
