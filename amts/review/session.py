"""Applying a reviewer's decision: the output file, the parallel data and the review state, crash-safe.

Every decision is first written as an *intent* to a journal beside the review state (the file's bytes
after the decision, the pair for the memory, the decisions to record), then carried out in order --
file, memory, state -- and the journal removed. A session that starts and finds a journal replays it,
so a crash between the steps never leaves an edit in the file that the memory and the state do not
know (or a state that answers only "conflict").
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from glob import escape as glob_escape
from pathlib import Path
from typing import Protocol

from amts.document import is_cjk_language, normalize_space
from amts.document.scripts import HAN, HANGUL, KANA
from amts.errors import AmtsError
from amts.fileio import atomic_write_bytes, atomic_write_text
from amts.memory import Example, Pair
from amts.review.queue import ReviewItem, ReviewQueue, check_item
from amts.review.state import Decision, ReviewState, State, now
from amts.review.validate import EditError, check_write, code_without_comments, translation_problem

#: a character of a CJK text, its punctuation included: no space between two of them
_CJK_CHAR = re.compile(f"[{HAN}{KANA}{HANGUL}\u3000-\u303f\uff00-\uffef]")

PAGE_SIZE = 100


class Action(StrEnum):
    ACCEPT = "accept"
    EDIT = "edit"
    REJECT = "reject"
    MERGE = "merge"  # this segment's text holds the translation of the next one too
    UNDO = "undo"


class Feedback(Protocol):
    """Where reviewed pairs go and where similar pairs come from (the parallel data)."""

    name: str

    def add(self, pair: Pair) -> tuple[str, int | None]:
        """Store ``pair`` as a new version; return a description (``"book v4"``) and the version."""
        ...

    def revert(self, version: int) -> tuple[str, int | None]:
        """Undo what ``version`` added (a new version); return a description and that version."""
        ...

    def latest(self) -> int: ...

    def similar(self, source: str, src: str, tgt: str, k: int) -> list[Example]: ...


class ConflictError(AmtsError):
    """The output file is not as the reviewer saw it: nothing was written."""

    def __init__(self, message: str, current_hash: str) -> None:
        super().__init__(message)
        self.current_hash = current_hash


class ReviewLockedError(AmtsError):
    """Another review server already serves this report."""


@dataclass
class SaveResult:
    decision: Decision | None
    file_changed: bool
    message: str


def file_hash(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return "missing"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        self.feedback = feedback
        self.glossary = glossary
        if glossary is not None:  # glossary violations are flags of the queue
            for item in queue.items:
                check_item(item, glossary, queue.tgt_lang)
            queue.forget_labels()
        self.matches = matches
        self.journal_path = queue.state_path.with_name(queue.state_path.name + ".journal")
        self.lock_path = queue.state_path.with_name(queue.state_path.name + ".lock")
        self._lock = threading.Lock()
        self._lock_file: object | None = None
        self._similar_cache: dict[str, list[Example]] = {}
        self._order = {item.id: n for n, item in enumerate(queue.items)}
        self.recovered = ""
        self.state = ReviewState(queue.state_path)
        if self.journal_path.exists():
            self.recovered = self._replay()
            self.state = ReviewState(queue.state_path)
        left = self._remove_stale_temps()
        if left:
            self.recovered = "; ".join(filter(None, [self.recovered, f"removed {left} temporary file(s) an "
                                                     "interrupted save had left beside the files"]))

    def _remove_stale_temps(self) -> int:
        """Remove the temporary files an interrupted save (kill -9) left beside the book's files and the
        review's own (atomic writes rename a ``.<name>.*.tmp`` sibling over the file: a crash between the
        two leaves it, and ``git add .`` would commit it). Run at start, before any save of this review."""
        paths = {item.output for item in self.queue.segments} | {item.output for item in self.queue.items}
        paths |= {self.queue.state_path, self.journal_path}
        removed = 0
        for path in paths:
            for temp in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
                try:
                    if temp.is_file():
                        temp.unlink()
                        removed += 1
                except OSError:
                    continue
        return removed

    # -- one server per report -----------------------------------------------------------------

    def hold(self, where: str = "") -> None:
        """Take the report's lock for this process's lifetime; a second server is refused with a reason."""
        handle = open(self.lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ReviewLockedError(
                f"{self.queue.origin.name} is already being reviewed by {holder}; use that page, or stop it first "
                "(two servers on one report would overwrite each other's decisions)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"amts review pid {os.getpid()}{' at ' + where if where else ''}\n")
        handle.flush()
        self._lock_file = handle

    def close(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # type: ignore[attr-defined]
            self._lock_file = None
            self.lock_path.unlink(missing_ok=True)

    # -- reading -------------------------------------------------------------------------------

    def decision(self, item: ReviewItem) -> Decision | None:
        return self.state.get(item.id)

    def is_done(self, item: ReviewItem) -> bool:
        decision = self.state.get(item.id)
        return decision is not None and decision.decision.done

    def current_target(self, item: ReviewItem) -> str | None:
        """The text the output file holds for ``item`` now (the last decision's, else the proposal)."""
        decision = self.state.get(item.id)
        if decision is not None and decision.target is not None:
            return decision.target
        return item.target_new

    def filtered(self, file: str = "", label: str = "", show: str = "pending", query: str = "") -> list[ReviewItem]:
        items = self.queue.items
        if file:
            items = [item for item in items if item.output_rel == file]
        if label:
            items = [item for item in items if label in item.labels]
        if show == "pending":
            items = [item for item in items if not self.is_done(item)]
        elif show == "done":
            items = [item for item in items if self.is_done(item)]
        if query:
            needle = query.casefold()
            items = [
                item for item in items
                if needle in item.id.casefold() or needle in (item.source_new or item.source_old or "").casefold()
                or needle in (self.current_target(item) or "").casefold()
            ]
        return items

    def page(self, items: list[ReviewItem], number: int, size: int = PAGE_SIZE) -> tuple[list[ReviewItem], int, int]:
        """Items of page ``number`` (1-based, clamped), the page number and the page count."""
        pages = max(1, -(-len(items) // size))
        number = min(max(1, number), pages)
        return items[(number - 1) * size : number * size], number, pages

    def file_counts(self) -> list[tuple[str, int, int]]:
        """(file, pending, total) for every file of the queue, in report order."""
        total: Counter[str] = Counter(item.output_rel for item in self.queue.items)
        pending: Counter[str] = Counter(item.output_rel for item in self.queue.items if not self.is_done(item))
        return [(name, pending[name], count) for name, count in total.items()]

    def progress(self) -> tuple[int, int]:
        done = sum(1 for item in self.queue.items if self.is_done(item))
        return done, len(self.queue.items)

    def next_pending(self, after: ReviewItem, file: str = "", label: str = "", query: str = "") -> ReviewItem | None:
        """The next undecided item after ``after`` in queue order (wrapping), within the filter."""
        candidates = [c for c in self.filtered(file, label, "pending", query) if c.id != after.id]
        if not candidates:
            return None
        here = self._order.get(after.id, -1)
        later = [item for item in candidates if self._order[item.id] > here]
        return (later or candidates)[0]

    def neighbours(
        self, item: ReviewItem, file: str = "", label: str = "", show: str = "all", query: str = ""
    ) -> tuple[ReviewItem | None, ReviewItem | None]:
        items = self.filtered(file, label, show, query)
        ids = [i.id for i in items]
        if item.id not in ids:
            return None, items[0] if items else None
        n = ids.index(item.id)
        return (items[n - 1] if n > 0 else None), (items[n + 1] if n + 1 < len(items) else None)

    def context(self, item: ReviewItem) -> tuple[ReviewItem | None, ReviewItem | None]:
        """The segments just before and after ``item`` in its output file (the paragraph around it)."""
        same = [s for s in self.queue.segments if s.output == item.output]
        ids = [s.id for s in same]
        if item.id not in ids:
            return None, None
        n = ids.index(item.id)
        return (same[n - 1] if n > 0 else None), (same[n + 1] if n + 1 < len(same) else None)

    def merge_partner(self, item: ReviewItem) -> ReviewItem | None:
        """The segment that can be merged into ``item``: the next one in the file, pending, under review."""
        _, following = self.context(item)
        if following is None or self.queue.get(following.id) is None or not following.editable:
            return None
        return following if self.state.get(following.id) is None else None

    def matches_pending(self) -> bool:
        """The parallel data's match index is still being built (at start): pages show matches later."""
        indexing = getattr(self.feedback, "indexing", None)
        return bool(indexing and indexing())

    def similar(self, item: ReviewItem) -> list[Example]:
        if self.feedback is None or not item.source_new or self.matches_pending():
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

    def version(self, item: ReviewItem) -> str:
        """What a page saw of ``item``: its decision and its text. A decision made on an older version (in
        another tab) is refused; a change to another segment of the same file is not a conflict."""
        last = self.state.get(item.id)
        return _sha(f"{last.serial if last else 0}\0{self.current_target(item)}".encode())[:16]

    def save(
        self,
        item: ReviewItem,
        action: str,
        text: str | None = None,
        expected: str = "",
        force: bool = False,
        replace_pair: bool = False,
    ) -> SaveResult:
        """Apply ``action`` (accept | edit | reject | merge | undo) to ``item``.

        ``expected`` is the segment's :meth:`version` the page showed (or, from older clients, the file's
        SHA-256); the text to replace must still be in the file near its line. Only those bytes change.
        Every action's text goes through :func:`~amts.review.validate.check_write`.
        """
        try:
            verb = Action(action)
        except ValueError:
            raise EditError(f"unknown action {action!r}: use accept, edit, reject, merge or undo") from None
        with self._lock:
            data = item.output.read_bytes() if item.output.exists() else b""
            current_hash = _sha(data) if item.output.exists() else "missing"
            self._check_version(item, expected, current_hash)
            if verb is Action.UNDO:
                return self._undo(item, data)
            current = self.current_target(item)
            if current is None:  # a deleted segment: nothing in the file to accept or change
                state = State.ACCEPTED if verb is Action.ACCEPT else State.REOPENED
                decision = Decision(state, item.output_rel, None, None, now(), current_hash)
                self._commit(item, data, data, [], [(item.id, decision)])
                return SaveResult(decision, False, f"{item.id} {state}")
            if verb is Action.REJECT:
                return self._reject(item, data, current)
            if verb is Action.MERGE:
                return self._merge(item, data, current, text or "", force)
            if verb is Action.ACCEPT:
                try:
                    forced = check_write(item.source_new, current, current, self.queue.tgt_lang, force=force,
                                         accepting=True)
                except EditError as error:
                    raise EditError(f"cannot accept: {error}; write the translation (Edit) or Reject it, or tick "
                                    "'keep it as it is' (the parallel data will not learn it)",
                                    error.forceable, error.lines) from None
                new_text, state = current, (State.ACCEPTED if current == item.target_new else State.EDITED)
            else:
                new_text = self._file_text(current, text or "")
                forced = check_write(item.source_new, current, new_text, self.queue.tgt_lang, force=force)
                state = State.EDITED
            return self._write(item, data, current, new_text, state, forced, replace_pair)

    def _check_version(self, item: ReviewItem, expected: str, current_hash: str) -> None:
        if not expected or expected in (self.version(item), current_hash):
            return
        if len(expected) == 64:  # an older client sent the whole file's hash
            raise ConflictError(f"{item.output_rel} changed on disk since this page was loaded; nothing was "
                                "written. Your text is kept below; check the file, then save again.", current_hash)
        now_reads = self.current_target(item)
        raise ConflictError(
            f"{item.id} was decided or changed since this page was loaded (in another tab?); nothing was written. "
            f"It now reads: «{(now_reads or '(nothing)').strip()[:300]}». Your text is kept below: save again to "
            "replace it with yours.", self.version(item))

    def _write(self, item: ReviewItem, data: bytes, current: str, new_text: str, state: State, forced: list[str],
               replace_pair: bool) -> SaveResult:
        after, joined = self._replace_joined(item, data, current, new_text)
        pair = None if forced else self._pair(item.source_new, new_text, item, state)
        previous = self.state.get(item.id)
        stored = ""
        if pair is not None and previous is not None and previous.memory_version and previous.target == new_text:
            pair = None  # the memory already holds exactly this (accepting an earlier edit)
            stored = previous.parallel_data
        kept = self._kept_pair(pair, item) if pair is not None and not replace_pair else ""
        if kept:
            pair, stored = None, kept
        decision = Decision(state, item.output_rel, new_text, current, now(), _sha(after), stored,
                            previous.memory_version if pair is None and previous and not kept else None)
        if joined:
            decision.extra["joined"] = joined
        why_not = f"not stored: {forced[0]}" if forced else self._why_not(item.source_new, new_text)
        self._commit(item, data, after, [("append", asdict(pair))] if pair else [], [(item.id, decision)],
                     why_not=why_not if pair is None and not stored else "")
        changed = after != data
        return SaveResult(decision, changed, f"{item.id} {'saved' if changed else state}; parallel data: "
                          f"{decision.parallel_data}")

    def _kept_pair(self, pair: Pair, item: ReviewItem) -> str:
        """Why ``pair`` must not replace the parallel data's pair for the same source ("" when it may): a
        translation someone wrote or reviewed before is never silently replaced by a post-edit."""
        existing = getattr(self.feedback, "existing", None)
        found = existing(pair.source) if existing else None
        if found is None or found.target == pair.target:
            return ""
        return (f"not stored: the parallel data keeps its translation of this source «{found.target[:200]}»; "
                "tick 'replace the parallel data's translation' and save again to replace it")

    def _why_not(self, source: str | None, target: str) -> str:
        if self.feedback is None:
            return "none configured"
        problem = translation_problem(source, target, self.queue.tgt_lang)
        return f"not stored: {problem}" if problem else "not stored"

    def reject_restores(self, item: ReviewItem) -> str:
        """What Reject does to ``item``, said before the reviewer presses it (and after)."""
        if item.target_old is None or item.target_old == item.target_new:
            return "keeps the text and reopens the segment: there is nothing to put back (it still needs a translation)"
        if code_without_comments(item.target_old) is not None:
            return ("puts back the code block as it was before this update: the old source's code with its "
                    "translated comments (the new source's code changes are undone in the translation)")
        return "puts back the translation as it was before this update (of the old source text)"

    def _reject(self, item: ReviewItem, data: bytes, current: str) -> SaveResult:
        """The proposal is wrong: put back what the file held before it, or keep the segment open."""
        before = item.target_old if item.target_old is not None and item.target_old != item.target_new else None
        restored = before if before is not None else item.target_new or ""
        state = State.RESTORED if before is not None else State.REOPENED
        check_write(item.source_old, current, restored, self.queue.tgt_lang, restoring=True)
        after, joined = self._replace_joined(item, data, current, restored)
        # the memory forgets what the file no longer says: every pair this segment's decisions stored
        memory: list[tuple[str, object]] = [("revert", v) for v in self._versions_in_effect(item)]
        decision = Decision(state, item.output_rel, restored, current, now(), _sha(after))
        if joined:
            decision.extra["joined"] = joined
        self._commit(item, data, after, memory, [(item.id, decision)], why_not="rejections are not stored")
        return SaveResult(decision, after != data, f"{item.id} rejected: {self.reject_restores(item)}")

    def _merge(self, item: ReviewItem, data: bytes, current: str, text: str, force: bool) -> SaveResult:
        """``item`` gets ``text`` (the translation of both), the next segment and the space between go."""
        partner = self.merge_partner(item)
        if partner is None:
            raise EditError("nothing to merge: the next segment of this file is not under review or already decided")
        partner_text = self.current_target(partner) or ""
        offset = self._locate(item, data, current)
        end = offset + len(current.encode("utf-8"))
        partner_offset = self._locate(partner, data, partner_text)
        if partner_offset < end:
            raise EditError("the next segment is not after this one in the file; edit the file directly")
        gap = data[end:partner_offset]
        if gap.strip():
            raise EditError(f"the next segment is in another block (`{gap.decode('utf-8', 'replace').strip()}` "
                            "between them: another list item, quote or table cell); Merge joins segments of one "
                            "paragraph, or paragraphs that follow each other")
        new_text = self._file_text(current, text)
        # the two as one paragraph: the reference for the blocks, placeholders and slide marks of the merge
        proposal = current.rstrip("\r\n") + ("\n" if "\n" in gap.decode("utf-8") else gap.decode("utf-8")) + partner_text
        source = join_texts([item.source_new, partner.source_new], self.queue.src_lang)
        forced = check_write(source, proposal, new_text, self.queue.tgt_lang, force=force)
        span = data[offset : partner_offset + len(partner_text.encode("utf-8"))].decode("utf-8")
        after, joined = self._replace_joined(item, data, span, new_text)
        pair = None if forced else self._pair(source, new_text, item, State.EDITED)
        at, digest = now(), _sha(after)
        serial = self.state.next_serial()
        mine = Decision(State.EDITED, item.output_rel, new_text, current, at, digest, "", None, partner.id, serial,
                        {"gap": gap.decode("utf-8"), "removed_gap": True, "joined": joined})
        theirs = Decision(State.MERGED, partner.output_rel, "", partner_text, at, digest,
                          f"merged into {item.id}", None, item.id, serial)
        why_not = f"not stored: {forced[0]}" if forced else self._why_not(source, new_text)
        self._commit(item, data, after, [("append", asdict(pair))] if pair else [],
                     [(item.id, mine), (partner.id, theirs)], why_not=why_not if pair is None else "")
        return SaveResult(mine, True, f"{item.id} and {partner.id} merged; parallel data: {mine.parallel_data}")

    def _undo(self, item: ReviewItem, data: bytes) -> SaveResult:
        """Take back the last decision on ``item``: its text, its pair in the memory, its state."""
        last = self.state.get(item.id)
        if last is None:
            raise EditError(f"{item.id} has no decision to undo")
        if last.decision is State.MERGED:
            owner = self.queue.get(last.merged_with)
            if owner is not None:
                return self._undo(owner, data)
        after = data
        pops = [item.id]
        if last.target is not None and last.previous is not None and last.target != last.previous:
            if not last.merged_with:
                check_write(item.source_new, last.target, last.previous, self.queue.tgt_lang, restoring=True)
            after = self._replace(item, data, last.target, last.previous)
            after = self._unjoin(item, after, last.previous, last.extra.get("joined", []))
        if last.merged_with:
            partner = self.queue.get(last.merged_with)
            partner_last = self.state.get(last.merged_with)
            if partner is not None and partner_last is not None and partner_last.serial == last.serial:
                offset = self._locate(item, after, last.previous or "")
                insert_at = offset + len((last.previous or "").encode("utf-8"))
                gap = last.extra.get("gap", "").encode("utf-8")
                if not last.extra.get("removed_gap"):  # merged by an older version, which left the gap
                    insert_at, gap = insert_at + len(gap), b""
                after = after[:insert_at] + gap + (partner_last.previous or "").encode("utf-8") + after[insert_at:]
                pops.append(partner.id)
        memory: list[tuple[str, object]] = []
        if last.memory_version and not self._same_pair_before(item, last):
            made = last.extra.get("memory_versions") or [last.memory_version]
            memory = [("revert", v) for v in reversed(made)]
        self._commit(item, data, after, memory, [], pops=[(key, last.serial) for key in pops])
        return SaveResult(None, after != data, f"{item.id}: {last.decision} undone")


    def _same_pair_before(self, item: ReviewItem, last: Decision) -> bool:
        history = self.state.history.get(item.id, [])
        earlier = history[-2] if len(history) > 1 else None
        return earlier is not None and earlier.memory_version == last.memory_version

    def _versions_in_effect(self, item: ReviewItem) -> list[int]:
        """Store versions made by ``item``'s decisions since its last rejection, newest first."""
        found: list[int] = []
        for decision in reversed(self.state.history.get(item.id, [])):
            if decision.decision in (State.RESTORED, State.REOPENED):
                break
            if decision.memory_version and decision.memory_version not in found and "memory_versions" not in decision.extra:
                found.append(decision.memory_version)
        return found

    def undo_last(self, expected_item: str = "", expected: str = "") -> SaveResult:
        """Undo the most recent decision of the whole review (the keyboard's ``u`` on the queue).

        ``expected_item``/``expected``: the last decision the page showed; if another tab decided since,
        nothing is undone (the reviewer would take back a decision they never saw).
        """
        item_id = self.state.last_decided()
        item = self.queue.get(item_id) if item_id else None
        if item is None:
            raise EditError("no decision to undo")
        if expected_item and expected_item != item.id:
            raise ConflictError(f"the last decision is now on {item.id} (made in another tab?), not on "
                                f"{expected_item}; nothing was undone. Open {item.id} to undo it there.",
                                self.version(item))
        return self.save(item, Action.UNDO, expected=expected)

    # -- the journal ---------------------------------------------------------------------------

    def _commit(
        self,
        item: ReviewItem,
        before: bytes,
        after: bytes,
        memory: list[tuple[str, object]],
        record: list[tuple[str, Decision]],
        pops: list[tuple[str, int]] | None = None,
        why_not: str = "",
    ) -> None:
        """Journal the intent, then file, memory and state, then drop the journal."""
        for _, decision in record:
            if not decision.serial:
                decision.serial = self.state.next_serial()
        intent = {
            "file": item.output_rel,
            "path": str(item.output),
            "before": _sha(before),
            "after": after.decode("utf-8", "surrogateescape"),
            "memory": memory,
            "memory_before": self._latest(),
            "record": [(key, asdict(decision)) for key, decision in record],
            "pops": pops or [],
            "why_not": why_not,
        }
        atomic_write_text(self.journal_path, json.dumps(intent, ensure_ascii=True))
        self._carry_out(intent)
        self.journal_path.unlink(missing_ok=True)
        self._similar_cache.clear()
        for key, decision in record:  # the live objects get what the journal steps produced
            stored = self.state.get(key)
            if stored is not None and stored.serial == decision.serial:
                decision.parallel_data, decision.memory_version = stored.parallel_data, stored.memory_version

    def _carry_out(self, intent: dict) -> str:
        """The journal's steps, each done only if not done yet (so a replay is harmless)."""
        notes: list[str] = []
        path = Path(intent["path"])
        after = intent["after"].encode("utf-8", "surrogateescape")
        current = path.read_bytes() if path.exists() else b""
        if _sha(current) == intent["before"] and current != after:
            atomic_write_bytes(path, after)
        elif _sha(current) != _sha(after):
            notes.append(f"{intent['file']} changed since; its text was not replayed")
        stored, versions = intent["why_not"], []
        for number, (kind, value) in enumerate(intent["memory"]):
            if self.feedback is None:
                break
            try:
                if self._latest() > intent["memory_before"] + number:  # done before the crash
                    version = intent["memory_before"] + number + 1
                    stored = f"{self.feedback.name} v{version}"
                elif kind == "append":
                    stored, version = self.feedback.add(Pair(**value))
                else:
                    stored, version = self.feedback.revert(int(value))  # type: ignore[arg-type]
                versions.append(version)
            except Exception as error:  # noqa: BLE001 - the file is saved; tell the reviewer what failed
                stored = f"failed: {error}"
        for key, serial in intent["pops"]:
            last = self.state.get(key)
            if last is not None and last.serial == serial:
                self.state.pop(key, save=False)
        for key, values in intent["record"]:
            if not self.state.has(key, values["serial"]):
                decision = Decision(**values)
                if decision.decision is not State.MERGED and not decision.parallel_data:
                    decision.parallel_data = stored
                    decision.memory_version = versions[-1] if versions else None
                    if len(versions) > 1:
                        decision.extra["memory_versions"] = versions
                self.state.record(key, decision, save=False)
        self.state.save()
        return "; ".join(notes)

    def _replay(self) -> str:
        """Finish the decision a crash interrupted (see the module docstring)."""
        try:
            intent = json.loads(self.journal_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            return f"an unreadable review journal was left aside ({error})"
        self.state = ReviewState(self.queue.state_path)
        notes = self._carry_out(intent)
        self.journal_path.unlink(missing_ok=True)
        keys = ", ".join(key for key, _ in intent["record"]) or ", ".join(key for key, _ in intent["pops"])
        return f"finished the interrupted decision on {keys or intent['file']}" + (f" ({notes})" if notes else "")

    def _latest(self) -> int:
        if self.feedback is None:
            return 0
        try:
            return self.feedback.latest()
        except Exception:  # noqa: BLE001 - an unreadable store is reported when it is written
            return 0

    # -- helpers -------------------------------------------------------------------------------

    @staticmethod
    def _file_text(current: str, text: str) -> str:
        """The textarea's text as file bytes: the segment's line ends, its final newline or none."""
        eol = "\r\n" if "\r\n" in current else "\n"
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if current.endswith("\n") and text.strip() and not text.endswith("\n"):
            text += "\n"
        if not current.endswith("\n"):
            text = text.rstrip("\n")
        return text.replace("\n", eol)

    def _pair(self, source: str | None, target: str, item: ReviewItem, state: State) -> Pair | None:
        """The (source, reviewed target) pair for the memory, or None unless it is a real translation."""
        if self.feedback is None or translation_problem(source, target, self.queue.tgt_lang):
            return None
        src, tgt = self.queue.src_lang, self.queue.tgt_lang
        return Pair(
            normalize_space(source or "", src),
            normalize_space(target, tgt),
            src,
            tgt,
            {"origin": "post-edited", "file": item.output_rel, "segment": item.id, "decision": str(state),
             "reviewed_at": now()},
        )

    def _replace_joined(self, item: ReviewItem, data: bytes, current: str, new: str) -> tuple[bytes, list[str]]:
        """:meth:`_replace`, then the join with the neighbours made right for the target language: no space
        between two CJK characters (a sentence saved alone next to one translated before). Returns which
        sides lost a space ("left", "right"), for undo to put it back."""
        start = self._locate(item, data, current)
        after = data[:start] + new.encode("utf-8") + data[start + len(current.encode("utf-8")) :]
        if not is_cjk_language(self.queue.tgt_lang) or not new:
            return after, []
        end = start + len(new.encode("utf-8"))
        joined: list[str] = []
        if after[end : end + 1] == b" " and _cjk_edge(new[-1:]) and _cjk_edge(_char_after(after, end + 1)):
            after = after[:end] + after[end + 1 :]
            joined.append("right")
        if start and after[start - 1 : start] == b" " and _cjk_edge(new[:1]) and _cjk_edge(_char_before(after, start - 1)):
            after = after[: start - 1] + after[start:]
            joined.append("left")
        return after, joined

    def _unjoin(self, item: ReviewItem, data: bytes, text: str, joined: list[str]) -> bytes:
        """Put back the spaces :meth:`_replace_joined` took out around ``text``."""
        if not joined:
            return data
        start = self._locate(item, data, text)
        end = start + len(text.encode("utf-8"))
        if "right" in joined:
            data = data[:end] + b" " + data[end:]
        if "left" in joined:
            data = data[:start] + b" " + data[start:]
        return data

    def _replace(self, item: ReviewItem, data: bytes, current: str, new: str) -> bytes:
        """``data`` with the occurrence of ``current`` nearest ``item``'s line replaced by ``new``."""
        offset = self._locate(item, data, current)
        return data[:offset] + new.encode("utf-8") + data[offset + len(current.encode("utf-8")) :]

    def _locate(self, item: ReviewItem, data: bytes, current: str) -> int:
        """Byte offset of ``current`` in the file: the occurrence nearest the segment's line."""
        needle = current.encode("utf-8")
        offsets: list[int] = []
        start = data.find(needle) if needle else -1
        while start != -1:
            offsets.append(start)
            start = data.find(needle, start + 1)
        if not offsets:
            raise ConflictError(
                f"the text of {item.id} is no longer in {item.output_rel}; it was changed outside this review, "
                "nothing was written",
                _sha(data),
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
                _sha(data),
            )
        line = item.output_line  # 1-based

        def distance(at: int) -> int:
            return abs(data.count(b"\n", 0, at) + 1 - line)

        return min(offsets, key=distance)


def _cjk_edge(char: str) -> bool:
    return bool(char) and _CJK_CHAR.match(char) is not None


def _char_after(data: bytes, at: int) -> str:
    return data[at : at + 4].decode("utf-8", "ignore")[:1]


def _char_before(data: bytes, at: int) -> str:
    return data[max(0, at - 4) : at].decode("utf-8", "ignore")[-1:]


def join_texts(texts: list[str | None], lang: str) -> str:
    """Texts of consecutive segments as one (a merge's source): a space between them, none in CJK."""
    return ("" if is_cjk_language(lang) else " ").join(t.strip() for t in texts if t)
