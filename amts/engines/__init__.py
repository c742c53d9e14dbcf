"""Translation engines behind one interface (see :mod:`amts.engines.base`)."""

from amts.engines.base import (
    PLACEHOLDER_RE,
    Engine,
    EngineError,
    EngineUnavailable,
    Example,
    Request,
    engine_names,
    get_engine,
    register,
)

register("identity", "amts.engines.simple:IdentityEngine")
register("pseudo", "amts.engines.simple:PseudoEngine")

__all__ = [
    "PLACEHOLDER_RE",
    "Engine",
    "EngineError",
    "EngineUnavailable",
    "Example",
    "Request",
    "engine_names",
    "get_engine",
    "register",
]
