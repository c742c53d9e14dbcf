"""Adaptive translation: memory first, then engines steered by similar pairs and a glossary.

A translator is built from a :class:`TranslationSetup` by :func:`build_translator` (:mod:`amts.adapt.setup`).
"""

from amts.adapt.pipeline import (
    ENGINE,
    FAILED,
    KEPT,
    MEMORY,
    UNTRANSLATED,
    AdaptiveTranslator,
    Memory,
    Outcome,
    Status,
    Terms,
    wrong_script,
)
from amts.adapt.setup import (
    MEMORY_ENGINE,
    SetupError,
    TranslationSetup,
    build_translator,
    build_translators,
    load_engine,
)

__all__ = [
    "ENGINE",
    "FAILED",
    "KEPT",
    "MEMORY_ENGINE",
    "MEMORY",
    "UNTRANSLATED",
    "AdaptiveTranslator",
    "Memory",
    "Outcome",
    "SetupError",
    "Status",
    "Terms",
    "TranslationSetup",
    "build_translator",
    "build_translators",
    "load_engine",
    "wrong_script",
]
