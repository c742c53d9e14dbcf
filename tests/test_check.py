"""``amts check``: structure of translated files against their sources (small books written here, and D2L)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from amts.cli import app
from amts.document.structure import CheckProfile, Problem, check_markdown, check_notebook, check_trees

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()

SOURCE = """# Tensors
:label:`sec_tensors`

A tensor is an array, see :numref:`sec_linear` and [the guide](https://example.org/guide).

```{.python .input}
#@tab pytorch
import torch  # the library
x = torch.arange(12)
```

$$y = Wx + b.$$
:eqlabel:`eq_affine`

## Shapes

Use `x.shape` to read $n$ items, as in :eqref:`eq_affine`.

Discuss it [here](https://discuss.example.org/t/1).
"""

TARGET = """# 张量
:label:`sec_tensors`

张量是一个数组，见 :numref:`sec_linear` 和[指南](https://example.org/guide)。

```{.python .input}
#@tab pytorch
import torch  # 这个库
x = torch.arange(12)
```

$$
y = Wx + b.
$$
:eqlabel:`eq_affine`

## 形状

用 `x.shape` 读取 $n$ 个元素，如 :eqref:`eq_affine` 所示。

在[这里](https://discuss.example.org/t/99)讨论。
"""

PROFILE = CheckProfile(own_links=("https://discuss.example.org/t/",))


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_faithful_translation_has_no_problem() -> None:
    # comments translated, display math re-wrapped, the forum link is the edition's own
    assert check_markdown(SOURCE, TARGET, PROFILE) == []


def test_the_forum_link_is_a_problem_unless_the_profile_allows_it() -> None:
    found = check_markdown(SOURCE, TARGET)
    assert [(line, message) for line, message, _ in found] == [
        (line_of(TARGET, "在["), "link target missing: `https://discuss.example.org/t/1` (source line 19)"),
        (line_of(TARGET, "在["), "link target not in the source: `https://discuss.example.org/t/99`"),
    ]


def test_a_broken_label_is_reported_on_its_line() -> None:
    broken = TARGET.replace(":label:`sec_tensors`", ":label:`sec_tensor`")
    assert check_markdown(SOURCE, broken, PROFILE) == [
        (2, "label `sec_tensor` here, `sec_tensors` in the source (source line 2)", "error")]


def test_a_broken_reference_and_a_lost_eqlabel() -> None:
    broken = TARGET.replace(":numref:`sec_linear`", ":numref:`sec_linea`").replace(":eqlabel:`eq_affine`\n", "")
    messages = {(line, message) for line, message, _ in check_markdown(SOURCE, broken, PROFILE)}
    assert messages == {
        (4, "reference missing: `:numref:`sec_linear`` (source line 4)"),
        (4, "reference not in the source: `:numref:`sec_linea``"),
        (13, "label missing: `:eqlabel:`eq_affine`` (source line 13)"),
    }


def test_an_unclosed_fence_is_reported_where_it_opens() -> None:
    broken = TARGET.replace("x = torch.arange(12)\n```\n", "x = torch.arange(12)\n")
    found = check_markdown(SOURCE, broken, PROFILE)
    fence = line_of(broken, "```{.python")
    assert (fence, "code fence is never closed", "error") in found
    # everything after it is code now: the structure that follows is reported missing too
    assert any("display math missing" in message for _, message, _ in found)


def test_changed_code_and_fence_info_are_errors_at_the_changed_line() -> None:
    changed = TARGET.replace("torch.arange(12)", "torch.arange(10)")
    assert check_markdown(SOURCE, changed, PROFILE) == [
        (9, "code differs from the source (line 9): `x = torch.arange(10)` here, `x = torch.arange(12)` there",
         "error")]
    other = TARGET.replace("```{.python .input}", "```python")
    assert check_markdown(SOURCE, other, PROFILE)[0][1].startswith("code fence `")


def test_tabs_the_edition_adds_are_allowed_only_by_the_profile() -> None:
    paddle = TARGET.replace("$$\ny", "```{.python .input}\n#@tab paddle\nimport paddle\n```\n\n"
                            ":begin_tab:`paddle`\n飞桨的说明，见 :numref:`sec_paddle`。\n:end_tab:\n\n$$\ny")
    found = check_markdown(SOURCE, paddle, PROFILE)
    assert {message.split(":")[0] for _, message, _ in found} >= {"code block not in the source", "tab marker not in the source"}
    allowed = CheckProfile(extra_tabs=frozenset({"paddle"}), own_links=PROFILE.own_links)
    assert check_markdown(SOURCE, paddle, allowed) == []
    both = TARGET.replace("#@tab pytorch", "#@tab pytorch, paddle")
    assert check_markdown(SOURCE, both, allowed) == []
    assert check_markdown(SOURCE, both, PROFILE)[0][1].startswith("code block for tab(s) `paddle,pytorch` here")


def test_slide_marks_may_be_added_but_must_be_balanced() -> None:
    slides = TARGET.replace("张量是一个数组", "[**张量是一个数组**]")
    assert check_markdown(SOURCE, slides, PROFILE) == []
    unbalanced = TARGET.replace("张量是一个数组", "[**张量是一个数组")
    assert check_markdown(SOURCE, unbalanced, PROFILE) == [(4, "slide mark `[**` is never closed with `**]`", "error")]


def test_inline_math_and_code_are_warnings_unless_strict() -> None:
    dropped = TARGET.replace("用 `x.shape` 读取 $n$ 个元素", "读取元素")
    found = check_markdown(SOURCE, dropped, PROFILE)
    assert {severity for *_, severity in found} == {"warning"} and len(found) == 2
    strict = CheckProfile(own_links=PROFILE.own_links, strict_inline=True)
    assert {severity for *_, severity in check_markdown(SOURCE, dropped, strict)} == {"error"}


def test_headings_levels_and_missing_headings() -> None:
    assert check_markdown(SOURCE, TARGET.replace("## 形状", "### 形状"), PROFILE) == [
        (17, "heading level 3 here, 2 in the source (source line 15)", "error")]
    missing = check_markdown(SOURCE, TARGET.replace("## 形状\n", ""), PROFILE)
    assert [message for _, message, _ in missing] == ["heading missing: `## Shapes` (source line 15)"]


def notebook(cells: list[tuple[str, str]]) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True),
         **({"outputs": [], "execution_count": None} if kind == "code" else {})} for kind, text in cells]}, indent=1)


def test_notebooks_compare_cells_and_markdown_cells_as_documents() -> None:
    source = notebook([("markdown", "# Title\n:label:`sec_a`\n"), ("code", "x = 1  # one\n"), ("code", "y = 2\n")])
    target = notebook([("markdown", "# 标题\n:label:`sec_a`\n"), ("code", "x = 1  # 一\n"), ("code", "y = 2\n")])
    assert check_notebook(source, target) == []
    lost = notebook([("markdown", "# 标题\n:label:`sec_b`\n"), ("code", "x = 1\n")])
    found = check_notebook(source, lost)
    lines = [line for line, _, _ in found]
    assert any("label `sec_b` here" in message for _, message, _ in found)
    assert any("code cell 3 of the source missing" in message for _, message, _ in found)
    assert all(lost.splitlines()[line - 1].strip().startswith('"cell_type"') for line in lines)


def make_books(tmp_path: Path) -> tuple[Path, Path]:
    en, zh = tmp_path / "en", tmp_path / "zh"
    for root, text in ((en, SOURCE), (zh, TARGET)):
        (root / "chapter").mkdir(parents=True)
        (root / "chapter" / "tensors.md").write_text(text, encoding="utf-8")
    (en / "chapter" / "new.md").write_text("# New\n", encoding="utf-8")
    return en, zh


def test_cli_plain_and_github_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    en, zh = make_books(tmp_path)
    monkeypatch.chdir(tmp_path)
    ok = runner.invoke(app, ["check", "en", "zh", "--own-link", "https://discuss.example.org/t/"])
    assert ok.exit_code == 0, ok.output
    assert "1 file(s) checked: structure matches the source (1 source file(s) not translated)" in ok.output
    page = zh / "chapter" / "tensors.md"
    page.write_text(TARGET.replace("sec_tensors", "sec_tensor"), encoding="utf-8")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    plain = runner.invoke(app, ["check", "en", "zh", "--own-link", "https://discuss.example.org/t/"])
    assert plain.exit_code == 1
    assert "zh/chapter/tensors.md:2: error: label `sec_tensor` here, `sec_tensors` in the source (source line 2)" in plain.output
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    github = runner.invoke(app, ["check", "en", "zh"])
    assert github.exit_code == 1
    annotations = [line for line in github.output.splitlines() if line.startswith("::")]
    assert "::error file=zh/chapter/tensors.md,line=2::label `sec_tensor` here, `sec_tensors` in the source " \
           "(source line 2)" in annotations
    assert any(line.startswith("::error file=zh/chapter/tensors.md,line=21::link target") for line in annotations)


def test_cli_translated_files_with_origin_files_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = tmp_path / "zh"
    book.mkdir()
    (book / "tensors.md").write_text(TARGET.replace("sec_tensors", "sec_x"), encoding="utf-8")
    (book / "tensors_origin.md").write_text(SOURCE, encoding="utf-8")
    (book / "amts.toml").write_text('[check]\nown_links = ["https://discuss.example.org/t/"]\n', encoding="utf-8")
    monkeypatch.chdir(book)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    # what pre-commit runs: every changed file, the _origin files among them
    result = runner.invoke(app, ["check", "--origin-suffix", "_origin", "tensors.md", "tensors_origin.md"])
    assert result.exit_code == 1
    assert "tensors.md:2: error: label `sec_x` here, `sec_tensors` in the source (source line 2)" in result.output.splitlines()
    en = tmp_path / "en"
    en.mkdir()
    (en / "tensors.md").write_text(SOURCE, encoding="utf-8")
    (book / "amts.toml").write_text('[check]\nsource = "../en"\nown_links = ["https://discuss.example.org/t/"]\n',
                                    encoding="utf-8")
    assert runner.invoke(app, ["check", "--translated", "tensors.md"]).exit_code == 1
    (book / "tensors.md").write_text(TARGET, encoding="utf-8")
    assert runner.invoke(app, ["check", "--translated", "tensors.md"]).exit_code == 0
    bad = runner.invoke(app, ["check", "--translated", "missing.md"])
    assert bad.exit_code == 2 and "missing.md: no such file or directory" in bad.output


def test_pre_commit_hooks_call_the_check_command() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"] for hook in hooks} == {"amts-check", "amts-check-origin"}
    for hook in hooks:
        assert hook["entry"].startswith("amts check ") and re.search(hook["files"], "a/b.md")
        args = hook["entry"].split()[2:]
        # the options exist: the command accepts them without a usage error
        assert runner.invoke(app, ["check", *args, "--help"]).exit_code == 0


def test_problem_annotations_escape_workflow_command_characters() -> None:
    problem = Problem("a,b:c.md", 3, "50% lost\nnext")
    assert problem.annotation() == "::error file=a%2Cb%3Ac.md,line=3::50%25 lost%0Anext"


# ---- the D2L Chinese edition against the English it was translated from ------------------------------

D2L_PROFILE = CheckProfile(extra_tabs=frozenset({"paddle"}), own_links=("https://discuss.d2l.ai/t/",))


def test_d2l_chinese_edition_against_its_origin(d2l: Path) -> None:
    result = check_trees(d2l / "en-origin", d2l / "zh", D2L_PROFILE, display=Path("zh"))
    assert result.checked == len(list((d2l / "zh").rglob("*.md"))) and not result.without_source
    messages = [problem.message for problem in result.problems]
    # the edition's own additions are not problems under the d2l profile: no problem on a paddle cell
    for problem in (p for p in result.problems if "not in the source" in p.message):
        lines = (d2l / problem.path).read_text(encoding="utf-8").splitlines()
        assert not (lines[problem.line - 1].startswith("```") and "#@tab paddle" in lines[problem.line]), problem
    assert not any("discuss.d2l.ai/t/" in message for message in messages)
    without_profile = check_trees(d2l / "en-origin", d2l / "zh")
    assert len(without_profile.problems) > len(result.problems)
    # real differences it must find: the label the edition renamed (waston -> watson)
    assert any(p.path.endswith("nadaraya-waston.md") and p.message.startswith("label `sec_nadaraya-watson` here")
               for p in result.problems)


def test_d2l_section_broken_on_purpose(d2l: Path, tmp_path: Path) -> None:
    rel = "chapter_convolutional-neural-networks/pooling.md"
    source, target = (d2l / "en-origin" / rel).read_text(encoding="utf-8"), (d2l / "zh" / rel).read_text(encoding="utf-8")
    before = check_markdown(source, target, D2L_PROFILE)
    label = re.search(r":label:`([^`]+)`", target)
    assert label
    broken = target.replace(label.group(0), ":label:`fig_broken`", 1)
    added = set(check_markdown(source, broken, D2L_PROFILE)) - set(before)
    assert added == {(line_of(target, label.group(0)),
                      f"label `fig_broken` here, `{label.group(1)}` in the source (source line "
                      f"{line_of(source, label.group(0))})", "error")}
    # drop the closing fence of the first code block: it runs into the next one
    first = target.index("```{.python .input}")
    close = target.index("\n```\n", first)
    merged = target[:close] + "\n" + target[close + 5:]
    found = set(check_markdown(source, merged, D2L_PROFILE)) - set(before)
    # reported inside the run-on block, at the line where the next block's fence became code
    swallowed = merged[:merged.index("```{.python .input}", close)].count("\n") + 1
    assert any(line_of(target, "```{.python .input}") <= line <= swallowed and message.startswith("code")
               for line, message, _ in found), found
    # drop the last closing fence: that block never ends
    last = target.rindex("\n```\n")
    opening = target.rindex("\n```{", 0, last) + 1
    unclosed = target[:last] + "\n" + target[last + 5:]
    found = check_markdown(source, unclosed, D2L_PROFILE)
    assert (target[:opening].count("\n") + 1, "code fence is never closed", "error") in found


def test_cli_dialect_decides_whether_dollars_are_math(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "en.md").write_text("# Shell\n\nSet $HOME and then $PATH here.\n", encoding="utf-8")
    (tmp_path / "zh.md").write_text("# 终端\n\n设置 $HOME 然后 $PATH。\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    gfm = runner.invoke(app, ["check", "en.md", "zh.md", "--dialect", "gfm", "--strict"])
    assert gfm.exit_code == 1 and "inline math" in gfm.output
    (tmp_path / "book.toml").write_text("[book]\ntitle = 'x'\n", encoding="utf-8")  # an mdBook: $ is text
    assert runner.invoke(app, ["check", "en.md", "zh.md", "--strict"]).exit_code == 0
