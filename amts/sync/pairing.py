"""The pairing guard: is the old target a translation of the old source at all?

A translation keeps what translators never translate: code lines, inline code, math, roles, labels,
link targets. The *evidence coverage* is the share of these tokens of the old source that the old
target also has (as multisets). Measured on the 139 real pairs of the shared D2L book (English origin
and Chinese section): minimum 0.47 (an installation page whose commands the translators rewrote),
next 0.75, median 0.95; on 417 wrong pairs (each English section against other sections' Chinese):
maximum 0.37, median 0.06. :data:`MIN_COVERAGE` sits in that gap; a source with fewer than
:data:`MIN_EVIDENCE` tokens is not judged (too little to tell).
"""

from __future__ import annotations

import re
from collections import Counter

from amts.document import Document
from amts.document.code import block_code_lines
from amts.errors import AmtsError

MIN_COVERAGE = 0.42
MIN_EVIDENCE = 12

# inline code, roles, inline math, link targets, and a line that is one word or path (toctree entries)
_EVIDENCE_RE = re.compile(r":[a-z]+:`[^`]*`|`[^`\n]+`|\$[^$\n]+\$|\]\([^)\s]+|^\w[\w/.-]*$", re.M)


class MispairedError(AmtsError):
    """The old target is not a translation of the old source (nothing is merged into it)."""

    line = 1


def evidence(doc: Document) -> Counter[str]:
    """The tokens a translation keeps: code lines (comments left out), and inline code, roles, math
    and link targets of everything else."""
    found: Counter[str] = Counter()
    for block in doc.blocks:
        if block.kind == "code":
            found.update(" ".join(line.split()) for _, line in block_code_lines(block.text) if len(line) > 3)
        elif block.kind != "blank":
            found.update(match.group(0) for match in _EVIDENCE_RE.finditer(block.text))
    return found


def coverage(old_source: Document, old_target: Document) -> tuple[float, int]:
    """(share of the old source's evidence the old target has, how much evidence there is)."""
    wanted = evidence(old_source)
    total = sum(wanted.values())
    if not total:
        return 1.0, 0
    return sum((wanted & evidence(old_target)).values()) / total, total


def check_pair(old_source: Document, old_target: Document, name: str = "the old target") -> None:
    """Raise :class:`MispairedError` when ``old_target`` cannot be a translation of ``old_source``."""
    share, total = coverage(old_source, old_target)
    if total >= MIN_EVIDENCE and share < MIN_COVERAGE:
        raise MispairedError(f"{name} is not a translation of the old source: it keeps {share:.0%} of the "
                             f"source's code, inline code, math and references (real translations keep "
                             f"{MIN_COVERAGE:.0%} or more)")
