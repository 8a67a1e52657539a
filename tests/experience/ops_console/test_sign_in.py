"""Signing in and out of the ops console: sessions in Redis, cookie flags, fixation, CSRF, throttling.

Over real HTTP against the console in front of the whole chain (the pages need no deal here, but the
console is the same one the other modules use). A "browser" is an httpx client that keeps cookies.
"""

from __future__ import annotations

import uuid

import httpx
from litestar.testing import TestClient

from services.experience.ops_console.app import create_app
from services.runtime.testing import free_port
from tests.experience.ops_console.harness import COOKIE, PASSWORDS, Console, console_settings, csrf_of


def _cookie_header(response: httpx.Response) -> str:
    [header] = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(f"{COOKIE}=")]
    return header


class TestSignIn:
    def test_pages_send_a_visitor_without_a_session_to_the_sign_in_form(self, console: Console):
        with console.browser() as browser:
            response = browser.get("/exceptions?owner=finance_ops")
            assert response.status_code == 303
            assert response.headers["location"] == "/login?next=/exceptions%3Fowner%3Dfinance_ops"
            form = browser.get(response.headers["location"])
            assert form.status_code == 200
            assert 'name="next" value="/exceptions?owner=finance_ops"' in form.text

    def test_the_right_password_signs_in_and_goes_where_the_person_was_headed(self, console: Console):
        with console.browser() as browser:
            form = browser.get("/login?next=/exceptions")
            done = browser.post("/login", data={"username": "finance", "password": PASSWORDS["finance"],
                                                "csrf_token": csrf_of(form.text), "next": "/exceptions"})
            assert (done.status_code, done.headers["location"]) == (303, "/exceptions")
            page = browser.get("/pipeline")
            assert page.status_code == 200
            assert "Fran Okafor" in page.text and "Finance ops" in page.text

    def test_a_wrong_password_or_unknown_user_is_refused_with_the_same_message(self, console: Console):
        with console.browser() as browser:
            for username, password in (("finance", "not-it"), ("nobody", "finance-dev-pass")):
                form = browser.get("/login")
                refused = browser.post("/login", data={"username": username, "password": password,
                                                       "csrf_token": csrf_of(form.text)})
                assert refused.status_code == 401
                assert "Wrong username or password." in refused.text
            assert browser.get("/pipeline").status_code == 303

    def test_an_open_redirect_after_sign_in_is_refused(self, console: Console):
        with console.browser() as browser:
            form = browser.get("/login")
            done = browser.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"],
                                                "csrf_token": csrf_of(form.text), "next": "//evil.example/x"})
            assert done.headers["location"] == "/pipeline"


class TestSessionCookie:
    def test_the_cookie_is_http_only_same_site_lax_and_not_secure_over_plain_http(self, console: Console):
        with console.browser() as browser:
            header = _cookie_header(browser.get("/login")).lower()
            assert "httponly" in header and "samesite=lax" in header and "path=/" in header
            assert "secure" not in header.replace("httponly", "")

    def test_the_cookie_is_secure_when_the_console_is_served_over_tls(self, issuer, key_prefix, redis):
        settings = console_settings(issuer, key_prefix, "http://127.0.0.1:9", cookie_secure=True)
        with TestClient(create_app(settings)) as client:
            header = client.get("/login").headers["set-cookie"].lower()
        assert "; secure" in header and "httponly" in header

    def test_signing_in_issues_a_new_session_id_and_the_old_one_is_worthless(self, console: Console):
        with console.browser() as browser:
            form = browser.get("/login")
            before = browser.cookies[COOKIE]
            done = browser.post("/login", data={"username": "finance", "password": PASSWORDS["finance"],
                                                "csrf_token": csrf_of(form.text)})
            after = browser.cookies[COOKIE]
            assert done.status_code == 303 and after != before
        with console.browser() as attacker:  # someone who knew (or planted) the id from before sign-in
            attacker.cookies.set(COOKIE, before, domain="127.0.0.1")
            assert attacker.get("/pipeline").status_code == 303
        with console.browser() as victim:
            victim.cookies.set(COOKIE, after, domain="127.0.0.1")
            assert victim.get("/pipeline").status_code == 200

    def test_a_session_id_planted_in_the_browser_is_never_adopted(self, console: Console):
        planted = "attacker-chosen-" + uuid.uuid4().hex
        with console.browser() as browser:
            browser.cookies.set(COOKIE, planted, domain="127.0.0.1")
            form = browser.get("/login")
            assert browser.cookies[COOKIE] != planted
            browser.post("/login", data={"username": "finance", "password": PASSWORDS["finance"],
                                         "csrf_token": csrf_of(form.text)})
            assert browser.cookies[COOKIE] != planted
        with console.browser() as attacker:
            attacker.cookies.set(COOKIE, planted, domain="127.0.0.1")
            assert attacker.get("/pipeline").status_code == 303

    def test_signing_out_ends_the_session_on_the_server(self, console: Console):
        with console.browser() as browser:
            console.sign_in("billing", browser)
            session_id = browser.cookies[COOKIE]
            page = browser.get("/pipeline")
            assert browser.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
        with console.browser() as replay:
            replay.cookies.set(COOKIE, session_id, domain="127.0.0.1")
            assert replay.get("/pipeline").status_code == 303


class TestCsrfOnSignInAndOut:
    def test_sign_in_without_the_form_token_is_refused(self, console: Console):
        with console.browser() as browser:
            browser.get("/login")
            refused = browser.post("/login", data={"username": "finance", "password": PASSWORDS["finance"]})
            assert refused.status_code == 403
            assert browser.get("/pipeline").status_code == 303

    def test_sign_out_without_the_token_is_refused_and_the_session_lives_on(self, console: Console):
        with console.browser() as browser:
            console.sign_in("finance", browser)
            assert browser.post("/logout", data={}).status_code == 403
            assert browser.get("/pipeline").status_code == 200


class TestThrottle:
    def test_repeated_failures_block_the_username_even_with_the_right_password(self, issuer, key_prefix, redis):
        settings = console_settings(issuer, key_prefix, "http://127.0.0.1:9", login_attempts=3)
        with TestClient(create_app(settings)) as client:
            for _ in range(3):
                form = client.get("/login")
                client.post("/login", data={"username": "sales", "password": "guess",
                                            "csrf_token": csrf_of(form.text)})
            form = client.get("/login")
            refused = client.post("/login", data={"username": "sales", "password": PASSWORDS["sales"],
                                                  "csrf_token": csrf_of(form.text)})
            assert refused.status_code == 401 and "Too many failed attempts" in refused.text
            form = client.get("/login")  # another username is not affected
            allowed = client.post("/login", data={"username": "viewer", "password": PASSWORDS["viewer"],
                                                  "csrf_token": csrf_of(form.text)}, follow_redirects=False)
            assert allowed.status_code == 303


class TestProcessApiDown:
    def test_a_page_says_the_process_api_did_not_answer_and_changes_nothing(self, issuer, key_prefix, redis):
        settings = console_settings(issuer, key_prefix, f"http://127.0.0.1:{free_port()}")  # nothing listens
        with TestClient(create_app(settings)) as client:
            form = client.get("/login")
            client.post("/login", data={"username": "finance", "password": PASSWORDS["finance"],
                                        "csrf_token": csrf_of(form.text)}, follow_redirects=False)
            page = client.get("/pipeline")
            assert page.status_code == 503
            assert "The process API did not answer" in page.text and "nothing was changed" in page.text
            assert page.headers["content-type"].startswith("text/html")
            assert client.get("/v1/pipeline").headers["content-type"].startswith("application/problem+json")
