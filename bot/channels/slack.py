"""Slack for residents: one conversation per thread, replies in the thread.

Rasa's own Slack connector replies in the channel and uses the channel as the
conversation (rasa#9923, #9918); this one keys a conversation on team, channel and
thread (``slack:<team>:<channel>:<thread_ts>``) and posts every reply into that
thread with ``chat.postMessage``. In a direct message, top-level messages are one
running conversation (``...:im``) answered at top level; a thread there is its own.

Every request is verified with the signing secret (``X-Slack-Signature``, timestamp
within 5 minutes) before anything else; a delivery Slack retries
(``X-Slack-Retry-Num``) is handled once. Events are acknowledged at once and
handled in the background, in order per conversation. At the end of an interview
answered by a clinician, the differential and workup are posted with Block Kit
and a link to the summary in the console. Configured by ``CALX_SLACK_BOT_TOKEN``,
``CALX_SLACK_SIGNING_SECRET`` and ``CALX_SLACK_API_URL``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import base, guard
from bot.channels.report import Report
from bot.export.report import TOP_REASONS
from bot.export.text import workup_lines
from bot.ratelimit import ALLOWED, Decision
from bot.settings import split_list

log = logging.getLogger(__name__)

#: Largest clock difference accepted for a request's timestamp (seconds).
MAX_CLOCK_SKEW_S = 300
#: Slack's limit on a section's text (characters).
MAX_SECTION_CHARS = 3000
#: Metadata every Slack message of a staff workspace carries: a resident (clinician) is talking.
CHANNEL_METADATA = {"channel": "slack", "respondent": "clinician", guard.STAFF: True}
#: The reply to a message from a workspace that is not staff by configuration (no turn).
NOT_STAFF = (
    "This Slack workspace is not set up to use Calx. An administrator can add it "
    "(CALX_SLACK_TEAM_IDS)."
)
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")


@dataclass(frozen=True)
class SlackConfig:
    """Secrets and URLs of the Slack channel (empty secrets: every request gets 401)."""

    bot_token: str = ""
    signing_secret: str = ""
    api_url: str = "https://slack.com/api"
    web_url: str = "http://127.0.0.1:8000"
    #: Workspaces whose members are staff: the only ones whose messages are taken.
    team_ids: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """Whether the channel has what it needs to verify requests and reply."""
        return bool(self.signing_secret and self.bot_token)

    def is_staff(self, team: str) -> bool:
        """Whether ``team`` is a workspace of staff (set in ``CALX_SLACK_TEAM_IDS``)."""
        return bool(team) and team in self.team_ids


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's ``v0=`` signature of a request body."""
    base_string = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base_string, hashlib.sha256).hexdigest()


def verify(
    secret: str, timestamp: str | None, body: bytes, sent: str | None, now: float | None = None
) -> bool:
    """Whether a request is signed with ``secret`` and its timestamp is within 5 minutes."""
    if not secret or not timestamp or not sent:
        return False
    try:
        stamp = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - stamp) > MAX_CLOCK_SKEW_S:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), sent)


@dataclass(frozen=True)
class SlackMessage:
    """A message addressed to Calx: where it came from and where to reply."""

    team: str
    channel: str
    thread: str
    reply_thread_ts: str | None
    user: str
    text: str

    @property
    def sender_id(self) -> str:
        """The conversation: one per team, channel and thread."""
        return f"slack:{self.team}:{self.channel}:{self.thread}"


