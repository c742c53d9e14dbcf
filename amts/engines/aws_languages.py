"""BCP 47 tags <-> Amazon Translate's language codes: the one mapping every Amazon call goes through.

Amazon names languages with its own short codes, not BCP 47: ``zh`` is Simplified Chinese, ``zh-TW``
Traditional, ``pt`` Brazilian Portuguese, ``es-MX`` Mexican (Latin American) Spanish, and
``TargetLanguageCode`` is at most 5 characters, so ``zh-Hans`` or ``pt-BR`` sent as they are fail.
A user's tag is matched to the closest code by langcodes' language distance; a tag with no code
close enough (another language, another script) is refused in one line naming the closest one.
Output files keep the user's tag; only what goes over the wire is Amazon's code.

Source: "Supported languages and language codes", Amazon Translate Developer Guide,
https://docs.aws.amazon.com/translate/latest/dg/what-is-languages.html (read 2026-12-04).
"""

from __future__ import annotations

from functools import lru_cache

import langcodes

from amts.languages import LanguageError, normalize

#: Amazon's code -> the language's name, as the Developer Guide lists them (75 languages)
AMAZON_LANGUAGES: dict[str, str] = {
    "af": "Afrikaans", "sq": "Albanian", "am": "Amharic", "ar": "Arabic", "hy": "Armenian",
    "az": "Azerbaijani", "bn": "Bengali", "bs": "Bosnian", "bg": "Bulgarian", "ca": "Catalan",
    "zh": "Chinese (Simplified)", "zh-TW": "Chinese (Traditional)", "hr": "Croatian", "cs": "Czech",
    "da": "Danish", "fa-AF": "Dari", "nl": "Dutch", "en": "English", "et": "Estonian", "fa": "Farsi (Persian)",
    "tl": "Filipino, Tagalog", "fi": "Finnish", "fr": "French", "fr-CA": "French (Canada)", "ka": "Georgian",
    "de": "German", "el": "Greek", "gu": "Gujarati", "ht": "Haitian Creole", "ha": "Hausa", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic", "id": "Indonesian", "ga": "Irish", "it": "Italian",
    "ja": "Japanese", "kn": "Kannada", "kk": "Kazakh", "ko": "Korean", "lv": "Latvian", "lt": "Lithuanian",
    "mk": "Macedonian", "ms": "Malay", "ml": "Malayalam", "mt": "Maltese", "mr": "Marathi", "mn": "Mongolian",
    "no": "Norwegian (Bokmål)", "ps": "Pashto", "pl": "Polish", "pt": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)", "pa": "Punjabi", "ro": "Romanian", "ru": "Russian", "sr": "Serbian",
    "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian", "so": "Somali", "es": "Spanish",
    "es-MX": "Spanish (Mexico)", "sw": "Swahili", "sv": "Swedish", "ta": "Tamil", "te": "Telugu", "th": "Thai",
    "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "cy": "Welsh",
}  # fmt: skip

#: the codes whose meaning in BCP 47 is spelled differently (the others mean what they say)
_MEANING = {"zh": "zh-Hans", "zh-TW": "zh-Hant", "pt": "pt-BR"}
#: langcodes distance up to which a tag is the same language as a code: regional variants (es-419 ~
#: es-MX: 4, pt-AO ~ pt-PT: 4, nb ~ no: 1) pass; another script or language (yue ~ zh-TW: 14) does not
SAME_LANGUAGE_DISTANCE = 9
#: up to this distance the refusal suggests the closest code; further, it only points at the list
SUGGEST_DISTANCE = 30
LANGUAGE_LIST = "https://docs.aws.amazon.com/translate/latest/dg/what-is-languages.html"


class UnsupportedLanguage(LanguageError):
    """A language tag Amazon Translate has no code for."""


def meaning(code: str) -> str:
    """The BCP 47 tag an Amazon code stands for: ``zh`` -> ``zh-Hans``, ``pt`` -> ``pt-BR``."""
    return _MEANING.get(code, code)


_BY_MEANING = {meaning(code): code for code in AMAZON_LANGUAGES}


@lru_cache(maxsize=256)
def amazon_code(tag: str) -> str:
    """Amazon's code for a BCP 47 tag (``zh-Hans``/``zh-CN`` -> ``zh``, ``es-419`` -> ``es-MX``).

    Raises :class:`UnsupportedLanguage` (one line, naming the closest code) for a language Amazon lacks.
    """
    if tag in AMAZON_LANGUAGES:
        return tag
    standard = normalize(tag)
    found = langcodes.closest_supported_match(standard, list(_BY_MEANING), max_distance=SAME_LANGUAGE_DISTANCE)
    if found is not None:
        return _BY_MEANING[found]
    nearest = langcodes.closest_supported_match(standard, list(_BY_MEANING), max_distance=SUGGEST_DISTANCE)
    hint = (
        f"the closest it supports is {_BY_MEANING[nearest]!r} ({AMAZON_LANGUAGES[_BY_MEANING[nearest]]})"
        if nearest
        else f"see {LANGUAGE_LIST}"
    )
    raise UnsupportedLanguage(f"Amazon Translate does not support {tag!r}: {hint}")


def amazon_codes(*tags: str) -> list[str]:
    """:func:`amazon_code` of each tag, all checked before anything is sent."""
    return [amazon_code(tag) for tag in tags]
