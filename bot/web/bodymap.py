"""``GET /bodymap.svg`` and ``GET /bodymap.png``: the body map with the given sites marked.

Public and cacheable: the image is a function of the site codes in its query
(``?sites=fingers,elbows``) and holds nothing that identifies anyone, so the console, the
PDF and the Slack and Teams reports (whose servers fetch the image) can all show it. An
unknown site is refused with a clear message (422), never drawn.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from bot.export import bodymap

router = APIRouter(tags=["body map"])
#: An image never changes for the same sites while the drawing is the same.
CACHE = "public, max-age=86400"


def _sites(raw: str) -> list[str]:
    codes = [code.strip() for code in raw.split(",") if code.strip()]
    unknown = sorted(set(codes) - set(bodymap.load().regions))
    if unknown:
        known = ", ".join(bodymap.load().regions)
        raise HTTPException(422, f"unknown sites: {', '.join(unknown)} (known: {known})")
    return codes


@router.get("/bodymap.svg", response_class=Response)
def bodymap_svg(sites: str = Query("", max_length=1000)) -> Response:
    """The map as SVG, the sites marked (the console)."""
    body = bodymap.svg(_sites(sites))
    return Response(body, media_type="image/svg+xml", headers={"Cache-Control": CACHE})


@router.get("/bodymap.png", response_class=Response)
def bodymap_png(sites: str = Query("", max_length=1000)) -> Response:
    """The map as PNG, the sites marked (Slack, Teams)."""
    body = bodymap.png(_sites(sites))
    return Response(body, media_type="image/png", headers={"Cache-Control": CACHE})
