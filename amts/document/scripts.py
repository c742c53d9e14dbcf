"""Writing systems as character classes: one place for "is this Chinese", "is this a Latin word".

Each class is a string of ranges for building regular expressions (``f"[{HAN}]"``) plus compiled
forms for the common questions. Ranges (Unicode blocks):

* ``HAN``: CJK Unified Ideographs with Extension A (U+3400-U+9FFF) and Compatibility Ideographs
  (U+F900-U+FAFF) -- the characters Chinese (and Japanese kanji) prose is made of.
* ``KANA``: Hiragana and Katakana (U+3040-U+30FF). ``HANGUL``: syllables and jamo.
* ``CJK_PUNCTUATION``: CJK symbols and punctuation (U+3000-U+303F), full- and half-width forms
  (U+FF00-U+FFEF): 。，（）and the like.
* ``UNSPACED``: scripts written without spaces between words (Han, kana, their punctuation): no space
  is put or kept next to them when lines are joined.
* ``LATIN``: Basic Latin letters and the Latin-1/Extended-A/B letters (accents).
"""

from __future__ import annotations

import re
from functools import lru_cache

HAN = "\u3400-\u9fff\uf900-\ufaff"
KANA = "\u3040-\u30ff"
HANGUL = "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef"
UNSPACED = HAN + KANA + CJK_PUNCTUATION
LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"

HAN_RE = re.compile(f"[{HAN}]")
HAN_RUN_RE = re.compile(f"[{HAN}]+")
UNSPACED_RE = re.compile(f"[{UNSPACED}]")
LATIN_WORD_RE = re.compile(r"[A-Za-z]{2,}")
"""Two or more ASCII letters: enough to say a text has English-like words in it."""

#: languages whose text is written mostly without spaces between words (primary subtag)
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})


KANA_RE = re.compile(f"[{KANA}]")
HANGUL_RE = re.compile(f"[{HANGUL}]")
LATIN_RE = re.compile(f"[{LATIN}]")


def dominant_script(text: str) -> str | None:
    """The ISO 15924 code of the writing system most of ``text``'s letters use (Hani, Jpan, Kore, Latn),
    or None when there are too few letters to say or another script dominates."""
    han, kana, hangul = len(HAN_RE.findall(text)), len(KANA_RE.findall(text)), len(HANGUL_RE.findall(text))
    latin = len(LATIN_RE.findall(text))
    letters = han + kana + hangul + latin
    if letters < 20:
        return None
    if hangul > 0.2 * letters:
        return "Kore"
    if kana > 0.05 * letters:
        return "Jpan"
    if han > 0.2 * letters:  # technical Chinese keeps Latin code and terms: a fifth of Han is already Chinese
        return "Hani"
    if latin > 0.9 * letters:
        return "Latn"
    return None


@lru_cache(maxsize=256)
def is_cjk_language(lang: str) -> bool:
    """Whether ``lang`` (a BCP 47 tag) is Chinese, Japanese or Korean."""
    return lang.split("-")[0].lower() in CJK_LANGUAGES


def count_han(text: str) -> int:
    """How many Han characters ``text`` holds (a reader's word count for Chinese)."""
    return sum(map(len, HAN_RUN_RE.findall(text)))
