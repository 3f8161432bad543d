"""`python -m tests.browser.screenshots DIR` (or `make screenshots`): pictures of the main pages
at phone, laptop and projector sizes, in French, with Debian's Chromium."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, LAPTOP, PHONE
from tests.browser.pages import RICH_ANSWERS, completed_response, start
from tests.browser.server import live_app

SIZES = {"phone": PHONE, "laptop": LAPTOP, "projector": {"width": 1920, "height": 1080}}


def shoot(page: Page, path: Path, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    # 256 colours are plenty for these pages and keep the files small.
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )


def capture(base: str, target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            context = browser.new_context(
                viewport=viewport, locale="fr-FR", extra_http_headers={"Accept-Language": "fr"}
            )
            page = context.new_page()

            def save(
                name: str, full_page: bool = False, size: str = size, page: Page = page
            ) -> None:
                path = target / f"{name}-{size}.png"
                shoot(page, path, full_page)
                written.append(path)

            page.goto(base + "/")
            save("home")
            page.goto(base + "/territoires")
            save("explorer-map")
            page.goto(base + "/territoires/departement:69")
            save("explorer-profile", full_page=size != "phone")
            start(page, base, "entreprise")
            page.locator("input[type=search]").fill("Saint-Denis")
            page.get_by_role("radio", name=re.compile(r"^Saint-Denis \(93")).wait_for()
            save("questionnaire-territory")
            page.get_by_role("radio", name=re.compile(r"^Saint-Denis \(93")).check()
            page.locator(".actions button.primary").click()
            page.wait_for_url(re.compile(r"/etape/2$"))
            for number, value in ((1, "6"), (2, "8"), (3, "4")):
                page.locator("fieldset.question").nth(number - 1).get_by_role(
                    "radio", name=re.compile(rf"^{value}\b")
                ).first.check()
            save("questionnaire-fragilities")
            token = completed_response(page, base, "entreprise", RICH_ANSWERS)
            page.goto(f"{base}/r/{token}/resultats")
            save("results", full_page=size != "phone")
            context.close()
        browser.close()
    return written


def main(argv: list[str]) -> int:
    target = Path(argv[0] if argv else "docs/screenshots")
    with tempfile.TemporaryDirectory() as directory, live_app(Path(directory)) as base:
        for path in capture(base, target):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
