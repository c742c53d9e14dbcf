"""What Amazon Translate charges: the one price table amts estimates costs from.

Amazon bills per character of source text sent. A batch job with parallel data is billed at the
Active Custom Translation rate, four times the standard one, so a job that sends fewer characters
(the memory answers exact matches) can still cost more: the dry run shows both modes.

Source: https://aws.amazon.com/translate/pricing/ (USD per million characters, as recorded in
docs/engines-cloud.md on 2026-12-04). Prices change and differ by contract: override them per book in
``amts.toml``::

    [engine.aws-batch]
    prices = { standard = 15.0, active_custom_translation = 60.0 }
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from amts.errors import InputError

#: the date the table below was recorded
PRICES_DATE = "2026-12-04"
PRICES_SOURCE = "https://aws.amazon.com/translate/pricing/"
#: translation mode -> USD per million characters
PRICES: dict[str, float] = {"standard": 15.0, "active_custom_translation": 60.0}
#: the engine option (``[engine.aws-batch] prices``) that overrides the table
PRICES_OPTION = "prices"


def price_table(override: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The table with ``amts.toml``'s override applied; an unknown mode or a bad price is one line."""
    table = dict(PRICES)
    for mode, price in (override or {}).items():
        if mode not in PRICES:
            raise InputError(f"prices: unknown mode {mode!r} (known: {', '.join(PRICES)})")
        try:
            table[mode] = float(price)
        except (TypeError, ValueError):
            raise InputError(f"prices: {mode} must be USD per million characters, not {price!r}") from None
        if table[mode] < 0:
            raise InputError(f"prices: {mode} must not be negative")
    return table


def cost(characters: int, mode: str, table: Mapping[str, float] | None = None) -> float:
    """USD for ``characters`` billed in ``mode``."""
    return characters * (table or PRICES)[mode] / 1_000_000


def usd(amount: float) -> str:
    """``USD 12.35``; small amounts keep four decimals so they do not read as free."""
    return f"USD {amount:,.2f}" if amount >= 1 or amount == 0 else f"USD {amount:.4f}"
