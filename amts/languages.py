"""Language tags: BCP 47, validated and normalised once, compared by language and script.

``zh``, ``zh-CN`` and ``zh-Hans`` are one language for the store and the engines (same language,
same likely script); ``zh-TW`` (Traditional script) is not. Tags come from users, TMX/XLIFF files
and engine tables, so every comparison goes through :func:`same_language`.
"""

from __future__ import annotations

from functools import lru_cache

import langcodes

from amts.errors import InputError


class LanguageError(InputError):
    """A language tag that is not a known BCP 47 language, or a pair that cannot be translated."""


@lru_cache(maxsize=512)
def normalize(tag: str) -> str:
    """The standard spelling of ``tag`` (``ZH_cn`` -> ``zh-CN``, ``iw`` -> ``he``); refuse unknown tags."""
    text = (tag or "").strip().replace("_", "-")
    try:
        standard = langcodes.standardize_tag(text)
        language = langcodes.Language.get(standard)
    except (ValueError, langcodes.LanguageTagError) as error:
        raise LanguageError(f"{tag!r} is not a language tag (use BCP 47, e.g. en, zh, zh-CN, pt-BR)") from error
    if not language.language or not language.is_valid() or not _is_known(language.language):
        raise LanguageError(f"{tag!r} is not a known language (use BCP 47, e.g. en, zh, zh-CN, pt-BR)")
    return standard


def _is_known(subtag: str) -> bool:
    """Whether the registry knows a name for this language subtag (``xx`` is well-formed but unknown)."""
    name = langcodes.Language.get(subtag).language_name()
    return bool(name) and not name.lower().startswith("unknown")


def base(tag: str) -> str:
    """The language subtag of ``tag``: ``zh-Hans-CN`` -> ``zh``."""
    return langcodes.Language.get(normalize(tag)).language or tag


@lru_cache(maxsize=512)
def _language_and_script(tag: str) -> tuple[str, str]:
    full = langcodes.Language.get(normalize(tag)).maximize()
    return (full.language or "", full.script or "")


def same_language(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` name one language in one script: ``zh`` ~ ``zh-CN`` ~ ``zh_CN`` ~ ``zh-Hans``."""
    try:
        return _language_and_script(a) == _language_and_script(b)
    except LanguageError:
        return a.strip().lower().replace("_", "-") == b.strip().lower().replace("_", "-")


def check_pair(src: str, tgt: str) -> tuple[str, str]:
    """Normalise a source and target tag; refuse a pair that names one language twice."""
    source, target = normalize(src), normalize(tgt)
    if same_language(source, target):
        raise LanguageError(f"source and target are the same language ({src} -> {tgt})")
    return source, target


def expected_script(tag: str) -> str:
    """The script ``tag`` is written in (``zh`` -> ``Hans``, ``en`` -> ``Latn``, ``ja`` -> ``Jpan``)."""
    return _language_and_script(tag)[1]


def script_fits(tag: str, observed: str | None) -> bool:
    """Whether text whose dominant script is ``observed`` (ISO 15924, e.g. from amts.document.scripts)
    can be in language ``tag``; unknown (None) always fits."""
    if observed is None:
        return True
    expected = expected_script(tag)
    if observed == "Hani":
        return expected in _CJK_SCRIPTS
    return expected == observed or (observed == "Latn" and expected not in _CJK_SCRIPTS)


_CJK_SCRIPTS = frozenset({"Hans", "Hant", "Hani", "Jpan", "Kore"})


def display_name(tag: str) -> str:
    """A human name for ``tag`` (``zh-CN`` -> ``Chinese (China)``), for messages and reports."""
    try:
        return langcodes.Language.get(normalize(tag)).display_name()
    except LanguageError:
        return tag