def _plain(text: str) -> str:
    """Slack's message markup as plain text: mentions dropped, links and entities resolved."""
    text = _MENTION.sub("", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return html.unescape(" ".join(text.split()))


def _bot_user(payload: Mapping[str, Any]) -> str | None:
    entries = payload.get("authorizations")
    for entry in map(guard.mapping, entries if isinstance(entries, list) else []):
        if entry.get("is_bot") and entry.get("user_id"):
            return str(entry["user_id"])
    return None


def parse_event(payload: Mapping[str, Any]) -> tuple[SlackMessage | None, bool]:
    """The message of an ``event_callback``, and whether it may only continue a thread.

    Mentions (``app_mention``) and direct messages start or continue a conversation;
    a plain channel message in a thread only continues one Calx already has there.
    Bots, edits and other subtypes are ignored (``None``).
    """
    event = guard.mapping(payload.get("event"))
    team = str(payload.get("team_id") or event.get("team") or "")
    channel = str(event.get("channel") or "")
    user = str(event.get("user") or "")
    ts = str(event.get("ts") or "")
    thread_ts = event.get("thread_ts")
    if event.get("bot_id") or event.get("subtype") or not (team and channel and user and ts):
        return None, False
    if user == _bot_user(payload):
        return None, False
    text = _plain(str(event.get("text") or ""))
    kind = event.get("type")
    if kind == "app_mention":
        thread = str(thread_ts or ts)
        return SlackMessage(team, channel, thread, thread, user, text), False
    if kind != "message":
        return None, False
    if event.get("channel_type") == "im":
        if thread_ts:
            return SlackMessage(team, channel, str(thread_ts), str(thread_ts), user, text), False
        return SlackMessage(team, channel, "im", None, user, text), False
    bot = _bot_user(payload)
    if not thread_ts or (bot and f"<@{bot}" in str(event.get("text") or "")):
        return None, False  # not addressed to Calx, or arrives again as app_mention
    return SlackMessage(team, channel, str(thread_ts), str(thread_ts), user, text), True


def escape(text: str) -> str:
    """Text for Slack: ``&``, ``<`` and ``>`` escaped as Slack asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    if len(text) > MAX_SECTION_CHARS:
        text = text[: MAX_SECTION_CHARS - 1] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def report_blocks(report: Report) -> list[dict[str, Any]]:
    """The clinician's report as Block Kit, in the summary's order, with the console link."""
    summary = report.view
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Differential and workup"}},
        _section(f"*{escape(summary.urgency_label)}*"),
    ]
    for flag in summary.red_flags:
        said = f": {flag.clinician}" if flag.clinician else ""
        blocks.append(_section(f":warning: *{escape(flag.title)}*{escape(said)}"))
    for cause in summary.leading:
        lines = [f"*{cause.rank}. {escape(cause.name)}*  _{escape(cause.group_title)}_"]
        if cause.evidence_for:
            lines.append("For: " + escape("; ".join(cause.evidence_for[:TOP_REASONS])))
        if cause.evidence_against:
            lines.append("Against: " + escape("; ".join(cause.evidence_against[:TOP_REASONS])))
        if cause.confirm:
            lines.append("To confirm: " + escape(cause.confirm))
        blocks.append(_section("\n".join(lines)))
    if not summary.leading:
        blocks.append(_section("No cause scores above zero on the findings given."))
    if report.map_url:
        blocks.append({"type": "image", "image_url": report.map_url, "alt_text": report.map_text})
    blocks.append({"type": "divider"})
    work = ["*Workup to order*", *(escape(line) for line in workup_lines(summary))]
    blocks.append(_section("\n".join(work)))
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the summary in the console"},
                    "url": report.url,
                    "action_id": "open_summary",
                }
            ],
        }
    )
    note = "Decision support for clinicians, not a diagnosis."
    if summary.rules_version:
        note += f" Rules {escape(summary.rules_version)}."
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return blocks


#: Slack's limits: buttons per actions block, characters of a button's text and value.
MAX_BUTTONS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
#: ``action_id`` prefix of an answer button (``calx_answer:<n>``).
ANSWER_ACTION = "calx_answer"
#: The menu of several answers (the places), the button that sends what was picked, and
#: the block they are in (a click's ``state.values`` holds the menu's choice by block).
PICK_ACTION = "calx_pick"
SEND_PICKED = f"{ANSWER_ACTION}:picked"
ANSWER_BLOCK = "calx_answers"
#: Slack's limits: options of a menu, characters of an option's value.
MAX_OPTIONS = 100
MAX_OPTION_VALUE = 150


def answer_blocks(text: str, buttons: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """A question with its answers as Block Kit buttons (``None``: no buttons, plain text).

    A click comes back as a ``block_actions`` interaction (``/webhooks/slack/interactive``)
    whose value is the button's payload, taken as the answer typed in the thread.
    """
    usable = [b for b in buttons if b.get("title") and b.get("payload")][:MAX_BUTTONS]
    if not usable:
        return None
    several = [b for b in usable if b.get("multi")]
    if several:  # the places: pick several in one menu, then Send
        usable = [b for b in usable if not b.get("multi")]
    elements: list[dict[str, Any]] = [
        {
            "type": "multi_static_select",
            "action_id": PICK_ACTION,
            "placeholder": {"type": "plain_text", "text": "Choose one or more"},
            "options": [
                {
                    "text": {"type": "plain_text", "text": str(b["title"])[:MAX_BUTTON_TEXT]},
                    "value": str(b["payload"])[:MAX_OPTION_VALUE],
                }
                for b in several[:MAX_OPTIONS]
            ],
        },
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Send"},
            "style": "primary",
            "value": "picked",
            "action_id": SEND_PICKED,
        },
    ] if several else []  # fmt: skip
    elements += [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": str(b["title"])[:MAX_BUTTON_TEXT]},
            "value": str(b["payload"])[:MAX_BUTTON_VALUE],
            "action_id": f"{ANSWER_ACTION}:{i}",
        }
        for i, b in enumerate(usable)
    ]
    actions = {"type": "actions", "block_id": ANSWER_BLOCK, "elements": elements}
    return [_section(text), actions] if text.strip() else [actions]


def parse_action(payload: Mapping[str, Any]) -> tuple[SlackMessage | None, str]:
    """The answer a ``block_actions`` click gives, as a message of its thread, and its id.

    Only Calx's answer buttons count; the conversation is the thread the question was
    posted in (``message.thread_ts``), or the direct-message conversation at top level.
    """
    if payload.get("type") != "block_actions":
        return None, ""
    actions = payload.get("actions")
    action = guard.mapping(actions[0] if isinstance(actions, list) and actions else None)
    if not str(action.get("action_id") or "").startswith(ANSWER_ACTION + ":"):
        return None, ""
    team = str(guard.mapping(payload.get("team")).get("id") or "")
    channel = str(guard.mapping(payload.get("channel")).get("id") or "")
    user = str(guard.mapping(payload.get("user")).get("id") or "")
    posted = guard.mapping(payload.get("message"))
    thread_ts = posted.get("thread_ts")
    value = str(action.get("value") or "")
    if action.get("action_id") == SEND_PICKED:
        value = ", ".join(_picked(payload))  # nothing picked: no answer (value empty)
    stamp = str(action.get("action_ts") or "")
    if not (team and channel and user and value and stamp):
        return None, ""
    if thread_ts:
        message = SlackMessage(team, channel, str(thread_ts), str(thread_ts), user, value)
    elif channel.startswith("D"):  # a direct message's running conversation
        message = SlackMessage(team, channel, "im", None, user, value)
    else:
        return None, ""
    return message, f"action:{channel}:{stamp}"


def _picked(payload: Mapping[str, Any]) -> list[str]:
    """The values chosen in the answers' menu when Send was pressed (``state.values``)."""
    values = guard.mapping(guard.mapping(payload.get("state")).get("values"))
    menu = guard.mapping(guard.mapping(values.get(ANSWER_BLOCK)).get(PICK_ACTION))
    chosen = menu.get("selected_options")
    if not isinstance(chosen, list):
        return []
    return [str(o["value"]) for o in chosen if isinstance(o, Mapping) and o.get("value")]


class SlackApi:
    """The few Slack Web API calls Calx makes (``chat.postMessage``)."""

    def __init__(self, config: SlackConfig) -> None:
        self.config = config

    async def post_message(
        self, channel: str, text: str, thread_ts: str | None, blocks: list[Any] | None = None
    ) -> bool:
        """Post into ``channel`` (in the thread ``thread_ts`` if given); ``False`` on failure."""
        body: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if thread_ts:
            body["thread_ts"] = thread_ts
        if blocks:
            body["blocks"] = blocks
        headers = {"Authorization": f"Bearer {self.config.bot_token}"}
        url = self.config.api_url.rstrip("/") + "/chat.postMessage"
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _attempt in range(2):
                async with session.post(url, json=body, headers=headers) as reply:
                    if reply.status == 429:
                        await _sleep_retry_after(reply.headers.get("Retry-After"))
                        continue
                    data = await reply.json(content_type=None)
                    if reply.status == 200 and isinstance(data, dict) and data.get("ok"):
                        return True
                    error = data.get("error") if isinstance(data, dict) else None
                    log.warning("Slack chat.postMessage failed: %s %s", reply.status, error)
                    return False
        return False


async def _sleep_retry_after(value: str | None) -> None:
    try:
        delay = min(float(value or 1), 30.0)
    except ValueError:
        delay = 1.0
    await asyncio.sleep(delay)


@dataclass
class SlackThreadOutput(OutputChannel):  # type: ignore[misc]
    """Collects a turn's replies, then posts them into the conversation's thread."""

    api: SlackApi
    channel: str
    thread_ts: str | None
    messages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def name(cls) -> str:
        """The channel's name."""
        return "slack"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Queue a text reply."""
        self.messages.append({"text": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Queue a reply with its answers as Block Kit buttons (their titles in the text too)."""
        self.messages.append({"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Queue an image as its link."""
        self.messages.append({"text": image, "raw": True})

    def offer(self, buttons: list[dict[str, Any]]) -> None:
        """Give the turn's last text the answers of the open question as buttons."""
        last = next((m for m in reversed(self.messages) if not m.get("raw")), None)
        if last is not None and not last.get("buttons"):
            last["buttons"] = buttons

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Queue Block Kit given as ``{"blocks": [...], "text": ...}``; other JSON is ignored."""
        if isinstance(json_message.get("blocks"), list):
            text = str(json_message.get("text") or "")
            self.messages.append({"text": text, "blocks": json_message["blocks"], "raw": True})

    async def flush(self, report: Report | None = None) -> int:
        """Post the queued replies in order (a clinician's report as Block Kit); count posted."""
        posted = 0
        for message in self.messages:
            text = str(message.get("text") or "")
            if report is not None and text.strip() == report.text.strip():
                continue  # posted below, as Block Kit
            shown = text if message.get("raw") else escape(text)
            buttons = message.get("buttons") or []
            blocks = message.get("blocks") or answer_blocks(shown, buttons)
            titles = " · ".join(str(b.get("title", "")) for b in buttons if b.get("title"))
            if titles:  # in the text too: the notification, and clients without blocks
                shown += "\n_" + escape(titles) + "_"
            if shown.strip() or blocks:
                ok = await self.api.post_message(self.channel, shown, self.thread_ts, blocks)
                posted += int(ok)
        self.messages.clear()
        if report is not None:
            ok = await self.api.post_message(
                self.channel, escape(report.text), self.thread_ts, report_blocks(report)
            )
            posted += int(ok)
        return posted


class SlackThreadInput(base.WebhookChannel):
    """Slack Events API endpoint at ``/webhooks/slack/webhook``, one conversation per thread."""

    blueprint_name = "calx_slack"

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/slack/`` and the ``input_channel`` of messages."""
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> SlackThreadInput:
        """Settings from ``CALX_SLACK_*``; keys in ``credentials.yml`` override them."""
        keys = ("bot_token", "signing_secret", "api_url")
        values = base.configured(credentials, "slack", (*keys, "team_ids"))
        team_ids = tuple(split_list(values.pop("team_ids")))
        return cls(SlackConfig(**values, team_ids=team_ids))

    def __init__(self, config: SlackConfig) -> None:
        super().__init__()
        self.config = config
        self.api = SlackApi(config)

    @property
    def enabled(self) -> bool:
        """Whether the signing secret and bot token are set."""
        return self.config.enabled

    def blueprint(self, on_new_message: base.OnNewMessage) -> Any:
        """The webhook, and ``POST /interactive`` for button clicks (Slack's Request URL)."""
        blueprint = super().blueprint(on_new_message)

        async def interactive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > guard.MAX_BODY_BYTES:
                return response.json({"error": "request body too large"}, status=413)
            return await self.handle_interaction(request, on_new_message)

        blueprint.add_route(interactive, "/interactive", methods=["POST"])
        return blueprint

    def _signed(self, request: Request) -> bool:
        return self.config.enabled and verify(
            self.config.signing_secret,
            request.headers.get("X-Slack-Request-Timestamp"),
            request.body or b"",
            request.headers.get("X-Slack-Signature"),
        )

    async def handle_interaction(
        self, request: Request, on_new_message: base.OnNewMessage
    ) -> HTTPResponse:
        """Verify a click, acknowledge it, and queue its answer in the question's thread."""
        if not self._signed(request):
            return response.json({"error": "invalid signature"}, status=401)
        form = parse_qs((request.body or b"").decode("utf-8", "replace"))
        try:
            payload = guard.load_json((form.get("payload") or [""])[0].encode())
        except ValueError:
            return response.json({"error": "payload is not JSON"}, status=400)
        if not isinstance(payload, dict):
            return response.json({"error": "payload is not an object"}, status=400)
        message, action_id = parse_action(payload)
        if message is None or not self.seen.add(action_id):
            return response.text("")
        counted = await self.count(message.sender_id)

        async def job() -> None:
            await self.process(message, action_id, on_new_message, True, False, counted)

        self.queue.submit(message.sender_id, job)
        return response.text("")

    async def handle_request(
        self, request: Request, on_new_message: base.OnNewMessage
    ) -> HTTPResponse:
        """Verify, acknowledge, and queue the message a request carries (if any)."""
        body: bytes = request.body or b""
        if not self._signed(request):
            return response.json({"error": "invalid signature"}, status=401)
        try:
            payload = guard.load_json(body)
        except ValueError:
            return response.json({"error": "not JSON"}, status=400)
        if not isinstance(payload, dict):
            return response.json({"error": "not an object"}, status=400)
        if payload.get("type") == "url_verification":
            return response.json({"challenge": str(payload.get("challenge", ""))})
        if payload.get("type") != "event_callback":
            return response.text("")
        event_id = str(payload.get("event_id") or "")
        if not event_id or not self.seen.add(event_id):
            return response.text("", headers={"X-Slack-No-Retry": "1"})
        message, continuation = parse_event(payload)
        if message is None:
            return response.text("")
        retried = request.headers.get("X-Slack-Retry-Num") is not None
        counted = await self.count(message.sender_id)

        async def job() -> None:
            await self.process(message, event_id, on_new_message, continuation, retried, counted)

        self.queue.submit(message.sender_id, job)
        return response.text("")

    async def process(
        self,
        message: SlackMessage,
        event_id: str,
        on_new_message: base.OnNewMessage,
        continuation: bool,
        retried: bool,
        counted: Decision = ALLOWED,
    ) -> None:
        """Hand one message to Rasa and post the replies into its thread."""
        if continuation or retried:
            tracker = await self.agent.tracker(message.sender_id)
            if continuation and tracker is None:
                return  # a thread Calx has no conversation in
            if retried and tracker is not None and base.message_seen(tracker, event_id):
                return  # handled before a restart
        output = SlackThreadOutput(self.api, message.channel, message.reply_thread_ts)
        if not self.config.is_staff(message.team):
            log.info("Slack message from a workspace that is not staff: not taken")
            await output.send_text_message(message.sender_id, NOT_STAFF)
            await output.flush()
            return
        screened = await self.admit(message.sender_id, message.text, output, counted)
        if screened is None or screened.text is None:
            return
        user_message = UserMessage(
            screened.text,
            output,
            message.sender_id,
            input_channel=self.name(),
            message_id=event_id,
            metadata=guard.with_removed(
                {"calx": dict(CHANNEL_METADATA), "slack": {"user": message.user}}, screened
            ),
        )
        await self.deliver(user_message, on_new_message, self.config.web_url)
