"""Rasa's tracker store on CALX_DATABASE_URL: a conversation survives a new store (restart)."""

from __future__ import annotations

import uuid

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_stores import CalxSQLTrackerStore
from bot.store.db import Database

pytestmark = pytest.mark.asyncio


async def test_a_conversation_outlives_its_tracker_store(backend_db: Database) -> None:
    domain = Domain.load("domain.yml")
    sender = f"ts-{uuid.uuid4().hex}"
    tracker = DialogueStateTracker.from_events(
        sender,
        [
            UserUttered("I'm 54"),
            ActiveLoop("interview_form"),
            SlotSet("age", 54),
            SlotSet("lesion_locations", ["fingers", "elbows"]),
            SlotSet("requested_slot", "raynaud"),
        ],
        slots=domain.slots,
    )
    first = CalxSQLTrackerStore(domain=domain, host=backend_db.url)
    await first.save(tracker)
    first.engine.dispose()

    again = CalxSQLTrackerStore(domain=domain, host=backend_db.url)  # as after a restart
    restored = await again.retrieve(sender)
    assert restored is not None
    assert restored.get_slot("age") == 54
    assert restored.get_slot("lesion_locations") == ["fingers", "elbows"]
    assert restored.get_slot("requested_slot") == "raynaud"
    assert restored.active_loop_name == "interview_form"
    again.engine.dispose()


async def test_the_url_comes_from_the_settings_by_default(
    backend_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import settings

    monkeypatch.setenv("CALX_DATABASE_URL", backend_db.url)
    settings.get_settings.cache_clear()
    try:
        store = CalxSQLTrackerStore(domain=Domain.load("domain.yml"))
        assert store.engine.url.render_as_string(hide_password=False) == backend_db.url
        store.engine.dispose()
    finally:
        settings.get_settings.cache_clear()
