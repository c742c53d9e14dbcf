"""Applying a reviewer's decision: the output file, the review state and the parallel data."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from amts.document import normalize_space
from amts.errors import AmtsError, InputError
from amts.fileio import atomic_write_bytes
from amts.memory import Example, Pair
from amts.review.queue import ReviewItem, ReviewQueue, check_item, structure_problems
from amts.review.state import ACCEPTED, EDITED, REJECTED, Decision, ReviewState, now


class Feedback(Protocol):
    """Where reviewed pairs go and where similar pairs come from (the parallel data)."""

    name: str

    def add(self, pair: Pair) -> str:
        """Store ``pair`` as a new version; return a short description such as ``"book v4"``."""
        ...

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]: ...


class ConflictError(AmtsError):
    """The output file is not as the reviewer saw it: nothing was written."""

    def __init__(self, message: str, current_hash: str) -> None:
        super().__init__(message)
        self.current_hash = current_hash


class EditError(InputError):
    """The edited text cannot be written as it is (empty, splits the paragraph, loses structure)."""

    def __init__(self, message: str, forceable: bool = False) -> None:
        super().__init__(message)
        self.forceable = forceable


@dataclass
class SaveResult:
    decision: Decision
    file_changed: bool
    message: str


def file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


class ReviewSession:
    """A queue plus its decisions; the one object the web app talks to. Thread-safe for writes."""

    def __init__(
        self,
        queue: ReviewQueue,
        feedback: Feedback | None = None,
        glossary: object | None = None,
        matches: int = 3,
    ) -> None:
        self.queue = queue
        self.state = ReviewState(queue.state_path)
        self.feedback = feedback
        # the parallel data's own glossary unless one is given
        self.glossary = glossary if glossary is not None else (feedback if hasattr(feedback, "terms_for") else None)
        if self.glossary is not None:  # glossary violations are flags of the queue
            for item in queue.items:
                check_item(item, self.glossary)
        self.matches = matches
        self._lock = threading.Lock()
        self._similar_cache: dict[str, list[Example]] = {}

    # -- reading -------------------------------------------------------------------------------

    def decision(self, item: ReviewItem) -> Decision | None:
        return self.state.get(item.id)

    def current_target(self, item: ReviewItem) -> str | None:
        """The text the output file should hold for ``item`` now (an earlier edit wins)."""
        decision = self.state.get(item.id)
        if decision is not None and decision.decision == EDITED and decision.target is not None:
            return decision.target
        return item.target_new

    def filtered(self, file: str = "", label: str = "", show: str = "pending") -> list[ReviewItem]:
        items = self.queue.items
        if file:
            items = [item for item in items if item.output_rel == file]
        if label:
            items = [item for item in items if label in item.labels]
        if show == "pending":
            items = [item for item in items if self.state.get(item.id) is None]
        elif show == "done":
            items = [item for item in items if self.state.get(item.id) is not None]
        return items

    def progress(self) -> tuple[int, int]:
        done = sum(1 for item in self.queue.items if self.state.get(item.id) is not None)
        return done, len(self.queue.items)

    def next_pending(self, after: ReviewItem, file: str = "", label: str = "") -> ReviewItem | None:
        """The next undecided item after ``after`` in queue order (wrapping), within the filter."""
        candidates = self.filtered(file, label, show="pending")
        if not candidates:
            return None
        order = {item.id: n for n, item in enumerate(self.queue.items)}
        here = order[after.id]
        later = [item for item in candidates if order[item.id] > here]
        return (later or candidates)[0] if (later or candidates)[0].id != after.id else None

    def neighbours(self, item: ReviewItem, file: str = "", label: str = "", show: str = "all") -> tuple[
        ReviewItem | None, ReviewItem | None
    ]:
        items = self.filtered(file, label, show)
        ids = [i.id for i in items]
        if item.id not in ids:
            return None, items[0] if items else None
        n = ids.index(item.id)
        return (items[n - 1] if n > 0 else None), (items[n + 1] if n + 1 < len(items) else None)

    def similar(self, item: ReviewItem) -> list[Example]:
        if self.feedback is None or not item.source_new:
            return []
        if item.id not in self._similar_cache:
            self._similar_cache[item.id] = self.feedback.similar(
                normalize_space(item.source_new, self.queue.src_lang),
                self.queue.src_lang,
                self.queue.tgt_lang,
                self.matches,
            )
        return self._similar_cache[item.id]

    def terms(self, item: ReviewItem) -> dict[str, str]:
        if self.glossary is None or not item.source_new:
            return {}
        return dict(self.glossary.terms_for(item.source_new))  # type: ignore[attr-defined]

    # -- writing -------------------------------------------------------------------------------

    def save(
        self, item: ReviewItem, action: str, text: str | None = None, expected_hash: str = "", force: bool = False
    ) -> SaveResult:
        """Apply ``action`` (accept | edit | reject) to ``item``.

        The file is re-read under a lock and compared with ``expected_hash`` (what the page showed); the
        text to replace must still be in the file near its line. Only those bytes change, then the pair
        goes to the parallel data and the decision to the review state.
        """
        if action not in ("accept", "edit", "reject"):
            raise EditError(f"unknown action {action!r}")
        with self._lock:
            data = item.output.read_bytes() if item.output.exists() else b""
            current_hash = hashlib.sha256(data).hexdigest() if item.output.exists() else "missing"
            if expected_hash and expected_hash != current_hash:
                raise ConflictError(
                    f"{item.output_rel} changed on disk since this page was loaded; nothing was written. "
                    "Your text is kept below; check the file, then save again.",
                    current_hash,
                )
            current = self.current_target(item)
            if action == "reject" or current is None:
                decision = Decision(
                    REJECTED if action == "reject" else ACCEPTED, item.output_rel, current, current, now(), current_hash
                )
                self.state.record(item.id, decision)
                return SaveResult(decision, False, f"{item.id} {decision.decision}")
            new_text = current if action == "accept" else self._clean_edit(item, current, text or "", force)
            offset = self._locate(item, data, current, current_hash)
            old_bytes, new_bytes = current.encode("utf-8"), new_text.encode("utf-8")
            changed = old_bytes != new_bytes
            if changed:
                data = data[:offset] + new_bytes + data[offset + len(old_bytes) :]
                atomic_write_bytes(item.output, data)
            new_hash = hashlib.sha256(data).hexdigest()
            stored = self._feed(item, new_text, action)
            decision = Decision(
                EDITED if changed or (action == "edit" and self._was_edited(item)) else ACCEPTED,
                item.output_rel,
                new_text,
                current,
                now(),
                new_hash,
                stored,
            )
            self.state.record(item.id, decision)
            self._similar_cache.clear()
            verb = "saved" if changed else "accepted"
            return SaveResult(decision, changed, f"{item.id} {verb}; parallel data: {stored}")

    def _was_edited(self, item: ReviewItem) -> bool:
        previous = self.state.get(item.id)
        return previous is not None and previous.decision == EDITED

    def _clean_edit(self, item: ReviewItem, current: str, text: str, force: bool) -> str:
        """The textarea's text as file bytes: browser CRLFs back to the file's line ending."""
        eol = "\r\n" if "\r\n" in current else "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not current.endswith("\n"):
            text = text.rstrip("\n")
        text = text.replace("\n", eol)
        if not text.strip():
            raise EditError("the translation is empty; use Reject to leave the proposal unapproved")
        if "\n\n" in text.replace("\r\n", "\n").strip("\n") and "\n\n" not in current.replace("\r\n", "\n"):
            raise EditError("a blank line would split the paragraph in two; keep it one paragraph")
        if item.source_new is not None and not force:
            before = set(structure_problems(item.source_new, current))
            lost = [p for p in structure_problems(item.source_new, text) if p not in before]
            if lost:
                raise EditError("structure differs from the source: " + "; ".join(lost), forceable=True)
        return text

    def _locate(self, item: ReviewItem, data: bytes, current: str, current_hash: str) -> int:
        """Byte offset of ``current`` in the file: the occurrence nearest the segment's line."""
        needle = current.encode("utf-8")
        offsets: list[int] = []
        start = data.find(needle)
        while start != -1 and needle:
            offsets.append(start)
            start = data.find(needle, start + 1)
        if not offsets:
            raise ConflictError(
                f"the proposed text of {item.id} is no longer in {item.output_rel}; it was changed outside "
                "this review, nothing was written",
                current_hash,
            )
        if len(offsets) == 1:
            return offsets[0]
        # Identical texts in one file (short sentences such as "If so, do it."): the n-th segment with
        # this text in report order is the n-th occurrence, as long as the counts agree.
        twins = [s.id for s in self.queue.segments if s.output == item.output and self.current_target(s) == current]
        if len(twins) == len(offsets) and item.id in twins:
            return offsets[twins.index(item.id)]
        if item.output_line is None:
            raise ConflictError(
                f"the text of {item.id} occurs {len(offsets)} times in {item.output_rel} and the report "
                "gives no line; edit the file directly",
                current_hash,
            )
        line = item.output_line  # 1-based in sync reports, 0-based from parse_markdown: try both

        def distance(at: int) -> int:
            number = data.count(b"\n", 0, at)
            return min(abs(number - line), abs(number + 1 - line))

        return min(offsets, key=distance)

    def _feed(self, item: ReviewItem, target: str, action: str) -> str:
        """Add (new source, reviewed target) to the parallel data; a failure is reported, not fatal."""
        if self.feedback is None:
            return "none configured"
        if not item.source_new:
            return "skipped: no source text for this segment"
        src, tgt = self.queue.src_lang, self.queue.tgt_lang
        pair = Pair(
            normalize_space(item.source_new, src),
            normalize_space(target, tgt),
            src,
            tgt,
            {
                "origin": "post-edited",
                "file": item.output_rel,
                "segment": item.id,
                "decision": "accepted" if action == "accept" else "edited",
                "reviewed_at": now(),
            },
        )
        try:
            return self.feedback.add(pair)
        except Exception as error:  # noqa: BLE001 - the file is saved; tell the reviewer what failed
            return f"failed: {error}"


def items_by_file(items: Sequence[ReviewItem]) -> dict[str, list[ReviewItem]]:
    out: dict[str, list[ReviewItem]] = {}
    for item in items:
        out.setdefault(item.output_rel, []).append(item)
    return out
