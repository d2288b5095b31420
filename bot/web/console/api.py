"""``GET /api/conversations/{sender}/export?format=pdf|fhir`` for machine clients (bearer token).

The same export as the console's, audited under the service actor ``api``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import Response

from bot.export import FORMATS
from bot.web.api import Caller
from bot.web.console.exporting import download, export_conversation

router = APIRouter(prefix="/api")

ExportFormat = Annotated[
    Literal["fhir", "pdf"],
    Query(alias="format", description="fhir (FHIR R4 Bundle, JSON) or pdf"),
]


@router.get(
    "/conversations/{sender:path}/export",
    summary="Export a summary as FHIR R4 JSON or PDF",
    responses={
        200: {"content": {FORMATS["fhir"]: {}, FORMATS["pdf"]: {}}},
        404: {"description": "no conversation with this id"},
    },
)
def export(
    sender: str, request: Request, principal: Caller, export_format: ExportFormat = "fhir"
) -> Response:
    """Return the summary as a validated FHIR R4 Bundle (default) or a PDF; audited."""
    body = export_conversation(
        request.app.state.db, sender, export_format, actor=principal.actor, via="api"
    )
    if body is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="no conversation with this id")
    return download(body, sender, export_format)
