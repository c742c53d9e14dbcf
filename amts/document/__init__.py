"""Parse Markdown into blocks and translatable segments, and put it back together byte for byte."""

from amts.document.inline import Masked, PlaceholderError, check_placeholders, mask, strip_structure
from amts.document.model import (
    BLOCK_KINDS,
    Block,
    Document,
    Segment,
    Sentence,
    clear_caches,
    keep_dollar_lines,
    parse_markdown,
    sentence_key,
)
from amts.document.placeholders import PLACEHOLDER_RE
from amts.document.reader import DocumentError, decode_markdown, read_markdown
from amts.document.scripts import is_cjk_language
from amts.document.sentences import join_sentences, normalize_space, split_sentences

__all__ = [
    "BLOCK_KINDS",
    "PLACEHOLDER_RE",
    "Block",
    "Document",
    "DocumentError",
    "Masked",
    "PlaceholderError",
    "Segment",
    "Sentence",
    "check_placeholders",
    "clear_caches",
    "decode_markdown",
    "is_cjk_language",
    "join_sentences",
    "keep_dollar_lines",
    "mask",
    "normalize_space",
    "parse_markdown",
    "read_markdown",
    "sentence_key",
    "split_sentences",
    "strip_structure",
]
