"""Microsoft Teams (Bot Framework) for residents, with verifiable, configurable keys.

Rasa's botframework connector fetches Microsoft's signing keys at start-up (and dies
without a network) and does not check the token's issuer. This connector fetches the
OpenID metadata and its key set on the first request (``CALX_TEAMS_OPENID_URL``,
``CALX_TEAMS_JWKS_URL``), caches them, and verifies every request's bearer token:
RS256 signature by a published key (and the key's channel endorsement), issuer
(``CALX_TEAMS_ISSUER``), audience (``CALX_TEAMS_APP_ID``), expiry, and the
``serviceurl`` claim against the activity. Anything else gets 401 and changes nothing.

Replies go to the activity's (verified) service URL with a token from
``CALX_TEAMS_TOKEN_URL`` (client credentials: app id and ``CALX_TEAMS_APP_PASSWORD``),
as markdown; a clinician's end-of-interview report goes as an Adaptive Card.
One conversation per Teams conversation id (a channel thread has its own).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
import yarl
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import base, guard
from bot.channels.report import Report
from bot.export.report import TOP_REASONS
from bot.export.text import workup_facts
from bot.ratelimit import ALLOWED, Decision
from bot.settings import split_list

log = logging.getLogger(__name__)

#: Clock skew allowed on ``exp``/``nbf`` (the Bot Framework's 5 minutes).
LEEWAY_S = 300
#: How long fetched keys are trusted before they are fetched again.
KEYS_TTL_S = 24 * 3600
#: Least time between two fetches caused by an unknown key id.
REFETCH_MIN_S = 60
#: Longest conversation id kept as it is in the sender id (longer ones are hashed).
MAX_PLAIN_ID = 200
CHANNEL_METADATA = {"channel": "teams", "respondent": "clinician", guard.STAFF: True}
#: The reply to a message from a tenant that is not staff by configuration (no turn).
NOT_STAFF = (
    "This Microsoft Teams organisation is not set up to use Calx. An administrator can add "
    "it (CALX_TEAMS_TENANT_IDS)."
)
_AT_MENTION = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+\.)\s")


class Unauthorized(Exception):
    """A request whose token does not verify."""


@dataclass(frozen=True)
class TeamsConfig:
    """App credentials and the endpoints of Microsoft's identity and connector services."""

    app_id: str = ""
    app_password: str = ""
    openid_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    jwks_url: str = ""
    issuers: tuple[str, ...] = ("https://api.botframework.com",)
    token_url: str = "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"  # noqa: S105
    token_scope: str = "https://api.botframework.com/.default"  # noqa: S105
    web_url: str = "http://127.0.0.1:8000"
    #: Entra tenants whose users are staff: the only ones whose messages are taken.
    tenant_ids: tuple[str, ...] = ()

    @property
    def enabled(self) -> bool:
        """Whether tokens can be checked (an app id is the audience)."""
        return bool(self.app_id)

    def is_staff(self, tenant: str) -> bool:
        """Whether ``tenant`` is an organisation of staff (``CALX_TEAMS_TENANT_IDS``)."""
        return bool(tenant) and tenant in self.tenant_ids


async def _get_json(url: str) -> Any:
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as reply:
        reply.raise_for_status()
        return await reply.json(content_type=None)


class KeySource:
    """Signing keys from the OpenID metadata (or a JWKS URL), fetched on demand and cached."""

    def __init__(self, config: TeamsConfig) -> None:
        self.config = config
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        jwks_url = self.config.jwks_url
        if not jwks_url:
            metadata = await _get_json(self.config.openid_url)
            jwks_url = str(metadata["jwks_uri"])
        keys = await _get_json(jwks_url)
        self._keys = {
            str(key["kid"]): key
            for key in keys.get("keys", [])
            if isinstance(key, dict) and key.get("kid") and key.get("kty") == "RSA"
        }
        self._fetched_at = time.monotonic()

    async def get(self, kid: str) -> dict[str, Any] | None:
        """The JWK with id ``kid``, fetching the key set when stale or on an unknown id."""
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = not self._fetched_at or age > KEYS_TTL_S
            unknown = kid not in self._keys and age > REFETCH_MIN_S
            if stale or unknown:
                try:
                    await self._fetch()
                except (aiohttp.ClientError, asyncio.TimeoutError, KeyError, ValueError) as error:
                    log.warning("could not fetch the Bot Framework keys: %s", type(error).__name__)
            return self._keys.get(kid)


