"""Saving the interview as it goes, through ``bot.store`` (and ``bot.summary`` at the end).

Answers are stored after every turn with the person's own words, so the clinician
console sees an interview in progress (its summary is computed from what is stored).
Nothing is stored before the person consents, but that an emergency was told (no words).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from bot import summary as summary_service
from bot.store import crud
from bot.store.db import Database, get_database
from bot.workup import RedFlag

log = logging.getLogger(__name__)


class Recorder:
    """Writes one interview's progress to the database (made on first use)."""

    def __init__(self, database: Database | None = None) -> None:
        self._database = database

    @property
    def database(self) -> Database:
        """The database written to (``CALX_DATABASE_URL`` unless given)."""
        if self._database is None:
            self._database = get_database()
        return self._database

    def start(
        self, conversation_id: str, *, respondent: str | None = None, channel: str | None = None
    ) -> None:
        """Create the conversation once the person consented (and note who answers)."""
        with self.database.session() as session:
            crud.get_or_create_conversation(
                session, conversation_id, consent=True, respondent=respondent, channel=channel
            )

    def answers(
        self,
        conversation_id: str,
        answers: Mapping[str, tuple[Any, str]],
        red_flags: Sequence[RedFlag] = (),
        *,
        respondent: str | None = None,
        labs: Mapping[str, str] | None = None,
    ) -> None:
        """Store answers ``{code: (value, words)}``, red flags told and labs, in one transaction."""
        if not answers and not red_flags and not labs:
            return
        with self.database.session() as session:
            if answers:
                crud.record_answers(session, conversation_id, answers, respondent=respondent)
            for flag in red_flags:
                crud.record_red_flag(session, conversation_id, flag.code, flag.advice)
            if labs:
                crud.get_or_create_conversation(session, conversation_id)
                crud.set_labs(session, conversation_id, labs, actor=crud.INTERVIEW_ACTOR)

    def emergency(
        self, conversation_id: str, kind: str, advice: str, *, channel: str | None = None
    ) -> None:
        """Store that the person was told to get emergency help (no words of theirs)."""
        with self.database.session() as session:
            crud.record_emergency(session, conversation_id, kind, advice, channel=channel)

    def complete(self, conversation_id: str) -> dict[str, Any]:
        """Run the engine on what is stored, mark the interview complete, return the summary."""
        with self.database.session() as session:
            crud.get_or_create_conversation(session, conversation_id, consent=True)
            return summary_service.complete_interview(session, conversation_id)

    def reset(self, conversation_id: str) -> None:
        """Start over: forget the stored answers and red flags (labs and audit are kept)."""
        with self.database.session() as session:
            if crud.get_conversation(session, conversation_id) is not None:
                crud.reset_conversation(session, conversation_id, actor=crud.INTERVIEW_ACTOR)
