"""``make eval-turns``: out-of-script turns of the blind NLU batches, through a running Calx.

Each turn of ``tests/data/nlu/*.yaml`` (``turns:``) is played against ``make run`` on free
ports (``bench.load.Stack``): a conversation is put where the turn happens (consent given,
who is answering, the question ``asked`` open, an earlier answer where the turn refers to
one) through Rasa's HTTP API, the message is sent on the REST channel (with the service
token for a clinician, as staff), and what Calx did is checked against the behaviour the
writer expected, from what an outsider sees: the tracker's slots, the stored summary and
the replies. Usage: ``python -m evals.turns [--record-first] [--misses] [FILE ...]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.load import Stack, Target
from evals import nlu, record

SUITE = "turns"
FORM = "interview_form"
#: What a reply must not look like for a detour to count as handled.
NOT_UNDERSTOOD = re.compile(r"didn't quite understand|say yes or no", re.IGNORECASE)
#: The reply to an off-topic question: right for one, wrong for a diagnosis question.
OFF_TOPIC = re.compile(r"can't help with that here", re.IGNORECASE)
#: Identifiers a reply or the stored words must not keep (digits runs, e-mail, UK postcode).
IDENTIFIER = re.compile(
    r"\b\d[\d \-]{6,}\d\b|[\w.+-]+@[\w-]+\.[\w.]+|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b", re.I
)


@dataclass
class Played:
    """One turn played: the state before and after, and what Calx said."""

    before: dict[str, Any]
    after: dict[str, Any]
    replies: list[str]
    summary: dict[str, Any] | None


class Driver:
    """Puts a conversation in a state and plays a message, over Calx's HTTP interfaces."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.http = httpx.Client(timeout=60)

    def _events(self, sender: str, events: list[dict[str, Any]]) -> None:
        response = self.http.post(
            f"{self.target.rasa}/conversations/{sender}/tracker/events",
            params={"token": self.target.rasa_token},
            json=events,
        )
        response.raise_for_status()

    def slots(self, sender: str) -> dict[str, Any]:
        """The tracker's slots."""
        response = self.http.get(
            f"{self.target.rasa}/conversations/{sender}/tracker",
            params={"token": self.target.rasa_token},
        )
        response.raise_for_status()
        slots: dict[str, Any] = response.json()["slots"]
        return slots

    def summary(self, sender: str) -> dict[str, Any] | None:
        """The stored summary (``None``: not stored)."""
        response = self.http.get(
            f"{self.target.web}/api/conversations/{sender}/summary",
            headers={"Authorization": f"Bearer {self.target.api_token}"},
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        summary: dict[str, Any] = response.json()
        return summary

    def say(self, sender: str, text: str, *, staff: bool) -> list[str]:
        """One REST turn; its replies' texts."""
        headers = {"Authorization": f"Bearer {self.target.api_token}"} if staff else {}
        response = self.http.post(
            f"{self.target.rasa}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=headers,
        )
        response.raise_for_status()
        return [m.get("text", "") for m in response.json() if m.get("text")]

    def play(self, turn: dict[str, Any]) -> Played:
        """Open the interview at the turn's question, then send the turn's message."""
        sender = f"turn-{uuid.uuid4().hex[:12]}"
        staff = turn.get("respondent") == "clinician"
        self.say(sender, "hello", staff=staff)  # the real start: welcome, the form, consent
        self._events(sender, setup_events(turn))
        before = self.slots(sender)
        replies = self.say(sender, str(turn["text"]), staff=staff)
        return Played(before, self.slots(sender), replies, self.summary(sender))


def _other_value(code: str, value: Any) -> Any:
    """A value of ``code`` other than ``value`` (what the person now says was wrong)."""
    from bot.knowledge import get_dictionary

    finding = get_dictionary().finding(code)
    if finding.type == "bool":
        return "no" if value == "yes" else "yes"
    if finding.type == "int":
        return (int(value) + 7) if isinstance(value, int) else 40
    if finding.type == "multi":
        options = [v for v in finding.values if v not in (value or [])]
        return options[:1]
    if finding.type == "enum":
        return next(v for v in finding.values if v != value)
    return "something else"


def setup_events(turn: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa events that put a new conversation where ``turn`` is said."""
    from bot.knowledge import get_dictionary

    findings = get_dictionary().findings
    asked = str(turn.get("asked") or "")
    respondent = str(turn.get("respondent") or "patient")
    events: list[dict[str, Any]] = []
    if asked != "consent":
        events.append({"event": "slot", "name": "consent", "value": "yes"})
    if asked not in ("consent", "respondent"):
        events.append({"event": "slot", "name": "respondent", "value": respondent})
        if asked != "age" and turn.get("behaviour") != "clinician_one_liner":
            events.append({"event": "slot", "name": "age", "value": 50})
    finding = turn.get("finding")
    if finding in findings and finding != asked:  # the earlier answer the turn is about
        given = _other_value(str(finding), turn.get("value"))
        events.append({"event": "slot", "name": str(finding), "value": given})
    if asked == "summary_confirmed":
        events.append({"event": "slot", "name": "lesion_consistency", "value": "hard"})
    if asked in findings:  # the question open now, whatever the engine would pick next
        events.append({"event": "slot", "name": "reopen", "value": asked})
    events.append({"event": "active_loop", "name": FORM})
    events.append({"event": "slot", "name": "requested_slot", "value": asked})
    return events


def _value_of(played: Played, code: str) -> Any:
    return played.after.get(code)


def _unchanged(played: Played, code: str) -> bool:
    return played.after.get(code) == played.before.get(code)


def _answered(code: str, got: Any, want: Any) -> bool:
    return nlu.right(code, got, want)


def _findings(slots: dict[str, Any]) -> dict[str, Any]:
    from bot.knowledge import get_dictionary

    return {c: slots[c] for c in get_dictionary().findings if slots.get(c) is not None}


def _no_emergency(played: Played) -> bool:
    return not played.after.get("emergency")


def _kept_question(played: Played, turn: dict[str, Any]) -> bool:
    asked = turn.get("asked")
    return played.after.get("requested_slot") == asked and _unchanged(played, str(asked))


def _understood(played: Played, *, off_topic: bool = False) -> bool:
    if not played.replies or any(NOT_UNDERSTOOD.search(r) for r in played.replies):
        return False
    return off_topic or not any(OFF_TOPIC.search(r) for r in played.replies)


def _names_a_cause(played: Played) -> bool:
    from bot.knowledge.loader import get_knowledge

    names = {c.name.split("(")[0].strip().lower() for c in get_knowledge().causes.values()}
    said = " ".join(played.replies).lower()
    return any(re.search(rf"\b{re.escape(name)}\b", said) for name in names)


def check(turn: dict[str, Any], played: Played) -> list[str]:
    """What went wrong with ``turn`` (empty: handled as expected)."""
    behaviour = str(turn.get("behaviour"))
    asked = str(turn.get("asked"))
    problems: list[str] = []
    judge = CHECKS.get(behaviour)
    if judge is None:
        return [f"no check for behaviour {behaviour!r}"]
    problems += judge(turn, played)
    if behaviour != "emergency" and not _no_emergency(played):
        problems.append("an emergency raised")
    if _names_a_cause(played) and turn.get("respondent") != "clinician":
        problems.append("a diagnosis named to a patient")
    del asked
    return problems


def _skip(turn: dict[str, Any], played: Played) -> list[str]:
    asked = str(turn["asked"])
    out = []
    control = asked in ("consent", "respondent", "summary_confirmed")
    if not control and _value_of(played, asked) != "unknown":
        out.append(f"{asked} is {_value_of(played, asked)!r}, not unknown")
    if played.after.get("requested_slot") == asked:
        out.append("the same question asked again")
    return out


def _go_back(turn: dict[str, Any], played: Played) -> list[str]:
    finding = turn.get("finding")
    if played.after.get("requested_slot") != finding:
        return [f"asks {played.after.get('requested_slot')!r}, not {finding!r} again"]
    return []


def _correct(turn: dict[str, Any], played: Played) -> list[str]:
    finding = str(turn.get("finding"))
    got = _value_of(played, finding)
    if not _answered(finding, got, turn.get("value")):
        return [f"{finding} is {got!r}, not {turn.get('value')!r}"]
    return []


def _no_answer_stored(turn: dict[str, Any], played: Played) -> list[str]:
    out = []
    if _findings(played.after) != _findings(played.before):
        out.append("an answer changed")
    if not _understood(played, off_topic=turn.get("behaviour") in ("off_topic", "why_question")):
        out.append("answered as not understood")
    return out


def _question_again(turn: dict[str, Any], played: Played) -> list[str]:
    out = _no_answer_stored(turn, played)
    if not _kept_question(played, turn):
        out.append(f"the open question is now {played.after.get('requested_slot')!r}")
    return out


def _identifier(turn: dict[str, Any], played: Played) -> list[str]:
    out = []
    asked = str(turn["asked"])
    want = turn.get("value")
    if want is not None and not _answered(asked, _value_of(played, asked), want):
        out.append(f"{asked} is {_value_of(played, asked)!r}, not {want!r}")
    words = str((played.summary or {}).get("answers", {}).get(asked, {}).get("words") or "")
    if IDENTIFIER.search(words):
        out.append("the identifier is kept with the answer's words")
    return out


def _document(turn: dict[str, Any], played: Played) -> list[str]:
    out = []
    if _findings(played.after) != _findings(played.before):
        out.append("answers changed without asking")
    if (played.summary or {}).get("red_flags"):
        out.append("a red flag from the document alone")
    return out


def _markup(turn: dict[str, Any], played: Played) -> list[str]:
    out = []
    asked = str(turn["asked"])
    got = _value_of(played, asked)
    if got not in (None, "unknown") and asked not in ("consent", "respondent", "summary_confirmed"):
        out.append(f"{asked} coded {got!r} from markup")
    if any("<" in r and ">" in r for r in played.replies):
        out.append("markup echoed")
    return out


def _mention(turn: dict[str, Any], played: Played) -> list[str]:
    out = []
    asked = str(turn["asked"])
    want = turn.get("value")
    if want is not None and not _answered(asked, _value_of(played, asked), want):
        out.append(f"{asked} is {_value_of(played, asked)!r}, not {want!r}")
    for code, value in (turn.get("also") or {}).items():
        if not _answered(code, _value_of(played, code), value):
            out.append(f"{code} is {_value_of(played, code)!r}, not {value!r}")
    return out


def _one_liner(turn: dict[str, Any], played: Played) -> list[str]:
    out = _mention({**turn, "value": None}, played)
    labs = (played.summary or {}).get("labs") or {}
    for code, value in (turn.get("labs") or {}).items():
        if labs.get(code) != value:
            out.append(f"lab {code} is {labs.get(code)!r}, not {value!r}")
    return out


def _other_language(turn: dict[str, Any], played: Played) -> list[str]:
    out = _no_answer_stored(turn, played)
    english = re.compile(r"\b(the|you|your|please|answer|question)\b", re.I)
    if played.replies and all(english.search(r) for r in played.replies):
        out.append("only English replies")
    return out


CHECKS: dict[str, Callable[[dict[str, Any], Played], list[str]]] = {
    "skip": _skip,
    "go_back": _go_back,
    "correct": _correct,
    "diagnosis_question": _question_again,
    "frustration": _no_answer_stored,
    "identifier": _identifier,
    "document": _document,
    "markup": _markup,
    "mention_in_passing": _mention,
    "clinician_one_liner": _one_liner,
    "why_question": _question_again,
    "off_topic": _question_again,
    "pause": _no_answer_stored,
    "stop": _no_answer_stored,
    "other_language": _other_language,
}


@dataclass
class Score:
    """Turns handled as expected, by behaviour."""

    total: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        """What is recorded and printed."""
        total = sum(self.total.values())
        return {
            "turns": total,
            "handled": round(sum(self.ok.values()) / total, 4) if total else 0.0,
            "by_behaviour": {b: f"{self.ok[b]}/{n}" for b, n in sorted(self.total.items())},
        }


def score(path: Path, driver: Driver) -> Score:
    """Play every turn of the batch at ``path``."""
    result = Score()
    for turn in nlu.load(path).get("turns") or []:
        behaviour = str(turn.get("behaviour"))
        result.total[behaviour] += 1
        try:
            problems = check(turn, driver.play(turn))
        except httpx.HTTPError as error:
            problems = [f"HTTP {type(error).__name__}"]
        if problems:
            result.misses.append(
                f"{turn.get('id')} [{behaviour}] {turn['text'][:90]!r}: {problems}"
            )
        else:
            result.ok[behaviour] += 1
    return result


def main(argv: list[str] | None = None) -> int:
    """Start ``make run`` on free ports, play the batches, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--record-first", action="store_true")
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="calx-turns-") as tmp:
        stack = Stack("run", f"sqlite:///{tmp}/calx.db", Path(tmp) / "run.log").start()
        try:
            driver = Driver(stack.target)
            lines = ["| batch | turns | handled | by behaviour |", "|---|---|---|---|"]
            misses: list[str] = []
            for path in args.files or nlu.batches():
                result = score(path, driver)
                figures = result.figures()
                if args.record_first and record.record_first(SUITE, path.stem, figures):
                    print(f"recorded the first score of {path.stem}")
                first = record.first(SUITE, path.stem)
                if first:
                    lines.append(
                        f"| {path.stem} untouched ({first['date']}) | {first['turns']} | "
                        f"{first['handled']:.1%} | {first['by_behaviour']} |"
                    )
                lines.append(
                    f"| {path.stem} now | {figures['turns']} | {figures['handled']:.1%} | "
                    f"{figures['by_behaviour']} |"
                )
                misses += result.misses
            print("\n".join(lines))
            if args.misses:
                print("\n".join(misses))
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
