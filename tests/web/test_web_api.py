"""The JSON API over real HTTP (uvicorn) on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from webapp_server import Api

from bot import summary, workup
from bot.knowledge import get_dictionary
from bot.store import crud
from bot.store.models import Answer

ANSWERS: dict[str, tuple[Any, str]] = {
    "lesion_consistency": ("hard", "hard like chalk"),
    "lesion_locations": (["fingers", "elbows"], "fingers and elbows"),
    "raynaud": ("yes", "they go white in the cold"),
    "age": (47, "47"),
}


def _record(api: Api, cid: str, answers: dict[str, tuple[Any, str]] = ANSWERS) -> dict[str, Any]:
    with api.db.session() as session:
        return crud.record_answers(session, cid, answers, respondent="patient", channel="rest")


def _complete(api: Api, cid: str) -> None:
    with api.db.session() as session:
        summary.complete_interview(session, cid)


def _audit(api: Api, cid: str) -> list[tuple[str, str]]:
    with api.db.session() as session:
        return [(e.actor, e.action) for e in crud.audit_entries(session, cid)]


def _protected_requests(api: Api, cid: str) -> list[tuple[str, str, Any]]:
    """One valid request per method of every ``/api/`` route except health."""
    bodies = {
        "/api/conversations/{sender:path}/labs": {"calcium": "high"},
        "/api/interpret": {"finding": "raynaud", "text": "yes"},
    }
    requests = []
    for route in api.app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/"):
            continue
        if route.path == "/api/health":
            continue
        for method in sorted(route.methods):
            url = route.path.replace("{sender:path}", cid)
            requests.append((method, url, bodies.get(route.path)))
    return requests


WRONG_HEADERS = [
    {},
    {"Authorization": "Bearer not-the-token"},
    {"Authorization": "Bearer"},
    {"Authorization": "Token {token}"},
    {"Authorization": "Basic {token}"},
    {"Authorization": "Bearer {token}x"},
    {"Authorization": "Bearer {token_prefix}"},
    {"Authorization": "{token}"},
]


@pytest.mark.parametrize("headers", WRONG_HEADERS, ids=lambda h: h.get("Authorization", "none"))
def test_every_route_refuses_without_the_right_token(
    api: Api, cid: str, headers: dict[str, str]
) -> None:
    _record(api, cid)
    requests = _protected_requests(api, cid)
    assert {url.split(cid)[-1] for _, url, _ in requests} == {
        "/summary",
        "/report",
        "/labs",
        "/export",
        "/api/interpret",
    }
    fmt = {"token": api.token, "token_prefix": api.token[:-1]}
    sent = {k: v.format(**fmt) for k, v in headers.items()}
    with api.anonymous() as client:
        for method, url, body in requests:
            response = client.request(method, url, json=body, headers=sent)
            assert response.status_code == 401, (method, url)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "token" in response.json()["detail"]
    assert _audit(api, cid) == [("interview", "conversation_started")]  # nothing was done
    with api.db.session() as session:
        assert crud.get_labs(session, cid) == {}


def test_the_right_token_is_accepted_on_every_route(api: Api, cid: str) -> None:
    _record(api, cid)
    for method, url, body in _protected_requests(api, cid):
        assert api.client.request(method, url, json=body).status_code == 200, (method, url)


def test_health_needs_no_token_and_reports_the_database(api: Api) -> None:
    with api.anonymous() as client:
        response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "reachable", "schema": "current"}


def test_unknown_conversation_is_404(api: Api, cid: str) -> None:
    assert api.client.get(f"/api/conversations/{cid}/summary").status_code == 404
    response = api.client.post(f"/api/conversations/{cid}/labs", json={"calcium": "high"})
    assert response.status_code == 404
    assert api.client.get(f"/api/conversations/{'x' * 300}/summary").status_code == 404
    assert api.client.get("/api/conversations/a%00b/summary").status_code == 404
    with api.db.session() as session:
        assert crud.get_conversation(session, cid) is None


def test_summary_follows_the_contract(api: Api, cid: str) -> None:
    findings = _record(api, cid)
    _complete(api, cid)
    response = api.client.get(f"/api/conversations/{cid}/summary")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["conversation_id"] == cid
    assert body["status"] == "complete" and body["respondent"] == "patient"
    assert body["findings"] == findings and body["labs"] == {}
    engine = workup.assess(findings).to_dict()
    expected = [c for c in engine["differential"] if c["score"] > 0]
    assert [c["code"] for c in body["differential"]] == [
        c["code"] for c in sorted(expected, key=lambda c: -c["score"])
    ]
    assert all(set(c) >= {"code", "group", "score", "for", "against"} for c in body["differential"])
    assert body["workup"] == engine["workup"]
    assert body["rules_version"] == engine["rules_version"]
    assert ("api", "summary_viewed") in _audit(api, cid)


def test_report_is_the_summary_every_face_shows(api: Api, cid: str) -> None:
    findings = _record(api, cid)
    _complete(api, cid)
    assert api.client.get(f"/api/conversations/{cid}x/report").status_code == 404
    response = api.client.get(f"/api/conversations/{cid}/report")
    assert response.status_code == 200
    body = response.json()
    summary = api.client.get(f"/api/conversations/{cid}/summary").json()
    assert body["conversation_id"] == cid and "summary" not in body
    assert [c["code"] for c in body["differential"]] == [c["code"] for c in summary["differential"]]
    assert body["urgency"] in ("emergency", "urgent", "routine")
    said = {r["code"] for part in ("positives", "negatives", "unknown") for r in body[part]}
    assert said == set(findings)
    assert {r["code"] for r in body["not_asked"]}.isdisjoint(findings)
    sections = [s["key"] for s in body["workup"]]
    assert sections[0] == "imaging" and sections[-1] == "not_recommended"
    schema = api.client.get("/openapi.json").json()
    assert "Report" in schema["components"]["schemas"]
    assert ("api", "summary_viewed") in _audit(api, cid)


@pytest.mark.parametrize(
    "labs",
    [{"calcium": "high", "pth": "high"}, {"phosphate": "high", "creatinine": "normal"}],
    ids=["ca-pth-high", "phosphate-high"],
)
def test_labs_re_rank_the_differential(api: Api, cid: str, labs: dict[str, str]) -> None:
    findings = _record(api, cid)
    _complete(api, cid)
    before = api.client.get(f"/api/conversations/{cid}/summary").json()
    response = api.client.post(f"/api/conversations/{cid}/labs", json=labs)
    assert response.status_code == 200
    after = response.json()
    assert after["labs"] == labs
    engine = workup.assess(findings, labs).to_dict()
    ranked = sorted(
        (c for c in engine["differential"] if c["score"] > 0), key=lambda c: -c["score"]
    )
    assert after["differential"] == ranked
    assert after["workup"] == engine["workup"]
    if engine["differential"] != workup.assess(findings).to_dict()["differential"]:
        assert after["differential"] != before["differential"]
    assert api.client.get(f"/api/conversations/{cid}/summary").json() == after
    assert {e["entered_by"] for e in after["labs_entered"].values()} == {"api"}
    assert ("api", "labs_entered") in _audit(api, cid)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"calcium": "sky-high"}, "sky-high"),
        ({"sodium": "low"}, "sodium"),
        ({"calcium": "high", "pth": 3}, "pth"),
        ({}, "no labs"),
        (["calcium", "high"], "dict"),
        ("calcium=high", ""),
    ],
    ids=["bad-value", "unknown-lab", "number", "empty", "list", "not-json"],
)
def test_bad_labs_are_422_and_store_nothing(api: Api, cid: str, body: Any, needle: str) -> None:
    _record(api, cid)
    url = f"/api/conversations/{cid}/labs"
    if isinstance(body, str):
        response = api.client.post(url, content=body, headers={"content-type": "application/json"})
    else:
        response = api.client.post(url, json=body)
    assert response.status_code == 422
    assert needle in str(response.json()["detail"])
    with api.db.session() as session:
        assert crud.get_labs(session, cid) == {}


def test_script_in_words_comes_back_as_data(api: Api, cid: str) -> None:
    words = '<script>alert("x")</script> & </textarea>\u202e'
    _record(api, cid, {"free_text_story": (words, words), "raynaud": ("yes", words)})
    response = api.client.get(f"/api/conversations/{cid}/summary")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.json()
    assert body["answers"]["raynaud"]["words"] == words
    assert body["findings"]["free_text_story"] == words


def test_an_answer_given_again_updates_it(api: Api, cid: str) -> None:
    _record(api, cid)
    _record(api, cid, {"raynaud": ("no", "actually no")})
    body = api.client.get(f"/api/conversations/{cid}/summary").json()
    assert body["findings"]["raynaud"] == "no"
    assert body["answers"]["raynaud"]["words"] == "actually no"
    with api.db.session() as session:
        rows = session.execute(
            select(func.count()).select_from(Answer).where(Answer.conversation_id == cid)
        ).scalar_one()
    assert rows == len(ANSWERS)


@pytest.mark.parametrize(
    "sender", ["slack:C01/1700000000.1234", "teams:a:1Xb;messageid=9", "ünï cødé"]
)
def test_any_sender_id_works(api: Api, sender: str) -> None:
    sender = f"{sender}-{id(api)}"
    _record(api, sender)
    response = api.client.get(f"/api/conversations/{quote(sender, safe='')}/summary")
    assert response.status_code == 200
    assert response.json()["conversation_id"] == sender


def test_interpret_unknown_finding_and_bad_bodies_are_422(api: Api) -> None:
    response = api.client.post("/api/interpret", json={"finding": "shoe_size", "text": "42"})
    assert response.status_code == 422 and "shoe_size" in response.json()["detail"]
    for body in (
        {"text": "yes"},
        {"finding": "raynaud"},
        {"finding": "raynaud", "text": "y" * 2001},
    ):
        assert api.client.post("/api/interpret", json=body).status_code == 422


@pytest.mark.parametrize(
    ("finding", "text", "context"),
    [
        ("raynaud", "yes, my fingers go white in the cold", None),
        ("lesion_pain", "idk", None),
        ("lesion_locations", "on my knuckles and bum", {"respondent": "patient"}),
        ("age", "62F", {"respondent": "clinician"}),
        ("lesion_consistency", "<script>alert(1)</script>", None),
    ],
)
def test_interpret_codes_as_the_interview_does(
    api: Api, finding: str, text: str, context: dict[str, str] | None
) -> None:
    from bot.nlp import interpret

    body: dict[str, Any] = {"finding": finding, "text": text}
    if context is not None:
        body["context"] = context
    response = api.client.post("/api/interpret", json=body)
    assert response.status_code == 200
    expected = interpret(finding, text, context)
    assert response.json() == {
        "finding": finding,
        "value": expected.value,
        "mentions": dict(expected.mentions),
    }


def test_oversized_bodies_are_refused(api: Api, cid: str) -> None:
    big = {"finding": "free_text_story", "text": "x" * 70_000}
    assert api.client.post("/api/interpret", json=big).status_code == 413

    def chunks() -> Any:
        for _ in range(70):
            yield b"x" * 1024

    response = api.client.post(
        "/api/interpret", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    with api.anonymous() as client:  # also before authentication
        assert client.post(f"/api/conversations/{cid}/labs", json=big).status_code == 413


def test_client_sees_json_errors(api: Api) -> None:
    response = api.client.get("/api/conversations/nobody/summary")
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json()["detail"], str)
    assert isinstance(api.client, httpx.Client)


LAB_CODES = sorted(get_dictionary().labs)
LAB_VALUES = sorted({v for lab in get_dictionary().labs.values() for v in lab.values})
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=20)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    labs=st.dictionaries(
        st.sampled_from(LAB_CODES) | st.text(max_size=20),
        st.sampled_from(LAB_VALUES) | JSON_SCALARS,
        max_size=5,
    )
)
def test_any_labs_body_is_stored_or_refused_never_a_crash(api: Api, labs: dict[str, Any]) -> None:
    cid = f"prop-{uuid.uuid4().hex}"
    _record(api, cid, {"raynaud": ("yes", "yes")})
    response = api.client.post(f"/api/conversations/{cid}/labs", json=labs)
    try:
        valid = bool(labs) and get_dictionary().check_labs(labs) is not None
    except ValueError:
        valid = False
    assert response.status_code == (200 if valid else 422)
    with api.db.session() as session:
        assert crud.get_labs(session, cid) == (labs if valid else {})


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(finding=st.sampled_from(sorted(get_dictionary().findings)), text=st.text(max_size=300))
def test_interpret_any_text_never_crashes(api: Api, finding: str, text: str) -> None:
    response = api.client.post("/api/interpret", json={"finding": finding, "text": text})
    assert response.status_code == 200
    value = response.json()["value"]
    if value is not None:
        assert get_dictionary().findings[finding].check(value) == value
