"""The widget in Chromium on the web app's /portal, against the socket.io channel (scripted).

The web app serves /portal and the widget's files; the Rasa side is Calx's socket.io
channel on a real Sanic server with a scripted interview. Buttons, checkboxes, typed
answers, reload and resume, urgent care, start over, keyboard use, axe-core, screenshots.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import ARTIFACTS, axe_scan
from harness import ScriptedAgent, interview_domain, serve_channels
from scripted_interview import ScriptedInterview
from webapp_server import make_settings, serve
from widget_page import WidgetPage, in_view, small_targets

from bot.channels.socketio import CalxSocketIOInput
from bot.web.app import create_app

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Site:
    portal: str
    agent: ScriptedAgent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    agent = ScriptedAgent(ScriptedInterview(), domain=interview_domain())
    with serve_channels([CalxSocketIOInput()], agent, cors="*") as rasa_url:
        db = tmp_path_factory.mktemp("widget") / "calx.db"
        settings = make_settings(f"sqlite:///{db}", widget_server_url=rasa_url)
        with serve(create_app(settings)) as web_url:
            yield Site(f"{web_url}/portal", agent)


@pytest.fixture
def widget(site: Site, context: Any) -> Iterator[WidgetPage]:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size(DESKTOP)
    page.goto(site.portal)
    yield WidgetPage(page)
    assert errors == []  # no script error, nothing refused by the page's CSP


def viewport_screenshot(page: Any, name: str) -> Path:
    """What the person sees (the chat is fixed to the screen), saved under var/screenshots/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def left(widget: WidgetPage) -> int:
    """The number of questions the progress line says are left."""
    text = widget.progress() or ""
    found = re.search(r"About (\d+) question", text)
    assert found is not None, text
    return int(found.group(1))


def slots_of(site: Site, widget: WidgetPage) -> dict[str, Any]:
    return dict(site.agent.tracker(widget.session()).current_slot_values())


def test_interview_by_buttons_checkboxes_and_text_survives_a_reload(
    site: Site, widget: WidgetPage
) -> None:
    widget.open()
    assert "Do you agree" in widget.last_bot()
    assert widget.options() == ["Yes", "No"]
    assert "hello" not in widget.texts("user")  # the automatic first message is not shown
    widget.choose("Yes")
    # the widget is never staff: no clinician to pick (CONTRACT.md)
    assert widget.options() == ["I'm the patient", "I'm answering for someone else"]
    widget.choose("I'm the patient")
    assert widget.options() == ["Yes", "No", "I don't know"]
    assert widget.progress() is not None and widget.progress().startswith("About ")
    shown = [left(widget)]
    widget.type("yes, they go white in the cold")
    shown.append(left(widget))
    assert "fingers" in widget.checkboxes()
    widget.check("fingers", "elbows")
    shown.append(left(widget))
    assert widget.texts("user")[-1] == "fingers, elbows"
    session = widget.session()
    before = widget.texts("bot")

    widget.reload()  # mid-way: the same conversation comes back
    assert widget.session() == session
    assert widget.texts("bot") == before
    assert widget.texts("user") == [
        "Yes",
        "I'm the patient",
        "yes, they go white in the cold",
        "fingers, elbows",
    ]
    assert widget.options() == ["Yes", "No", "I don't know"]
    assert left(widget) == shown[-1]  # a reload shows the same count

    widget.choose("Yes")  # redness, pus: a red flag
    shown.append(left(widget))
    # honest progress: never up, and down by at most one per answer
    assert all(0 <= a - b <= 1 for a, b in itertools.pairwise(shown)), shown
    urgent = widget.urgent()
    assert urgent.is_visible()
    assert urgent.get_attribute("role") == "alert"
    assert urgent.get_by_role("link", name="Same-day advice: NHS 111").get_attribute("href") == (
        "https://111.nhs.uk/"
    )
    widget.type("45")
    widget.choose("Yes")
    assert widget.page.locator(".calx-status").inner_text() == (
        "The questions are finished. Thank you."
    )
    assert widget.options() == []
    slots = slots_of(site, widget)
    assert {k: slots[k] for k in ("raynaud", "lesion_locations", "lesion_infection_signs")} == {
        "raynaud": "yes",
        "lesion_locations": ["fingers", "elbows"],
        "lesion_infection_signs": "yes",
    }
    assert slots["age"] == 45


