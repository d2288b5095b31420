"""YAML data files whose mappings remember their line: loaders name file and line of a mistake.

Used by every validating loader of Calx's knowledge and language data
(``bot.knowledge.loader``, ``bot.nlp.emergency``...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class LineDict(dict[Any, Any]):
    """A mapping that remembers the 1-based line it started on."""

    line: int = 0


class LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings carry their 1-based line number."""


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> LineDict:
    mapping = LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    return mapping


LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def where(path: Path, node: Any) -> str:
    """``file.yaml:12`` for a mapping read by :func:`load` (``?`` when it has no line)."""
    return f"{path.name}:{getattr(node, 'line', '?')}"


def load(path: Path) -> Any:
    """The YAML document at ``path``, its mappings as :class:`LineDict`.

    Raises:
        ValueError: the file is not valid YAML (the message names file and line).
    """
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=LineLoader)  # noqa: S506
    except yaml.YAMLError as error:
        raise ValueError(f"{path.name}: {error}") from None
