"""The one table of engines, by name (the way sacrebleu keeps its ``METRICS`` dict).

Each entry is ``"module:Class"`` so an engine's heavy imports (models, SDKs) happen only when it is
used. Nothing outside :mod:`amts.engines` adds entries: a new engine is one line here.
"""

from __future__ import annotations

import importlib

from amts.engines.base import Engine, EngineError

ENGINES: dict[str, str] = {
    # real engines
    "ctranslate2": "amts.engines.ctranslate2:CTranslate2Engine",
    "llama": "amts.engines.llama:LlamaEngine",
    "apertium": "amts.engines.apertium:ApertiumEngine",
    "aws": "amts.engines.aws:AwsTranslateEngine",
    "aws-batch": "amts.engines.aws_batch:AwsBatchEngine",
    "openai": "amts.engines.openai:OpenAIEngine",
    # engines for tests and benchmarks (amts.engines.testing)
    "identity": "amts.engines.testing:IdentityEngine",
    "pseudo": "amts.engines.testing:PseudoEngine",
    "counting": "amts.engines.testing:CountingEngine",
    "cpu-bound": "amts.engines.testing:CpuBoundEngine",
}


def engine_names(*, for_users: bool = False) -> list[str]:
    """The registered names; ``for_users`` leaves out the engines for tests (their class says ``for_tests``)."""
    return sorted(name for name in ENGINES if not (for_users and engine_class(name).for_tests))


def engine_class(name: str) -> type[Engine]:
    """The class registered as ``name`` (``EngineError`` if unknown); imports its module."""
    if name not in ENGINES:
        raise EngineError(f"unknown engine {name!r}; known: {', '.join(engine_names())}")
    module_name, _, class_name = ENGINES[name].partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def get_engine(name: str, **options: object) -> Engine:
    """Instantiate the engine called ``name`` with its options (``EngineError`` if unknown)."""
    return engine_class(name)(**options)
