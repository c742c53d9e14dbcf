"""Synchronization: update a translation when its source changes, without losing human work."""

from amts.sync.lines import LineMerge, merge_code, merge_lines
from amts.sync.merge import STATUSES, MergeResult, Record, merge_documents, words

__all__ = ["STATUSES", "LineMerge", "MergeResult", "Record", "merge_code", "merge_documents", "merge_lines", "words"]
