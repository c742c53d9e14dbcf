"""Parallel data: file formats, a versioned store and translation-memory retrieval."""

from amts.memory.formats import FORMATS, FormatError, format_for, read_pairs, write_pairs
from amts.memory.pairs import Example, Pair
from amts.memory.retrieval import Glossary, Match, TranslationMemory, origin_rank
from amts.memory.store import (
    AlreadyExists,
    NotFound,
    ResourceInfo,
    Store,
    StoreError,
    VersionInfo,
    validate_name,
)

__all__ = [
    "FORMATS",
    "AlreadyExists",
    "Example",
    "FormatError",
    "Glossary",
    "Match",
    "NotFound",
    "Pair",
    "ResourceInfo",
    "Store",
    "StoreError",
    "TranslationMemory",
    "VersionInfo",
    "format_for",
    "origin_rank",
    "read_pairs",
    "validate_name",
    "write_pairs",
]
