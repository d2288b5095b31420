"""How a person answers in the widget: with a mouse, with a finger, or with the keyboard alone.

Each way picks an answer button, ticks places and sends, or types an answer; all three
go through :class:`widget_page.WidgetPage`'s wait for the bot's turn. The keyboard way
never clicks: it moves with Tab / Shift+Tab from wherever the widget left the focus, so
a wrong focus or a Tab order that does not follow the screen makes it fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from widget_page import WidgetPage

#: Most key presses to reach one control (the sites' map and list are the longest run).
MAX_PRESSES = 80

#: Which way to press Tab to move from the focused element towards ``target``.
_DIRECTION = """target => {
    const here = document.activeElement;
    if (here === target) return "here";
    if (!here || here === document.body) return "Tab";
    return here.compareDocumentPosition(target) & Node.DOCUMENT_POSITION_FOLLOWING
        ? "Tab" : "Shift+Tab";
}"""


@dataclass
class Hands:
    """One way of answering: ``way`` is ``click``, ``touch`` or ``keyboard``."""

    widget: WidgetPage
    way: str

    @property
    def page(self) -> Any:
        return self.widget.page

    def _press(self, locator: Any) -> None:
        if self.way == "click":
            locator.click()
        elif self.way == "touch":
            locator.tap()
        else:
            self.focus(locator)
            self.page.keyboard.press("Enter")

    def focus(self, locator: Any) -> None:
        """Reach ``locator`` with Tab / Shift+Tab alone."""
        handle = locator.element_handle()
        for _ in range(MAX_PRESSES):
            key = handle.evaluate(_DIRECTION)
            if key == "here":
                return
            self.page.keyboard.press(key)
        focused = self.page.evaluate("document.activeElement.outerHTML.slice(0, 120)")
        raise AssertionError(f"not reached by Tab in {MAX_PRESSES} presses; focus on {focused}")

    def open(self) -> None:
        """Open the chat with its launcher and wait for the first question."""
        launcher = self.page.get_by_role("button", name="Questions about skin lumps")
        self._press(launcher)
        self.widget.wait_turn(0)

    def choose(self, label: str) -> None:
        """Pick the answer button ``label``."""
        before = self.widget.count("bot")
        button = self.page.locator(".calx-options > button.calx-option", has_text=label).first
        self._press(button)
        self.widget.wait_turn(before)

    def check(self, *labels: str) -> None:
        """Tick the places ``labels`` in the list and press Send."""
        before = self.widget.count("bot")
        for label in labels:
            box = self.widget.list_box(label)
            if self.way == "click":
                box.check()
            elif self.way == "touch":
                box.tap()
            else:
                self.focus(box)
                self.page.keyboard.press("Space")
            assert box.is_checked()
        self._press(self.page.get_by_role("button", name="Send", exact=True))
        self.widget.wait_turn(before)

    def type(self, text: str) -> None:
        """Type ``text`` as the answer and send it (Enter, or a tap on Send)."""
        before = self.widget.count("bot")
        box = self.page.get_by_role("textbox", name="Your answer")
        if self.way == "keyboard":
            # from an answer button the typing goes to the text box by itself
            if not self.page.evaluate("!!document.activeElement.closest('.calx-options')"):
                self.focus(box)
            self.page.keyboard.type(text)
            self.page.keyboard.press("Enter")
        else:
            if self.way == "touch":
                box.tap()
            box.fill(text)
            self._press(self.page.get_by_role("button", name="Send", exact=True))
        self.widget.wait_turn(before)
