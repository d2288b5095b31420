"""Saving the interview as it goes, on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

from bot import summary as summary_service
from bot import workup
from bot.interview.records import Recorder
from bot.store import crud
from bot.store.db import Database


def test_progress_then_complete_then_reset(backend_db: Database) -> None:
    cid = f"rec-{uuid.uuid4().hex}"
    recorder = Recorder(backend_db)
    recorder.start(cid, channel="rest")
    recorder.start(cid, respondent="proxy")
    flags = workup.check_red_flags({"lesion_infection_signs": "yes"})
    recorder.answers(
        cid,
        {"age": (7, "she's 7"), "lesion_infection_signs": ("yes", "one is red and oozing")},
        flags,
        respondent="proxy",
    )
    with backend_db.session() as session:
        summary = summary_service.get_summary(session, cid)
    assert summary is not None
    assert summary["status"] == "in_progress"
    assert summary["respondent"] == "proxy"
    assert summary["consent"] is True
    assert summary["answers"]["age"] == {
        **summary["answers"]["age"],
        "value": 7,
        "words": "she's 7",
    }
    assert [f["code"] for f in summary["red_flags"]] == ["infected_lesion"]

    done = recorder.complete(cid)
    assert done["status"] == "complete"
    assert done["rules_version"]

    recorder.reset(cid)
    with backend_db.session() as session:
        assert crud.get_answers(session, cid) == {}
        assert crud.get_red_flags(session, cid) == []


def test_nothing_to_store_touches_nothing(backend_db: Database) -> None:
    cid = f"rec-{uuid.uuid4().hex}"
    Recorder(backend_db).answers(cid, {})
    Recorder(backend_db).reset(cid)  # unknown conversation: nothing to forget
    with backend_db.session() as session:
        assert crud.get_conversation(session, cid) is None
