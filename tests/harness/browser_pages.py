"""What the browser tier does on every page: screenshots kept as artefacts, signing in,
and axe-core's accessibility check."""

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from devstack.paths import REPO_ROOT

SCREENSHOTS = REPO_ROOT / ".run" / "browser-screenshots"


def screenshot(page: Page, name: str) -> None:
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/workbench/**")


_axe = Axe()


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's WCAG 2 A and AA findings on the page, one line each."""
    results = _axe.run(page, options={"runOnly": ["wcag2a", "wcag2aa"]})
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}: "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
    ]
