"""Exports: FHIR R4 (validated with fhir.resources) and PDF (read back with pdftotext)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_app import RED_FLAG_ANSWERS, Console, require_tool, seed
from fhir.resources.bundle import Bundle
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import summary, workup
from bot.export import render
from bot.export.fhir import DATA_ABSENT, EXT_OWN_WORDS
from bot.knowledge import get_dictionary
from bot.store import crud
from bot.store.db import Database
from bot.store.testing import temporary_database

SCRIPT = '<script>alert("x")</script>'
LABS = {"calcium": "high", "ana": "positive", "pth": "normal"}


#: Where the PDF's first page is drawn as PNG, for a person to look at (not committed).
SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"


def _pdf_text(pdf: bytes, tmp_path: Path, page: int | None = None) -> str:
    pdftotext = require_tool("pdftotext")
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    pages = ["-f", str(page), "-l", str(page)] if page else []
    text = subprocess.run(
        [pdftotext, "-layout", *pages, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())  # words as one line: wrapped cells and lines rejoin


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _prepare(console: Console, cid: str) -> dict[str, Any]:
    answers = {**RED_FLAG_ANSWERS, "free_text_story": (f"it started {SCRIPT}", SCRIPT)}
    seed(console.db, cid, answers, red_flags={"infected_lesion": f"See a doctor {SCRIPT}"})
    with console.db.session() as session:
        summary.add_labs(session, cid, LABS, "dr-test")
        crud.set_status(session, cid, "reviewed", actor="dr-test", note=f"ok {SCRIPT}")
    return {code: value for code, (value, _) in answers.items()}


def test_fhir_export_is_a_valid_r4_bundle(console: Console, cid: str) -> None:
    findings = _prepare(console, cid)
    with console.api() as api:
        response = api.get(f"/api/conversations/{cid}/export", params={"format": "fhir"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in response.headers["content-disposition"]
    bundle = Bundle.parse_raw(response.content)  # validates with fhir.resources (R4)
    assert bundle.type == "collection"
    data = response.json()
    (answers,) = _resources(data, "QuestionnaireResponse")
    assert answers["status"] == "completed"
    items = {item["linkId"]: item for item in answers["item"]}
    assert set(items) == set(findings)  # never asked: absent
    assert items["raynaud"]["answer"] == [{"valueBoolean": True}]
    assert items["age"]["answer"] == [{"valueInteger": 52}]
    assert [a["valueCoding"]["code"] for a in items["lesion_locations"]["answer"]] == [
        "fingers",
        "elbows",
    ]
    assert items["kidney_disease"]["answer"][0]["valueCoding"]["system"] == DATA_ABSENT
    words = items["free_text_story"]["extension"][0]
    assert words == {"url": EXT_OWN_WORDS, "valueString": SCRIPT}  # data, as typed
    observations = _resources(data, "Observation")
    assert {
        o["code"]["coding"][0]["code"]: o["valueCodeableConcept"]["coding"][0]["code"]
        for o in observations
    } == LABS
    high = next(o for o in observations if o["code"]["coding"][0]["code"] == "calcium")
    assert high["interpretation"][0]["coding"][0]["code"] == "H"
    (impression,) = _resources(data, "ClinicalImpression")
    expected = [
        c["code"] for c in workup.assess(findings, LABS).to_dict()["differential"] if c["score"] > 0
    ]
    assert [
        f["itemCodeableConcept"]["coding"][0]["code"] for f in impression["finding"]
    ] == expected
    assert "For:" in impression["finding"][0]["basis"]
    assert impression["assessor"] == {"display": "dr-test"}
    assert any(n["text"].startswith("RED FLAG") for n in impression["note"])
    assert "<script" not in impression["text"]["div"]
    refs = {e["fullUrl"] for e in data["entry"]}
    assert {i["reference"] for inv in impression["investigation"] for i in inv["item"]} <= refs
    assert ("api", "exported") in console.audit(cid)


def test_exports_are_stable(console: Console, cid: str) -> None:
    _prepare(console, cid)
    with console.api() as api:
        first, second = (api.get(f"/api/conversations/{cid}/export").json() for _ in range(2))
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]


def test_pdf_export_has_the_findings_and_the_differential(
    console: Console, cid: str, tmp_path: Path
) -> None:
    findings = _prepare(console, cid)
    with console.api() as api:
        response = api.get(f"/api/conversations/{cid}/export", params={"format": "pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content, tmp_path)
    assert "RED FLAG: Possibly infected lesion" in text
    for words in ("my fingers go white in the cold", "on my fingers and elbows", "I'm 52"):
        assert words in text
    assert "Did not know" in text and "Not asked" in text
    for cause in workup.assess(findings, LABS).to_dict()["differential"][:3]:
        assert " ".join(cause["name"].split()[:2]) in text
    assert "X-ray" in text and "MRI" in text
    assert "Where the lumps are: fingers, elbows" in text  # beside the body map's picture
    assert SCRIPT in text  # printed as text, not markup
    assert "Signed off by dr-test" in text


def test_pdf_page_one_reads_as_the_console_does(console: Console, cid: str, tmp_path: Path) -> None:
    """Urgency, red flags, the differential and the workup on page 1, in that order."""
    findings = _prepare(console, cid)
    with console.api() as api:
        pdf = api.get(f"/api/conversations/{cid}/export", params={"format": "pdf"}).content
    first = _pdf_text(pdf, tmp_path, page=1)
    top = workup.assess(findings, LABS).to_dict()["differential"][0]["name"]
    marks = ["Urgent", "RED FLAG", "Differential", " ".join(top.split()[:2]), "Workup checklist"]
    where = [first.index(mark) for mark in marks]
    assert where == sorted(where), list(zip(marks, where, strict=True))
    assert "[not recommended] MRI" in _pdf_text(pdf, tmp_path)  # never an empty box
    # the page drawn, for a person to look at
    pdftoppm = require_tool("pdftoppm")
    SCREENS.mkdir(parents=True, exist_ok=True)
    stem = SCREENS / "summary-pdf-page1"
    source = tmp_path / "summary.pdf"
    source.write_bytes(pdf)
    page1 = ["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([pdftoppm, *page1, str(source), str(stem)], check=True)
    png = stem.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("headers", "params", "status"),
    [
        ({}, {"format": "pdf"}, 401),
        ({"Authorization": "Bearer wrong"}, {"format": "fhir"}, 401),
        ("token", {"format": "docx"}, 422),
    ],
)
def test_the_export_api_needs_the_token_and_a_format(
    console: Console, cid: str, headers: Any, params: dict[str, str], status: int
) -> None:
    seed(console.db, cid)
    if headers == "token":
        headers = {"Authorization": f"Bearer {console.settings.api_token}"}
    with httpx.Client(base_url=console.base_url, headers=headers) as client:
        assert client.get(f"/api/conversations/{cid}/export", params=params).status_code == status
    assert all(action != "exported" for _, action in console.audit(cid))


def test_a_console_login_does_not_open_the_api(console: Console, cid: str) -> None:
    seed(console.db, cid)
    with console.logged_in() as client:
        assert client.get(f"/api/conversations/{cid}/export").status_code == 401
        assert client.get(f"/api/conversations/{cid}/summary").status_code == 401


def test_export_of_an_unknown_conversation_is_404(console: Console) -> None:
    with console.api() as api:
        assert api.get("/api/conversations/nobody-here/export").status_code == 404
    with console.logged_in() as client:
        assert client.get("/export/pdf/nobody-here").status_code == 404
        assert client.get("/export/docx/anything").status_code == 404


def test_console_export_downloads_and_is_audited(console: Console, cid: str) -> None:
    _prepare(console, cid)
    with console.logged_in() as client:
        pdf = client.get(f"/export/pdf/{cid}")
        fhir = client.get(f"/export/fhir/{cid}")
    assert pdf.content.startswith(b"%PDF") and Bundle.parse_raw(fhir.content)
    assert f'filename="calx-{cid}.pdf"' in pdf.headers["content-disposition"]
    name = console.accounts["clinician"][0]
    assert console.audit(cid).count((name, "exported")) == 2


# -- any interview exports: property test ------------------------------------------------------

DICTIONARY = get_dictionary()


def _value(code: str) -> st.SearchStrategy[Any]:
    finding = DICTIONARY.findings[code]
    if finding.type == "int":
        options: st.SearchStrategy[Any] = st.integers(0, 130)
    elif finding.type == "text":
        options = st.text(max_size=80)
    elif finding.type == "multi":
        options = st.lists(st.sampled_from(finding.values), min_size=1, unique=True)
    else:
        options = st.sampled_from(finding.allowed_values())
    return st.one_of(st.just("unknown"), options)


ANSWERS = st.dictionaries(
    st.sampled_from(sorted(DICTIONARY.findings)), st.text(max_size=40)
).flatmap(
    lambda words: st.fixed_dictionaries(
        {code: st.tuples(_value(code), st.just(text)) for code, text in words.items()}
    )
)
LAB_VALUES = st.dictionaries(st.sampled_from(sorted(DICTIONARY.labs)), st.none()).flatmap(
    lambda codes: st.fixed_dictionaries(
        {c: st.sampled_from(DICTIONARY.labs[c].values) for c in codes}
    )
)


@pytest.fixture(scope="module")
def scratch_db(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with temporary_database("sqlite", directory=tmp_path_factory.mktemp("export-db")) as db:
        yield db


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(answers=ANSWERS, labs=LAB_VALUES, complete=st.booleans())
@example(  # found by this test: FHIR strings allow only space, tab, CR and LF as whitespace
    answers={"age": ("unknown", "\x85"), "free_text_story": ("", "\u2028 🙂 <b>")},
    labs={"ana": "positive"},
    complete=False,
)
def test_any_interview_exports_valid_fhir_and_a_pdf(
    scratch_db: Database, answers: dict[str, tuple[Any, str]], labs: dict[str, str], complete: bool
) -> None:
    cid = f"prop-{uuid.uuid4().hex}"
    seed(scratch_db, cid, answers, complete=complete)
    with scratch_db.session() as session:
        if labs:
            summary.add_labs(session, cid, labs, "prop")
        data = summary.get_summary(session, cid)
    assert data is not None
    bundle = json.loads(render(data, "fhir"))
    Bundle.parse_obj(bundle)
    linked = {
        i["linkId"] for r in _resources(bundle, "QuestionnaireResponse") for i in r.get("item", [])
    }
    assert linked == set(data["findings"])
    assert len(_resources(bundle, "Observation")) == len(labs)
    assert render(data, "pdf").startswith(b"%PDF")
