"""Translation engines behind one interface (see :mod:`amts.engines.base`), listed in one table
(:mod:`amts.engines.registry`)."""

from amts.engines.base import Engine, EngineError, EngineUnavailable, Request, Translation
from amts.engines.registry import ENGINES, engine_class, engine_names, get_engine

__all__ = [
    "ENGINES",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "Request",
    "Translation",
    "engine_class",
    "engine_names",
    "get_engine",
]
