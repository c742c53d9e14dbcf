"""How a synced translation differs from another one (e.g. what human translators did by hand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

from amts.document import parse_markdown


@dataclass
class Comparison:
    """Block-level differences between ``ours`` and ``theirs`` (blank lines ignored)."""

    same: int = 0
    only_ours: list[str] = field(default_factory=list)
    only_theirs: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.same} block(s) identical, {len(self.only_ours)} only in ours, "
                f"{len(self.only_theirs)} only in theirs")

    def to_markdown(self, limit: int = 100) -> str:
        lines = [self.summary()]
        for label, blocks in (("ours", self.only_ours), ("theirs", self.only_theirs)):
            for text in blocks:
                flat = " ".join(text.split())
                lines.append(f"- only in {label}: {flat[:limit]}{'…' if len(flat) > limit else ''}")
        return "\n".join(lines)


def compare_translations(ours: str, theirs: str) -> Comparison:
    """Which non-blank blocks the two texts share byte for byte, and which each has alone."""
    a = [b.text for b in parse_markdown(ours).blocks if b.kind != "blank"]
    b = [b.text for b in parse_markdown(theirs).blocks if b.kind != "blank"]
    result = Comparison()
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            result.same += i2 - i1
        else:
            result.only_ours.extend(a[i1:i2])
            result.only_theirs.extend(b[j1:j2])
    return result
