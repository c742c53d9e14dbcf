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
register("apertium", "amts.engines.apertium:ApertiumEngine")
register("ctranslate2", "amts.engines.ctranslate2:CTranslate2Engine")
register("llama", "amts.engines.llama:LlamaEngine")
register("memory", "amts.engines.memory_only:MemoryOnlyEngine")
register("aws", "amts.engines.aws:AwsTranslateEngine")
register("aws-batch", "amts.engines.aws_batch:AwsBatchEngine")
register("openai", "amts.engines.openai:OpenAIEngine")

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
