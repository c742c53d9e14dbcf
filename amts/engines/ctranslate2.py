"""``ctranslate2``: OPUS-MT / NLLB models in CTranslate2 format from a local folder, fully offline.

The embedded default is the OPUS-MT zh->en model that ``scripts/models.d/opus-mt-zh-en.sh`` puts in
``models/opus-mt-zh-en`` (``$AMTS_MODELS`` overrides ``<repo>/models``); any other pair works with
``model_dir``. Placeholders: sentencepiece cuts ``{1}`` into ``{`` + ``1}`` and the model then drops or
mangles it (4 of 151 D2L sentences with placeholders kept them). Written as a Latin token ``X1``,
which an OPUS-MT model copies like a variable name, 149 of 151 survive; the rest are translated
again with ``[1]`` markers, and as a last resort piece by piece between the placeholders.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from amts.document.placeholders import PLACEHOLDER_RE
from amts.engines.base import Engine, EngineError, EngineUnavailable, Request

REPO = Path(__file__).resolve().parents[2]

#: ISO 639-1 -> NLLB-200 language code, for NLLB models (which need them as tokens)
NLLB_CODES = {
    "en": "eng_Latn", "zh": "zho_Hans", "es": "spa_Latn", "fr": "fra_Latn", "de": "deu_Latn",
    "ja": "jpn_Jpan", "ko": "kor_Hang", "pt": "por_Latn", "ru": "rus_Cyrl", "it": "ita_Latn",
    "tr": "tur_Latn", "vi": "vie_Latn", "ar": "arb_Arab",
}
_MARKER_LETTERS = ("X", "Z", "Q", "K")


def models_root() -> Path:
    """Where offline models live: ``$AMTS_MODELS``, else ``<repo>/models``."""
    return Path(os.environ.get("AMTS_MODELS") or REPO / "models")


def default_model_dir(src: str, tgt: str) -> Path:
    return models_root() / f"opus-mt-{src}-{tgt}"


class CTranslate2Engine(Engine):
    """Translate with a CTranslate2 model and its sentencepiece tokenizer(s)."""

    name = "ctranslate2"
    title = "CTranslate2 local NMT"
    package = "ctranslate2"
    batch_size = 32
    output_options = ("beam_size",)

    def __init__(
        self,
        model_dir: str | Path | None = None,
        beam_size: int = 4,
        batch_size: int | None = None,
        threads: int = 0,
        device: str = "cpu",
        compute_type: str = "default",
        max_decoding_length: int = 256,
        nllb: bool | None = None,
    ) -> None:
        """``threads`` 0 lets CTranslate2 use every core; ``nllb`` (auto-detected from the folder name
        when None) adds NLLB's language tokens."""
        try:
            import ctranslate2  # noqa: F401
            import sentencepiece  # noqa: F401
        except ImportError as error:
            raise EngineUnavailable(
                f"ctranslate2 engine: {error.name} is not installed (pip install -e '.[models]')"
            ) from error
        self.model_dir = Path(model_dir) if model_dir else None
        self.beam_size = int(beam_size)
        if batch_size:
            self.batch_size = int(batch_size)
        self.threads = int(threads)
        self.device = device
        self.compute_type = compute_type
        self.max_decoding_length = int(max_decoding_length)
        self.nllb = nllb
        self._loaded: dict[Path, _Model] = {}

    # -- which model -----------------------------------------------------------------------
    def model_for(self, src: str, tgt: str) -> Path:
        return self.model_dir or default_model_dir(src, tgt)

    def supports(self, src: str, tgt: str) -> bool:
        folder = self.model_for(src, tgt)
        if not (folder / "model.bin").is_file():
            return False
        meta = _metadata(folder)
        if "from_code" in meta and "to_code" in meta:
            return (meta["from_code"], meta["to_code"]) == (src, tgt)
        return True

    def _model(self, src: str, tgt: str) -> _Model:
        folder = self.model_for(src, tgt)
        if folder not in self._loaded:
            if not (folder / "model.bin").is_file():
                hint = " (bash scripts/models.d/opus-mt-zh-en.sh)" if (src, tgt) == ("zh", "en") else ""
                raise EngineUnavailable(f"ctranslate2 engine: no model for {src}->{tgt} in {folder}{hint}")
            meta = _metadata(folder)
            if "from_code" in meta and (meta["from_code"], meta.get("to_code")) != (src, tgt):
                raise EngineError(
                    f"ctranslate2 engine: {folder} translates {meta['from_code']}->{meta.get('to_code')}, not {src}->{tgt}"
                )
            nllb = self.nllb if self.nllb is not None else "nllb" in folder.name.lower()
            self._loaded[folder] = _Model(folder, self, nllb)
        return self._loaded[folder]

    # -- translation -----------------------------------------------------------------------
    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        model = self._model(src, tgt)
        texts = [" ".join(r.text.split()) for r in requests]
        outputs = [""] * len(texts)
        todo = [i for i, text in enumerate(texts) if text]
        for protect in (_latin_markers, _bracket_markers):
            if not todo:
                break
            encoded = [protect(texts[i]) for i in todo]
            translated = model.translate([e[0] for e in encoded], src, tgt)
            still: list[int] = []
            for i, (_, restore), out in zip(todo, encoded, translated, strict=True):
                outputs[i] = restore(out)
                if _placeholders(outputs[i]) != _placeholders(texts[i]):
                    still.append(i)
            todo = still
        for i in todo:  # last resort: placeholders kept by construction, at the cost of context
            outputs[i] = self._between_placeholders(model, texts[i], src, tgt)
        return outputs

    def _between_placeholders(self, model: _Model, text: str, src: str, tgt: str) -> str:
        parts = PLACEHOLDER_RE.split(text)
        prose = parts[0::2]
        wanted = [i for i, piece in enumerate(prose) if re.search(r"[^\W\d_]", piece)]
        for i, out in zip(wanted, model.translate([prose[i].strip() for i in wanted], src, tgt), strict=True):
            prose[i] = (" " if i else "") + out.strip() + (" " if i < len(prose) - 1 else "")
        rebuilt = [prose[0]]
        for number, piece in zip(parts[1::2], prose[1:], strict=True):
            rebuilt += ["{" + number + "}", piece]
        return re.sub(r" {2,}", " ", "".join(rebuilt)).strip()

    def close(self) -> None:
        self._loaded.clear()


