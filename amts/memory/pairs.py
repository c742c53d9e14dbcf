"""A translation pair with its provenance (the unit of parallel data) and the example an engine is shown."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Pair:
    """One aligned source/target pair. Texts are Markdown with wrapping folded to single lines."""

    source: str
    target: str
    src_lang: str
    tgt_lang: str
    #: where it came from: file, src_lines "a-b", tgt_lines "c-d", shape "1:2", score, origin
    #: ("aligned", "post-edited", "imported", "memory") -- free-form but these keys are conventional
    provenance: dict[str, str | float | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    """A translation pair retrieved from the parallel data to steer an engine (few-shot / active custom)."""

    source: str
    target: str
    score: float = 0.0
