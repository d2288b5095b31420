"""Clinical knowledge as data: the dictionary of codes and the cited rules that use them."""

from bot.knowledge.dictionary import (
    UNKNOWN,
    Dictionary,
    DictionaryError,
    Finding,
    Lab,
    get_dictionary,
    load_dictionary,
)

__all__ = [
    "UNKNOWN",
    "Dictionary",
    "DictionaryError",
    "Finding",
    "Lab",
    "get_dictionary",
    "load_dictionary",
]