class _Model:
    """One loaded CTranslate2 translator with its tokenizers."""

    def __init__(self, folder: Path, options: CTranslate2Engine, nllb: bool) -> None:
        import ctranslate2
        import sentencepiece as spm

        self.options = options
        self.nllb = nllb
        source_spm = _first(folder, "source.spm", "sentencepiece.bpe.model", "sentencepiece.model", "spm.model")
        target_spm = _first(folder, "target.spm")
        if source_spm is None:
            raise EngineUnavailable(f"ctranslate2 engine: no sentencepiece model (source.spm) in {folder}")
        self.source = spm.SentencePieceProcessor(model_file=str(source_spm))
        # without target.spm (Argos packages: one source-side model), pieces are joined directly
        self.target = spm.SentencePieceProcessor(model_file=str(target_spm)) if target_spm else None
        self.translator = ctranslate2.Translator(
            str(folder), device=options.device, compute_type=options.compute_type,
            inter_threads=1, intra_threads=options.threads,
        )

    def translate(self, texts: list[str], src: str, tgt: str) -> list[str]:
        if not texts:
            return []
        tokens = [self.source.encode(text, out_type=str) for text in texts]
        prefix = None
        if self.nllb:
            if src not in NLLB_CODES or tgt not in NLLB_CODES:
                raise EngineError(f"ctranslate2 engine: no NLLB code for {src} or {tgt}")
            tokens = [[NLLB_CODES[src], *t, "</s>"] for t in tokens]
            prefix = [[NLLB_CODES[tgt]] for _ in tokens]
        results = self.translator.translate_batch(
            tokens, target_prefix=prefix, beam_size=self.options.beam_size,
            max_batch_size=self.options.batch_size,
            # a degenerate hypothesis ("_s_s_s...") must not hold the whole batch for 256 steps
            max_decoding_length=min(self.options.max_decoding_length, 2 * max(map(len, tokens)) + 16),
        )
        outputs = []
        for result in results:
            pieces = result.hypotheses[0][1 if self.nllb else 0 :]
            outputs.append(self.target.decode(pieces) if self.target else _join_pieces(pieces))
        return outputs


def _join_pieces(pieces: list[str]) -> str:
    """Decode without the target model: OPUS-MT pieces mark a word start with U+2581."""
    return "".join(pieces).replace("\u2581", " ").strip()


Protected = tuple[str, Callable[[str], str]]


def _latin_markers(text: str) -> Protected:
    """``{3}`` -> ``X3``: a token the model copies like a variable name (a letter absent from the text)."""
    letter = next((c for c in _MARKER_LETTERS if not re.search(rf"{c}\d", text)), None)
    if letter is None:
        return _bracket_markers(text)
    encoded = PLACEHOLDER_RE.sub(lambda m: f" {letter}{m.group(1)} ", text)
    back = re.compile(rf"(?<![A-Za-z0-9]){letter}\s?(\d+)(?![0-9])")
    return " ".join(encoded.split()), lambda out: _tidy(back.sub(lambda m: "{" + m.group(1) + "}", out))


def _bracket_markers(text: str) -> Protected:
    encoded = PLACEHOLDER_RE.sub(lambda m: f" [{m.group(1)}] ", text)
    back = re.compile(r"\[\s?(\d+)\s?\]")
    return " ".join(encoded.split()), lambda out: _tidy(back.sub(lambda m: "{" + m.group(1) + "}", out))


def _tidy(text: str) -> str:
    """Undo the spaces the markers needed where the output put punctuation right after them."""
    return re.sub(r"(\{\d+\}) (?=[,.;:!?)])", r"\1", text)


def _placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER_RE.findall(text))


def _first(folder: Path, *names: str) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def _metadata(folder: Path) -> dict[str, str]:
    """Argos-style ``metadata.json`` (from_code/to_code) when the model folder has one."""
    try:
        return json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
