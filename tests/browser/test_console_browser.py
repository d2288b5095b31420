"""The console in a real browser: Debian's Chromium driven by Playwright against uvicorn.

A clinician logs in with the keyboard, finds the red-flag interview at the top of the
queue, opens it, enters labs and sees the ranking change, signs off and exports both
formats; the admin then sees all of it in the audit log. Log-in fails with a wrong
password and locks after repeated failures. Every page passes an axe-core scan with
no serious or critical violation; screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import Browser, axe_scan, screenshot
from console_app import Console, add_user, require_tool, seed
from fhir.resources.bundle import Bundle

from bot import workup
from bot.store import crud
from bot.web.console.auth import MAX_FAILED_LOGINS

pytestmark = pytest.mark.browser

#: Calciphylaxis suspected (red flag): skin necrosis on dialysis.
RED_FLAG_CASE: dict[str, tuple[Any, str]] = {
    "age": (64, "64"),
    "sex": ("male", "male"),
    "lesion_consistency": ("hard", "hard, like gravel under the skin"),
    "lesion_locations": (["thighs_abdomen_fatty", "elbows"], "on my tummy, thighs and elbows"),
    "lesion_pain": ("yes", "they hurt a lot"),
    "skin_necrosis": ("yes", "there's a black patch on my thigh that won't heal"),
    "kidney_disease": ("yes", "my kidneys failed"),
    "dialysis": ("yes", "dialysis three times a week"),
    "raynaud": ("no", "no"),
    "muscle_weakness": ("no", "no"),
    "joint_pain_swelling": ("yes", "my knees swell"),
    "vitamin_d_high_dose": ("unknown", "not sure what I take"),
}
LABS = {"calcium": "high", "pth": "high", "ana": "positive"}
NOTE = "Seen today: urgent dermatology and renal review arranged."


def _findings(answers: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    return {code: value for code, (value, _) in answers.items()}


def _seed_queue(site: Console) -> str:
    """Interviews as the dialogue stores them; the red-flag one is the oldest."""
    tag = uuid.uuid4().hex[:6]
    flagged = f"web-{tag}-urgent"
    advice = {f.code: f.advice for f in workup.check_red_flags(_findings(RED_FLAG_CASE))}
    assert "calciphylaxis_suspected" in advice
    seed(site.db, flagged, RED_FLAG_CASE, red_flags=advice)
    for n in range(3):
        seed(site.db, f"web-{tag}-calm-{n}")
    seed(site.db, f"web-{tag}-ongoing", complete=False)
    seed(site.db, f"web-{tag}-done")
    with site.db.session() as session:
        crud.set_status(session, f"web-{tag}-done", "reviewed", actor="earlier")
    return flagged


def _keyboard_log_in(page: Any, name: str, password: str) -> None:
    """Log in with the keyboard only: Tab to the username, type, Tab, type, Enter."""
    page.goto("/login")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "username":
            break
    else:
        pytest.fail("the username field cannot be reached with Tab")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _pdf_text(path: Path) -> str:
    pdftotext = require_tool("pdftotext")
    out = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return " ".join(out.stdout.split())


def _download(page: Any, link_text: str, folder: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_text).click()
    download = info.value
    target = folder / download.suggested_filename
    download.save_as(str(target))
    return target


def test_clinician_reviews_a_red_flag_interview_and_the_admin_sees_it(
    site: Console, browser: Browser
) -> None:
    flagged = _seed_queue(site)
    clinician, password = site.accounts["clinician"]
    page = browser.new_page()

    # log in with the keyboard; the queue has the red flag on top
    _keyboard_log_in(page, clinician, password)
    assert page.url.endswith("/")
    first_row = page.locator("table.queue tbody tr").first
    assert flagged in first_row.inner_text()
    assert "1 red flag" in first_row.inner_text()
    assert page.locator("table.queue tbody tr").count() >= 6
    assert axe_scan(page, "queue") == []
    screenshot(page, "queue")

    # filter by red flag, search by id
    page.select_option("#filter-red-flag", "yes")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.queue tbody tr").all_inner_texts()
    assert rows and all("red flag" in row for row in rows)
    page.fill("#filter-q", flagged.upper())
    page.get_by_role("button", name="Apply").click()
    assert len(page.locator("table.queue tbody tr").all()) == 1

    # open it: red flags first, with the advice given
    page.get_by_role("link", name=flagged).click()
    assert flagged in page.locator("h1").inner_text()
    sections = page.eval_on_selector_all("main section", "s => s.map(e => e.id)")
    assert sections[:4] == ["red-flags", "differential", "workup", "findings"]
    assert "Urgent" in page.locator("#urgency").inner_text()
    flags = page.locator("#red-flags").inner_text()
    assert "Possible calciphylaxis" in flags and "Advice given to the person" in flags
    assert "black patch on my thigh" in page.locator("#finding-skin_necrosis").inner_text()
    assert "Did not know" in page.locator("#finding-vitamin_d_high_dose").inner_text()
    # questions never put are folded away, one click opens them
    assert not page.locator("#finding-sarcoidosis").is_visible()
    page.locator("#not-asked summary").click()
    assert page.locator("#finding-sarcoidosis").is_visible()
    before = page.locator("#differential .cause-name").all_inner_texts()
    checklist = page.locator("#workup").inner_text()
    assert checklist.index("X-ray") < checklist.index("Baseline labs")
    assert "ENA subgroups" not in checklist
    assert axe_scan(page, "summary") == []
    screenshot(page, "summary")

    # readable on a tablet: nothing wider than the screen
    page.set_viewport_size({"width": 768, "height": 1024})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "summary-tablet")
    page.set_viewport_size({"width": 1280, "height": 900})

    # enter labs: re-ranked at once, what moved and why, new conditional tests
    for code, value in LABS.items():
        page.select_option(f"#lab-{code}", value)
    page.get_by_role("button", name="Save labs and re-rank").click()
    changes = page.locator("#changes")
    changes.wait_for()
    after = page.locator("#differential .cause-name").all_inner_texts()
    assert after != before
    expected = workup.assess(_findings(RED_FLAG_CASE), LABS).to_dict()["differential"]
    assert after[:3] == [c["name"] for c in expected[:3]]
    moved = changes.inner_text()
    assert "Calcium: not entered → high" in moved
    assert "Hyperparathyroidism" in moved and "moved up" in moved
    assert "ENA subgroups" in page.locator("#changes .new-tests").inner_text()
    assert "ENA subgroups" in page.locator("#workup").inner_text()
    assert axe_scan(page, "summary-after-labs") == []
    screenshot(page, "summary-after-labs")

    # note and sign-off
    page.fill("#note", NOTE)
    page.get_by_role("button", name="Sign off as reviewed").click()
    assert page.locator("#status").inner_text() == "Reviewed"
    assert f"Signed off by {clinician}" in page.locator("#review-status").inner_text()
    assert NOTE in page.locator("#review").inner_text()

    # export both formats
    pdf = _download(page, "PDF of this summary", browser.downloads)
    text = _pdf_text(pdf)
    assert "black patch on my thigh" in text and "Possible calciphylaxis" in text
    for cause in expected[:3]:
        assert " ".join(cause["name"].split()[:2]) in text
    assert f"Signed off by {clinician}" in text
    fhir = _download(page, "FHIR R4 JSON (Bundle)", browser.downloads)
    bundle = json.loads(fhir.read_text(encoding="utf-8"))
    Bundle.parse_obj(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Observation") == len(LABS) and "ClinicalImpression" in kinds

    # a clinician has no audit log
    assert page.get_by_role("link", name="Audit log").count() == 0
    assert page.goto("/audit").status == 403
    page.goto("/")
    page.get_by_role("button", name="Log out").click()
    assert "/login" in page.url

    # the admin sees every view, lab entry, sign-off and export
    admin, admin_password = site.accounts["admin"]
    _keyboard_log_in(page, admin, admin_password)
    page.get_by_role("link", name="Audit log").click()
    page.fill("#audit-conversation", flagged)
    page.get_by_role("button", name="Apply").click()
    entries = [
        re.split(r"\t", row) for row in page.locator("table.audit tbody tr").all_inner_texts()
    ]
    by_clinician = [cells[2].strip() for cells in entries if cells[1].strip() == clinician]
    for action in ("summary_viewed", "labs_entered", "status_changed"):
        assert action in by_clinician, action
    assert by_clinician.count("exported") == 2
    assert page.locator("table.audit form, table.audit input, table.audit button").count() == 0
    assert axe_scan(page, "audit") == []
    screenshot(page, "audit")


def test_wrong_password_fails_and_repeated_failures_lock(site: Console, browser: Browser) -> None:
    name, password = add_user(site.db)
    page = browser.new_page()
    _keyboard_log_in(page, name, "definitely not it")
    error = page.get_by_role("alert")
    assert error.inner_text() == "Wrong username or password."
    assert page.locator("#username").input_value() == name  # kept, the password is not
    assert page.locator("#password").input_value() == ""
    assert axe_scan(page, "login-error") == []
    for attempt in range(2, MAX_FAILED_LOGINS + 1):
        _keyboard_log_in(page, name, f"wrong again {attempt}")
    assert "locked" in page.get_by_role("alert").inner_text()
    _keyboard_log_in(page, name, password)  # the right password, too late
    assert "locked" in page.get_by_role("alert").inner_text()
    assert page.goto("/").url.startswith(f"{site.base_url}/login")
    screenshot(page, "login-locked")


def test_keyboard_users_can_skip_to_the_content(site: Console, browser: Browser) -> None:
    clinician, password = site.accounts["clinician"]
    page = browser.new_page()
    _keyboard_log_in(page, clinician, password)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    inside = page.evaluate("document.getElementById('main').contains(document.activeElement)")
    assert inside, "Tab after the skip link lands in the main content"
    page.goto("/login")
    assert axe_scan(page, "login") == []
