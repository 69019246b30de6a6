"""The web app over real HTTP (`python -m webapp` on loopback), on real PostgreSQL, in
front of the real model service: what a browser without scripts can do, what it must be
refused, and that nothing is half-done on bad input. The pages in a real browser are
the browser tier's (tests/browser)."""

import csv
import io
import secrets
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from model_service.training.data import parse_comments
from tests.harness.web_client import WebClient, flashes


@pytest.fixture
def client(webapp):
    web = WebClient(
        webapp.url, client_address=f"10.0.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    )
    yield web
    web.close()


@pytest.fixture
def admin(webapp, client):
    assert client.sign_in(*webapp.admin).status_code == 303
    return client


def count(webapp, sql: str, *params) -> int:
    with psycopg.connect(webapp.database_url) as conn:
        return conn.execute(sql, params).fetchone()[0]


def add_user(admin: WebClient, role: str) -> tuple[str, str]:
    name, password = f"{role}-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    added = admin.submit("/workbench/users", {"username": name, "role": role, "password": password})
    assert added == [f"User {name} ({role}) added."]
    return name, password


def test_pages_carry_security_headers_and_cookies_are_secure_httponly_lax(client):
    page = client.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    [session] = [h for h in client.set_cookie_headers if h.startswith("webapp_session=")]
    attributes = {part.strip().lower() for part in session.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax"} <= attributes, session


def test_a_form_without_this_sessions_csrf_token_is_refused_and_changes_nothing(webapp, client):
    client.get("/")
    before = count(webapp, "SELECT count(*) FROM feedback")
    form = {"text": "csrf probe", "predicted_label": "0", "score": "0.1"}
    for token in ("", "forged-token"):
        answer = client.post("/feedback", form, token=token)
        assert answer.status_code == 403
        assert "This form expired or came from another site" in answer.text
    # A token from another session is as good as none.
    other = WebClient(webapp.url)
    other.get("/")
    assert client.post("/feedback", form, token=other.token).status_code == 403
    assert count(webapp, "SELECT count(*) FROM feedback") == before
    assert client.post("/feedback", form).status_code == 200
    assert count(webapp, "SELECT count(*) FROM feedback") == before + 1


def test_the_token_is_needed_on_uploads_sign_in_and_out_too_and_may_come_as_a_header(webapp, admin):
    before = count(webapp, "SELECT count(*) FROM labelled_comments")
    upload = {"file": ("batch.csv", "text,label\ncsrf upload probe,1\n")}
    refused = admin.post("/workbench/import", files=upload, token="")
    assert refused.status_code == 403
    assert count(webapp, "SELECT count(*) FROM labelled_comments") == before
    assert admin.post("/logout", token="wrong").status_code == 403
    assert admin.get("/workbench/comments").status_code == 200, "still signed in"
    by_header = admin.http.post(
        "/feedback",
        data={"text": "header probe", "predicted_label": "0", "score": "0.2"},
        headers={**admin.cookie_header(), "x-csrftoken": admin.token},
    )
    assert by_header.status_code == 200
    stranger = WebClient(webapp.url)
    assert stranger.post("/login", {"username": "admin", "password": "x" * 12}).status_code == 403


def test_signing_out_ends_the_session_even_for_a_copied_cookie(webapp):
    web = WebClient(webapp.url, client_address="10.4.4.4")
    assert web.sign_in(*webapp.admin).status_code == 303
    copy = WebClient(webapp.url)
    copy.cookies = dict(web.cookies)
    assert copy.get("/workbench/comments").status_code == 200
    assert web.submit("/logout") == ["Signed out (on every device)."]
    assert copy.get("/workbench/comments").status_code == 303


def test_guesses_sent_at_once_do_not_slip_under_the_sign_in_limit(webapp, admin):
    name, _ = add_user(admin, "labeller")

    def guess(_: int) -> int:
        web = WebClient(webapp.url, client_address="10.3.3.3")
        web.get("/login")
        return web.post("/login", {"username": name, "password": "a wrong password"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = sorted(pool.map(guess, range(8)))
    assert answers == [401, 401, 401] + [429] * 5, answers


def test_the_workbench_refuses_anyone_not_signed_in(client):
    answer = client.get("/workbench/comments?label=1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/workbench/comments%3Flabel%3D1"
    client.get("/")
    for path in ("/workbench/comments/1/delete", "/workbench/users", "/workbench/training"):
        refused = client.post(path, {"username": "x", "role": "admin", "password": "y" * 12})
        assert refused.status_code == 401 and "Sign in first." in flashes(refused.text), path
    assert client.get("/workbench/export.csv", follow_redirects=False).status_code == 303


def test_sign_in_goes_on_only_to_a_page_of_this_site(webapp):
    for target, landing in (
        ("/workbench/stats", "/workbench/stats"),
        ("https://evil.example/", "/workbench"),
        ("//evil.example/", "/workbench"),
        ("/\\evil.example/", "/workbench"),
    ):
        web = WebClient(webapp.url, client_address="10.5.5.5")
        web.get("/login")
        answer = web.post(
            "/login", {"username": webapp.admin[0], "password": webapp.admin[1], "next": target}
        )
        assert answer.status_code == 303 and answer.headers["location"] == landing, target


def test_a_labeller_works_on_the_data_but_cannot_manage_users_or_start_training(webapp, admin):
    name, password = add_user(admin, "labeller")
    labeller = WebClient(webapp.url, client_address="10.9.9.9")
    assert labeller.sign_in(name, password).status_code == 303
    assert labeller.get("/workbench/comments").status_code == 200
    assert labeller.get("/workbench/users").status_code == 403
    users_before = count(webapp, "SELECT count(*) FROM webapp_users")
    refused = labeller.post(
        "/workbench/users", {"username": "sneaky", "role": "admin", "password": "p" * 16}
    )
    assert refused.status_code == 403 and "Only an admin can do this." in flashes(refused.text)
    assert count(webapp, "SELECT count(*) FROM webapp_users") == users_before
    assert labeller.post("/workbench/training").status_code == 403
    assert "Users" not in labeller.get("/workbench/stats").text.split("</nav>")[0]


def test_sign_in_is_limited_per_user_name_and_address_and_says_when_to_retry(webapp, admin):
    name, password = add_user(admin, "labeller")
    guesser = WebClient(webapp.url, client_address="10.7.7.7")
    for _ in range(3):
        assert guesser.sign_in(name, "wrong password!").status_code == 401
    limited = guesser.sign_in(name, password)  # right, but too late
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 300
    assert "Too many failed sign-ins" in flashes(limited.text)[0]
    # Another address is not held back by this one's failures.
    assert (
        WebClient(webapp.url, client_address="10.7.7.8").sign_in(name, password).status_code == 303
    )


def test_a_new_password_ends_the_users_sessions(webapp, admin):
    name, password = add_user(admin, "labeller")
    labeller = WebClient(webapp.url, client_address="10.6.6.6")
    labeller.sign_in(name, password)
    assert labeller.get("/workbench/comments").status_code == 200
    [user_id] = [
        row for row in [count(webapp, "SELECT id FROM webapp_users WHERE username = %s", name)]
    ]
    admin.get("/workbench/users")
    changed = admin.submit(
        f"/workbench/users/{user_id}/password", {"password": "a new password 42"}
    )
    assert changed == [f"User {user_id} has a new password; their sessions ended."]
    assert labeller.get("/workbench/comments", follow_redirects=False).status_code == 303
    too_short = admin.submit(f"/workbench/users/{user_id}/password", {"password": "short"})
    assert too_short == [f"User {user_id} unchanged: password: at least 12 characters."]


def test_a_csv_with_bad_rows_imports_nothing_and_lists_every_problem(webapp, admin):
    before = count(webapp, "SELECT count(*) FROM labelled_comments")
    existing = count(webapp, "SELECT min(id) FROM labelled_comments")
    with psycopg.connect(webapp.database_url) as conn:
        (taken,) = conn.execute(
            "SELECT text FROM labelled_comments WHERE id = %s", (existing,)
        ).fetchone()
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerows(
        [
            ["text", "label", "category"],
            ["a fine new comment for the import test", "0", "chat"],  # line 2: good
            ["   ", "1", ""],  # 3
            ["labelled seven", "7", ""],  # 4
            ["x" * 1001, "1", ""],  # 5
            ["A FINE new comment for the import test", "1", ""],  # 6: duplicate of 2
            [taken, "0", ""],  # 7: already in the table
        ]
    )
    rows.write("too,many,fields,here\n")  # 8
    admin.get("/workbench/import")
    answer = admin.post("/workbench/import", files={"file": ("batch.csv", rows.getvalue())})
    assert answer.status_code == 422
    problems = answer.text.split('<ul class="problems">')[1].split("</ul>")[0]
    for expected in (
        "line 3: text is empty or only whitespace",
        "line 4: label must be 0 or 1, found &#39;7&#39;",
        "line 5: text is 1001 characters long; the limit is 1000",
        "line 6: duplicate of line 2 with a different label (0 there, 1 here)",
        "line 8: expected 3 fields, found 4",
        f"line 7: already in the table as comment {existing}",
    ):
        assert expected in problems
    assert "Nothing was imported from batch.csv: 6 problem(s)." in answer.text
    assert count(webapp, "SELECT count(*) FROM labelled_comments") == before

    good = "text,label\nimported comment one for the test,0\nimported troll two you clown,1\n"
    admin.get("/workbench/import")
    answer = admin.post("/workbench/import", files={"file": ("good.csv", good)})
    assert answer.status_code == 200
    assert "Imported 2 rows from good.csv." in flashes(answer.text)
    assert count(webapp, "SELECT count(*) FROM labelled_comments") == before + 2
    for bad_file, message in (
        (b"", "the file is empty"),
        (b"words,label\nhi,0\n", "line 1: missing column(s) text"),
        (b"text,label\n\xff\xfe,0\n", "line 2: not valid UTF-8"),
        (b"text,label\n", "the file has a header but no rows"),
    ):
        admin.get("/workbench/import")
        refused = admin.post("/workbench/import", files={"file": ("bad.csv", bad_file)})
        assert refused.status_code == 422 and message in refused.text, message
    assert count(webapp, "SELECT count(*) FROM labelled_comments") == before + 2


def test_the_export_is_a_dataset_training_accepts_with_every_row(webapp, admin):
    export = admin.get("/workbench/export.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    report = parse_comments(export.content, "export.csv", 1000)
    assert not report.errors and not report.bad_rows
    assert len(report.comments) == count(webapp, "SELECT count(*) FROM labelled_comments")


def test_feedback_on_a_real_classification_can_be_accepted_into_the_training_data(webapp, admin):
    text = f"what a worthless clown you are, reply {uuid.uuid4().hex[:6]}"
    result = admin.post("/classify", {"text": text})
    assert result.status_code == 200
    label = 1 if 'data-label="troll"' in result.text else 0
    version = result.text.split("<dt>Model version</dt><dd>")[1].split("<")[0]
    assert version.isdigit(), "the page names the served version"
    sent = admin.post(
        "/feedback",
        {"text": text, "predicted_label": str(label), "score": "0.5", "model_version": version},
    )
    assert "Thank you: your correction was saved for review." in flashes(sent.text)
    feedback_id = count(webapp, "SELECT id FROM feedback WHERE text = %s", text)
    assert count(webapp, "SELECT corrected_label FROM feedback WHERE id = %s", feedback_id) == (
        1 - label
    )
    accepted = admin.submit(f"/workbench/feedback/{feedback_id}/accept")
    assert accepted == [f"Feedback {feedback_id}: added with label {1 - label}."]
    assert count(webapp, "SELECT label FROM labelled_comments WHERE text = %s", text) == 1 - label
    again = admin.submit(f"/workbench/feedback/{feedback_id}/accept")
    assert again == [
        f"Feedback {feedback_id} unchanged: feedback {feedback_id} was accepted already."
    ]


def test_relabel_and_delete_change_the_table_and_bad_requests_are_named(webapp, admin):
    comment_id = count(webapp, "SELECT max(id) FROM labelled_comments WHERE label = 0")
    path = f"/workbench/comments/{comment_id}"
    assert admin.submit(f"{path}/relabel", {"label": "1", "category": "insult"}) == [
        f"Comment {comment_id} is now labelled trolling."
    ]
    assert count(webapp, "SELECT label FROM labelled_comments WHERE id = %s", comment_id) == 1
    assert admin.submit(f"{path}/relabel", {"label": "2"}) == [
        f"Comment {comment_id} was not changed: label must be 0 or 1, got '2'."
    ]
    assert admin.submit(f"{path}/delete") == [f"Comment {comment_id} deleted."]
    assert count(webapp, "SELECT count(*) FROM labelled_comments WHERE id = %s", comment_id) == 0
    assert admin.submit(f"{path}/delete") == [
        f"Nothing deleted: no comment with id {comment_id} (deleted meanwhile?)."
    ]
    for query, message in (
        ("label=7", "label must be 0 or 1, got '7'"),
        ("offset=ten", "offset must be a whole number, got 'ten'"),
    ):
        page = admin.get(f"/workbench/comments?{query}")
        assert page.status_code == 422 and message in flashes(page.text), query
    page = admin.post("/workbench/comments/abc/delete")
    assert page.status_code == 422 and "comment_id" in flashes(page.text)[0]


def test_the_try_it_page_names_bad_input_and_the_statistics_add_up(webapp, client):
    client.get("/")
    empty = client.post("/classify", {"text": "   "})
    assert empty.status_code == 422
    assert "Enter a comment to classify: the text is empty." in flashes(empty.text)
    long = client.post("/classify", {"text": "y" * 1001})
    assert "The comment is 1001 characters long; the limit is 1000." in flashes(long.text)
    altered = client.post("/feedback", {"text": "hi", "predicted_label": "5", "score": "x"})
    assert "The feedback form was altered" in flashes(altered.text)[0]
    assert client.get("/no/such/page").status_code == 404
