"""``apertium``: offline rule-based MT (Debian packages ``apertium`` + ``apertium-eng-spa``).

Many segments go through one ``apertium`` process call, one segment a line (plain-text format):
starting the pipeline costs far more than translating a sentence. Measured on the five D2L
evaluation sections (342 masked sentences), apertium keeps every ``{n}`` placeholder and every line
break, so placeholders are sent as they are; a line whose placeholders still come back changed is
translated again piece by piece between its placeholders, which keeps them by construction.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence

from amts.document.placeholders import PLACEHOLDER_RE
from amts.engines.base import Engine, EngineError, EngineUnavailable, Request

#: ISO 639-1 pair -> apertium mode (``apertium -l`` lists what is installed)
MODES = {("en", "es"): "eng-spa", ("es", "en"): "spa-eng"}
_SENTINEL = "."
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


class ApertiumEngine(Engine):
    """Translate with the ``apertium`` command-line pipeline."""

    name = "apertium"
    title = "Apertium (rule-based)"
    batch_size = 500

    def __init__(
        self,
        binary: str = "apertium",
        timeout: float = 300.0,
        mark_unknown: bool = False,
        mode: str | None = None,
        batch_size: int | None = None,
    ) -> None:
        """``mark_unknown`` keeps apertium's ``*word`` marks (useful to review, but ``*`` is Markdown
        emphasis, so they are off by default); ``mode`` overrides the pair's apertium mode."""
        self.binary = shutil.which(binary)
        if self.binary is None:
            raise EngineUnavailable(
                f"apertium engine: {binary!r} not found; install the Debian packages apertium and "
                "apertium-eng-spa (make system, or bash scripts/install-system.sh)"
            )
        self.timeout = float(timeout)
        self.mark_unknown = bool(mark_unknown)
        self.mode_override = mode
        if batch_size:
            self.batch_size = int(batch_size)
        self._installed: set[str] | None = None

    def installed_modes(self) -> set[str]:
        """The translation directions present on this machine (``apertium -l``)."""
        if self._installed is None:
            result = self._run(["-l"], "")
            self._installed = {line.strip() for line in result.splitlines() if line.strip()}
        return self._installed

    def mode_for(self, src: str, tgt: str) -> str | None:
        return self.mode_override or MODES.get((src, tgt))

    def supports(self, src: str, tgt: str) -> bool:
        mode = self.mode_for(src, tgt)
        return mode is not None and mode in self.installed_modes()

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        mode = self.mode_for(src, tgt)
        if mode is None:
            raise EngineError(f"apertium engine: no mode for {src}->{tgt} (known: {sorted(MODES)})")
        if mode not in self.installed_modes():
            raise EngineUnavailable(
                f"apertium engine: mode {mode} is not installed (have: {', '.join(sorted(self.installed_modes()))})"
            )
        texts = [_NEWLINES.sub(" ", r.text).strip() for r in requests]
        outputs = self._translate_lines(texts, mode)
        for i, (text, out) in enumerate(zip(texts, outputs, strict=True)):
            if _placeholders(text) != _placeholders(out):
                outputs[i] = self._translate_between_placeholders(text, mode)
        return outputs

    def _translate_lines(self, texts: list[str], mode: str) -> list[str]:
        """One process call for all ``texts``; per-line calls if the line structure did not survive."""
        if not all(text.strip() for text in texts):  # a blank line would end the paragraph for apertium
            outputs = [""] * len(texts)
            filled = [i for i, text in enumerate(texts) if text.strip()]
            for i, out in zip(filled, self._translate_lines([texts[i] for i in filled], mode), strict=True):
                outputs[i] = out
            return outputs
        if not texts:
            return []
        # apertium -n drops the final period of the last line: a sentinel line takes that place
        raw = self._run(self._args(mode), "\n".join(texts) + "\n" + _SENTINEL + "\n")
        lines = (raw[:-1] if raw.endswith("\n") else raw).split("\n")
        if len(lines) == len(texts) + 1:
            return [_ending_like(text, _initial_case_like(text, line.strip())) for text, line in zip(texts, lines, strict=False)]
        if len(texts) == 1:
            return [" ".join(line.strip() for line in lines if line.strip())]
        return [self._translate_lines([text], mode)[0] for text in texts]

    def _translate_between_placeholders(self, text: str, mode: str) -> str:
        """Translate the prose between placeholders separately: placeholders survive by construction."""
        parts = PLACEHOLDER_RE.split(text)
        prose = [parts[i] for i in range(0, len(parts), 2)]
        wanted = [i for i, piece in enumerate(prose) if piece.strip()]
        translated = self._translate_lines([prose[i].strip() for i in wanted], mode) if wanted else []
        for i, out in zip(wanted, translated, strict=True):
            piece = prose[i]
            lead = piece[: len(piece) - len(piece.lstrip())]
            trail = piece[len(piece.rstrip()) :]
            prose[i] = lead + out + trail
        rebuilt = []
        for i, piece in enumerate(prose):
            rebuilt.append(piece)
            if 2 * i + 1 < len(parts):
                rebuilt.append("{" + parts[2 * i + 1] + "}")
        return "".join(rebuilt)

    def _args(self, mode: str) -> list[str]:
        # -n: do not invent a final period (headings and list items have none); -f txt: plain text
        args = ["-n", "-f", "txt"]
        if not self.mark_unknown:
            args.insert(0, "-u")
        return [*args, mode]

    def _run(self, args: list[str], text: str) -> str:
        assert self.binary is not None
        try:
            result = subprocess.run(
                [self.binary, *args], input=text, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise EngineError(f"apertium engine: no answer within {self.timeout:g} s") from error
        except OSError as error:
            raise EngineUnavailable(f"apertium engine: cannot run {self.binary}: {error}") from error
        if result.returncode != 0:
            message = (result.stderr or result.stdout).strip().splitlines()
            raise EngineError(f"apertium engine: {' '.join(args)} failed: {message[0] if message else result.returncode}")
        return result.stdout


def _placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER_RE.findall(text))


def _initial_case_like(source: str, output: str) -> str:
    """Apertium reads the lines as one text, so a line after a heading without a period starts in
    lower case ("hemos utilizado"); a segment starts in upper case when its source does."""
    first_src = next((ch for ch in source if ch.isalpha()), "")
    for i, ch in enumerate(output):
        if ch.isalpha():
            if first_src.isupper() and ch.islower() and source.lstrip()[:1].isalpha():
                return output[:i] + ch.upper() + output[i + 1 :]
            return output
        if ch not in " \t\"'¡¿(*_":
            return output
    return output


def _ending_like(source: str, output: str) -> str:
    """Apertium (-n) sometimes drops a sentence's final period; put back the source's."""
    end = source.rstrip()[-1:]
    if end in ".!?" and output and output.rstrip()[-1:] not in ".!?:;":
        return output.rstrip() + end
    return output

