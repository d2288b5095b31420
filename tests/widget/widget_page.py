"""Driving the chat widget in a page as a person does: click, check, type, reload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Longest wait for one turn of the bot (the first may load models on a cold server).
TURN_WAIT_MS = 120_000


@dataclass
class WidgetPage:
    """A portal page with the Calx widget."""

    page: Any

    @property
    def widget(self) -> Any:
        return self.page.locator(".calx-widget")

    def open(self) -> None:
        """Open the chat with its launcher and wait for the first question."""
        self.page.get_by_role("button", name="Questions about skin lumps").click()
        self.wait_turn(0)

    def to_the_sites(self) -> None:
        """Open the chat and answer up to the question of where the lumps are."""
        self.open()
        self.choose("Yes")
        self.choose("I'm the patient")
        self.type("yes")

    def count(self, who: str) -> int:
        return int(self.page.locator(f".calx-{who} .calx-bubble").count())

    def texts(self, who: str) -> list[str]:
        return [str(t) for t in self.page.locator(f".calx-{who} .calx-bubble").all_inner_texts()]

    def last_bot(self) -> str:
        return self.texts("bot")[-1]

    def wait_turn(self, bots_before: int) -> None:
        """Wait until the bot has answered (new messages, typing indicator off)."""
        self.page.wait_for_function(
            """n => document.querySelectorAll('.calx-bot .calx-bubble').length > n
                && !document.querySelector('.calx-typing').classList.contains('calx-active')""",
            arg=bots_before,
            timeout=TURN_WAIT_MS,
        )

    def options(self) -> list[str]:
        return [
            str(t)
            for t in self.page.locator(".calx-options > button.calx-option").all_inner_texts()
        ]

    def checkboxes(self) -> list[str]:
        return [
            str(t) for t in self.page.locator(".calx-options .calx-check label").all_inner_texts()
        ]

    def choose(self, label: str) -> None:
        """Click a quick-reply button."""
        before = self.count("bot")
        self.page.locator(".calx-options > button.calx-option", has_text=label).first.click()
        self.wait_turn(before)

    def list_box(self, label: str) -> Any:
        """The checkbox of the list (not the body map's region of the same name)."""
        return self.page.locator(".calx-options .calx-check").get_by_label(label, exact=True)

    def check(self, *labels: str) -> None:
        """Tick checkboxes and send them."""
        before = self.count("bot")
        for label in labels:
            self.list_box(label).check()
        self.page.get_by_role("button", name="Send", exact=True).click()  # the one Send
        self.wait_turn(before)

    def type(self, text: str) -> None:
        """Type an answer and press Enter."""
        before = self.count("bot")
        box = self.page.get_by_role("textbox", name="Your answer")
        box.fill(text)
        box.press("Enter")
        self.wait_turn(before)

    def reload(self) -> None:
        """Reload the page: the widget reopens on the same conversation."""
        self.page.reload()
        self.page.wait_for_function(
            """() => document.querySelectorAll('.calx-bot .calx-bubble').length > 0
                && !document.querySelector('.calx-typing').classList.contains('calx-active')""",
            timeout=TURN_WAIT_MS,
        )

    def progress(self) -> str | None:
        locator = self.page.locator(".calx-progress")
        return str(locator.inner_text()) if locator.is_visible() else None

    def urgent(self) -> Any:
        return self.page.locator(".calx-urgent")

    def session(self) -> str:
        return str(self.page.evaluate("window.CalxWidget.session()"))


def in_view(page: Any, locator: Any) -> bool:
    """Whether the element is wholly inside the viewport (from its box)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return bool(
        box
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and box["y"] + box["height"] <= size["height"] + 0.5
    )


def small_targets(page: Any) -> list[str]:
    """Controls of the widget smaller than 24 x 24 px (WCAG 2.2 AA, 2.5.8 Target Size).

    The body map's regions are left out: the list beside them is their equivalent control
    of full size (the criterion's "equivalent" exception); links inside a sentence are too.
    """
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll(
                    '.calx-widget button, .calx-widget input, .calx-widget textarea, .calx-urgent a')]
                .filter(e => e.offsetParent !== null)
                .map(e => [e, e.getBoundingClientRect()])
                .filter(([e, r]) => r.width < 24 || r.height < 24)
                .map(([e, r]) => `${e.tagName} ${e.id || e.textContent} ${r.width}x${r.height}`)"""
        )
    )
