"""The body map: the lesion sites on a front and back outline, as SVG and as PNG.

One drawing, ``bot/knowledge/bodymap.yaml`` (checked here: every value of
``lesion_locations`` has a region, every shape is well formed; a mistake names file and
line), rendered as SVG for the console and the widget (where each region is a labelled
toggle) and as PNG (Pillow) for the PDF and the Slack and Teams reports. Only the sites are
drawn: the image holds nothing that identifies anyone.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

from bot import datafile
from bot.knowledge.dictionary import get_dictionary

BODYMAP_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "bodymap.yaml"
FINDING = "lesion_locations"
#: Colours (an outline, the sites marked), with contrast of at least 3:1 against white.
OUTLINE_FILL, OUTLINE_STROKE, SITE_FILL = "#e6e6e6", "#6b6b6b", "#b3261e"
LABEL_HEIGHT = 24
KINDS = ("ellipse", "rect", "polygon")


class BodyMapError(ValueError):
    """``bodymap.yaml`` is malformed; the message names file and line."""


@dataclass(frozen=True)
class Shape:
    """One shape in a figure's coordinates; mirrored to the other side unless ``mid``."""

    kind: str
    values: tuple[float, ...]
    mid: bool = False

    def placed(self, offset: float, width: float) -> list[tuple[str, tuple[float, ...]]]:
        """The shape (and its mirror image) moved ``offset`` to the right."""
        out = [(self.kind, self._moved(self.values, offset))]
        if not self.mid:
            out.append((self.kind, self._moved(self._mirrored(width), offset)))
        return out

    def _mirrored(self, width: float) -> tuple[float, ...]:
        v = self.values
        if self.kind == "ellipse":
            return (width - v[0], *v[1:])
        if self.kind == "rect":
            return (width - v[0] - v[2], *v[1:])
        return tuple(width - x if i % 2 == 0 else x for i, x in enumerate(v))

    def _moved(self, v: tuple[float, ...], offset: float) -> tuple[float, ...]:
        if self.kind == "polygon":
            return tuple(x + offset if i % 2 == 0 else x for i, x in enumerate(v))
        return (v[0] + offset, *v[1:])


@dataclass(frozen=True)
class BodyMap:
    """The parsed drawing: figure size, views, outline, and the regions per site code."""

    width: float
    height: float
    views: tuple[str, ...]
    outline: tuple[Shape, ...]
    regions: dict[str, dict[str, tuple[Shape, ...]]]

    def placed(self, shapes: Iterable[Shape], view: str) -> list[tuple[str, tuple[float, ...]]]:
        """``shapes`` in the coordinates of the whole drawing, in ``view``."""
        offset = self.views.index(view) * self.width
        return [p for shape in shapes for p in shape.placed(offset, self.width)]


def _shape(raw: Any, where: str) -> Shape:
    counts = {"ellipse": 4, "rect": 4}
    if not isinstance(raw, Mapping):
        raise BodyMapError(f"{where}: a shape is a mapping such as {{ellipse: [cx, cy, rx, ry]}}")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1 or set(raw) - {*KINDS, "mid"}:
        raise BodyMapError(f"{where}: a shape has one of {', '.join(KINDS)} (and maybe mid)")
    values = raw[kinds[0]]
    ok = isinstance(values, list) and all(isinstance(v, int | float) for v in values)
    need = counts.get(kinds[0])
    polygon_ok = need is None and len(values) >= 6 and len(values) % 2 == 0
    if not ok or not (len(values) == need or polygon_ok):
        raise BodyMapError(f"{where}: {kinds[0]} has the wrong numbers: {values!r}")
    return Shape(kinds[0], tuple(float(v) for v in values), bool(raw.get("mid", False)))


def parse(raw: Any, path: Path = BODYMAP_FILE) -> BodyMap:
    """Check and parse the drawing (:class:`BodyMapError` names file and line)."""
    top = f"{path.name}:1"
    if not isinstance(raw, Mapping):
        raise BodyMapError(f"{top}: the file must be a mapping")
    size, views = raw.get("size"), raw.get("views")
    if not (isinstance(size, list) and len(size) == 2 and isinstance(views, list) and views):
        raise BodyMapError(f"{top}: size [width, height] and views [..] are needed")
    outline = tuple(_shape(s, datafile.where(path, s)) for s in raw.get("outline") or ())
    regions_raw = raw.get("regions")
    if not isinstance(regions_raw, Mapping):
        raise BodyMapError(f"{top}: regions must map site codes to their shapes per view")
    sites = set(get_dictionary().finding(FINDING).values or ())
    if set(regions_raw) != sites:
        missing, unknown = sorted(sites - set(regions_raw)), sorted(set(regions_raw) - sites)
        raise BodyMapError(
            f"{datafile.where(path, regions_raw)}: regions must be the values of {FINDING}"
            f" (missing: {missing}, unknown: {unknown})"
        )
    regions: dict[str, dict[str, tuple[Shape, ...]]] = {}
    for code, by_view in regions_raw.items():
        where = datafile.where(path, by_view)
        if not isinstance(by_view, Mapping) or not by_view or set(by_view) - set(views):
            raise BodyMapError(f"{where}: {code} maps some of the views {views} to shapes")
        regions[str(code)] = {
            str(view): tuple(_shape(s, where) for s in shapes) for view, shapes in by_view.items()
        }
    return BodyMap(float(size[0]), float(size[1]), tuple(views), outline, regions)


