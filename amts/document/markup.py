"""The vocabulary of book markup: every construct that is structure rather than prose, declared once.

Each construct has its pattern and its policy -- what every part of amts does with it -- the way
translate-toolkit keeps one placeable class per construct. The document model, alignment, sync
(conservation, label renames, mechanical edits), review validation and ``amts check`` all read the
patterns built here, so a new construct (a role, a directive, an mdBook ``{{#include}}``, a MkDocs
admonition) is one entry in this module, never an edit in six places that can disagree.

Kinds of construct:

* **roles** ``:name:`argument``` inside prose (d2lbook: ``:numref:`sec_x```, ``:cite:`Key```);
* **directives** ``:name:`` at the start of a line (``:label:``, ``:begin_tab:`pytorch```, ``:width:``);
* **code markers** on a line of a code block (``#@tab pytorch``, ``%%tab all``, ``#@save``);
* **slide marks** ``[**...**]`` / ``(**...**)`` around what goes on slides;
* the **inline** constructs masking replaces by placeholders (code, math, HTML, includes, ...), in the
  order they are tried; math belongs to dialects with math, shell variables to those without.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Flag, auto
from functools import cache


class Policy(Flag):
    """What amts does with a construct (several may hold)."""

    #: never prose: masked as a placeholder that engines keep exactly
    PROTECTED = auto()
    #: a source change that touches only such tokens is carried into the translation mechanically
    PROPAGATED = auto()
    #: at the start of a line, the line is structure and never prose
    LINE = auto()
    #: the conservation check counts it: the output keeps as many as the sources account for
    CONSERVED = auto()
    #: defines a name that references point at (label-like)
    LABEL = auto()
    #: points at a label (reference-like); renamed with the label
    REFERENCE = auto()
    #: points at a bibliography entry
    CITATION = auto()
    #: selects the frameworks a run of text or a code cell is for
    TAB = auto()
    #: marks what goes on slides; an edition may add or leave them out, balanced
    SLIDE = auto()


#: d2lbook roles ``:name:`argument``` (any other ``:name:`...``` is still protected as a role)
ROLES: dict[str, Policy] = {
    "label": Policy.LABEL | Policy.CONSERVED,
    "eqlabel": Policy.LABEL | Policy.CONSERVED,
    "numref": Policy.REFERENCE | Policy.CONSERVED,
    "eqref": Policy.REFERENCE | Policy.CONSERVED,
    "ref": Policy.REFERENCE | Policy.CONSERVED,
    "cite": Policy.CITATION | Policy.CONSERVED,
    "citet": Policy.CITATION | Policy.CONSERVED,
    "citep": Policy.CITATION | Policy.CONSERVED,
}


@dataclass(frozen=True)
class Directive:
    """A d2lbook directive: ``:name:`` opening a line, with a backquoted argument or without one."""

    policy: Policy
    argument: bool = True


BEGIN_TAB, END_TAB = "begin_tab", "end_tab"
#: the label role that may follow display math on its line (``$$x$$ :eqlabel:`eq_x```)
MATH_LABEL = "eqlabel"
DIRECTIVES: dict[str, Directive] = {
    "label": Directive(Policy.LINE | Policy.LABEL | Policy.CONSERVED),
    "eqlabel": Directive(Policy.LINE | Policy.LABEL | Policy.CONSERVED),
    "width": Directive(Policy.LINE),
    "height": Directive(Policy.LINE),
    BEGIN_TAB: Directive(Policy.LINE | Policy.TAB | Policy.CONSERVED),
    END_TAB: Directive(Policy.LINE | Policy.TAB | Policy.CONSERVED, argument=False),
    "bibliography": Directive(Policy.LINE),
}

#: markers on a line of a code block; those with ``Policy.TAB`` are followed by a list of frameworks
CODE_MARKERS: dict[str, Policy] = {
    "#@tab": Policy.LINE | Policy.TAB,
    "%%tab": Policy.LINE | Policy.TAB,
    "#@save": Policy.LINE,
}

#: slide marks: opener -> closer
SLIDE_PAIRS: dict[str, str] = {"[**": "**]", "(**": "**)"}
SLIDE_MARKS: tuple[str, ...] = tuple(mark for pair in SLIDE_PAIRS.items() for mark in pair)


def names(policy: Policy, table: dict = ROLES) -> tuple[str, ...]:  # type: ignore[type-arg]
    """The names in ``table`` (roles by default) whose policy includes ``policy``."""
    return tuple(name for name, entry in table.items() if policy in getattr(entry, "policy", entry))


def _alternation(items: tuple[str, ...]) -> str:
    return "|".join(re.escape(item) for item in items)


def role_regex(policy: Policy, target: str = r"[^`]*") -> re.Pattern[str]:
    """``:name:`target``` for the roles with ``policy``: group 1 is the name, group 2 the argument."""
    return re.compile(rf":({_alternation(names(policy))}):`({target})`")


#: label-like roles (``:label:``, ``:eqlabel:``): group 2 is the label
LABEL_RE = role_regex(Policy.LABEL)
#: roles and directives that name or point at a label, renamed together: group 1 is the role, group 2 the label
LABEL_ROLE_RE = re.compile(
    rf":({_alternation(names(Policy.REFERENCE) + names(Policy.LABEL))}):`([^`<>]+)`")
#: reference-like and citation roles (what a translation must keep as it is)
REFERENCE_ROLES: tuple[str, ...] = names(Policy.REFERENCE) + names(Policy.CITATION)


def label_family(role: str) -> str:
    """``"label"`` for a label-like role, ``"ref"`` for a reference to a label."""
    return "label" if Policy.LABEL in ROLES[role] else "ref"


def _conserved() -> re.Pattern[str]:
    with_argument = dict.fromkeys(names(Policy.CONSERVED) + tuple(
        n for n, d in DIRECTIVES.items() if Policy.CONSERVED in d.policy and d.argument))
    without = tuple(n for n, d in DIRECTIVES.items() if Policy.CONSERVED in d.policy and not d.argument)
    return re.compile(rf":(?:{_alternation(tuple(with_argument))}):`[^`]*`|:(?:{_alternation(without)}):")


#: the structure markers the conservation check counts, whole (roles, label and tab directives)
CONSERVED_RE = _conserved()

#: ``:begin_tab:`frameworks``` anywhere (group 1: the frameworks) and ``:end_tab:``
BEGIN_TAB_RE = re.compile(rf":{BEGIN_TAB}:`([^`]*)`")
END_TAB_RE = re.compile(rf":{END_TAB}:")
#: the same at the start of a line
BEGIN_TAB_LINE_RE = re.compile(r"^\s*" + BEGIN_TAB_RE.pattern)
END_TAB_LINE_RE = re.compile(r"^\s*" + END_TAB_RE.pattern)
#: a code marker line naming frameworks (``#@tab pytorch, mxnet``, ``%%tab all``): group 1 the list
TAB_LINE_RE = re.compile(rf"^\s*(?:{_alternation(names(Policy.TAB, CODE_MARKERS))})\s+(.*?)\s*$", re.M)
TAB_MARKERS: tuple[str, ...] = names(Policy.TAB, CODE_MARKERS)


def tab_names(spec: str) -> list[str]:
    """The frameworks of a tab list: ``"pytorch, mxnet"`` -> ``["pytorch", "mxnet"]``."""
    return [t for t in re.split(r"[,\s]+", spec.strip().strip("`")) if t]


#: a directive opening a line (group 1: its name)
DIRECTIVE_LINE_RE = re.compile(rf"^\s*:({_alternation(names(Policy.LINE, DIRECTIVES))}):")
#: a code marker opening a line (group 1: the marker)
CODE_MARKER_LINE_RE = re.compile(rf"^\s*({_alternation(tuple(CODE_MARKERS))})")

#: the name part of a role, ``:numref:`` (any name: an unknown role is still structure)
ROLE_NAME = r":[A-Za-z][\w-]*:"
#: display math ``$$...$$`` (may span lines)
DISPLAY_MATH = r"\$\$.+?\$\$"
#: inline math ``$x$`` (not an escaped ``\$``, not part of ``$$``)
INLINE_MATH = r"(?<![\\$])\$(?!\$)(?:\\.|[^$\\])+?\$"

#: a whole line that is structure even inside a paragraph: a directive, a code marker, display math on
#: one line (with an ``:eqlabel:`` after it)
STRUCTURE_LINE_RE = re.compile(
    rf"^\s*(?::(?:{_alternation(names(Policy.LINE, DIRECTIVES))})\:.*"
    + "".join(f"|{re.escape(marker)}.*" for marker in CODE_MARKERS)
    + rf"|\$\$.*\$\$\s*(?::(?:{re.escape(MATH_LABEL)}):`[^`]*`)?\s*)$"
)

#: markers that must stay at the start of their line: a footnote definition's label, a GFM alert, a
#: MkDocs admonition (they are never part of a segment, so no engine can move them into the prose)
LEADING_MARKER_RE = re.compile(r"(?:\[\^[^\]\s]+\]:|\[![A-Za-z]+\]|(?:!!!|\?\?\?\+?)[ \t]+[\w-]+)[ \t]*")


@dataclass(frozen=True)
class Inline:
    """A construct masking replaces by a placeholder: its group name, pattern and dialect."""

    name: str
    pattern: str
    math: bool | None = None  # only in dialects with (True) or without (False) math; None: in all
    policy: Policy = Policy.PROTECTED | Policy.PROPAGATED


#: in the order they are tried: an earlier one wins where two could start at the same place
INLINE: tuple[Inline, ...] = (
    Inline("role", ROLE_NAME + r"(?P<rtick>`+).*?(?<!`)(?P=rtick)(?!`)"),  # :numref:`sec_x`
    Inline("code", r"(?P<tick>`+).+?(?<!`)(?P=tick)(?!`)"),  # `code`, ``co`de``
    Inline("dmath", DISPLAY_MATH, math=True),
    Inline("imath", INLINE_MATH, math=True),
    # without math a shell variable ($HOME, ${PATH}) is still a name, never prose
    Inline("envvar", r"\$\{?[A-Z_][A-Z0-9_]+\}?(?![\w}])", math=False),
    Inline("autolink", r"<(?:https?|ftp|mailto):[^>\s]*>"),
    Inline("htmlcode", r"<(?P<hctag>code|kbd|samp|var)(?:\s[^<>]*)?>.*?</(?P=hctag)\s*>"),  # <code>a <em>b</em></code>
    Inline("html", r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>|<!--.*?-->"),  # <br/>, <span ...>
    Inline("entity", r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"),
    Inline("footnote", r"\[\^[^\]\s]+\]:?"),  # [^label], [^label]: (definition)
    Inline("alert", r"\[![A-Za-z]+\]"),  # GFM alerts: > [!NOTE]
    Inline("include", r"\{\{#[A-Za-z_-]+[^}]*\}\}"),  # mdBook {{#include file.rs:2:5}}
    Inline("admonition", r"(?:^|(?<=\n))(?:!!!|\?\?\?\+?)[ \t]+[\w-]+(?:[ \t]+[\w-]+)*"),  # MkDocs !!! note
    Inline("slide", _alternation(SLIDE_MARKS), policy=Policy.PROTECTED | Policy.SLIDE),
    Inline("placeholder", r"\{\d+\}"),  # a literal that looks like ours
    Inline("escape", r"\\[\\`*_{}\[\]()#+\-.!|$<>~]"),  # backslash escapes
)


@cache
def inline_regex(math: bool) -> re.Pattern[str]:
    """The inline constructs of a dialect with (or without) math, as one pattern with a group each."""
    alternatives = "|".join(f"(?P<{c.name}>{c.pattern})" for c in INLINE if c.math in (None, math))
    return re.compile(r"(?=[:`$<&\[*(\\{!?])(?:" + alternatives + ")", re.S)


@dataclass(frozen=True)
class Dialect:
    """A Markdown dialect: its name, whether ``$`` starts math, and where the choice came from.

    A document is parsed with one (``parse_markdown(text, dialect)``) and keeps it, as markdown-it's
    ``MarkdownIt`` keeps its options: its segments mask with it wherever they are used later.
    """

    name: str
    math: bool
    source: str = "default"  # "amts.toml", the config file found, or "default"

    def describe(self) -> str:
        return f"{self.name} ({'math' if self.math else 'no math'}; from {self.source})"

    @property
    def inline_regex(self) -> re.Pattern[str]:
        """The inline constructs of this dialect (math or shell variables), one group each."""
        return inline_regex(self.math)


DIALECTS = {
    "d2lbook": Dialect("d2lbook", math=True),
    "gfm": Dialect("gfm", math=True),
    "mdbook": Dialect("mdbook", math=False),
    "mkdocs": Dialect("mkdocs", math=False),
    "commonmark": Dialect("commonmark", math=False),
}
DEFAULT = DIALECTS["gfm"]

# The dialect of the book being worked on, for code that masks text without its document at hand.
# A context variable, not a module global: each thread and each task has its own, so two books of
# different dialects can be handled at once; a thread that should work on the same book is started
# in a copy of the context (``contextvars.copy_context().run``).
_CURRENT: ContextVar[Dialect] = ContextVar("amts_dialect", default=DEFAULT)


def current_dialect(dialect: Dialect | None = None) -> Dialect:
    """``dialect`` if given, else the one :func:`use_dialect` set in this context (GFM by default)."""
    return dialect if dialect is not None else _CURRENT.get()


@contextmanager
def use_dialect(dialect: Dialect) -> Iterator[Dialect]:
    """Parse and mask with ``dialect`` inside the block, in this context only (restored afterwards)."""
    token = _CURRENT.set(dialect)
    try:
        yield dialect
    finally:
        _CURRENT.reset(token)
