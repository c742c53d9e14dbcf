"""Parallel data: file formats, a versioned store and translation-memory retrieval."""

from amts.memory.formats import FORMATS, FormatError, format_for, read_pairs, write_pairs
from amts.memory.pairs import Pair

__all__ = ["FORMATS", "FormatError", "Pair", "format_for", "read_pairs", "write_pairs"]
