"""Synchronization: update a translation when its source changes, without losing human work."""

from amts.sync.merge import STATUSES, MergeResult, Record, merge_documents, merge_lines, words

__all__ = ["STATUSES", "MergeResult", "Record", "merge_documents", "merge_lines", "words"]
