"""Logging in to the console over real HTTP: sessions, cookies, CSRF, lock-out, roles."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from console_app import Console, add_user, console_server, csrf_token, seed
from fastapi.routing import APIRoute
from sqlalchemy import update

from bot.console.passwords import hash_password
from bot.store import users
from bot.store.models import ConsoleSession, utcnow
from bot.store.testing import temporary_database
from bot.web.console.auth import MAX_FAILED_LOGINS
from bot.web.console.routing import ConsoleRoute

PUBLIC = {("GET", "/login"), ("POST", "/login")}


def _console_requests(console: Console, cid: str) -> list[tuple[str, str]]:
    """One request per method of every console route (the login form aside)."""
    requests = []
    for route in console.app.routes:
        if not isinstance(route, APIRoute) or not issubclass(route.__class__, ConsoleRoute):
            continue
        for method in sorted(route.methods):
            if (method, route.path) in PUBLIC:
                continue
            url = route.path.replace("{cid:path}", cid).replace("{export_format}", "pdf")
            requests.append((method, url))
    return requests


def _login_redirect(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


CREDENTIALS = [
    pytest.param({}, {}, id="nothing"),
    pytest.param({"Authorization": "Bearer {token}"}, {}, id="service-token"),
    pytest.param({}, {"calx_session": "forged"}, id="forged-cookie"),
    pytest.param({}, {"calx_session": ""}, id="empty-cookie"),
]


@pytest.mark.parametrize(("headers", "cookies"), CREDENTIALS)
def test_every_console_page_refuses_without_a_login(
    console: Console, cid: str, headers: dict[str, str], cookies: dict[str, str]
) -> None:
    seed(console.db, cid)
    before = console.audit(cid)
    requests = _console_requests(console, cid)
    paths = {url for _, url in requests}
    assert {"/", "/audit", "/logout", f"/conversations/{cid}", f"/labs/{cid}"} <= paths
    assert {f"/review/{cid}", f"/export/pdf/{cid}"} <= paths
    sent = {k: v.format(token=console.settings.api_token) for k, v in headers.items()}
    with httpx.Client(base_url=console.base_url, cookies=cookies) as client:
        for method, url in requests:
            response = client.request(method, url, headers=sent, data={"lab_calcium": "high"})
            assert _login_redirect(response), (method, url, response.status_code)
            assert cid not in response.text
    assert console.audit(cid) == before  # nothing viewed, entered or signed


def test_a_login_leads_back_to_the_page_asked_for(console: Console, cid: str) -> None:
    seed(console.db, cid)
    with console.client() as client:
        response = client.get(f"/conversations/{cid}")
        assert _login_redirect(response)
        form = client.get(response.headers["location"])
        assert f'value="/conversations/{cid}"' in form.text
        name, password = console.accounts["clinician"]
        token = csrf_token(form.text)
        fields = {"username": name, "password": password, "csrf_token": token}
        response = client.post("/login", data={**fields, "next": f"/conversations/{cid}"})
        assert response.status_code == 303
        assert response.headers["location"] == f"/conversations/{cid}"
        assert client.get(response.headers["location"]).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil", ""])
def test_the_next_page_is_never_another_site(console: Console, target: str) -> None:
    with console.client() as client:
        form = client.get("/login")
        name, password = console.accounts["clinician"]
        data = {"username": name, "password": password, "csrf_token": csrf_token(form.text)}
        response = client.post("/login", data={**data, "next": target})
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_session_cookie_is_httponly_and_samesite_strict(console: Console) -> None:
    with console.client() as client:
        name, password = console.accounts["clinician"]
        response = console.login_response(client, name, password)
    cookie = next(c for c in response.headers.get_list("set-cookie") if "calx_session=" in c)
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "samesite", "path"} <= attributes
    assert "samesite=strict" in cookie.lower()
    assert "secure" not in attributes  # plain http on 127.0.0.1 (development)
    assert "__Host-" not in cookie


@pytest.mark.parametrize(
    "overrides",
    [{"cookie_secure": "true"}, {"web_url": "https://calx.hospital.example"}],
    ids=["setting", "https-url"],
)
def test_cookies_are_secure_off_loopback_http(overrides: dict[str, str]) -> None:
    with (
        temporary_database("sqlite") as db,
        console_server(db, **overrides) as console,
        console.client() as client,
    ):
        form = client.get("/login")
        login_cookie = form.headers["set-cookie"]
        value = login_cookie.split(";")[0].split("=", 1)[1]
        name, password = console.accounts["clinician"]
        data = {"username": name, "password": password, "csrf_token": csrf_token(form.text)}
        headers = {"Cookie": f"__Host-calx_login={value}"}  # httpx keeps Secure ones for https
        response = client.post("/login", data=data, headers=headers)
    assert response.status_code == 303
    assert login_cookie.startswith("__Host-calx_login=") and "Secure" in login_cookie
    session_cookie = next(
        c for c in response.headers.get_list("set-cookie") if "calx_session=" in c
    )
    assert session_cookie.startswith("__Host-calx_session=")
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie


def test_wrong_password_and_unknown_user_fail_alike(console: Console) -> None:
    name, _ = console.accounts["clinician"]
    with console.client() as client:
        wrong = console.login_response(client, name, "not the password at all")
        unknown = console.login_response(client, "nobody-here", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
        assert "calx_session=" not in response.headers.get("set-cookie", "")
    entries = console.audit()
    assert (name, "login_failed") in entries and ("anonymous", "login_failed") in entries


def test_repeated_failures_lock_the_account(console: Console) -> None:
    name, password = add_user(console.db)
    with console.client() as client:
        for attempt in range(1, MAX_FAILED_LOGINS + 1):
            response = console.login_response(client, name, f"wrong password {attempt}")
            expected = 423 if attempt == MAX_FAILED_LOGINS else 401
            assert response.status_code == expected, attempt
        assert "locked" in response.text
        right = console.login_response(client, name, password)  # even the right one now
        assert right.status_code == 423 and "locked" in right.text
        with console.db.session() as session:
            users.unlock_user(session, name)
        assert console.login_response(client, name, password).status_code == 303
    actions = [a for actor, a in console.audit() if actor == name]
    assert actions.count("login_failed") == MAX_FAILED_LOGINS
    assert "account_locked" in actions and "login_refused_locked" in actions
    assert actions[-1] == "login"


def test_a_success_resets_the_failure_count(console: Console) -> None:
    name, password = add_user(console.db)
    with console.client() as client:
        for _ in range(MAX_FAILED_LOGINS - 1):
            assert console.login_response(client, name, "wrong password!").status_code == 401
        assert console.login_response(client, name, password).status_code == 303
        for _ in range(MAX_FAILED_LOGINS - 1):
            assert console.login_response(client, name, "wrong password!").status_code == 401
        assert console.login_response(client, name, password).status_code == 303


@pytest.mark.parametrize("token", ["", "0" * 64, "forged"])
def test_login_form_needs_its_csrf_token(console: Console, token: str) -> None:
    name, password = console.accounts["clinician"]
    with console.client() as client:
        client.get("/login")
        response = client.post(
            "/login", data={"username": name, "password": password, "csrf_token": token}
        )
    assert response.status_code == 403 and "expired" in response.text
    assert "calx_session=" not in response.headers.get("set-cookie", "")


def test_forms_need_the_session_csrf_token(console: Console, cid: str) -> None:
    seed(console.db, cid)
    with console.logged_in() as client, console.logged_in() as other:
        other_token = csrf_token(other.get("/").text)
        for token in ("", "x" * 64, other_token):
            for url, data in ((f"/labs/{cid}", {"lab_calcium": "high"}), (f"/review/{cid}", {})):
                response = client.post(url, data={**data, "csrf_token": token})
                assert response.status_code == 403, (url, token)
                assert "expired" in response.text
    assert {actor for actor, _ in console.audit(cid)} == {"interview"}  # nothing by a person
    response = console.api().get(f"/api/conversations/{cid}/summary")
    assert response.json()["labs"] == {} and response.json()["status"] == "complete"


def test_logout_ends_the_session_on_the_server(console: Console) -> None:
    with console.logged_in() as client:
        page = client.get("/")
        assert page.status_code == 200
        cookies = dict(client.cookies)
        response = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
        assert response.status_code == 303 and response.headers["location"] == "/login"
    with httpx.Client(base_url=console.base_url, cookies=cookies) as replay:
        assert _login_redirect(replay.get("/"))  # the old cookie is dead


def test_an_idle_or_expired_session_is_dead(console: Console) -> None:
    for column in ("last_seen_at", "expires_at"):
        with console.logged_in() as client:
            assert client.get("/").status_code == 200
            with console.db.session() as session:
                session.execute(
                    update(ConsoleSession).values({column: utcnow() - timedelta(days=1)})
                )
            assert _login_redirect(client.get("/")), column


def test_disabling_or_a_new_password_ends_sessions(console: Console) -> None:
    name, password = add_user(console.db)
    for change in ("disable", "password"):
        with console.client() as client:
            assert console.login_response(client, name, password).status_code == 303
            with console.db.session() as session:
                if change == "disable":
                    users.set_active(session, name, False)
                else:
                    password = "a brand new passphrase"
                    users.set_password_hash(session, name, hash_password(password))
            assert _login_redirect(client.get("/")), change
            if change == "disable":
                assert console.login_response(client, name, password).status_code == 401
                with console.db.session() as session:
                    users.set_active(session, name, True)


def test_a_clinician_cannot_see_the_audit_log(console: Console) -> None:
    with console.logged_in("clinician") as client:
        response = client.get("/audit")
        assert response.status_code == 403
        assert "audit_viewed" not in response.text
        assert 'href="/audit"' not in client.get("/").text
    with console.logged_in("admin") as admin:
        assert admin.get("/audit").status_code == 200
        assert 'href="/audit"' in admin.get("/").text


def test_console_pages_carry_security_headers(console: Console, cid: str) -> None:
    seed(console.db, cid)
    with console.logged_in() as client:
        for url in ("/login", "/", f"/conversations/{cid}"):
            response = client.get(url)
            assert "script-src" not in response.headers["content-security-policy"]
            assert "default-src 'none'" in response.headers["content-security-policy"]
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "no-store"


def test_the_stylesheet_is_public_and_holds_no_data(console: Console) -> None:
    with console.client() as client:
        response = client.get("/static/console/console.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")


def test_logging_in_again_ends_the_previous_session(console: Console) -> None:
    name, password = console.accounts["clinician"]
    with console.logged_in() as client:
        first = dict(client.cookies)
        assert console.login_response(client, name, password).status_code == 303
        assert client.get("/").status_code == 200  # the new session works
    with httpx.Client(base_url=console.base_url, cookies=first) as replay:
        assert _login_redirect(replay.get("/"))
