"""``act``: run an action on a tracker built from a message and slots (see action_run)."""

from __future__ import annotations

from typing import Any

import pytest
from action_run import ActionRun
from trackers import TrackerFactory


@pytest.fixture
def act(tracker_for: TrackerFactory, domain: dict[str, Any]) -> ActionRun:
    """A fresh runner (its own dispatcher) for this test."""
    return ActionRun(tracker_for, domain)
