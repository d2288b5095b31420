"""The body map (bot.export.bodymap): its data, the SVG and the PNG of the marked sites."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from bot import datafile
from bot.export import bodymap
from bot.knowledge import get_dictionary

SITES = list(get_dictionary().finding("lesion_locations").values or ())


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(bodymap.BODYMAP_FILE.read_text(encoding="utf-8"))
    return data


def test_every_site_of_the_dictionary_has_a_region_in_a_known_view() -> None:
    body = bodymap.load()
    assert list(body.regions) and set(body.regions) == set(SITES)
    for code, by_view in body.regions.items():
        assert by_view and set(by_view) <= set(body.views), code


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["regions"].pop("elbows"), r"missing: \['elbows'\]"),
        (lambda d: d["regions"].update(ankles={"front": []}), r"unknown: \['ankles'\]"),
        (lambda d: d["regions"]["knees"].update(side=[]), "maps some of the views"),
        (lambda d: d["regions"]["knees"]["front"].append({"ellipse": [1, 2]}), "wrong numbers"),
        (lambda d: d["outline"].append({"circle": [1, 2, 3]}), "a shape has one of"),
        (lambda d: d["outline"].append({"polygon": [1, 2, 3, 4, 5]}), "wrong numbers"),
    ],
)
def test_a_mistake_in_the_drawing_is_named_with_its_file_and_line(
    change: Any, message: str, tmp_path: Path
) -> None:
    data = _raw()
    change(data)
    path = tmp_path / "bodymap.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(bodymap.BodyMapError, match=message) as raised:
        bodymap.parse(datafile.load(path), path)
    assert re.search(r"bodymap\.yaml:\d+", str(raised.value))


@pytest.mark.parametrize("sites", [["fingers"], ["elbows", "knees", "buttocks"], SITES, []])
def test_the_svg_marks_the_sites_given_and_names_them(sites: list[str]) -> None:
    drawn = bodymap.svg(sites)
    titles = re.findall(r"<title>([^<]+)</title>", drawn)
    assert titles == [bodymap.site_label(c) for c in bodymap.load().regions if c in sites]
    label = re.search(r'role="img" aria-label="([^"]+)"', drawn)
    assert label is not None
    for code in sites:
        assert bodymap.site_label(code) in label.group(1)
    assert "data-value" not in drawn and "tabindex" not in drawn  # a picture, not controls


def test_the_widget_svg_is_one_labelled_checkbox_per_site() -> None:
    drawn = bodymap.svg(["knees"], interactive=True)
    boxes = re.findall(
        r'<g class="calx-site" data-value="(\w+)" role="checkbox" tabindex="0"'
        r' aria-checked="(true|false)" aria-label="([^"]+)">',
        drawn,
    )
    assert [code for code, _, _ in boxes] == list(bodymap.load().regions)  # head to toe
    assert {code for code, on, _ in boxes if on == "true"} == {"knees"}
    assert all(label == bodymap.site_label(code) for code, _, label in boxes)


def _pixel(image: Image.Image, code: str, scale: float) -> tuple[int, ...]:
    """The colour at the centre of the first ellipse of a site's region."""
    body = bodymap.load()
    for view, shapes in body.regions[code].items():
        for kind, values in body.placed(shapes, view):
            if kind == "ellipse":
                return tuple(image.getpixel((values[0] * scale, values[1] * scale)))
    raise AssertionError(f"{code} has no ellipse")


def test_the_png_paints_the_marked_sites_and_only_them() -> None:
    scale = 2.0
    image = Image.open(io.BytesIO(bodymap.png(["knees", "buttocks"], scale)))
    body = bodymap.load()
    assert image.size == (round(body.width * 2 * scale), round((body.height + 24) * scale))
    red = Image.new("RGB", (1, 1), bodymap.SITE_FILL).getpixel((0, 0))
    grey = Image.new("RGB", (1, 1), bodymap.OUTLINE_FILL).getpixel((0, 0))
    assert _pixel(image, "knees", scale) == red
    assert _pixel(image, "buttocks", scale) == red
    assert _pixel(image, "hands", scale) == grey  # drawn as outline, not marked
    assert _pixel(image, "elbows", scale) == grey


def test_the_image_address_holds_only_the_sites() -> None:
    url = bodymap.url("https://calx.example.org/", ("fingers", "elbows"))
    assert url == "https://calx.example.org/bodymap.png?sites=fingers,elbows"
