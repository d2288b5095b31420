"""The bad-input corpus is data in tests/data/bad_inputs, at least 200 inputs, well formed."""

from __future__ import annotations

import corpus

from bot.channels import guard


def test_the_corpus_has_at_least_200_bad_inputs() -> None:
    sizes = corpus.size()
    print(f"\nbad-input corpus: {sum(sizes.values())} inputs {sizes}")
    assert sum(sizes.values()) >= 200
    assert sizes["messages"] >= 100 and sizes["api_requests"] >= 50


def test_ids_are_unique_and_categories_covered() -> None:
    entries = [
        *corpus.messages(), *corpus.rest_bodies(), *corpus.raw_bodies(), *corpus.api_requests(),
        *corpus.platform_events("slack"), *corpus.platform_events("teams"),
    ]  # fmt: skip
    ids = [e["id"] for e in entries]
    assert len(ids) == len(set(ids))
    categories = {m["category"] for m in corpus.messages()}
    assert categories >= {"control", "unicode", "html", "sql", "empty", "command", "size"}
    assert max(len(m["text"]) for m in corpus.messages()) >= corpus.ONE_MB


def test_the_empty_flags_match_what_the_channels_screen() -> None:
    """``empty: true`` exactly where nothing visible is left (no turn, a reply instead)."""
    for message in corpus.messages():
        screened = guard.screen(message["text"])
        if message.get("status", 200) == 200:
            assert (screened.text is None) is bool(message.get("empty")), message["id"]
        else:
            assert screened.status == message["status"], message["id"]


def test_raw_bodies_are_what_they_say() -> None:
    for entry in corpus.raw_bodies():
        body = corpus.raw_body(entry, "s")
        if entry["rest"] == 400:
            try:
                parsed = guard.load_json(body)
            except ValueError:
                continue
            assert not (
                isinstance(parsed, dict)
                and isinstance(parsed.get("message"), str)
                and guard.valid_sender(parsed.get("sender"))
            ), entry["id"]
