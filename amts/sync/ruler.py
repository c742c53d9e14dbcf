"""An ordered list of named rules, as markdown-it-py's ``Ruler``: a new rule goes in by name
(``before("unchanged", ...)``), and the merge remembers which named rule handled each piece."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from amts.errors import AmtsError

R = TypeVar("R", bound=Callable)


class RuleNameError(AmtsError, KeyError):
    """A rule was inserted relative to, or named as, a rule that is not in the list (a programming error)."""


class Ruler(Generic[R]):
    """Rules in the order they are tried; each has a unique name."""

    def __init__(self, rules: list[tuple[str, R]] | None = None) -> None:
        self._rules: list[tuple[str, R]] = []
        for name, rule in rules or []:
            self.push(name, rule)

    @property
    def names(self) -> list[str]:
        """The rule names, in order."""
        return [name for name, _ in self._rules]

    def _index(self, name: str) -> int:
        for k, (existing, _) in enumerate(self._rules):
            if existing == name:
                return k
        raise RuleNameError(f"no merge rule named {name!r} (rules: {', '.join(self.names)})")

    def _check_new(self, name: str) -> None:
        if name in self.names:
            raise RuleNameError(f"a merge rule named {name!r} exists already")

    def push(self, name: str, rule: R) -> None:
        """Add ``rule`` at the end."""
        self._check_new(name)
        self._rules.append((name, rule))

    def before(self, anchor: str, name: str, rule: R) -> None:
        """Insert ``rule`` just before the rule named ``anchor``."""
        self._check_new(name)
        self._rules.insert(self._index(anchor), (name, rule))

    def after(self, anchor: str, name: str, rule: R) -> None:
        """Insert ``rule`` just after the rule named ``anchor``."""
        self._check_new(name)
        self._rules.insert(self._index(anchor) + 1, (name, rule))

    def replace(self, name: str, rule: R) -> None:
        """Put ``rule`` in place of the rule named ``name``."""
        self._rules[self._index(name)] = (name, rule)

    def remove(self, name: str) -> None:
        """Take out the rule named ``name``."""
        del self._rules[self._index(name)]

    def __iter__(self) -> Iterator[tuple[str, R]]:
        return iter(list(self._rules))

    def __len__(self) -> int:
        return len(self._rules)
