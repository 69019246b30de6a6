"""The web app in a real browser: what a user does on each page, what must be refused,
that typed text stays text, and that every control has an accessible name."""

import csv
import io
import json
import secrets
import statistics
import time
import uuid

import psycopg
from playwright.sync_api import Page, expect

from devstack.paths import REPO_ROOT
from tests.harness.browser_pages import accessibility_problems, screenshot, sign_in

TIMINGS = REPO_ROOT / ".run" / "browser-timings.json"
# Records, inside the page, when the Classify button is clicked and when a label appears.
CLICK_TO_LABEL = """() => {
  window.__clickAt = null; window.__labelAt = null;
  document.querySelector('#classify-form button').addEventListener(
    'click', () => { window.__clickAt = performance.now(); window.__labelAt = null; },
    {capture: true});
  new MutationObserver(() => {
    if (!window.__labelAt && document.querySelector('#result [data-label]'))
      window.__labelAt = performance.now();
  }).observe(document.getElementById('result'), {childList: true, subtree: true});
}"""
TRIES = [
    "Thanks for the detailed answer, that helped a lot.",
    "You are an absolute clown and everyone here knows it.",
    "I see it differently: the benchmark leaves out cold starts.",
    "lol imagine being this dumb",
    "Could you share the source for that figure?",
    "Nobody asked, go cry somewhere else.",
    "Good point, I had not thought of that.",
    "Typical idiot take, as always from you.",
]