def test_the_body_map_ticks_the_sites_by_touch_and_by_keyboard(
    site: Site, widget: WidgetPage
) -> None:
    widget.to_the_sites()
    page = widget.page
    body = page.get_by_role("group", name="Body map")
    assert body.is_visible()
    regions = body.get_by_role("checkbox")
    assert regions.count() == len(widget.checkboxes())  # a region for every site listed
    # by touch, on one elbow (the region's box spans both arms: its centre is the back)
    body.get_by_role("checkbox", name="elbows").locator("ellipse").first.click()
    assert widget.list_box("elbows").is_checked()
    body.get_by_role("checkbox", name="fingers").focus()
    page.keyboard.press("Space")  # by keyboard
    assert body.get_by_role("checkbox", name="fingers").get_attribute("aria-checked") == "true"
    widget.list_box("elbows").uncheck()  # the list
    assert body.get_by_role("checkbox", name="elbows").get_attribute("aria-checked") == "false"
    viewport_screenshot(page, "widget-bodymap")
    assert axe_scan(page, "widget-bodymap", every_impact=True) == []
    assert page.get_by_role("button", name="Send selected").count() == 0  # one Send
    before = widget.count("bot")
    page.get_by_role("button", name="Send", exact=True).click()
    widget.wait_turn(before)
    assert widget.texts("user")[-1] == "fingers"
    assert slots_of(site, widget)["lesion_locations"] == ["fingers"]


@pytest.mark.parametrize(
    "size",
    [PHONE, {"width": 390, "height": 844}, {"width": 1280, "height": 800}],
    ids=["phone-375", "phone-390", "desktop-1280"],
)
def test_the_answer_box_send_and_the_whole_advice_stay_in_view(
    widget: WidgetPage, size: dict[str, int]
) -> None:
    page = widget.page
    page.set_viewport_size(size)
    widget.open()
    answer, send = (
        page.get_by_role("textbox", name="Your answer"),
        page.get_by_role("button", name="Send", exact=True),
    )
    steps = [lambda: widget.choose("Yes"), lambda: widget.choose("I'm the patient"),
             lambda: widget.type("yes"), lambda: widget.check("fingers"),
             lambda: widget.choose("Yes")]  # fmt: skip
    for step in steps:  # at every step, the sites' map and list or the urgent box included
        assert in_view(page, answer) and in_view(page, send)
        assert small_targets(page) == []
        step()
    urgent = widget.urgent()
    assert urgent.is_visible() and in_view(page, urgent)
    advice = urgent.locator(".calx-urgent-advice").first
    assert advice.evaluate("e => e.scrollHeight <= e.clientHeight + 1")  # not clipped
    box = urgent.evaluate("e => e.scrollHeight <= e.clientHeight + 1")
    assert box, "the urgent box scrolls: part of its advice is hidden"
    assert in_view(page, answer) and in_view(page, send)
    widget.type("45")  # answered with the advice read: a pinned line (and the read-back)
    assert not advice.is_visible()
    link = urgent.get_by_role("link").first
    assert in_view(page, urgent) and in_view(page, link)
    toggle = urgent.get_by_role("button", name="Show the advice again")
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert advice.is_visible() and in_view(page, urgent) and in_view(page, send)
    assert (
        urgent.get_by_role("button", name="Hide the advice").get_attribute("aria-expanded")
        == "true"
    )


def test_the_read_back_is_a_card_of_answers_each_a_way_back_to_its_question(
    site: Site, widget: WidgetPage
) -> None:
    widget.to_the_sites()
    widget.check("fingers", "elbows")
    widget.choose("No")
    widget.type("45")
    page = widget.page
    card = page.get_by_role("region", name="Your answers")
    assert card.is_visible()
    titles = card.locator(".calx-card-title").all_inner_texts()
    assert titles and len(titles) == len(set(titles))  # grouped by topic, each once
    assert widget.options() == ["Yes", "No"]  # "is that all correct?" below the card
    assert small_targets(page) == []
    change = card.get_by_role("button", name="Change Age: 45")
    viewport_screenshot(page, "widget-readback-card")
    assert axe_scan(page, "widget-readback-card", every_impact=True) == []
    before = widget.count("bot")
    change.click()
    widget.wait_turn(before)
    said = "Go back to the Age question"
    assert widget.texts("user")[-1] == said
    assert [m.text for m in site.agent.received if m.sender_id == widget.session()][-1] == said


