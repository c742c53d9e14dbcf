"""A review session that loses nothing, in real Chromium on the d2l `pooling` section (synced at test time).

One test per finding of the review of a whole-book report: a restarted server (the typed text is saved,
or shown and restored), every write path checked (merge, use a match, slide marks), CJK joins, temp files
of an interrupted save, reject on propagated code, "most of it is the source text" and human memory
pairs, code shown and checked as code, two tabs, and what the queue shows (skipped files, restructured
files, the token kept out of the address, banners only the server wrote). Screenshots go to test-output/.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from test_review_support import chromium, read_token, start_review_cli
from typer.testing import CliRunner

from amts.cli import app as cli_app
from amts.document import normalize_space
from amts.memory import Pair, Store
from amts.review import (
    ProjectRoot,
    ReviewSession,
    StoreFeedback,
    ThreadedServer,
    create_app,
    free_port,
    load_report,
)

OUT = Path(__file__).resolve().parent.parent / "test-output"
PD = "pooling-post-edited"
TOKEN = "session-test-token-0123456789"
OUTPUT = "zh.pooling.md"

pytestmark = [pytest.mark.d2l, pytest.mark.slow]

S56_ZH = "注意，tensorflow 汇聚的输出乍一看似乎不同，但数值上给出的结果与 MXNet 和 PyTorch 相同。"
S57_ZH = "差异在于维度，纵向读取输出会得到与其他实现相同的结果。"


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201 - generator fixture
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def synced_once(d2l: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`amts sync` of the pooling case, once per module; two kept segments are also put up for review
    (the list item after a fuzzy one, a propagated code block whose code changed), as a report of a
    whole book has them."""
    project = tmp_path_factory.mktemp("pooling")
    for name in ("en_old.md", "en_new.md", "zh_old.md"):
        shutil.copy(d2l / "sync" / "pooling" / name, project / name)
    result = CliRunner().invoke(cli_app, [
        "sync", "--old-source", str(project / "en_old.md"), "--new-source", str(project / "en_new.md"),
        "--old-target", str(project / "zh_old.md"), "--out", str(project / OUTPUT), "--report",
        str(project / "report.json"), "--engine", "memory"])
    assert result.exit_code == 0, result.output
    report = json.loads((project / "report.json").read_text(encoding="utf-8"))
    report["files"][0]["output"] = OUTPUT
    for segment in report["files"][0]["segments"]:
        if segment["id"] in ("f0-s63", "f0-s44"):
            segment["needs_review"] = True
    (project / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return project


@pytest.fixture
def project(synced_once: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "book"
    shutil.copytree(synced_once, copy)
    return copy


def segment(project: Path, item_id: str) -> dict:
    report = json.loads((project / "report.json").read_text(encoding="utf-8"))
    return next(s for s in report["files"][0]["segments"] if s["id"] == item_id)


@contextmanager
def serving(project: Path, store: Path, pairs: list[Pair] | None = None, token: str = TOKEN,
            port: int | None = None) -> Iterator[tuple[str, ReviewSession]]:
    if pairs:
        Store(store).create(PD, pairs)
    root = ProjectRoot(project)
    session = ReviewSession(load_report(project / "report.json", root), StoreFeedback(store, PD))
    with ThreadedServer(create_app(session, root, token), port=port) as url:
        yield url, session


def open_page(browser, url: str, path: str = "/", width: int = 1280, token: str = TOKEN):  # noqa: ANN001, ANN201
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}{path}?token={token}")
    return page


def save(page, button: str = "#save") -> None:  # noqa: ANN001
    with page.expect_navigation():
        page.click(button)


def press(page, key: str) -> None:  # noqa: ANN001
    page.locator("#target").blur()
    with page.expect_navigation():
        page.keyboard.press(key)


def stored(store: Path) -> dict[str, str]:
    return {p.source: p.target for p in Store(store).pairs(PD)} if Store(store).exists(PD) else {}


def shoot(page, name: str) -> None:  # noqa: ANN001
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / name))


# -- 1. a restart never loses what is being typed ---------------------------------------------------


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            subprocess.run(["sleep", "0.1"], check=True)
    raise AssertionError(f"{url} never answered")


