"""What a placeholder looks like in masked text: ``{1}``, ``{2}``, ...

Placeholders belong to the document model (masking makes them, unmasking checks them); engines and
the memory import this pattern from here to explain it in prompts or to count inline elements.
"""

from __future__ import annotations

import re

PLACEHOLDER_RE = re.compile(r"\{(\d+)\}")
"""One placeholder; group 1 is its number."""