def test_start_over_asks_first_and_sends_start_over(site: Site, widget: WidgetPage) -> None:
    widget.open()
    widget.choose("Yes")
    widget.page.get_by_role("button", name="Start over").click()
    confirm = widget.page.get_by_role("group", name="Start over")
    assert confirm.is_visible()
    confirm.get_by_role("button", name="Cancel").click()
    assert not confirm.is_visible()
    assert widget.texts("user") == ["Yes"]
    widget.page.get_by_role("button", name="Start over").click()
    before = widget.count("bot")
    confirm.get_by_role("button", name="Yes, start over").click()
    widget.wait_turn(before)
    assert widget.texts("user") == ["Yes", "Start over"]
    received = [m.text for m in site.agent.received if m.sender_id == widget.session()]
    assert received[-1] == "Start over"


def focused(page: Any) -> str:
    """What has the keyboard focus: a control's text, or its id."""
    return str(
        page.evaluate("document.activeElement.textContent.trim() || document.activeElement.id")
    )


def test_keyboard_only(site: Site, widget: WidgetPage) -> None:
    page = widget.page
    launcher = page.get_by_role("button", name="Questions about skin lumps")
    launcher.focus()
    page.keyboard.press("Enter")
    widget.wait_turn(0)
    assert page.locator(".calx-launcher").get_attribute("aria-expanded") == "true"
    assert focused(page) == "Yes"  # the first answer, not the text box after them
    order = []
    for _ in range(3):  # Tab follows what is seen: the answers, the text box, Send
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert order == ["No", "calx-input", "Send"]
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    before = widget.count("bot")
    page.keyboard.press("Enter")  # "Yes"
    widget.wait_turn(before)
    assert widget.texts("user") == ["Yes"]
    assert focused(page) == "I'm the patient"  # the next question's first answer
    before = widget.count("bot")
    page.keyboard.press("Enter")
    widget.wait_turn(before)
    page.keyboard.type("yes")  # typed on an answer button: the words go to the text box
    assert page.get_by_role("textbox", name="Your answer").input_value() == "yes"
    before = widget.count("bot")
    page.keyboard.press("Enter")
    widget.wait_turn(before)
    assert widget.texts("user") == ["Yes", "I'm the patient", "yes"]
    assert focused(page) == "calx-input"  # whoever types keeps typing
    page.keyboard.press("Escape")
    assert not page.locator("#calx-panel").is_visible()
    assert page.evaluate("document.activeElement.className") == "calx-launcher"
    assert launcher.get_attribute("aria-expanded") == "false"


def test_log_is_announced_and_labelled(widget: WidgetPage) -> None:
    widget.open()
    log = widget.page.get_by_role("log", name="Conversation")
    assert log.get_attribute("aria-live") == "polite"
    assert widget.page.get_by_role("region", name="Calx").is_visible()
    assert widget.page.get_by_role("link", name="Privacy notice").is_visible()


@pytest.mark.parametrize(("size", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_no_serious_accessibility_issue_and_screenshots(
    site: Site, widget: WidgetPage, size: dict[str, int], name: str
) -> None:
    widget.page.set_viewport_size(size)
    widget.to_the_sites()
    shot = viewport_screenshot(widget.page, f"widget-{name}")
    assert shot.stat().st_size > 10_000
    assert axe_scan(widget.page, f"widget-{name}", every_impact=True) == []
    widget.check("fingers")
    widget.choose("Yes")  # the urgent-care box
    assert axe_scan(widget.page, f"widget-{name}-urgent", every_impact=True) == []
    viewport_screenshot(widget.page, f"widget-{name}-urgent")
    if name == "phone":
        box = widget.page.locator("#calx-panel").bounding_box()
        assert box["width"] == PHONE["width"] and box["height"] == PHONE["height"]
