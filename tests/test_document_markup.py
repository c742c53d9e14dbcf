"""The one vocabulary of book markup and the one comment stripper, on real d2l text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from amts.document import markup, mask, parse_markdown
from amts.document.code import code_lines
from amts.document.structure import check_markdown

D2L = Path(os.environ.get("AMTS_D2L_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "d2l"))


def _section(name: str) -> str:
    path = D2L / name
    if not path.exists():
        pytest.skip(f"d2l data not found at {D2L}")
    return path.read_text(encoding="utf-8")


def test_every_role_and_directive_of_the_book_is_declared() -> None:
    """Every ``:name:`` that starts a line or a role in the English book is in the vocabulary, so no
    part of amts can meet one it does not know (``:members:``/``:maxdepth:`` are toctree options)."""
    if not (D2L / "en-master").exists():
        pytest.skip(f"d2l data not found at {D2L}")
    seen: set[str] = set()
    for path in (D2L / "en-master").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        seen.update(re.findall(r":([a-z_]+):`", text))
        seen.update(re.findall(r"(?m)^:([a-z_]+):", text))
    assert seen - {"members", "maxdepth"} <= {*markup.ROLES, *markup.DIRECTIVES}
    assert {"numref", "eqref", "cite", "label", "begin_tab", "end_tab", "width"} <= seen


def test_policies_select_the_roles_each_consumer_reads() -> None:
    text = ":label:`sec_a` see :numref:`sec_b` and :cite:`Key` then\n:begin_tab:`pytorch`\nx\n:end_tab:\n"
    assert [m.group(2) for m in markup.LABEL_RE.finditer(text)] == ["sec_a"]
    assert [(m.group(1), m.group(2)) for m in markup.LABEL_ROLE_RE.finditer(text)] == [("label", "sec_a"), ("numref", "sec_b")]
    assert markup.CONSERVED_RE.findall(text) == [":label:`sec_a`", ":numref:`sec_b`", ":cite:`Key`",
                                                 ":begin_tab:`pytorch`", ":end_tab:"]
    assert markup.label_family("eqref") == "ref" and markup.label_family("eqlabel") == "label"
    assert "cite" in markup.REFERENCE_ROLES and "label" not in markup.REFERENCE_ROLES


def test_structure_lines_and_tab_markers_come_from_the_vocabulary() -> None:
    for line in (":width:`400px`", ":begin_tab:`mxnet`", ":end_tab:", "#@save", "%%tab all", "$$x$$ :eqlabel:`eq_x`"):
        assert markup.STRUCTURE_LINE_RE.match(line), line
    assert not markup.STRUCTURE_LINE_RE.match(":numref:`sec_x` shows how")  # a role starting prose
    assert [markup.tab_names(m) for m in markup.TAB_LINE_RE.findall("#@tab pytorch, mxnet\n%%tab all\n")] == [
        ["pytorch", "mxnet"], ["all"]]


def test_inline_pattern_of_a_dialect_without_math_reads_dollars_as_prose() -> None:
    with_math, without = markup.inline_regex(True), markup.inline_regex(False)
    assert [m.lastgroup for m in with_math.finditer("Let $x$ be [**here**]")] == ["imath", "slide", "slide"]
    text = "Set $HOME and ${PATH} to 5$ [**here**]"
    assert [m.group(0) for m in without.finditer(text)] == ["$HOME", "${PATH}", "[**", "**]"]
    assert "dmath" not in without.groupindex and "envvar" not in with_math.groupindex


def test_the_comment_stripper_reads_code_as_its_language_does() -> None:
    code = ('#@save\ndef f(x):  # 计算\n    """多行\n    文档"""\n    s = "# not a comment"\n'
            '    return x  #@save\n')
    assert code_lines(code) == ["#@save", "def f(x):", "", "", 's = "# not a comment"', "return x", ""]
    assert code_lines("ls -l  # list\n", "bash") == ["ls -l", ""]


def test_check_ignores_translated_comments_and_docstrings_of_a_real_section() -> None:
    source = _section("en-origin/chapter_recurrent-neural-networks/rnn-scratch.md")
    blocks = [b.text for b in parse_markdown(source).blocks if b.kind == "code" and "def " in b.text]
    block = next(b for b in blocks if re.search(r"\s#\s", b))
    translated = re.sub(r"(?m)(\s#\s).*$", r"\1翻译的注释", block)
    assert translated != block
    assert check_markdown(block, translated) == []
    broken = translated.replace("def ", "def  renamed_", 1)
    assert any("code differs" in message for _, message, _ in check_markdown(block, broken))


def test_masking_reads_roles_and_slide_marks_of_the_vocabulary() -> None:
    masked = mask("See :numref:`fig_x` and (**this**).")
    assert masked.spans == (":numref:`fig_x`", "(**", "**)")
