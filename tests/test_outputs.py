"""Outputs: never inputs, never over a human edit, atomic with the umask's mode; languages validated."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from amts.cli import app
from amts.fileio import MANIFEST, atomic_write_text, guard_outputs

REPO = Path(__file__).resolve().parent.parent
BOOK = REPO / "amts" / "examples" / "book"
runner = CliRunner()


pytestmark = pytest.mark.usefixtures("private_home")


@pytest.fixture
def book(tmp_path: Path) -> Path:
    copy = tmp_path / "b"
    shutil.copytree(BOOK / "en", copy)
    return copy


def amts(*args: str):  # noqa: ANN201
    return runner.invoke(app, [str(a) for a in args])


def test_two_runs_with_out_inside_the_book_translate_no_output(book: Path) -> None:
    for _ in range(2):
        done = amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", book / "t")
        assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (book / "t").rglob("*.md")) == ["zh.coffee.md", "zh.tea.md"]
    assert "not translating" in done.output and "amts output (outputs are never inputs)" in done.output


def test_config_out_inside_the_book_is_never_an_input(book: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (book / "amts.toml").write_text('[book]\nsrc = "en"\ntgt = ["zh"]\nout = "t"\nengine = "pseudo"\n',
                                    encoding="utf-8")
    monkeypatch.chdir(book)
    for _ in range(3):
        done = amts("translate", ".")
        assert done.exit_code == 0, done.output
    names = sorted(p.relative_to(book).as_posix() for p in book.rglob("*.md"))
    assert names == ["coffee.md", "t/zh.coffee.md", "t/zh.tea.md", "tea.md"]
    assert not list(book.rglob("zh.zh.*"))


def test_an_earlier_output_tree_is_recognised_by_its_manifest(book: Path, tmp_path: Path) -> None:
    assert amts("translate", book, "--tgt", "es", "--engine", "pseudo", "--out", book / "es-out").exit_code == 0
    done = amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", tmp_path / "zh-out")
    assert done.exit_code == 0, done.output
    assert not list((tmp_path / "zh-out").rglob("zh.es.*")) and "es-out" in done.output


def test_a_hand_edit_survives_a_second_run_and_force_overwrites(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", out)
    assert amts(*args).exit_code == 0
    edited = out / "zh.tea.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA translator's note.\n", encoding="utf-8")
    again = amts(*args)
    assert again.exit_code == 0, again.output
    assert edited.read_text(encoding="utf-8").endswith("A translator's note.\n")
    assert f"{edited}: kept: edited since amts wrote it" in again.output
    untouched = amts(*args)  # an unedited output is still rewritten (it is ours)
    assert f"{out / 'zh.coffee.md'}: kept" not in untouched.output
    forced = amts(*args, "--force")
    assert forced.exit_code == 0 and "A translator's note." not in edited.read_text(encoding="utf-8")


def test_a_file_amts_never_wrote_is_kept(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    (out / "zh.tea.md").write_text("a translation someone made by hand\n", encoding="utf-8")
    done = amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", out)
    assert done.exit_code == 0 and "not written by amts" in done.output
    assert (out / "zh.tea.md").read_text(encoding="utf-8") == "a translation someone made by hand\n"
    assert (out / "zh.coffee.md").is_file()


def _pairs_file(tmp_path: Path) -> Path:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("en,zh\nThe cat sleeps.,猫在睡觉。\nThe dog (dog) runs.,狗（dog）在跑。\n"
                     "A dog (dog) barks.,一只狗（dog）在叫。\n", encoding="utf-8")
    return pairs


@pytest.mark.parametrize("command", ["align", "pd export", "glossary mine", "sync"])
def test_hand_edits_of_other_outputs_are_kept(command: str, tmp_path: Path) -> None:
    if command == "align":
        out = tmp_path / "pairs.tsv"
        args = ["align", BOOK / "en" / "tea.md", BOOK / "zh" / "tea.md", "--src", "en", "--tgt", "zh", "--out", out]
    elif command == "pd export":
        assert amts("pd", "create", "d", "--file", _pairs_file(tmp_path)).exit_code == 0
        out = tmp_path / "export.tsv"
        args = ["pd", "export", "d", "--out", out]
    elif command == "glossary mine":
        out = tmp_path / "glossary.csv"
        args = ["glossary", "mine", "--file", _pairs_file(tmp_path), "--min-count", "1", "--out", out]
    else:
        old, new = tmp_path / "old.md", tmp_path / "new.md"
        old.write_text("# Tea\n\nTea is old.\n", encoding="utf-8")
        new.write_text("# Tea\n\nTea is old.\n\nTea is new.\n", encoding="utf-8")
        target = tmp_path / "zh.md"
        target.write_text("# 茶\n\n茶很古老。\n", encoding="utf-8")
        out = tmp_path / "zh.new.md"
        args = ["sync", "--old-source", old, "--new-source", new, "--old-target", target, "--out", out]
    first = amts(*args)
    assert first.exit_code == 0, first.output
    assert out.is_file() and (out.parent / MANIFEST).is_file()
    with out.open("a", encoding="utf-8") as handle:
        handle.write("hand edit\n")
    if command == "sync":  # a new source version, so sync has something new to write
        new.write_text(new.read_text(encoding="utf-8") + "\nTea is good.\n", encoding="utf-8")
    second = amts(*args)
    assert second.exit_code == 0, second.output
    assert out.read_text(encoding="utf-8").endswith("hand edit\n")
    assert f"{out}: kept: edited since amts wrote it; not overwritten (--force overwrites)" in second.output
    forced = amts(*args, "--force")
    assert forced.exit_code == 0 and not out.read_text(encoding="utf-8").endswith("hand edit\n")


def test_files_are_0644_under_umask_022_and_keep_a_replaced_mode(tmp_path: Path, book: Path) -> None:
    previous = os.umask(0o022)
    try:
        assert amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", tmp_path / "o").exit_code == 0
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "o").iterdir()}
        assert modes == {"zh.coffee.md": 0o644, "zh.tea.md": 0o644, MANIFEST: 0o644}
        os.umask(0o027)
        atomic_write_text(tmp_path / "new.txt", "x")
        assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640
        (tmp_path / "o" / "zh.tea.md").chmod(0o600)
        atomic_write_text(tmp_path / "o" / "zh.tea.md", "y")
        assert stat.S_IMODE((tmp_path / "o" / "zh.tea.md").stat().st_mode) == 0o600
    finally:
        os.umask(previous)


def test_guard_applies_only_under_its_roots(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.md").write_text("mine\n", encoding="utf-8")
    with guard_outputs([tmp_path / "out"]) as guard:
        assert atomic_write_text(tmp_path / "elsewhere.md", "replaced\n")
        assert atomic_write_text(tmp_path / "out" / "a.md", "a\n")
    assert guard.kept == [] and (tmp_path / "elsewhere.md").read_text(encoding="utf-8") == "replaced\n"


def test_out_naming_an_existing_file_is_one_line(book: Path, tmp_path: Path) -> None:
    existing = tmp_path / "existing.md"
    existing.write_text("x\n", encoding="utf-8")
    done = amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", existing)
    assert done.exit_code == 2 and done.output.count("\n") == 1 and "--out names a file" in done.output
    assert existing.read_text(encoding="utf-8") == "x\n"


@pytest.mark.parametrize("option", ["--out", "--report"])
def test_sync_out_or_report_naming_a_folder_writes_nothing(option: str, tmp_path: Path) -> None:
    old, new, target = tmp_path / "old.md", tmp_path / "new.md", tmp_path / "zh.md"
    old.write_text("Old.\n", encoding="utf-8")
    new.write_text("Old.\n\nNew.\n", encoding="utf-8")
    target.write_text("旧。\n", encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    args = ["sync", "--old-source", old, "--new-source", new, "--old-target", target]
    args += ["--out", folder] if option == "--out" else ["--out", tmp_path / "zh.new.md", "--report", folder]
    done = amts(*args)
    assert done.exit_code == 2, done.output
    assert done.output.startswith("error: ") and done.output.count("\n") == 1 and "names a folder" in done.output
    assert list(folder.iterdir()) == [] and not (tmp_path / "zh.new.md").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--tgt", "klingon"], "'klingon' is not a language tag"),
    (["--tgt", "xx"], "'xx' is not a known language"),
    (["--src", "en", "--tgt", "en"], "source and target are the same language"),
    (["--src", "en", "--tgt", "en-US"], "source and target are the same language"),
])
def test_bad_languages_are_refused_everywhere(args: list[str], message: str, book: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    commands = [
        ["translate", book, "--engine", "pseudo", "--out", out],
        ["align", BOOK / "en", BOOK / "zh", "--out", tmp_path / "p.tmx"],
        ["sync", "--old-source", book / "tea.md", "--new-source", book / "tea.md", "--old-target",
         BOOK / "zh" / "tea.md", "--out", tmp_path / "s.md"],
        ["job", "start", book, "--engine", "pseudo", "--out", tmp_path / "j"],
    ]
    for command in commands:
        done = amts(*command, *args)
        assert done.exit_code == 2, (command, done.output)
        assert message in done.output and done.output.count("\n") == 1, (command, done.output)
    assert not out.exists() and not (tmp_path / "p.tmx").exists() and not (tmp_path / "s.md").exists()


def test_per_language_engines_on_the_command_line(book: Path, tmp_path: Path) -> None:
    done = amts("translate", book, "--tgt", "zh", "--tgt", "es", "--engine", "zh=pseudo", "--engine", "es=identity",
                "--out", tmp_path / "o")
    assert done.exit_code == 0, done.output
    assert (tmp_path / "o" / "es.tea.md").read_bytes() == (book / "tea.md").read_bytes()  # identity
    assert (tmp_path / "o" / "zh.tea.md").read_bytes() != (book / "tea.md").read_bytes()  # pseudo
    wrong = amts("translate", book, "--tgt", "zh", "--engine", "fr=pseudo", "--out", tmp_path / "o")
    assert wrong.exit_code == 2 and "fr is not a target language" in wrong.output


def test_align_labels_the_languages_it_was_given(tmp_path: Path) -> None:
    out = tmp_path / "pairs.tmx"
    done = amts("align", BOOK / "en" / "tea.md", BOOK / "zh" / "tea.md", "--src", "en", "--tgt", "zh-CN",
                "--out", out)
    assert done.exit_code == 0, done.output
    text = out.read_text(encoding="utf-8")
    assert 'xml:lang="zh-CN"' in text and 'xml:lang="en"' in text
    wrong = amts("align", BOOK / "en" / "tea.md", BOOK / "zh" / "tea.md", "--src", "en", "--tgt", "es",
                 "--out", tmp_path / "wrong.tmx")
    assert wrong.exit_code == 2 and "not es" in wrong.output and not (tmp_path / "wrong.tmx").exists()



def test_a_job_never_reads_its_own_output_folder(book: Path) -> None:
    for _ in range(2):
        started = amts("job", "start", book, "--tgt", "zh", "--engine", "pseudo", "--out", book / "t")
        assert started.exit_code == 0, started.output
        job_id = started.stdout.strip().splitlines()[-1]
        assert amts("job", "wait", job_id).exit_code == 0
    assert sorted(p.name for p in (book / "t").rglob("*.md")) == ["zh.coffee.md", "zh.tea.md"]


def test_outputs_beside_their_sources_are_not_read_again(book: Path) -> None:
    for _ in range(2):
        done = amts("translate", book, "--tgt", "zh", "--engine", "pseudo", "--out", book)
        assert done.exit_code == 0, done.output
    assert sorted(p.name for p in book.rglob("*.md")) == ["coffee.md", "tea.md", "zh.coffee.md", "zh.tea.md"]


def test_eval_and_align_still_read_translations_amts_wrote(book: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert amts("translate", book, "--tgt", "zh", "--engine", "identity", "--out", out / "sub").exit_code == 0
    shutil.copytree(book, tmp_path / "ref" / "sub")
    assert amts("eval", out, tmp_path / "ref", "--tgt", "zh").exit_code == 0  # a folder holding an output tree
    assert amts("eval", out / "sub", book, "--tgt", "zh").exit_code == 0  # the output tree itself