async def verify_request(
    config: TeamsConfig, keys: KeySource, authorization: str | None, activity: Mapping[str, Any]
) -> dict[str, Any]:
    """The verified claims of a request's bearer token, or :class:`Unauthorized`."""
    if not config.enabled:
        raise Unauthorized("Teams is not configured")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("no bearer token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise Unauthorized("malformed token") from error
    if header.get("alg") != "RS256" or not header.get("kid"):
        raise Unauthorized("unexpected algorithm or key")
    jwk = await keys.get(str(header["kid"]))
    if jwk is None:
        raise Unauthorized("unknown signing key")
    endorsements = jwk.get("endorsements")
    if isinstance(endorsements, list) and activity.get("channelId") not in endorsements:
        raise Unauthorized("key not endorsed for this channel")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            jwt.PyJWK(jwk).key,
            algorithms=["RS256"],
            audience=config.app_id,
            issuer=list(config.issuers),
            leeway=LEEWAY_S,
            options={"require": ["exp", "iss", "aud"]},
        )
    except (jwt.PyJWTError, ValueError) as error:
        raise Unauthorized(type(error).__name__) from error
    service_url = str(activity.get("serviceUrl") or "")
    if not service_url or str(claims.get("serviceurl", "")).rstrip("/") != service_url.rstrip("/"):
        raise Unauthorized("service URL does not match the token")
    return claims


class BotConnector:
    """Posts replies to the Bot Connector service with an app token (cached until expiry)."""

    def __init__(self, config: TeamsConfig) -> None:
        self.config = config
        self._token = ""
        self._expires = 0.0
        self._lock = asyncio.Lock()

    async def token(self, session: aiohttp.ClientSession) -> str:
        """An access token for the connector (client credentials)."""
        async with self._lock:
            if self._token and time.monotonic() < self._expires - 60:
                return self._token
            form = {
                "grant_type": "client_credentials",
                "client_id": self.config.app_id,
                "client_secret": self.config.app_password,
                "scope": self.config.token_scope,
            }
            async with session.post(self.config.token_url, data=form) as reply:
                reply.raise_for_status()
                data = await reply.json(content_type=None)
            self._token = str(data["access_token"])
            self._expires = time.monotonic() + float(data.get("expires_in", 3600))
            return self._token

    async def reply(self, incoming: Mapping[str, Any], activities: list[dict[str, Any]]) -> int:
        """Post ``activities`` as replies to ``incoming``; the number accepted."""
        service_url = str(incoming["serviceUrl"]).rstrip("/")
        conversation = guard.mapping(incoming.get("conversation"))
        url = (
            f"{service_url}/v3/conversations/{quote(str(conversation.get('id', '')), safe='')}"
            f"/activities/{quote(str(incoming.get('id', '')), safe='')}"
        )
        posted = 0
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            try:
                token = await self.token(session)
            except (aiohttp.ClientError, KeyError, ValueError) as error:
                log.warning("no Bot Connector token: %s", type(error).__name__)
                return 0
            for activity in activities:
                body = {
                    "type": "message",
                    "from": incoming.get("recipient"),
                    "recipient": incoming.get("from"),
                    "conversation": conversation,
                    "replyToId": incoming.get("id"),
                    **activity,
                }
                headers = {"Authorization": f"Bearer {token}"}
                async with session.post(
                    yarl.URL(url, encoded=True), json=body, headers=headers
                ) as reply:
                    if reply.status < 300:
                        posted += 1
                    else:
                        log.warning("Bot Connector refused a reply: %s", reply.status)
        return posted


def markdown(text: str) -> str:
    """Bot text as Teams markdown: lines kept apart (Teams joins single newlines)."""
    lines = text.split("\n")
    out: list[str] = []
    for index, line in enumerate(lines):
        out.append(line)
        following = lines[index + 1] if index + 1 < len(lines) else None
        if following is not None:
            listed = _LIST_LINE.match(following) and _LIST_LINE.match(line)
            out.append("\n" if listed else "\n\n")
    return "".join(out)


