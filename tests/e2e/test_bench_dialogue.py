"""The dialogue benchmark's own logic (``bench/dialogue.py``): the action-time estimate from
event timestamps and the starter bot's conversations (the benchmark itself is ``make bench``)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench.dialogue import Starter, action_server_ms, remote_actions


def test_action_time_is_read_from_the_event_timestamps() -> None:
    events = [
        {"event": "action", "name": "action_listen", "timestamp": 10.0},
        {"event": "user", "text": "hello", "timestamp": 11.0},
        {"event": "user_featurization", "timestamp": 11.5},  # stamped when the action is logged
        {"event": "action", "name": "action_welcome", "timestamp": 11.5},
        {"event": "bot", "text": "Hello", "timestamp": 11.5},
        {"event": "action", "name": "interview_form", "timestamp": 11.75},
        {"event": "action", "name": "action_listen", "timestamp": 11.8},
        {"event": "user", "text": "yes", "timestamp": 20.0},
        {"event": "action", "name": "interview_form", "timestamp": 20.25},
        {"event": "action", "name": "action_listen", "timestamp": 20.3},
    ]
    remote = {"action_welcome", "interview_form"}
    assert action_server_ms(events, remote) == [750.0, 250.0]


def test_calx_actions_are_those_of_the_domain_and_the_form() -> None:
    remote = remote_actions()
    assert {"validate_interview_form", "action_welcome", "interview_form"} <= remote
    assert "action_listen" not in remote


def test_starter_conversations_are_its_stories_user_turns(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    nlu = {
        "nlu": [
            {"intent": "greet", "examples": "- hi\n- hello\n"},
            {"intent": "deny", "examples": "- no\n"},
        ]
    }
    stories = {
        "stories": [
            {"story": "a", "steps": [{"intent": "greet"}, {"action": "utter_greet"}]},
            {"story": "b", "steps": [{"intent": "greet"}, {"intent": "deny"}]},
        ]
    }
    (data / "nlu.yml").write_text(yaml.safe_dump(nlu))
    (data / "stories.yml").write_text(yaml.safe_dump(stories))
    talks = Starter(tmp_path).conversations()
    assert [next(talks) for _ in range(3)] == [["hi"], ["hello", "no"], ["hi"]]
