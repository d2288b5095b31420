"""domain.yml matches the dictionary, and every action it lists exists (and vice versa)."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import ActionExecutor

from bot.interview import domain as domain_module
from bot.knowledge import get_dictionary


def test_domain_file_is_up_to_date() -> None:
    assert domain_module.main(["--check"]) == 0, "run `make domain`"


def test_every_finding_is_a_slot_asked_by_its_own_action(domain: dict[str, Any]) -> None:
    required = domain["forms"]["interview_form"]["required_slots"]
    for code in get_dictionary().findings:
        assert domain["slots"][code]["mappings"] == [{"type": "custom"}]
        assert code in required
        assert f"action_ask_{code}" in domain["actions"]
    assert required[:2] == ["consent", "respondent"]
    assert required[-1] == "summary_confirmed"


def test_only_the_end_flag_influences_the_dialogue(domain: dict[str, Any]) -> None:
    featurized = [n for n, s in domain["slots"].items() if s.get("influence_conversation")]
    assert featurized == ["interview_over"]


def test_actions_in_the_domain_are_exactly_those_the_action_server_registers(
    domain: dict[str, Any],
) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(domain["actions"])
