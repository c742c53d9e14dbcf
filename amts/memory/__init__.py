"""Parallel data: file formats, a versioned store and translation-memory retrieval."""

from amts.memory.formats import FORMATS, FormatError, format_for, read_pairs, write_pairs
from amts.memory.pairs import Example, Pair
from amts.memory.retrieval import Match, TranslationMemory, origin_rank
from amts.memory.store import (
    AlreadyExists,
    NotFound,
    ResourceInfo,
    Store,
    StoreError,
    VersionInfo,
    validate_name,
)
from amts.memory.terms import TermMatcher, Violation, missing_terms, uses_term

__all__ = [
    "FORMATS",
    "AlreadyExists",
    "Example",
    "FormatError",
    "Match",
    "NotFound",
    "Pair",
    "ResourceInfo",
    "Store",
    "StoreError",
    "TermMatcher",
    "TranslationMemory",
    "VersionInfo",
    "Violation",
    "format_for",
    "missing_terms",
    "origin_rank",
    "read_pairs",
    "uses_term",
    "validate_name",
    "write_pairs",
]