def report_card(report: Report) -> dict[str, Any]:
    """The clinician's report as an Adaptive Card attachment, in the summary's order."""
    summary = report.view
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": "Differential and workup",
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "TextBlock", "text": summary.urgency_label, "wrap": True, "weight": "Bolder"},
    ]
    body += [
        {
            "type": "TextBlock",
            "text": f"{flag.title}: {flag.clinician}" if flag.clinician else flag.title,
            "color": "Attention",
            "wrap": True,
        }
        for flag in summary.red_flags
    ]
    for cause in summary.leading:
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "spacing": "Medium",
                "text": f"**{cause.rank}. {cause.name}** ({cause.group_title})",
            }
        )
        details = []
        if cause.evidence_for:
            details.append("For: " + "; ".join(cause.evidence_for[:TOP_REASONS]))
        if cause.evidence_against:
            details.append("Against: " + "; ".join(cause.evidence_against[:TOP_REASONS]))
        if cause.confirm:
            details.append("To confirm: " + cause.confirm)
        if details:
            body.append(
                {
                    "type": "TextBlock",
                    "text": "\n\n".join(details),
                    "wrap": True,
                    "isSubtle": True,
                    "spacing": "None",
                }
            )
    if not summary.leading:
        body.append(
            {
                "type": "TextBlock",
                "wrap": True,
                "text": "No cause scores above zero on the findings given.",
            }
        )
    if report.map_url:
        body.append(
            {"type": "Image", "url": report.map_url, "altText": report.map_text, "size": "Large"}
        )
    facts = [{"title": heading, "value": tests} for heading, tests in workup_facts(summary)]
    body.append(
        {
            "type": "TextBlock",
            "text": "Workup to order",
            "weight": "Bolder",
            "spacing": "Large",
            "wrap": True,
        }
    )
    body.append({"type": "FactSet", "facts": facts})
    note = "Decision support for clinicians, not a diagnosis."
    if summary.rules_version:
        note += f" Rules {summary.rules_version}."
    body.append(
        {"type": "TextBlock", "text": note, "isSubtle": True, "size": "Small", "wrap": True}
    )
    return adaptive_card(
        body,
        [{"type": "Action.OpenUrl", "title": "Open the summary in the console", "url": report.url}],
    )


def adaptive_card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    """An Adaptive Card (1.4) attachment with ``body`` and ``actions``."""
    return {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "content": {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
            "actions": actions,
        },
    }


