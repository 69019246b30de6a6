"""Browser tier: the web app's pages in headless Chromium (Debian's, driven by Playwright
through its executable: nothing is downloaded), against the real app of
tests/webapp_fixtures.py. Each test keeps full-page screenshots in .run/browser-screenshots/."""

import shutil

import pytest
from playwright.sync_api import sync_playwright

from tests.harness.browser_pages import SCREENSHOTS

# A closed network: no background fetches, updates or sync for Chromium to try.
CHROMIUM_ARGS = ["--disable-component-update", "--disable-sync", "--no-first-run"]


# Module scope: Playwright's sync API keeps an event loop running in this thread while it
# is open, and every later asyncio.run() (pyhelm3's, in the chart and cluster tiers)
# would refuse to start.
@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("browser tier: no chromium on PATH (`make setup` installs Debian's as root)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        print(f"\nbrowser tier: Chromium {browser.version} at {path}")
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, webapp):
    """A fresh browser profile on the app. A dialog (what an injected alert() would open)
    fails the test."""
    context = chromium.new_context(base_url=webapp.url, accept_downloads=True)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()
    assert not dialogs, f"the page opened dialogs: {dialogs}"
