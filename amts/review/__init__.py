"""Review: a local web page where translators check and post-edit what amts produced.

Decisions are written to the output file (only that segment's bytes), to a review-state sidecar, and
as post-edited pairs to the parallel data, so a fixed sentence is never asked again.
"""

from amts.review.app import TOKEN_HEADER, create_app, new_token, stable_token
from amts.review.diff import Piece, word_diff
from amts.review.feedback import StoreFeedback
from amts.review.paths import OutsideRootError, ProjectRoot
from amts.review.queue import QueueError, ReviewItem, ReviewQueue, load_report, load_translations
from amts.review.server import RemoteBindingError, ThreadedServer, check_host, free_port, serve
from amts.review.session import (
    Action,
    ConflictError,
    EditError,
    ReviewLockedError,
    ReviewSession,
    SaveResult,
    file_hash,
)
from amts.review.state import Decision, ReviewState, State

__all__ = [
    "TOKEN_HEADER",
    "Action",
    "ReviewLockedError",
    "State",
    "ConflictError",
    "Decision",
    "EditError",
    "OutsideRootError",
    "Piece",
    "ProjectRoot",
    "QueueError",
    "RemoteBindingError",
    "ReviewItem",
    "ReviewQueue",
    "ReviewSession",
    "ReviewState",
    "SaveResult",
    "StoreFeedback",
    "ThreadedServer",
    "check_host",
    "create_app",
    "file_hash",
    "free_port",
    "load_report",
    "load_translations",
    "new_token",
    "serve",
    "stable_token",
    "word_diff",
]
