"""What Calx says about an emergency, in the words and with the number of the locale.

``bot.nlp.emergency`` decides that a message describes an emergency; this module words the
advice (``emergency.yaml``): the number and places of ``CALX_LOCALE`` (``CALX_EMERGENCY_NUMBER``
overrides the number), what to do while waiting per kind, a crisis line for suicidal thoughts,
a clinical line for clinicians on staff channels. A patient is never told what it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot import datafile
from bot.contract import EMERGENCY_KINDS as KINDS

ADVICE_FILE = Path(__file__).resolve().parent / "emergency.yaml"
LOCALE_KEYS = ("number", "place", "crisis", "poisons")
TEXT_KEYS = ("first", "self_harm", "poisons", "after", "clinician", "again", "again_self_harm")
DEFAULT_LOCALE = "en-GB"


class AdviceError(ValueError):
    """``emergency.yaml`` is malformed (the message names file and line)."""


@dataclass(frozen=True)
class Locale:
    """Where to get help in one locale."""

    number: str
    place: str
    crisis: str
    poisons: str

    @property
    def tel(self) -> str:
        """The number as a ``tel:`` link dials it (the first number given)."""
        digits = "".join(c for c in self.number.split(" or ")[0] if c.isdigit())
        return f"tel:{digits}"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    raw = datafile.load(ADVICE_FILE)
    where = datafile.where(ADVICE_FILE, raw)
    locales = raw.get("locales") if isinstance(raw, dict) else None
    if not isinstance(locales, dict) or "en" not in locales:
        raise AdviceError(f"{where}: locales must include the fallback 'en'")
    for name, spec in locales.items():
        if not isinstance(spec, dict) or set(spec) != set(LOCALE_KEYS):
            raise AdviceError(
                f"{datafile.where(ADVICE_FILE, spec)}: locale {name!r} needs {LOCALE_KEYS}"
            )
        if not str(spec["number"]).strip():
            raise AdviceError(f"{datafile.where(ADVICE_FILE, spec)}: locale {name!r}: no number")
    for key in (*TEXT_KEYS, "wait", "labels"):
        if key not in raw:
            raise AdviceError(f"{where}: missing {key!r}")
    for key in ("wait", "labels"):
        missing = (
            set(KINDS) - {"self_harm"} - set(raw[key])
            if key == "wait"
            else set(KINDS) - set(raw[key])
        )
        if missing:
            raise AdviceError(
                f"{datafile.where(ADVICE_FILE, raw[key])}: {key} lacks {sorted(missing)}"
            )
    return dict(raw)


def locale(name: str | None = None, number: str | None = None) -> Locale:
    """The locale ``name`` (its language alone, else ``en``, if unknown); ``number`` overrides."""
    locales = _data()["locales"]
    tag = name or DEFAULT_LOCALE
    spec = locales.get(tag) or locales.get(tag.split("-")[0]) or locales["en"]
    found = Locale(**{k: str(spec[k]) for k in LOCALE_KEYS})
    if number:
        found = Locale(number, found.place, found.crisis, found.poisons)
    return found


def current_locale() -> Locale:
    """The locale of the settings (``CALX_LOCALE``, ``CALX_EMERGENCY_NUMBER``)."""
    from bot.settings import get_settings

    settings = get_settings()
    return locale(settings.locale, settings.emergency_number or None)


def _fill(text: str, where: Locale, kind: str) -> str:
    labels = _data()["labels"]
    return " ".join(
        text.format(
            number=where.number,
            place=where.place,
            crisis=where.crisis,
            poisons=where.poisons,
            label=labels.get(kind, labels["other"]),
        ).split()
    )


def advice(kind: str, *, clinician: bool = False, where: Locale | None = None) -> str:
    """What to tell the person now about an emergency of ``kind``."""
    data = _data()
    where = where or current_locale()
    if clinician:
        return _fill(data["clinician"], where, kind)
    if kind == "self_harm":
        parts = [data["self_harm"]]
    else:
        parts = [data["first"], data["wait"].get(kind, data["wait"]["other"])]
        if kind == "poisoning" and where.poisons:
            parts.append(data["poisons"])
    parts.append(data["after"])
    return " ".join(_fill(p, where, kind) for p in parts)


def again(kind: str, *, clinician: bool = False, where: Locale | None = None) -> str:
    """The advice again, in plain words, for a message after the warning."""
    data = _data()
    where = where or current_locale()
    if clinician:
        return _fill(data["clinician"], where, kind)
    key = "again_self_harm" if kind == "self_harm" else "again"
    return _fill(data[key], where, kind) + " " + _fill(data["after"], where, kind)


def label(kind: str) -> str:
    """The clinical name of an emergency kind ("chest pain", "stroke signs"...)."""
    labels: dict[str, str] = _data()["labels"]
    return labels.get(kind, labels["other"])


def link(where: Locale | None = None) -> dict[str, str]:
    """The widget's emergency link: its words and the number it dials, from the same locale."""
    where = where or current_locale()
    return {"label": f"Emergency: call {where.number}", "href": where.tel}
