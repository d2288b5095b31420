"""The console's pages over real HTTP: queue, summary, labs, sign-off, audit log; escaping."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from console_app import RED_FLAG_ANSWERS, Console, csrf_token, seed

from bot import workup
from bot.knowledge import get_dictionary
from bot.store import crud

ADVICE = "Please contact your doctor today to be seen the same day."
SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'

#: A case where no connective tissue disease is suspected: a positive ANA adds ENA tests.
KIDNEY_ANSWERS: dict[str, tuple[Any, str]] = {
    "age": (70, "seventy"),
    "lesion_consistency": ("hard", "hard"),
    "lesion_locations": (["thighs_abdomen_fatty"], "on my tummy"),
    "kidney_disease": ("yes", "my kidneys failed years ago"),
    "dialysis": ("yes", "three times a week"),
    "raynaud": ("no", "no"),
    "skin_thickening": ("no", "no"),
    "muscle_weakness": ("no", "no"),
}


def _text(page: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(body))


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    end = page.index("</section>", start)
    return page[start:end]


def _queue_ids(client: httpx.Client, **params: str) -> list[str]:
    page = client.get("/", params=params)
    assert page.status_code == 200
    return [html.unescape(m) for m in re.findall(r'class="cid">([^<]+)</a>', page.text)]


def test_queue_red_flags_on_top_then_newest_first(console: Console) -> None:
    tag = uuid.uuid4().hex[:8]
    ids = [f"q-{tag}-{n}" for n in range(4)]
    seed(console.db, ids[0], RED_FLAG_ANSWERS, red_flags={"infected_lesion": ADVICE})
    seed(console.db, ids[1])
    seed(console.db, ids[2], complete=False)
    seed(console.db, ids[3])
    with console.logged_in() as client:
        shown = _queue_ids(client, q=tag)
        assert shown == [ids[0], ids[3], ids[2], ids[1]]
        page = client.get("/", params={"q": tag}).text
        row = page[page.index(ids[0]) - 400 : page.index(ids[0]) + 900]
        assert "1 red flag" in row and "Complete" in row and "patient" in row
        top = workup.assess({c: v for c, (v, _) in RED_FLAG_ANSWERS.items()}).differential[0]
        assert html.escape(top.name) in row
        assert "In progress" in page
        assert _queue_ids(client, q=tag, red_flag="yes") == [ids[0]]
        assert _queue_ids(client, q=tag, red_flag="no") == [ids[3], ids[2], ids[1]]
        assert _queue_ids(client, q=tag, status="in_progress") == [ids[2]]
        assert _queue_ids(client, q=tag.upper() + "-2") == [ids[2]]  # search ignores case
        assert _queue_ids(client, q=f"q-{tag}-%") == []  # LIKE wildcards are plain text
        assert _queue_ids(client, q=tag, status="bogus", red_flag="maybe") == shown


def test_an_emergency_is_first_in_the_queue(console: Console) -> None:
    tag = uuid.uuid4().hex[:8]
    ids = [f"e-{tag}-{n}" for n in range(3)]
    seed(console.db, ids[0], RED_FLAG_ANSWERS, red_flags={"infected_lesion": ADVICE})
    seed(console.db, ids[1], complete=False)
    seed(console.db, ids[2])
    with console.db.session() as session:
        crud.record_emergency(session, ids[1], "chest_pain", "Call 999 now.")
    with console.logged_in() as client:
        assert _queue_ids(client, q=tag) == [ids[1], ids[0], ids[2]]
        page = client.get("/", params={"q": tag}).text
        row = page[page.index(ids[1]) - 400 : page.index(ids[1]) + 200]
        assert "Emergency: chest pain" in row
        summary = client.get(f"/conversations/{ids[1]}").text
        assert "EMERGENCY told: chest pain" in summary


def test_a_reviewed_red_flag_leaves_the_top(console: Console) -> None:
    tag = uuid.uuid4().hex[:8]
    seed(console.db, f"r-{tag}-old", RED_FLAG_ANSWERS, red_flags={"infected_lesion": ADVICE})
    seed(console.db, f"r-{tag}-new")
    with console.db.session() as session:
        crud.set_status(session, f"r-{tag}-old", "reviewed", actor="someone")
    with console.logged_in() as client:
        assert _queue_ids(client, q=tag) == [f"r-{tag}-new", f"r-{tag}-old"]


def test_summary_page_explains_the_interview(console: Console, cid: str) -> None:
    seed(console.db, cid, RED_FLAG_ANSWERS, red_flags={"infected_lesion": ADVICE})
    dictionary = get_dictionary()
    with console.logged_in() as client:
        page = client.get(f"/conversations/{cid}").text
    text = _text(page)
    # red flags first, with the advice the person was given
    assert page.index('id="red-flags"') < page.index('id="findings"')
    flags = _text(_section(page, "red-flags"))
    assert "Possibly infected lesion" in flags and ADVICE in flags
    # the order of every face: red flags, differential, workup, then the findings
    order = [
        page.index(f'id="{key}"')
        for key in ("urgency", "red-flags", "differential", "workup", "findings")
    ]
    assert order == sorted(order)
    assert "Urgent" in _text(page[page.index('id="urgency"') :][:300])
    # findings present, absent, not known, the coded answer beside the person's own words
    findings = _section(page, "findings")
    row = _text(findings[findings.index('id="finding-raynaud"') :][:600])
    assert "Yes" in row and "my fingers go white in the cold" in row
    assert dictionary.findings["raynaud"].ask not in row  # clinician wording, not the patient's
    row = _text(findings[findings.index('id="finding-kidney_disease"') :][:600])
    assert "Did not know" in row and "I don't know" in row
    assert findings.index('id="findings-positive"') < findings.index('id="findings-unknown"')
    # the body map: the sites on the outline, named for who cannot see the picture
    figure = findings[findings.index('id="bodymap"') :][:800]
    src = re.search(r'<img src="([^"]+)"[^>]* alt="([^"]+)"', figure)
    assert src is not None and src.group(1) == "/bodymap.svg?sites=fingers,elbows"
    assert src.group(2).endswith("fingers, elbows")
    with httpx.Client(base_url=console.base_url) as anonymous:  # no identifier: public
        drawn = anonymous.get(src.group(1))
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/svg+xml"
    assert re.findall(r"<title>([^<]+)</title>", drawn.text) == ["elbows", "fingers"]
    # questions never put are folded away
    folded = findings[findings.index('<details class="not-asked"') :]
    assert 'id="finding-dialysis"' in folded
    # the differential: for, against, group, what would confirm or exclude it
    engine = workup.assess({c: v for c, (v, _) in RED_FLAG_ANSWERS.items()}).to_dict()
    first = engine["differential"][0]
    cause = _text(_section(page, "differential"))
    assert first["name"] in cause and first["confirm"] in cause and "Group: Dystrophic" in cause
    assert all(reason in cause for reason in first["for"])
    # the workup checklist: X-ray first, MRI not recommended, reasons
    checklist = _section(page, "workup")
    assert checklist.index("X-ray") < checklist.index("Baseline labs")
    assert "MRI" in _text(checklist[checklist.index("Not recommended") :])
    assert engine["workup"]["reasons"]["mri"] in _text(checklist)
    assert "rules-version" in page and engine["rules_version"] in text
    assert "No transcript" in _text(_section(page, "transcript"))
    assert console.audit(cid)[-1] == (console.accounts["clinician"][0], "summary_viewed")


def test_labs_re_rank_at_once_and_show_what_moved(console: Console, cid: str) -> None:
    seed(console.db, cid, KIDNEY_ANSWERS)
    findings = {c: v for c, (v, _) in KIDNEY_ANSWERS.items()}
    labs = {"ana": "positive", "calcium": "high", "phosphate": "high"}
    before = workup.assess(findings).to_dict()
    after = workup.assess(findings, labs).to_dict()
    assert "ena_subgroups" not in before["workup"]["labs"]  # the case is what the test needs
    assert "ena_subgroups" in after["workup"]["labs"]
    with console.logged_in() as client:
        page = client.get(f"/conversations/{cid}").text
        fields = {f"lab_{code}": value for code, value in labs.items()}
        response = client.post(f"/labs/{cid}", data={**fields, "csrf_token": csrf_token(page)})
        assert response.status_code == 303
        assert response.headers["location"] == f"/conversations/{cid}#changes"
        page = client.get(response.headers["location"]).text
        again = client.get(f"/conversations/{cid}").text
    changes = _text(_section(page, "changes"))
    assert "Calcium: not entered → high" in changes
    assert "ENA subgroups" in changes  # a new conditional test, with its reason
    assert after["workup"]["reasons"]["ena_subgroups"] in changes
    moved = [c["name"] for c in after["differential"][:5]]
    assert any(name in changes for name in moved)
    assert "positive ANA" in changes or "high calcium" in changes  # why it moved
    ranked = _text(_section(page, "differential"))
    order = [ranked.index(c["name"]) for c in after["differential"][:3]]
    assert order == sorted(order)
    assert 'id="changes"' not in again  # shown once, right after the entry
    entered = console.api().get(f"/api/conversations/{cid}/summary").json()
    assert entered["labs"] == labs
    assert [c["code"] for c in entered["differential"]][:3] == [
        c["code"] for c in after["differential"][:3]
    ]
    assert (console.accounts["clinician"][0], "labs_entered") in console.audit(cid)


@pytest.mark.parametrize(
    "fields",
    [{"lab_calcium": "sky-high"}, {"lab_ana": "high", "lab_calcium": "high"}, {}],
    ids=["bad-value", "one-bad", "nothing"],
)
def test_bad_or_no_labs_store_nothing(console: Console, cid: str, fields: dict[str, str]) -> None:
    seed(console.db, cid)
    with console.logged_in() as client:
        token = csrf_token(client.get(f"/conversations/{cid}").text)
        response = client.post(f"/labs/{cid}", data={**fields, "csrf_token": token})
        assert response.status_code == 303
        page = client.get(response.headers["location"]).text
    assert ("Nothing was saved" in page) if fields else ("No lab value was changed" in page)
    with console.db.session() as session:
        assert crud.get_labs(session, cid) == {}


def test_note_and_sign_off(console: Console, cid: str) -> None:
    seed(console.db, cid)
    name = console.accounts["clinician"][0]
    note = "Seen in clinic.\nX-ray booked <b>today</b>."
    with console.logged_in() as client:
        token = csrf_token(client.get(f"/conversations/{cid}").text)
        response = client.post(f"/review/{cid}", data={"note": note, "csrf_token": token})
        assert response.headers["location"] == f"/conversations/{cid}#review"
        page = client.get(response.headers["location"]).text
        too_long = client.post(f"/review/{cid}", data={"note": "x" * 4001, "csrf_token": token})
        assert "longer than" in client.get(too_long.headers["location"]).text
    review = _section(page, "review")
    assert f"Signed off by <strong>{name}</strong>" in review
    assert html.escape(note) in review and "<b>today</b>" not in review
    assert "Reviewed" in _text(page[: page.index('id="findings"')])
    summary = console.api().get(f"/api/conversations/{cid}/summary").json()
    assert summary["status"] == "reviewed" and summary["reviewed_by"] == name
    assert summary["review_note"] == note.strip() and summary["reviewed_at"]
    assert (name, "status_changed") in console.audit(cid)


def test_patient_script_is_inert_in_html(console: Console, cid: str) -> None:
    answers = {**RED_FLAG_ANSWERS, "free_text_story": (SCRIPT, SCRIPT)}
    answers["raynaud"] = ("yes", SCRIPT)
    seed(console.db, cid, answers, red_flags={"infected_lesion": SCRIPT})
    with console.logged_in() as client, console.logged_in("admin") as admin:
        pages = [client.get(f"/conversations/{cid}").text, client.get("/").text]
        pages.append(admin.get("/audit").text)
    assert "<script" not in pages[0]
    images = re.findall(r"<img\b[^>]*>", pages[0], flags=re.IGNORECASE)
    assert [i for i in images if not i.startswith('<img src="/bodymap.svg?sites=')] == []
    assert html.unescape(pages[0]).count(SCRIPT) >= 3  # own words, free text, advice: as text
    for page in pages:
        assert "<script" not in page.lower()


def test_odd_conversation_ids_work(console: Console) -> None:
    odd = f"slack/T1/C2#{uuid.uuid4().hex[:6]}?x=1&y=<b>%20"
    seed(console.db, odd)
    with console.logged_in() as client:
        queue = client.get("/", params={"q": odd}).text
        link = f'href="/conversations/{quote(odd, safe="")}"'
        assert link.replace("&", "&amp;") in queue or link in queue
        page = client.get(f"/conversations/{quote(odd, safe='')}")
        assert page.status_code == 200 and html.escape(odd) in page.text
        assert client.get(f"/export/fhir/{quote(odd, safe='')}").status_code == 200
        assert client.get("/conversations/no-such-id").status_code == 404
        assert client.get(f"/conversations/{'x' * 300}").status_code == 404


def test_transcript_from_rasas_tracker_store(console: Console, cid: str) -> None:
    """Rasa's own SQL tracker store writes the events; the page shows user and bot texts."""
    import asyncio

    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.rasa_stores import CalxSQLTrackerStore  # the tracker store endpoints.yml uses

    seed(console.db, cid)
    store = CalxSQLTrackerStore(Domain.empty(), host=console.db.url)
    events = [
        UserUttered("hello"),
        ActionExecuted("utter_greet"),
        BotUttered("Hi! Do the lumps feel rock-hard?"),
        UserUttered(f"hard as stone {SCRIPT}"),
        BotUttered("Thank you."),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events(cid, events)))
    store.engine.dispose()
    with console.logged_in() as client:
        page = client.get(f"/conversations/{cid}").text
    transcript = _section(page, "transcript")
    said = [html.unescape(m) for m in re.findall(r"<p>(.*?)</p>", transcript, re.S)]
    assert said == [
        "hello",
        "Hi! Do the lumps feel rock-hard?",
        f"hard as stone {SCRIPT}",
        "Thank you.",
    ]
    assert "<script" not in transcript