@lru_cache(maxsize=1)
def load() -> BodyMap:
    """``bodymap.yaml``, checked (cached)."""
    try:
        return parse(datafile.load(BODYMAP_FILE))
    except ValueError as error:
        raise BodyMapError(str(error)) from None


def site_label(code: str) -> str:
    """A site's words, as the interview says them."""
    from bot.interview.wording import value_text

    return value_text(FINDING, code)


def chosen(value: Any) -> list[str]:
    """The known site codes of an answer of ``lesion_locations`` (a list, or nothing)."""
    regions = load().regions
    values = value if isinstance(value, list | tuple) else []
    return [v for v in values if v in regions]


def aspect() -> float:
    """Height over width of the whole drawing (both views and their labels)."""
    body = load()
    return (body.height + LABEL_HEIGHT) / (body.width * len(body.views))


def url(base: str, sites: Sequence[str], kind: str = "png") -> str:
    """The image's public address under ``base`` (the web app's URL, ``bot.web.bodymap``)."""
    return f"{base.rstrip('/')}/bodymap.{kind}?sites={','.join(sites)}"


# ----------------------------------------------------------------------------- SVG


def _svg_shape(kind: str, v: tuple[float, ...]) -> str:
    if kind == "ellipse":
        return f'<ellipse cx="{v[0]:g}" cy="{v[1]:g}" rx="{v[2]:g}" ry="{v[3]:g}"/>'
    if kind == "rect":
        return f'<rect x="{v[0]:g}" y="{v[1]:g}" width="{v[2]:g}" height="{v[3]:g}"/>'
    points = " ".join(f"{v[i]:g},{v[i + 1]:g}" for i in range(0, len(v), 2))
    return f'<polygon points="{points}"/>'


def _region_shapes(body: BodyMap, code: str) -> str:
    return "".join(
        _svg_shape(kind, v)
        for view, shapes in body.regions[code].items()
        for kind, v in body.placed(shapes, view)
    )


def svg(sites: Sequence[str], *, interactive: bool = False, view_labels: Sequence[str] = ()) -> str:
    """The map with ``sites`` marked; ``interactive``: every region a labelled toggle.

    Static: ``role="img"`` with the sites in its title. Interactive (the widget): each region
    is a ``role="checkbox"`` group with ``aria-checked``, ``tabindex="0"`` and ``data-value``
    (the site code), for the widget's script to toggle with a click, Space or Enter.
    """
    body = load()
    marked = set(sites)
    width, height = body.width * len(body.views), body.height + LABEL_HEIGHT
    labels = list(view_labels) or [v.capitalize() for v in body.views]
    outline = "".join(
        _svg_shape(kind, v) for view in body.views for kind, v in body.placed(body.outline, view)
    )
    names = ", ".join(site_label(c) for c in body.regions if c in marked) or "none marked"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}"'
        + (' class="calx-bodymap" role="group" aria-label="Body map"' if interactive else
           f' class="calx-bodymap" role="img" aria-label="Body map: {escape(names)}"')
        + ">",
        f'<g fill="{OUTLINE_FILL}" stroke="{OUTLINE_STROKE}" stroke-width="1">{outline}</g>',
    ]  # fmt: skip
    for code in body.regions:
        label = escape(site_label(code))
        on = code in marked
        if interactive:
            parts.append(
                f'<g class="calx-site" data-value="{code}" role="checkbox" tabindex="0"'
                f' aria-checked="{str(on).lower()}" aria-label="{label}">'
                f"<title>{label}</title>{_region_shapes(body, code)}</g>"
            )
        elif on:
            parts.append(
                f'<g class="calx-site" fill="{SITE_FILL}" stroke="#ffffff" stroke-width="1">'
                f"<title>{label}</title>{_region_shapes(body, code)}</g>"
            )
    for i, text in enumerate(labels):
        x = body.width * (i + 0.5)
        parts.append(
            f'<text x="{x:g}" y="{height - 6:g}" text-anchor="middle" font-size="15"'
            f' font-family="sans-serif" fill="#333">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ----------------------------------------------------------------------------- PNG


def png(sites: Sequence[str], scale: float = 2.0) -> bytes:
    """The map with ``sites`` marked, as a PNG (the PDF, Slack and Teams)."""
    from PIL import Image, ImageDraw

    body = load()
    width, height = body.width * len(body.views), body.height + LABEL_HEIGHT
    image = Image.new("RGB", (round(width * scale), round(height * scale)), "white")
    draw = ImageDraw.Draw(image)

    def paint(placed: list[tuple[str, tuple[float, ...]]], fill: str, outline: str | None) -> None:
        for kind, v in placed:
            s = [x * scale for x in v]
            if kind == "ellipse":
                box = (s[0] - s[2], s[1] - s[3], s[0] + s[2], s[1] + s[3])
                draw.ellipse(box, fill=fill, outline=outline, width=round(scale))
            elif kind == "rect":
                draw.rectangle((s[0], s[1], s[0] + s[2], s[1] + s[3]), fill=fill, outline=outline)
            else:
                draw.polygon(list(zip(s[::2], s[1::2], strict=True)), fill=fill, outline=outline)

    for view in body.views:
        paint(body.placed(body.outline, view), OUTLINE_FILL, OUTLINE_STROKE)
    for code in body.regions:
        if code in set(sites):
            for view, shapes in body.regions[code].items():
                paint(body.placed(shapes, view), SITE_FILL, "#ffffff")
    for i, view in enumerate(body.views):
        x, y = body.width * (i + 0.5) * scale, (height - 14) * scale
        draw.text((x, y), view.capitalize(), fill="#333333", anchor="mm", font_size=15 * scale)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
