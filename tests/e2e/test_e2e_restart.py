"""Pause, kill -9 every process, start again: the interview resumes at the same question."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from calx_process import Calx
from vignette_runner import load, plain

from bot.interview import wording
from bot.knowledge import get_dictionary

pytestmark = pytest.mark.e2e


def test_kill_everything_mid_interview_and_resume(e2e_dir: Path) -> None:
    vignette = next(v for v in load() if v["id"] == "p03")
    database_url = f"sqlite:///{e2e_dir / 'restart.db'}"
    first = Calx(database_url=database_url, log=e2e_dir / "restart-1.log").start()
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    try:
        for text in ("hello", "yes, I agree", "I'm the patient"):
            first.say(sender, text)
        for _ in range(4):
            slot = first.requested(sender)
            assert slot in vignette["answers"]
            first.say(sender, str(vignette["answers"][slot]["say"]))
        open_question = first.requested(sender)
        replies = first.say(sender, "I need to stop, I'll come back later")
        assert replies == [wording.text("pause")]
        assert first.requested(sender) == open_question
        before = first.tracker(sender)["slots"]
        stored_before = first.summary(sender)
    finally:
        first.kill()
    assert not first.group_alive()

    second = Calx(
        database_url=database_url,
        log=e2e_dir / "restart-2.log",
        rasa_port=first.rasa_port,
        action_port=first.action_port,
        web_port=first.web_port,
    ).start()
    try:
        after = second.tracker(sender)["slots"]
        findings = get_dictionary().findings
        assert {c: after[c] for c in findings} == {c: before[c] for c in findings}
        assert second.requested(sender) == open_question
        assert stored_before is not None
        assert second.summary(sender)["findings"] == stored_before["findings"]  # type: ignore[index]

        replies = second.say(sender, "hi, I'm back")
        assert replies[0] == wording.text("welcome_back")
        assert replies[-1] == wording.question(str(open_question), "patient")
        for _ in range(60):
            slot = second.requested(sender)
            if slot is None:
                break
            if slot == "summary_confirmed":
                second.say(sender, "yes, that's all correct")
                continue
            answer = vignette["answers"].get(slot, {"say": "I'm not sure", "value": "unknown"})
            second.say(
                sender, str(answer["say"]) if slot != open_question else plain(answer["value"])
            )
        summary = second.summary(sender)
        assert summary is not None and summary["status"] == "complete"
        assert summary["findings"][open_question] is not None
    finally:
        assert second.stop() == 0
    assert not second.group_alive()