def test_the_audit_log_shows_who_did_what_and_cannot_be_edited(console: Console, cid: str) -> None:
    seed(console.db, cid)
    name = console.accounts["clinician"][0]
    with console.logged_in() as client:
        token = csrf_token(client.get(f"/conversations/{cid}").text)
        client.post(f"/labs/{cid}", data={"lab_calcium": "high", "csrf_token": token})
        client.post(f"/review/{cid}", data={"note": "", "csrf_token": token})
        client.get(f"/export/pdf/{cid}")
        client.get(f"/export/fhir/{cid}")
    with console.logged_in("admin") as admin:
        page = admin.get("/audit", params={"conversation": cid}).text
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert admin.request(method, "/audit").status_code == 405
        exports = admin.get("/audit", params={"action": "exported", "conversation": cid}).text
    assert "2 entries" in exports
    rows = re.findall(r"<tr>(.*?)</tr>", page[page.index("<tbody>") :], re.S)
    cells = [[_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]
    actions = {(row[1], row[2]) for row in cells}  # when, who, what, conversation, detail
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", row[0]) for row in cells)
    for action in ("summary_viewed", "labs_entered", "status_changed", "exported"):
        assert (name, action) in actions, action
    assert "<form" not in page[page.index("<tbody>") :]  # nothing to edit
