"""Adaptive translation: memory first, then engines steered by similar pairs and a glossary."""

from amts.adapt.pipeline import (
    ENGINE,
    FAILED,
    KEPT,
    MEMORY,
    UNTRANSLATED,
    AdaptiveTranslator,
    Glossary,
    Memory,
    Outcome,
    Status,
    wrong_script,
)

__all__ = [
    "ENGINE",
    "FAILED",
    "KEPT",
    "MEMORY",
    "UNTRANSLATED",
    "AdaptiveTranslator",
    "Glossary",
    "Memory",
    "Outcome",
    "Status",
    "wrong_script",
]
