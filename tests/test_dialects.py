"""Markdown dialects: detected from the book's toolchain, and the pseudo engine keeps each one's structure.

The mdBook and MkDocs books under tests/data are our own writing in those dialects (never another
book's text); the D2L book (shared data, d2lbook dialect) is checked whole with both shared checkers.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.document import mask, parse_markdown
from amts.document.dialects import DEFAULT, detect_dialect, dialect_named, use_dialect

DATA = Path(__file__).resolve().parent / "data"
MDBOOK = DATA / "mdbook-book"
MKDOCS = DATA / "mkdocs-book"
TOOLS = Path(__file__).resolve().parent.parent.parent / "shared" / "tools"


def test_dialect_is_detected_from_the_toolchain_config(tmp_path: Path) -> None:
    assert detect_dialect(MDBOOK / "src" / "ch01-getting-started.md").name == "mdbook"
    assert detect_dialect(MKDOCS / "docs").name == "mkdocs" and not detect_dialect(MKDOCS).math
    (tmp_path / ".git").mkdir()
    (tmp_path / "config.ini").write_text("[project]\nname = d2l-en\n\n[build]\nnotebooks = *.md\n", encoding="utf-8")
    (tmp_path / "chapter").mkdir()
    assert detect_dialect(tmp_path / "chapter").name == "d2lbook" and detect_dialect(tmp_path).math
    (tmp_path / "config.ini").write_text("[server]\nport = 8080\n", encoding="utf-8")  # not d2lbook's
    assert detect_dialect(tmp_path / "chapter") == DEFAULT
    (tmp_path / "mkdocs.yml").write_text("markdown_extensions:\n  - pymdownx.arithmatex\n", encoding="utf-8")
    assert detect_dialect(tmp_path).math
    with pytest.raises(ValueError, match="unknown Markdown dialect"):
        dialect_named("asciidoc")


def test_math_only_where_the_dialect_has_it() -> None:
    text = "lands in *$HOME/.garden/bin*. Check your `$PATH` first; it costs $5 or $0 here."
    # in mdBook there is no math: the dollars are prose (a shell variable stays, as a name)
    assert mask(text).spans[0] == "$HOME/.garden/bin*. Check your `$"  # GFM: dollars pair up as math
    with use_dialect(dialect_named("mdbook")):
        masked = mask(text)
        assert masked.spans == ("$HOME", "`$PATH`") and "costs $5 or $0 here" in masked.text
        assert parse_markdown(text + "\n").segments[0].masked.spans == ("$HOME", "`$PATH`")
    assert "$HOME/.garden/bin*. Check your `$" in mask(text).spans  # restored after the block


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("called *RandomState*[^randomstate]<!-- ignore --> here", "[^randomstate]"),
        ("[^speed]: Faster hashers trade safety.", "[^speed]:"),
        ("the form <code>plant <em>SEED</em> in <em>BED</em></code> is", "<code>plant <em>SEED</em> in <em>BED</em></code>"),
        ("Press <kbd>Ctrl</kbd>+<kbd>C</kbd> now", "<kbd>Ctrl</kbd>"),
        ("{{#rustdoc_include ../listings/ch01/main.rs:here}}", "{{#rustdoc_include ../listings/ch01/main.rs:here}}"),
        ("the [survey]( https://example.org/soil-survey ) of 2019", "]( https://example.org/soil-survey )"),
        ("[!NOTE]\nLines that start with", "[!NOTE]"),
        ('!!! warning "Cold water"', "!!! warning"),
    ],
)
def test_structure_every_dialect_keeps(raw: str, kept: str) -> None:
    assert kept in mask(raw).spans


def test_summary_link_lines_are_one_segment_each() -> None:
    document = parse_markdown((MDBOOK / "src" / "SUMMARY.md").read_text(encoding="utf-8"))
    texts = [segment.text for segment in document.segments]
    assert "[Preface](preface.md)" in texts and "[How to Read This Book](reading.md)" in texts
    prose = parse_markdown("A sentence that ends with\n[a link](x.md)\nand goes on.\n")
    assert len(prose.segments) == 1  # a wrapped sentence is not split


def _strict_check(src: Path, out: Path, lang: str) -> str:
    tool = TOOLS / "check_structure_strict.py"
    if not tool.is_file():
        pytest.skip("check_structure_strict.py not found beside the repository (../shared/tools)")
    result = subprocess.run([sys.executable, str(tool), str(src), str(out), lang], capture_output=True, text=True, timeout=600, check=False)
    return result.stdout


@pytest.mark.parametrize(("book", "folder"), [(MDBOOK, "src"), (MKDOCS, "docs")])
def test_pseudo_engine_keeps_the_structure_of_the_dialect(tmp_path: Path, store: Path, book: Path, folder: str) -> None:
    result = CliRunner().invoke(app, ["translate", str(book / folder), "--src", "en", "--tgt", "zh", "--engine", "pseudo",
                                      "--out", str(tmp_path), "-v"])
    assert result.exit_code == 0, result.output
    assert f"Markdown dialect: {book.name.split('-')[0]}" in result.output
    for source in sorted((book / folder).glob("*.md")):
        original = source.read_text(encoding="utf-8")
        translated = (tmp_path / f"zh.{source.name}").read_text(encoding="utf-8")
        assert translated != original
        assert original.count("\n") == translated.count("\n") or source.name != "SUMMARY.md"
        for pattern in (r"\[\^[^\]]+\]:?", r"`[^`\n]+`", r"\]\(\s*[^)\s]+", r"<code>.*?</code>", r"\{\{#[^}]+\}\}", r"\[![A-Z]+\]", r"!!! \w+"):
            assert sorted(re.findall(pattern, original)) == sorted(re.findall(pattern, translated)), (source.name, pattern)
    if book is MDBOOK:
        chapter = (tmp_path / "zh.ch01-getting-started.md").read_text(encoding="utf-8")
        assert "*$HOME/." in chapter  # a shell variable is a name, kept
        summary = (tmp_path / "zh.SUMMARY.md").read_text(encoding="utf-8").splitlines()
        assert [line.count("](") for line in summary] == [
            line.count("](") for line in (MDBOOK / "src" / "SUMMARY.md").read_text(encoding="utf-8").splitlines()]
    report = _strict_check(book / folder, tmp_path, "zh")
    # The strict checker reads a footnote definition ``[^x]: text`` as a reference definition whose
    # first word is its URL; the first word of a footnote is prose, so that one class may differ there.
    problems = [line for line in report.splitlines()[:-1] if "[refdef]" not in line or "('^" not in line]
    assert problems == [], report
    assert "structure-identical (strict)" in report and "failing files per class: {}" in report or (
        set(re.findall(r"'(\w+)': \d+", report.splitlines()[-1])) <= {"refdef"}), report


@pytest.mark.d2l
@pytest.mark.slow
def test_d2l_book_keeps_strict_structure(d2l: Path, tmp_path: Path, store: Path) -> None:
    result = CliRunner().invoke(app, ["translate", str(d2l / "en-master"), "--src", "en", "--tgt", "zh",
                                      "--engine", "pseudo", "--out", str(tmp_path), "--dialect", "d2lbook"])
    assert result.exit_code == 0, result.output
    report = _strict_check(d2l / "en-master", tmp_path, "zh")
    assert "structure-identical (strict) 191/191;" in report, report


def test_an_admonition_title_and_body_are_separate_segments() -> None:
    text = '!!! warning "Cold water"\n    Fish slow down when it is cold.\n    They eat less.\n'
    document = parse_markdown(text)
    assert [segment.text for segment in document.segments] == ['"Cold water"', "Fish slow down when it is cold.\nThey eat less."]
    rendered = document.render({0: '"冷水"', 1: "天冷时鱼会变慢。它们吃得更少。"})
    assert rendered == '!!! warning "冷水"\n    天冷时鱼会变慢。它们吃得更少。\n'


def _digest(path: str, dialect_name: str, explicit: bool = True) -> list:
    """What the document layer makes of the file at ``path`` in a dialect: blocks, segments, masks,
    sentences and keys (given the dialect explicitly, or inside ``use_dialect``)."""
    from amts.document.markup import current_dialect

    text = Path(path).read_text(encoding="utf-8")
    dialect = dialect_named(dialect_name)
    document = parse_markdown(text, dialect) if explicit else parse_markdown(text)
    assert document.dialect == (dialect if explicit else current_dialect())
    return [[block.kind for block in document.blocks]] + [
        [s.text, s.masked.text, list(s.masked.spans), [x.text for x in s.sentences("en")],
         [x.key("en", s.dialect) for x in s.sentences("en")], mask(s.text, document.dialect).spans == s.masked.spans]
        for s in document.segments]


def _two_books(d2l: Path) -> list[tuple[str, str]]:
    section = d2l / "en-master" / "chapter_linear-regression" / "linear-regression.md"
    if not section.is_file():
        pytest.skip(f"d2l section not found: {section}")
    return [(str(section), "d2lbook"), (str(MDBOOK / "src" / "ch01-getting-started.md"), "mdbook")]


def _alone(path: str, dialect_name: str) -> list:
    """The digest computed in a process of its own, which never saw the other dialect."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); from test_dialects import _digest; "
            "print(json.dumps(_digest(sys.argv[2], sys.argv[3])))")
    result = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), path, dialect_name],
                            capture_output=True, text=True, check=True, timeout=120)
    return json.loads(result.stdout)


def test_two_books_of_different_dialects_in_one_process(d2l: Path) -> None:
    """A d2lbook section (math) and an mdBook chapter (``$HOME`` is prose) parsed alternately in one
    process -- the dialect given to each document, or set per thread -- give what separate processes give."""
    books = _two_books(d2l)
    alone = {path: _alone(path, name) for path, name in books}
    assert alone[books[0][0]] != _digest(books[0][0], "mdbook")  # the dialect does change the result
    for _ in range(2):
        for path, name in books:
            assert json.loads(json.dumps(_digest(path, name))) == alone[path], name

    results: dict[str, list] = {}
    barrier = threading.Barrier(len(books))

    def in_thread(path: str, name: str) -> None:
        with use_dialect(dialect_named(name)):
            barrier.wait()  # both dialects are set before either thread parses
            for _ in range(2):
                results[path] = json.loads(json.dumps(_digest(path, name, explicit=False)))

    threads = [threading.Thread(target=in_thread, args=book) for book in books]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == alone
