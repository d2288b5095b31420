"""The JSON API of the contract: summary, labs, interpret, health.

Every route but ``/api/health`` needs the service token. Views of a summary and
lab entries are written to the audit log with the caller's actor name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot import summary as summary_service
from bot.export.report import Report, build_report
from bot.knowledge import get_dictionary
from bot.store import crud
from bot.store.db import Database
from bot.store.models import ID_LENGTH
from bot.web.auth import Principal, require_api_token

#: Longest answer text ``/api/interpret`` takes (a chat message, not a document).
MAX_TEXT_LENGTH = 2000

router = APIRouter(prefix="/api")

#: The authenticated caller of a route (401 without the service token).
Caller = Annotated[Principal, Depends(require_api_token)]
LabsBody = Annotated[dict[str, Any], Body(examples=[{"calcium": "high", "pth": "high"}])]


class InterpretRequest(BaseModel):
    """An answer to interpret as the interview would."""

    finding: str = Field(..., max_length=64, description="a finding code of the dictionary")
    text: str = Field(..., max_length=MAX_TEXT_LENGTH, description="what the person typed")
    context: dict[str, Any] | None = Field(None, description="e.g. the respondent")


class InterpretResponse(BaseModel):
    """How the interview codes the answer (``value`` None = not understood)."""

    finding: str
    value: Any
    mentions: dict[str, Any] = Field(default_factory=dict)


def _db(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail="no conversation with this id")


def _plausible_id(sender: str) -> bool:
    return 0 < len(sender) <= ID_LENGTH and sender.isprintable()


@router.get("/health", summary="Liveness and database status (no token needed)")
def health(request: Request) -> JSONResponse:
    """Report whether the database answers and its schema is at the newest revision."""
    database = _db(request)
    reachable = database.ping()
    schema = "unknown"
    if reachable:
        try:
            current = database.current_revision()
            schema = "current" if current == database.head_revision() else "outdated"
        except Exception:  # a broken schema is reported, not raised
            schema = "unknown"
    healthy = reachable and schema == "current"
    return JSONResponse(
        {
            "status": "ok" if healthy else "degraded",
            "database": "reachable" if reachable else "unreachable",
            "schema": schema,
        },
        status_code=status.HTTP_200_OK if healthy else status.HTTP_503_SERVICE_UNAVAILABLE,
    )


def _viewed_summary(
    request: Request, sender: str, principal: Principal, detail: dict[str, str] | None = None
) -> dict[str, Any]:
    """The stored summary of ``sender`` (404 for an unknown id), its view audited."""
    if not _plausible_id(sender):
        raise _not_found()
    with _db(request).session() as session:
        result = summary_service.get_summary(session, sender)
        if result is None:
            raise _not_found()
        crud.audit(session, principal.actor, "summary_viewed", sender, detail)
    return result


@router.get("/conversations/{sender:path}/summary", summary="A conversation's summary")
def get_summary(sender: str, request: Request, principal: Caller) -> dict[str, Any]:
    """Return the summary of the contract (404 for an unknown id); the view is audited."""
    return _viewed_summary(request, sender, principal)


@router.get(
    "/conversations/{sender:path}/report",
    response_model=Report,
    summary="A conversation's summary as the clinician's report (the one view every face shows)",
)
def get_report(sender: str, request: Request, principal: Caller) -> Report:
    """Return the report of the summary (404 for an unknown id); the view is audited."""
    return build_report(_viewed_summary(request, sender, principal, {"via": "report"}))


@router.post(
    "/conversations/{sender:path}/labs", summary="Enter labs and get the re-ranked summary"
)
def post_labs(
    sender: str,
    request: Request,
    labs: LabsBody,
    principal: Caller,
) -> dict[str, Any]:
    """Store ``{lab code: value}`` and return the summary re-ranked with them."""
    if not _plausible_id(sender):
        raise _not_found()
    if not labs:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail="no labs given")
    with _db(request).session() as session:
        try:
            return summary_service.add_labs(session, sender, labs, principal.actor)
        except crud.ConversationNotFound:
            raise _not_found() from None
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(exc)) from None


@router.post("/interpret", response_model=InterpretResponse, summary="Code an answer")
def interpret(body: InterpretRequest, principal: Caller) -> InterpretResponse:
    """Code ``text`` as the answer to ``finding``'s question, as the interview does."""
    if body.finding not in get_dictionary().findings:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, detail=f"unknown finding code {body.finding!r}"
        )
    from bot.nlp import interpret as nlp_interpret  # spaCy: loaded on first use, not at start

    result = nlp_interpret(body.finding, body.text, body.context)
    return InterpretResponse(
        finding=body.finding,
        value=result.value,
        mentions=dict(result.mentions),
    )
