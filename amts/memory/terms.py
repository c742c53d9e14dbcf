"""The one term matcher: which glossary terms occur in a text, and whether a translation uses them.

Used by the memory (term-like pairs of parallel data), the adaptive layer (the glossary given to
engines, and the check of their outputs) and review (the glossary flag), so a term counts as
"used" the same way everywhere: whole words, case-insensitive, line wrapping ignored, an English
plural ``-s``/``-es`` allowed; Han-script terms (no word boundaries) as plain substrings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from amts.document.scripts import HAN_RE
from amts.memory.pairs import Pair


class TermMatcher:
    """A term list: which of its terms occur in a sentence, and their translations (the one term matcher).

    Matching is whole-word and case-insensitive for Latin scripts (an English plural ``-s``/``-es``
    also matches), plain substring for CJK; overlapping terms resolve to the longest.
    """

    def __init__(self, terms: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        items = terms.items() if isinstance(terms, Mapping) else terms
        self.terms: dict[str, str] = {}
        for term, translation in items:
            if term.strip() and translation.strip():
                self.terms[term.strip()] = translation.strip()
        self._by_lower = {term.lower(): term for term in self.terms}
        self._pattern = self._compile()

    @classmethod
    def from_pairs(cls, pairs: Iterable[Pair], max_words: int = 4) -> TermMatcher:
        """Term-like pairs of parallel data (a few words, no sentence punctuation) as a glossary."""
        chosen = []
        for pair in pairs:
            source = pair.source.strip()
            if len(source.split()) <= max_words and not re.search(r"[.!?;:,。！？；：，`$\[\]]", source):
                chosen.append((source, pair.target))
        return cls(chosen)

    def _compile(self) -> re.Pattern[str] | None:
        if not self.terms:
            return None
        alternatives = []
        for term in sorted(self.terms, key=len, reverse=True):
            body = r"\s+".join(re.escape(word) for word in term.split())
            if HAN_RE.search(term):
                alternatives.append(f"(?:{body})")
            else:
                plural = "(?:e?s)?" if term[-1:].isalpha() else ""
                alternatives.append(rf"(?<![^\W_])(?:{body}){plural}(?![^\W_])")
        return re.compile("|".join(alternatives), re.IGNORECASE)

    def terms_for(self, source: str) -> dict[str, str]:
        if self._pattern is None:
            return {}
        found: dict[str, str] = {}
        for match in self._pattern.finditer(source):
            term = self._lookup(match.group())
            if term is not None:
                found[term] = self.terms[term]
        return found

    def _lookup(self, text: str) -> str | None:
        folded = " ".join(text.split()).lower()
        for candidate in (folded, folded[:-1], folded[:-2]):
            if candidate in self._by_lower:
                return self._by_lower[candidate]
        return None

    def __len__(self) -> int:
        return len(self.terms)


@dataclass(frozen=True)
class Violation:
    """A glossary term of the source whose translation the output does not contain."""

    term: str
    expected: str

    def __str__(self) -> str:
        return f"{self.term!r} -> {self.expected!r} not used"


def uses_term(target: str, expected: str) -> bool:
    """Whether ``target`` contains the translation ``expected``.

    CJK terms are plain substrings (there are no word boundaries); other scripts match as whole
    words, ignoring case and wrapping, with an English plural allowed.
    """
    if HAN_RE.search(expected):
        return "".join(expected.split()) in "".join(target.split())
    return bool(_matcher_of(expected).terms_for(target))


@lru_cache(maxsize=1024)
def _matcher_of(term: str) -> TermMatcher:
    """A matcher of the single ``term``, compiled once: checks ask about the same terms segment after segment."""
    return TermMatcher({term: term})


def missing_terms(terms: Mapping[str, str], target: str) -> list[Violation]:
    """The ``terms`` (source term -> translation, as ``terms_for`` returns them) not used in ``target``."""
    return [Violation(term, expected) for term, expected in terms.items() if not uses_term(target, expected)]