def _actions(buttons: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Buttons as ``imBack`` suggested actions: a tap sends the payload as the person's reply."""
    return [
        {"type": "imBack", "title": str(b.get("title", "")), "value": str(b.get("payload", ""))}
        for b in buttons
        if b.get("title") and not b.get("multi")
    ]


#: The input of the card that picks several answers (its Submit sends ``value[PICKED]``).
PICKED = "calx_picked"


def pick_card(buttons: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The answers that may be picked together as an Adaptive Card (tick, then Send)."""
    several = [b for b in buttons if b.get("multi") and b.get("title")]
    if not several:
        return None
    choices = [{"title": str(b["title"]), "value": str(b["payload"])} for b in several]
    tick = {
        "type": "Input.ChoiceSet",
        "id": PICKED,
        "isMultiSelect": True,
        "style": "expanded",
        "label": "Choose one or more, then Send",
        "choices": choices,
    }
    return adaptive_card([tick], [{"type": "Action.Submit", "title": "Send"}])


@dataclass
class TeamsOutput(OutputChannel):  # type: ignore[misc]
    """Collects a turn's replies, then posts them to the activity's conversation."""

    connector: BotConnector
    incoming: Mapping[str, Any]
    activities: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def name(cls) -> str:
        """The channel's name."""
        return "botframework"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Queue a markdown reply."""
        self.activities.append({"text": markdown(text), "textFormat": "markdown", "raw": text})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        """Queue a reply whose buttons become suggested actions (tap to answer)."""
        self.activities.append(
            {
                "text": markdown(text),
                "textFormat": "markdown",
                "raw": text,
                "suggestedActions": {"actions": _actions(buttons)},
            }
        )

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        """Queue an image as its link."""
        self.activities.append({"text": image, "textFormat": "plain"})

    def offer(self, buttons: list[dict[str, Any]]) -> None:
        """Give the turn's last text the open question's answers as suggested actions.

        A question of several answers (the places) also gets a card to tick them.
        """
        last = next((a for a in reversed(self.activities) if "raw" in a), None)
        if last is not None and "suggestedActions" not in last:
            last["suggestedActions"] = {"actions": _actions(buttons)}
            card = pick_card(buttons)
            if card is not None and not last.get("attachments"):
                last["attachments"] = [card]

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Queue attachments given as ``{"attachments": [...]}``; other JSON is ignored."""
        if isinstance(json_message.get("attachments"), list):
            self.activities.append({"attachments": json_message["attachments"]})

    async def flush(self, report: Report | None = None) -> int:
        """Post the queued replies in order (a clinician's report as a card); count posted."""
        activities = []
        for activity in self.activities:
            raw = activity.pop("raw", None)
            if report is not None and raw is not None and raw.strip() == report.text.strip():
                continue
            activities.append(activity)
        if report is not None:
            activities.append(
                {"summary": "Differential and workup", "attachments": [report_card(report)]}
            )
        self.activities.clear()
        if not activities:
            return 0
        return await self.connector.reply(self.incoming, activities)


def sender_id(activity: Mapping[str, Any]) -> str:
    """The conversation: the Teams conversation id (a channel thread has its own)."""
    conversation = str(guard.mapping(activity.get("conversation")).get("id") or "")
    if len(conversation) > MAX_PLAIN_ID:
        conversation = hashlib.sha256(conversation.encode()).hexdigest()[:40]
    return f"teams:{conversation}"


def tenant_id(activity: Mapping[str, Any]) -> str:
    """The Entra tenant of an activity (``conversation.tenantId`` or ``channelData.tenant.id``)."""
    conversation = guard.mapping(activity.get("conversation"))
    tenant = guard.mapping(guard.mapping(activity.get("channelData")).get("tenant"))
    return str(conversation.get("tenantId") or tenant.get("id") or "")


def message_text(activity: Mapping[str, Any]) -> str:
    """The activity's text without @-mentions of the bot or markup.

    A card's Send (no text, ``value``) gives the answers ticked on it, joined with commas.
    """
    text = _AT_MENTION.sub("", str(activity.get("text") or ""))
    picked = guard.mapping(activity.get("value")).get(PICKED)
    if not text.strip() and isinstance(picked, str):
        text = ", ".join(v.strip() for v in picked.split(",") if v.strip())
    return html.unescape(" ".join(_TAG.sub(" ", text).split()))


class TeamsInput(base.WebhookChannel):
    """Bot Framework endpoint at ``/webhooks/botframework/webhook``."""

    blueprint_name = "calx_teams"

    @classmethod
    def name(cls) -> str:
        """URL prefix ``/webhooks/botframework/`` and the ``input_channel`` of messages."""
        return "botframework"

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None) -> TeamsInput:
        """Settings from ``CALX_TEAMS_*``; keys in ``credentials.yml`` override them."""
        keys = ("app_id", "app_password", "openid_url", "jwks_url", "token_url", "token_scope")
        values = base.configured(credentials, "teams", (*keys, "issuer", "tenant_ids"))
        issuers = tuple(i.strip() for i in values.pop("issuer").split(",") if i.strip())
        tenants = tuple(split_list(values.pop("tenant_ids")))
        return cls(TeamsConfig(**values, issuers=issuers, tenant_ids=tenants))

    def __init__(self, config: TeamsConfig) -> None:
        super().__init__()
        self.config = config
        self.keys = KeySource(config)
        self.connector = BotConnector(config)

    @property
    def enabled(self) -> bool:
        """Whether the app id (the tokens' audience) is set."""
        return self.config.enabled

    async def handle_request(
        self, request: Request, on_new_message: base.OnNewMessage
    ) -> HTTPResponse:
        """Verify the token, acknowledge, and queue the activity's message (if any)."""
        try:
            activity = guard.load_json(request.body or b"")
        except ValueError:
            activity = None
        if not isinstance(activity, dict):
            return response.json({"error": "unauthorized"}, status=401)
        try:
            await verify_request(
                self.config, self.keys, request.headers.get("Authorization"), activity
            )
        except Unauthorized as error:
            log.info("Teams request refused: %s", error)
            return response.json({"error": "unauthorized"}, status=401)
        activity_id = str(activity.get("id") or "")
        if activity.get("type") != "message" or not activity_id or not self.seen.add(activity_id):
            return response.text("", status=200)
        sender = sender_id(activity)
        text = message_text(activity)

        counted = await self.count(sender)

        async def job() -> None:
            await self.process(activity, sender, text, on_new_message, counted)

        self.queue.submit(sender, job)
        return response.text("", status=200)

    async def process(
        self,
        activity: Mapping[str, Any],
        sender: str,
        text: str,
        on_new_message: base.OnNewMessage,
        counted: Decision = ALLOWED,
    ) -> None:
        """Hand one message to Rasa and post the replies to the conversation."""
        user = guard.mapping(activity.get("from"))
        output = TeamsOutput(self.connector, activity)
        if not self.config.is_staff(tenant_id(activity)):
            log.info("Teams message from a tenant that is not staff: not taken")
            await output.send_text_message(sender, NOT_STAFF)
            await output.flush()
            return
        admitted = await self.admit(sender, text, output, counted)
        if admitted is None or admitted.text is None:
            return
        message = UserMessage(
            admitted.text,
            output,
            sender,
            input_channel=self.name(),
            message_id=str(activity.get("id")),
            metadata=guard.with_removed(
                {
                    "calx": dict(CHANNEL_METADATA),
                    "teams": {"user": str(user.get("aadObjectId") or user.get("id") or "")},
                },
                admitted,
            ),
        )
        await self.deliver(message, on_new_message, self.config.web_url)