def label_time(page: Page, timeout: float = 30) -> float:
    """Milliseconds from the click to the label, once the page has recorded both (polled:
    the page's CSP forbids the string evaluation wait_for_function would use)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        elapsed = page.evaluate(
            "window.__labelAt === null ? null : window.__labelAt - window.__clickAt"
        )
        if elapsed is not None:
            return elapsed
        time.sleep(0.01)
    raise AssertionError(f"no label within {timeout}s of the click")


def one_value(database_url: str, sql: str, *params):
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def test_try_a_comment_see_label_probability_version_and_send_feedback(page: Page, webapp):
    page.goto("/")
    page.evaluate(CLICK_TO_LABEL)
    comment = page.get_by_label("Comment")
    millis = []
    for text in TRIES:
        comment.fill(text)
        page.get_by_role("button", name="Classify").click()
        millis.append(label_time(page))
        verdict = page.locator("#result [data-label]")
        expect(verdict).to_contain_text("Probability of trolling")
        assert page.url.endswith("/"), "the result replaced only its region"
    timings = {
        "clicks": len(millis),
        "median_ms": round(statistics.median(millis), 1),
        "max_ms": round(max(millis), 1),
        "each_ms": [round(m, 1) for m in millis],
    }
    TIMINGS.write_text(json.dumps(timings, indent=2))
    print(f"\nclick to label in the browser: {timings}")
    version = page.locator("#result dd").nth(1).inner_text()
    assert version.isdigit(), f"the model version is shown, got {version!r}"
    probability = float(page.locator("#result dd").first.inner_text())
    assert 0 <= probability <= 1
    screenshot(page, "try-it-result")

    label = page.locator("#result [data-label]").get_attribute("data-label")
    page.get_by_role("button", name="This is wrong").click()
    expect(page.get_by_role("status")).to_have_text(
        "Thank you: your correction was saved for review."
    )
    screenshot(page, "try-it-feedback-sent")
    corrected = one_value(
        webapp.database_url,
        "SELECT corrected_label FROM feedback WHERE text = %s ORDER BY id DESC",
        TRIES[-1],
    )
    assert corrected == (0 if label == "troll" else 1)
    assert not accessibility_problems(page)


def test_the_try_it_page_works_without_scripts_too(chromium, webapp):
    context = chromium.new_context(base_url=webapp.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_label("Comment").fill("I respectfully disagree with your conclusion.")
        page.get_by_role("button", name="Classify").click()
        expect(page.locator("#result [data-label]")).to_be_visible()
        assert page.url.endswith("/classify"), "without scripts the form posted the page"
    finally:
        context.close()


def test_what_a_user_types_is_shown_as_text_never_run(page: Page, webapp):
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold?</b>'
    page.goto("/")
    page.get_by_label("Comment").fill(payload)
    page.get_by_role("button", name="Classify").click()
    expect(page.locator("#result [data-label]")).to_be_visible()
    assert page.locator("#result img, #result script, #result b").count() == 0
    # The text travels on as text: into the feedback form's value and the workbench.
    assert page.locator("#feedback-form input[name=text]").input_value() == payload
    page.get_by_role("button", name="This is wrong").click()
    expect(page.get_by_role("status")).to_contain_text("Thank you")
    sign_in(page, *webapp.admin)
    page.goto("/workbench/feedback?q=bold%3F")
    cell = page.locator("td.text", has_text="bold?").first
    expect(cell).to_have_text(payload)
    assert page.locator("main img, main b, main script").count() == 0
    screenshot(page, "workbench-feedback-with-markup-as-text")


def test_the_workbench_refuses_anyone_not_signed_in(page: Page):
    page.goto("/workbench/comments")
    assert "/login?next=/workbench/comments" in page.url
    expect(page.get_by_role("heading", name="Sign in to the workbench")).to_be_visible()
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    screenshot(page, "login-refused")
    assert not accessibility_problems(page)


def test_sign_in_search_relabel_and_delete(page: Page, webapp):
    sign_in(page, *webapp.admin)
    page.get_by_label("Text contains").fill("respectfully")
    page.get_by_label("Label", exact=True).select_option("0")
    page.get_by_role("button", name="Filter").click()
    first_row = page.locator("tbody tr").first
    comment_id = int(first_row.locator("td").first.inner_text())
    screenshot(page, "workbench-comments-filtered")
    assert not accessibility_problems(page)

    page.get_by_label(f"Label of comment {comment_id}", exact=True).select_option("1")
    page.get_by_label(f"Category of comment {comment_id}", exact=True).fill("bad_faith_contrarian")
    page.get_by_role("button", name=f"Save label of comment {comment_id}").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Comment {comment_id} is now labelled trolling."
    )
    assert "q=respectfully" in page.url, "the list keeps its filter"
    sql = "SELECT label || category FROM labelled_comments WHERE id = %s"
    assert one_value(webapp.database_url, sql, comment_id) == "1bad_faith_contrarian"
    # Now trolling, it left the list of label 0; it is in the list of any label.
    expect(page.get_by_role("button", name=f"Delete comment {comment_id}")).to_have_count(0)
    page.get_by_label("Label", exact=True).select_option("")
    page.get_by_role("button", name="Filter").click()

    page.get_by_role("button", name=f"Delete comment {comment_id}").click()
    expect(page.get_by_role("status")).to_have_text(f"Comment {comment_id} deleted.")
    assert one_value(webapp.database_url, sql, comment_id) is None
    screenshot(page, "workbench-comment-deleted")


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def test_import_a_csv_with_bad_rows_then_a_good_one_and_export(page: Page, webapp, tmp_path):
    tag = uuid.uuid4().hex[:6]
    before = one_value(webapp.database_url, "SELECT count(*) FROM labelled_comments")
    sign_in(page, *webapp.admin)
    page.get_by_role("link", name="Import").click()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        _csv([["text", "label"], [f"good row {tag}", "0"], ["", "1"], [f"maybe {tag}", "yes"]])
    )
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Import").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Nothing was imported from bad.csv: 2 problem(s).")
    expect(alert.locator("li")).to_have_text(
        ["line 3: text is empty or only whitespace", "line 4: label must be 0 or 1, found 'yes'"]
    )
    screenshot(page, "workbench-import-refused")
    assert not accessibility_problems(page)
    assert one_value(webapp.database_url, "SELECT count(*) FROM labelled_comments") == before

    good = tmp_path / "good.csv"
    good.write_bytes(
        _csv([["text", "label"], [f"good row {tag}", "0"], [f"you utter muppet {tag}", "1"]])
    )
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status").first).to_have_text("Imported 2 rows from good.csv.")
    assert one_value(webapp.database_url, "SELECT count(*) FROM labelled_comments") == before + 2

    with page.expect_download() as download:
        page.get_by_role("link", name="Export every row as CSV").click()
    exported = download.value.path().read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["text", "label", "category"]
    assert [f"you utter muppet {tag}", "1", ""] in rows
    assert len(rows) - 1 == before + 2

    page.get_by_role("link", name="Statistics").click()
    expect(page.get_by_role("heading", name="Class balance")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"{before + 2} labelled comments")
    screenshot(page, "workbench-statistics")
    assert not accessibility_problems(page)


def test_a_labeller_cannot_manage_users(page: Page, webapp, chromium):
    sign_in(page, *webapp.admin)
    page.get_by_role("link", name="Users").click()
    name, password = f"labeller-{uuid.uuid4().hex[:6]}", secrets.token_urlsafe(14)
    page.get_by_label("User name", exact=True).fill(name)
    page.get_by_label("Role", exact=True).select_option("labeller")
    page.get_by_label("Password (at least 12 characters)").fill(password)
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text(f"User {name} (labeller) added.")
    screenshot(page, "workbench-users")
    assert not accessibility_problems(page)

    other = chromium.new_context(base_url=webapp.url)
    labeller = other.new_page()
    try:
        sign_in(labeller, name, password)
        expect(labeller.get_by_role("link", name="Users")).to_have_count(0)
        labeller.goto("/workbench/users")
        expect(labeller.get_by_role("alert")).to_have_text("Only an admin can do this.")
        screenshot(labeller, "labeller-refused-users")
        labeller.goto("/workbench/feedback")
        expect(
            labeller.get_by_role("heading", name="Feedback from the try-it page")
        ).to_be_visible()
        screenshot(labeller, "workbench-feedback")
        assert not accessibility_problems(labeller)
    finally:
        other.close()


def test_start_a_retraining_and_see_its_outcome(page: Page, webapp):
    sign_in(page, *webapp.admin)
    page.get_by_role("link", name="Training").click()
    page.get_by_role("button", name="Start retraining").click()
    expect(page.get_by_role("status")).to_contain_text("started")
    request_id = page.get_by_role("status").inner_text().split()[1]
    row = page.locator("tbody tr", has_text=request_id)
    deadline = time.monotonic() + 1200
    while row.get_attribute("data-state") in ("starting", "training", "pending"):
        assert time.monotonic() < deadline, f"still {row.get_attribute('data-state')}"
        time.sleep(10)
        page.reload()
    state = row.get_attribute("data-state")
    outcome = row.locator("td.outcome").inner_text()
    print(f"\nretraining {request_id}: {state}: {outcome}")
    screenshot(page, "workbench-training-outcome")
    assert state in ("promoted", "refused"), outcome
    link = row.get_by_role("link")
    assert link.get_attribute("href").startswith(webapp_mlflow_prefix(webapp))
    assert row.locator("td.text").inner_text().strip(), "the gate's verdict is shown"
    assert not accessibility_problems(page)


def webapp_mlflow_prefix(webapp) -> str:
    return webapp.server.env["WEBAPP_MLFLOW_URL"] + "/#/experiments/"
