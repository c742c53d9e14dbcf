"""Engines that need no model: ``identity`` and ``pseudo`` (pseudo-localisation for structure tests)."""

from __future__ import annotations

from collections.abc import Sequence

from amts.engines.base import PLACEHOLDER_RE, Engine, Request

_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ȧƀƈḓḗƒɠħīĵķŀḿƞǿƥɋřşŧŭṽẇẋẏẑȦƁƇḒḖƑƓĦĪĴĶĿḾȠǾƤɊŘŞŦŬṼẆẊẎẐ",
)


class IdentityEngine(Engine):
    """Returns the source unchanged: proves that parse + reassemble is lossless."""

    name = "identity"
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
    return "".join(ch + "ʼ" if "\u4e00" <= ch <= "\u9fff" else ch for ch in translated)


class PseudoEngine(Engine):
    """Pseudo-localisation, as i18n testing does: visibly changes all prose, keeps placeholders."""

    name = "pseudo"
    checks_script = False
    batch_size = 1024

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        return [pseudo_localize(r.text) for r in requests]
