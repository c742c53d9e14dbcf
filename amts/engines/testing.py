"""Engines for tests, demos of structure and benchmarks; none needs a model or a network.

* ``identity`` returns the source unchanged: proves that parse + reassemble is lossless.
* ``pseudo`` pseudo-localises (as i18n testing does): visibly changes all prose, keeps placeholders.
* ``counting`` records every request: how tests and the sync benchmark count engine calls.
* ``cpu-bound`` burns fixed pure-Python work per segment, like a CPU-bound local model, to measure
  job parallelism.
"""

from __future__ import annotations

from collections.abc import Sequence

from amts.document.placeholders import PLACEHOLDER_RE
from amts.document.scripts import HAN_RE
from amts.engines.base import Engine, Request

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ȧƀƈḓḗƒɠħīĵķŀḿƞǿƥɋřşŧŭṽẇẋẏẑȦƁƇḒḖƑƓĦĪĴĶĿḾȠǾƤɊŘŞŦŬṼẆẊẎẐ",
)


class IdentityEngine(Engine):
    """Returns the source unchanged: proves that parse + reassemble is lossless."""

    name = "identity"
    for_tests = True
    checks_script = False
    batch_size = 1024

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        return [r.text for r in requests]


def pseudo_localize(text: str) -> str:
    """Accent every Latin letter, mark CJK text, and bracket the result; placeholders stay intact."""
    out: list[str] = []
    pos = 0
    for match in PLACEHOLDER_RE.finditer(text):
        out.append(_pseudo_chunk(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_pseudo_chunk(text[pos:]))
    return "⟦" + "".join(out) + "⟧"


def _pseudo_chunk(chunk: str) -> str:
    translated = chunk.translate(_ACCENTED)
    # CJK has no accented form: mark each ideograph run so changed prose is still visible.
    return "".join(ch + "ʼ" if HAN_RE.match(ch) else ch for ch in translated)


class PseudoEngine(Engine):
    """Pseudo-localisation, as i18n testing does: visibly changes all prose, keeps placeholders."""

    name = "pseudo"
    for_tests = True
    checks_script = False
    batch_size = 1024

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        return [pseudo_localize(r.text) for r in requests]


class CountingEngine(Engine):
    name = "counting"
    for_tests = True
    checks_script = False
    batch_size = 256

    def __init__(self, marker: str = "〔MT〕") -> None:
        self.marker = marker
        self.requests: list[Request] = []
        self.batches = 0

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        self.requests.extend(requests)
        self.batches += 1
        return [f"{self.marker}{r.text}" for r in requests]

    @property
    def calls(self) -> int:
        """Segments translated so far (one per request)."""
        return len(self.requests)


def burn(text: str, rounds: int) -> int:
    """``rounds`` iterations of integer hashing seeded by ``text``: fixed work, deterministic result."""
    value = len(text) + 1
    for i in range(rounds):
        value = (value * 1_000_003 + i) % 2_147_483_647
    return value


class CpuBoundEngine(Engine):
    name = "cpu-bound"
    for_tests = True
    checks_script = False
    batch_size = 64

    def __init__(self, rounds: int = 20_000) -> None:
        self.rounds = int(rounds)

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        out = []
        for request in requests:
            burn(request.text, self.rounds)
            out.append(pseudo_localize(request.text))
        return out