def test_restart_of_the_server_then_save_keeps_the_typed_text(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = start_review_cli(project, store, port)
    try:
        token = read_token(first)
        wait_up(url)
        page = open_page(browser, url, "/segment/f0-s29", token=token)
        typed = "需要注意的是，tensorflow 更偏好并针对*通道在后（channels-last）*的输入做了优化。"
        page.fill("#target", typed)
    finally:
        first.kill()  # kill -9: no goodbye
        first.wait()
    second = start_review_cli(project, store, port)
    try:
        assert read_token(second) == token  # the same link: the open tab keeps working
        wait_up(url)
        save(page)
        assert typed in (project / OUTPUT).read_text(encoding="utf-8")
        assert "f0-s29 saved" in page.locator("#saved").inner_text()
    finally:
        second.terminate()
        second.wait()
    page.close()


def test_a_refused_save_shows_the_text_and_the_page_restores_it(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    port = free_port()
    typed = "需要注意的是，tensorflow 更偏好*通道在后（channels-last）*的输入。"
    with serving(project, store, port=port) as (url, _):
        page = open_page(browser, url, "/segment/f0-s29")
        page.fill("#target", typed)  # kept in the browser as it is typed
    with serving(project, store, token="another-token-after-the-token-file-was-lost", port=port) as (url, _):
        save(page)
        assert page.locator("#refusal").is_visible()
        assert page.input_value("#refused-text") == typed  # the refused text is on the page, to copy
        assert typed not in (project / OUTPUT).read_text(encoding="utf-8")
        page.goto(f"{url}/segment/f0-s29?token=another-token-after-the-token-file-was-lost")
        assert page.input_value("#target") == typed  # and offered back in the edit box
        assert page.locator("#draft-note").is_visible()
        save(page)
        assert typed in (project / OUTPUT).read_text(encoding="utf-8")
        page.goto(f"{url}/segment/f0-s29")  # saved: the draft is gone, the page shows the file's text
        assert not page.locator("#draft-note").is_visible()
    page.close()


# -- 2, 3. merge, use a match and slide marks get the checks an edit gets ----------------------------


def test_merge_and_use_match_and_slide_marks_are_checked(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    s28 = segment(project, "f0-s28")
    human = Pair(normalize_space(s28["source_new"], "en"), "我们首先构造一个输入张量，它有四个维度。", "en", "zh",
                 {"origin": "aligned"})  # loses `X`
    s42 = segment(project, "f0-s42")
    no_marks = Pair(normalize_space(s42["source_new"], "en"), "当然，我们可以设定任意矩形汇聚窗口以及填充和步幅。",
                    "en", "zh", {"origin": "aligned"})
    original = (project / OUTPUT).read_text(encoding="utf-8")
    with serving(project, store, [human, no_marks]) as (url, session):
        page = open_page(browser, url, "/segment/f0-s62")
        merged = "你能将最大汇聚层作为卷积层的特殊情况实现吗？假设汇聚层的输入大小为 $c\\times h\\times w$。"
        page.fill("#target", merged)
        press(page, "m")  # Merge has a key
        assert "another block" in page.locator("#edit-error").inner_text()
        assert page.input_value("#target") == merged
        # "use this match" is an edit: its text loses `X` and is refused, the reason named
        page.goto(f"{url}/segment/f0-s28")
        page.fill("#target", "一份草稿")  # typed, then the reviewer prefers the match
        page.locator("#target").blur()
        with page.expect_navigation():
            page.keyboard.press("1")
        assert "`X`" in page.locator("#edit-error").inner_text()
        assert page.input_value("#target") == human.target  # the refused text is the one shown
        # slide marks: removed by an edit or a match, refused; kept, saved
        page.goto(f"{url}/segment/f0-s42")
        with page.expect_navigation():
            page.keyboard.press("1")
        assert "slide marks removed" in page.locator("#edit-error").inner_text()
        assert (project / OUTPUT).read_text(encoding="utf-8") == original
        page.fill("#target", "当然，我们可以设定一个任意大小的矩形池化窗口，并分别设定填充和步幅的高度和宽度。")
        save(page)
        assert "slide marks removed" in page.locator("#edit-error").inner_text()
        with_marks = "当然，我们可以(**设定一个任意大小的矩形池化窗口，并分别设定填充和步幅的高度和宽度**)。"
        page.fill("#target", with_marks)
        save(page)
        assert with_marks in (project / OUTPUT).read_text(encoding="utf-8")
        assert session.decision(session.queue.get("f0-s42")).decision == "edited"
        assert stored(store)[no_marks.source] == no_marks.target  # the human pair stays (the page says so)
    page.close()


# -- 4. CJK joins: sentences one at a time, a merge ----------------------------------------------------


def test_cjk_sentences_saved_one_at_a_time_and_merged_leave_no_space(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    output = project / OUTPUT
    s57 = segment(project, "f0-s57")
    with serving(project, store) as (url, session):
        page = open_page(browser, url, "/segment/f0-s56")
        page.fill("#target", S56_ZH)
        save(page)
        page.goto(f"{url}/segment/f0-s57")
        page.fill("#target", S57_ZH)
        save(page)
        assert S56_ZH + S57_ZH + "\n" in output.read_text(encoding="utf-8")  # no space between the sentences
        session.save(session.queue.get("f0-s57"), "undo")
        assert S56_ZH + " " + s57["target_new"] in output.read_text(encoding="utf-8")  # the space is back
        session.save(session.queue.get("f0-s56"), "undo")
    with serving(project, store) as (url, session):
        page = open_page(browser, url, "/segment/f0-s56")
        page.fill("#target", S56_ZH + S57_ZH)
        press(page, "m")
        lines = output.read_text(encoding="utf-8").splitlines()
        assert S56_ZH + S57_ZH in lines  # the whole line: no trailing space, nothing of the second left
        assert session.decision(session.queue.get("f0-s57")).decision == "merged"
        session.save(session.queue.get("f0-s57"), "undo")  # both halves and the space between come back
        assert segment(project, "f0-s56")["target_new"] + " " + s57["target_new"] in output.read_text(encoding="utf-8")
    page.close()


# -- 5. an interrupted save leaves nothing in the book ------------------------------------------------


def test_temp_files_of_an_interrupted_save_are_removed_at_start(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    stale = project / f".{OUTPUT}.un_m_4t5.tmp"  # what kill -9 between write and rename leaves
    stale.write_bytes((project / OUTPUT).read_bytes()[:9896])
    state_temp = project / ".report.review.json.x1y2.tmp"
    state_temp.write_text("{", encoding="utf-8")
    unrelated = project / ".notes.md.keep.tmp"
    unrelated.write_text("not ours", encoding="utf-8")
    with serving(project, store) as (url, _):
        assert not stale.exists() and not state_temp.exists() and unrelated.exists()
        page = open_page(browser, url)
        assert "removed 2 temporary file(s)" in page.locator("#recovered").inner_text()
    page.close()


# -- 6, 8. propagated code: reject explains itself, code is shown and checked as code ----------------


def test_code_is_shown_and_checked_as_code_and_reject_explains(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    s44 = segment(project, "f0-s44")
    output = project / OUTPUT
    new_code = s44["target_new"]
    with serving(project, store) as (url, session):
        page = open_page(browser, url, "/segment/f0-s44", width=400)
        font = page.eval_on_selector("#target-new pre.code", "e => getComputedStyle(e).fontFamily")
        assert "mono" in font.lower()
        assert page.locator("#target-new pre.code .line.insert").count() >= 1  # the changed line, whole
        assert "code block as it was before this update" in page.locator("#reject-note").inner_text()
        # a code change is refused line by line, and cannot be forced
        page.fill("#target", new_code.replace("strides=(2, 3)", "strides=(3, 3)"))
        save(page)
        problems = page.locator("#error-lines li").all_inner_texts()
        assert problems == ["line 2: code `pool2d = nn.MaxPool2D((2, 3), padding=(0, 1), strides=(2, 3))` became "
                            "`pool2d = nn.MaxPool2D((2, 3), padding=(0, 1), strides=(3, 3))`"]
        assert page.locator("#force").count() == 0
        box = page.locator("#edit-error").bounding_box()
        assert box["height"] < 450  # the reason fits the first screen at 400 px
        shoot(page, "review-code-refused-400.png")
        # a translated comment is no code change: saved
        commented = new_code.replace("pool2d(X)\n", "pool2d(X)  # 输出的形状\n")
        page.fill("#target", commented)
        save(page)
        assert commented in output.read_text(encoding="utf-8")
        session.save(session.queue.get("f0-s44"), "undo")
        # reject: the pre-update code is back, and the page says that is what happened
        page.goto(f"{url}/segment/f0-s44")
        page.set_viewport_size({"width": 1280, "height": 900})
        shoot(page, "review-code-1280.png")
        save(page, "#reject")
        assert "code block as it was before this update" in page.locator("#saved").inner_text()
        assert s44["target_old"] in output.read_text(encoding="utf-8")
    page.close()


# -- 7. the source text is no translation; a human pair is never silently replaced ------------------


def test_mostly_source_is_refused_and_a_human_pair_is_kept(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    s28, s29 = segment(project, "f0-s28"), segment(project, "f0-s29")
    key = normalize_space(s28["source_new"], "en")
    human = Pair(key, "我们首先构造了一个输入张量 `X`，它有四个维度。", "en", "zh", {"origin": "aligned"})
    with serving(project, store, [human]) as (url, _):
        page = open_page(browser, url, "/segment/f0-s29")
        page.fill("#target", "译文：" + s29["source_new"])
        save(page)
        assert "most of the text is the source text" in page.locator("#edit-error").inner_text()
        page.check("#force")  # the reviewer insists: the file gets it, the memory never does
        save(page)
        assert "not stored" in page.locator("#saved").inner_text()
        assert normalize_space(s29["source_new"], "en") not in stored(store)
        page.goto(f"{url}/segment/f0-s28")
        mine = "我们先构造一个输入张量 `X`，它有四个维度，其中样本数和通道数都是 1。"
        page.fill("#target", mine)
        save(page)
        assert "keeps its translation" in page.locator("#saved").inner_text()
        assert stored(store)[key] == human.target  # the human pair is still there
        page.goto(f"{url}/segment/f0-s28")
        page.check("#replace-pair")  # asked, and answered: replace it
        save(page)
        assert stored(store)[key] == mine
    page.close()


# -- 9. two tabs ---------------------------------------------------------------------------------------


def test_two_tabs_never_overwrite_each_other_silently(project: Path, store: Path, browser) -> None:  # noqa: ANN001
    output = project / OUTPUT
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    one, two = context.new_page(), context.new_page()
    with serving(project, store) as (url, _):
        one.goto(f"{url}/segment/f0-s56?token={TOKEN}")
        two.goto(f"{url}/segment/f0-s56")
        one.fill("#target", S56_ZH)
        save(one)
        theirs = "注意：tensorflow 的汇聚输出看起来不同，但数值与 MXNet 和 PyTorch 一样。"
        two.fill("#target", theirs)
        save(two)
        conflict = two.locator("#conflict").inner_text()
        assert "another tab" in conflict and S56_ZH in conflict  # what the other tab saved is shown
        assert two.input_value("#target") == theirs and theirs not in output.read_text(encoding="utf-8")
        save(two)  # now knowingly
        assert theirs in output.read_text(encoding="utf-8")
        # accept in one tab, edit in the other: the edit is refused, the accept is not replaced silently
        one.goto(f"{url}/segment/f0-s62")
        two.goto(f"{url}/segment/f0-s62")
        save(one, "#accept")
        two.fill("#target", "你能把最大汇聚层实现为卷积层的特例吗？如果能，请实现。")
        save(two)
        assert two.locator("#conflict").count() == 1
        # two different segments of one file: no conflict
        one.goto(f"{url}/segment/f0-s42")
        two.goto(f"{url}/segment/f0-s57")
        one.fill("#target", "当然，我们可以(**设定任意大小的矩形汇聚窗口**)，并分别设定填充和步幅。")
        two.fill("#target", S57_ZH)
        save(one)
        save(two)
        assert one.locator("#saved").count() == 1 and two.locator("#saved").count() == 1
        assert S57_ZH in output.read_text(encoding="utf-8")
    context.close()


# -- 10. what the queue shows --------------------------------------------------------------------------


@pytest.fixture
def restructured(d2l: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder sync of three real sections: one moved to a new chapter, one dropped, one new."""
    moved_old = "chapter_attention-mechanisms/attention-scoring-functions.md"
    moved_new = "chapter_attention-mechanisms-and-transformers/attention-scoring-functions.md"
    dropped, new = "chapter_attention-mechanisms/nadaraya-waston.md", "chapter_appendix-mathematics-for-deep-learning/distributions.md"
    project = tmp_path / "book"
    for folder, names in (("en-origin", [moved_old, dropped]), ("zh", [moved_old, dropped]), ("en-master", [moved_new, new])):
        for name in names:
            (project / folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(d2l / folder / name, project / folder / name)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli_app, ["sync", "--old-source", "en-origin", "--new-source", "en-master",
                                          "--old-target", "zh", "--out", "out", "--report", "report.json",
                                          "--engine", "memory"])
    assert result.exit_code == 0, result.output
    return project


def test_queue_lists_skipped_and_restructured_files_and_keeps_the_token_out(restructured: Path, store: Path,
                                                                            browser) -> None:  # noqa: ANN001
    with serving(restructured, store) as (url, session):
        page = open_page(browser, url)
        assert "token" not in page.url and page.evaluate("history.length") == 2  # the blank tab, then the queue
        page.go_back()
        assert page.url == "about:blank"  # Back never shows the link with the token
        page.go_forward()
        skipped = page.locator("#skipped")
        assert "1 new section(s) to translate, 1 dropped" in skipped.inner_text()
        page.click("#skipped summary")
        assert "distributions.md" in page.locator(".skipped-new").inner_text()
        assert "nadaraya-waston.md" in page.locator(".skipped-dropped").inner_text()
        carried = page.locator(".moved-from").first.inner_text()
        assert "chapter_attention-mechanisms/attention-scoring-functions.md" in carried
        shoot(page, "review-queue-skipped-1280.png")
        page.set_viewport_size({"width": 400, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= 400  # long paths wrap, no sideways scroll
        shoot(page, "review-queue-skipped-400.png")
        item = session.queue.items[0]
        page.goto(f"{url}/segment/{item.id}")
        assert "chapter_attention-mechanisms/attention-scoring-functions.md" in page.locator("#moved-from").inner_text()
        # a banner shows only what the server wrote: a crafted link shows nothing
        page.goto(f"{url}/?note=forged&saved=%3Cb%3EYour+session+expired%3C%2Fb%3E")
        assert page.locator("#saved").count() == 0 and "session expired" not in page.content()
    page.close()
