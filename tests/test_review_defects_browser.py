"""Every defect found when reviewing in real Chromium, replayed in real Chromium (Playwright, Debian's
chromium, never a downloaded browser): decisions, edits, crash safety, the whole-book queue, layout at
1280 and 400 px, framing and other attacks. Screenshots go to test-output/.
"""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from test_review_support import SEGMENTS, chromium, make_report, output_text, read_token, start_review_cli

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
from amts.review.queue import same_code, structure_problems
from amts.review.sources import open_target

OUT = Path(__file__).resolve().parent.parent / "test-output"
PD = "defects-post-edited"
TOKEN = "defects-test-token-0123456789"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201 - generator fixture
    with chromium() as launched:
        yield launched


@pytest.fixture
def small(tmp_path: Path, store: Path):  # noqa: ANN201 - generator fixture
    """The small report of test_review_support served with a seeded parallel data; yields (url, project, session)."""
    project = tmp_path / "book"
    make_report(project)
    Store(store).create(PD, [Pair(SEGMENTS[2][2], "汇聚降低了表示的分辨率。它保留每个窗口里最强的信号。", "en", "zh",
                                  {"origin": "aligned"}),
                             Pair("An unrelated sentence about cats.", "一个关于猫的无关句子。", "en", "zh", {})])
    session = ReviewSession(load_report(project / "report.json", ProjectRoot(project)), StoreFeedback(store, PD))
    with ThreadedServer(create_app(session, ProjectRoot(project), TOKEN)) as url:
        yield url, project, session


def open_page(browser, url: str, width: int = 1280, path: str = "/"):  # noqa: ANN001, ANN201
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{url}{path}{'&' if '?' in path else '?'}token={TOKEN}")
    return page


def stored(store: Path) -> list[tuple[str, str]]:
    return [(p.source, p.target) for p in Store(store).pairs(PD)]


def shoot(page, name: str) -> None:  # noqa: ANN001
    """What the reviewer sees in the window (a whole-book page would be an image metres long)."""
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / name))


# -- decisions -------------------------------------------------------------------------------------


def test_accepting_untranslated_english_is_refused(browser, small, store: Path) -> None:  # noqa: ANN001
    url, project, _ = small
    page = open_page(browser, url, path="/segment/f0-s4")
    before = (project / "zh.pooling.md").read_bytes()
    page.locator("body").focus()
    with page.expect_navigation():
        page.keyboard.press("a")
    assert "cannot accept: the text is still the source text" in page.locator("#edit-error").inner_text()
    assert (project / "zh.pooling.md").read_bytes() == before
    assert ("Padding keeps the border of the image, see :numref:`fig_pad`.",) not in [(s,) for s, _ in stored(store)]
    assert all(target != source for source, target in stored(store))  # never English -> English
    page.close()


def test_edit_then_accept_then_reject_never_gets_stuck(browser, small, store: Path) -> None:  # noqa: ANN001
    url, project, session = small
    page = open_page(browser, url, path="/segment/f0-s2")
    fixed = "汇聚降低表示的分辨率。它保留每个窗口中的最大值。"
    page.fill("#target", fixed)
    with page.expect_navigation():
        page.click("#save")
    page.goto(f"{url}/segment/f0-s2")
    assert page.locator("#target-new .text").inner_text() == fixed  # the page shows the edit, not the old proposal
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    with page.expect_navigation():
        page.click("#accept")
    assert 409 not in statuses and session.decision(session.queue.get("f0-s2")).target == fixed
    page.goto(f"{url}/segment/f0-s2")
    with page.expect_navigation():
        page.click("#reject")
    page.goto(f"{url}/segment/f0-s2")
    assert "still needs a translation" in page.locator("#reopened").inner_text()
    assert (project / "zh.pooling.md").read_text(encoding="utf-8") == output_text()  # the edit is taken back
    assert (SEGMENTS[2][3], fixed) not in stored(store)
    page.fill("#target", fixed)
    with page.expect_navigation():
        page.click("#save")
    assert 409 not in statuses and fixed in (project / "zh.pooling.md").read_text(encoding="utf-8")
    assert session.progress()[0] == 1
    page.close()


def test_a_post_without_action_is_refused(browser, small) -> None:  # noqa: ANN001
    url, project, _ = small
    page = open_page(browser, url, path="/segment/f0-s2")
    response = page.request.post(f"{url}/segment/f0-s2", form={"token": TOKEN, "target": "别的。"},
                                 headers={"Origin": url})
    assert response.status == 400 and "names no action" in response.text()
    assert (project / "zh.pooling.md").read_text(encoding="utf-8") == output_text()
    page.close()


@pytest.mark.parametrize(("text", "reason"), [
    ("汇聚降低分辨率。\n```\n它保留最大值。", "code fence"),
    ("## 汇聚降低表示的分辨率。", "heading marker"),
    ("汇聚降低表示的分辨率。\n* 它保留最大值。", "list marker"),
    ("汇聚降低表示的分辨率。<!-- 它保留最大值。", "HTML"),
])
def test_edits_that_would_break_the_file_are_refused_with_a_reason(browser, small, text: str, reason: str) -> None:  # noqa: ANN001
    url, project, _ = small
    page = open_page(browser, url, path="/segment/f0-s2")
    page.fill("#target", text)
    with page.expect_navigation():
        page.click("#save")
    assert reason in page.locator("#edit-error").inner_text()
    assert page.input_value("#target") == text  # the reviewer's text is kept to fix
    assert (project / "zh.pooling.md").read_text(encoding="utf-8") == output_text()
    page.close()


def test_nul_and_invalid_utf8_never_reach_the_file(browser, small) -> None:  # noqa: ANN001
    url, project, _ = small
    page = open_page(browser, url, path="/segment/f0-s2")
    page.fill("#target", "汇聚\x00降低。")
    with page.expect_navigation():
        page.click("#save")
    assert "U+0000" in page.locator("#edit-error").inner_text()
    for body in (b"action=edit&target=%FF%FE%41", b"action=edit&target=\xe6\xb1"):  # bad percent-escapes, raw bytes
        response = page.request.post(f"{url}/segment/f0-s2", data=body + f"&token={TOKEN}".encode(), headers={
            "Content-Type": "application/x-www-form-urlencoded", "Origin": url})
        assert response.status == 400 and "UTF-8" in response.text()
    assert (project / "zh.pooling.md").read_text(encoding="utf-8") == output_text()
    page.close()


# -- crash and concurrency -------------------------------------------------------------------------


def test_an_edit_stranded_by_a_crash_is_finished_and_editable(browser, tmp_path: Path, store: Path) -> None:  # noqa: ANN001
    project = tmp_path / "book"
    make_report(project)
    fixed = "汇聚降低表示的分辨率。它保留每个窗口中的最大值。"
    script = f"""
import os, sys
from pathlib import Path
from amts.review import ProjectRoot, ReviewSession, StoreFeedback, load_report, file_hash
StoreFeedback.add = lambda self, pair: os._exit(9)  # killed after the file, before the memory and the state
project = Path({str(project)!r})
session = ReviewSession(load_report(project / "report.json", ProjectRoot(project)), StoreFeedback(Path({str(store)!r}), {PD!r}))
session.save(session.queue.get("f0-s2"), "edit", {fixed!r}, file_hash(project / "zh.pooling.md"))
"""
    assert subprocess.run([sys.executable, "-c", script], timeout=120).returncode == 9
    assert fixed in (project / "zh.pooling.md").read_text(encoding="utf-8")
    session = ReviewSession(load_report(project / "report.json", ProjectRoot(project)), StoreFeedback(store, PD))
    with ThreadedServer(create_app(session, ProjectRoot(project), TOKEN)) as url:
        page = open_page(browser, url, path="/?show=all")
        assert "finished the interrupted decision on f0-s2" in page.locator("#recovered").inner_text()
        assert "edited" in page.locator("#row-f0-s2").inner_text()
        page.goto(f"{url}/segment/f0-s2")
        page.fill("#target", fixed.replace("最大值", "最大的值"))
        with page.expect_navigation():
            page.click("#save")
        assert "note=" in page.url  # not an endless 409
        assert stored(store) == [(SEGMENTS[2][3], fixed.replace("最大值", "最大的值"))]
        page.close()


def test_a_second_server_on_the_same_report_is_refused(browser, tmp_path: Path, store: Path) -> None:  # noqa: ANN001
    project = tmp_path / "book"
    make_report(project)
    port = free_port()
    first = start_review_cli(project, store, port)
    try:
        token = read_token(first)
        second = subprocess.run(
            [sys.executable, "-m", "amts", "review", "report.json", "--port", str(free_port()), "--store", str(store)],
            cwd=project, capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"})
        assert second.returncode != 0
        assert "already being reviewed by amts review pid" in second.stderr and f":{port}/" in second.stderr
        page = browser.new_page()
        for _ in range(100):
            try:
                page.goto(f"http://127.0.0.1:{port}/?token={token}")
                break
            except Exception:  # noqa: BLE001 - the server is still starting
                time.sleep(0.1)
        assert page.locator("#progress").inner_text().split() == ["0", "of", "4", "done"]
        page.close()
    finally:
        first.terminate()
        first.wait(timeout=10)
    # the lock went with the process: the report can be reviewed again
    again = ReviewSession(load_report(project / "report.json", ProjectRoot(project)))
    again.hold()
    again.close()


def test_decisions_grow_the_store_by_their_pairs(browser, small, store: Path) -> None:  # noqa: ANN001
    url, _, _ = small
    page = open_page(browser, url, path="/segment/f0-s2")
    with sqlite3.connect(store) as conn:
        members = conn.execute("SELECT COUNT(*) FROM pd_members").fetchone()[0]
    page.fill("#target", "汇聚降低表示的分辨率。它保留最大值。")
    with page.expect_navigation():
        page.click("#save")
    page.goto(f"{url}/segment/f0-s5")
    page.fill("#target", "步幅 $s$ 跳过窗口的\n一些位置。")
    with page.expect_navigation():
        page.click("#save")
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pd_members").fetchone()[0] == members  # no copies
        assert conn.execute("SELECT COUNT(*) FROM pd_changes").fetchone()[0] == 2  # one change per decision
    page.close()


# -- working with it -------------------------------------------------------------------------------


def test_context_merge_match_undo_and_reject(browser, small, store: Path) -> None:  # noqa: ANN001
    url, project, session = small
    output = project / "zh.pooling.md"
    page = open_page(browser, url, path="/segment/f0-s2")
    assert SEGMENTS[1][5] in page.locator("#context-before").inner_text()  # the paragraph before it
    # "use this match": the aligned pair of the old source is offered and taken with one key
    assert "最强的信号" in page.locator("#matches").inner_text()
    page.locator("body").focus()
    with page.expect_navigation():
        page.keyboard.press("1")
    assert "汇聚降低了表示的分辨率。它保留每个窗口里最强的信号。" in output.read_text(encoding="utf-8")
    # the key press can be undone with "u"
    page.locator("body").focus()
    with page.expect_navigation():
        page.keyboard.press("u")
    assert output.read_text(encoding="utf-8") == output_text()
    assert session.decision(session.queue.get("f0-s2")) is None
    # two English paragraphs, one Chinese sentence: merge the next one in
    page.goto(f"{url}/segment/f0-s4")
    both = "填充保留图像的边界（见 :numref:`fig_pad`），步幅 $s$ 跳过窗口的一些位置。"
    page.fill("#target", both)
    with page.expect_navigation():
        page.click("#merge")
    text = output.read_text(encoding="utf-8")
    assert both in text and SEGMENTS[5][5] not in text
    page.goto(f"{url}/segment/f0-s5")
    assert "f0-s4" in page.locator("#merged").inner_text()
    shoot(page, "review-merged-1280.png")
    with page.expect_navigation():
        page.click("#undo")
    assert output.read_text(encoding="utf-8") == output_text()
    page.close()


# -- a whole book ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def book(d2l: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201 - generator fixture
    """`amts sync` of the whole book, en-origin -> en-master with the Chinese of zh, served for review."""
    project = tmp_path_factory.mktemp("whole-book")
    home = tmp_path_factory.mktemp("home")
    result = subprocess.run(
        [sys.executable, "-m", "amts", "sync", "--old-source", str(d2l / "en-origin"), "--new-source",
         str(d2l / "en-master"), "--old-target", str(d2l / "zh"), "--out", "zh", "--report", "report.json"],
        cwd=project, capture_output=True, text=True, timeout=900, env={**os.environ, "AMTS_HOME": str(home)})
    # a file the sync's validity gate blocks keeps its old translation; the rest is written and reported
    assert result.returncode == 0 or "blocked, the rest written" in result.stderr, result.stderr[-2000:]
    root = ProjectRoot(project)
    session = ReviewSession(open_target(str(project / "report.json"), root), StoreFeedback(home / "amts.sqlite", PD))
    with ThreadedServer(create_app(session, root, TOKEN)) as url:
        yield url, project, session


@pytest.mark.d2l
def test_whole_book_queue_is_paginated_grouped_and_searchable(browser, book) -> None:  # noqa: ANN001
    url, _, session = book
    total = len(session.queue.items)
    assert total > 3000
    page = open_page(browser, url, 1280)
    assert page.locator("table.queue tbody tr").count() == 100  # one page, never 3,800 rows
    assert f"{total} segment(s) · page 1 of {-(-total // 100)}" in page.locator("#summary").inner_text()
    groups = page.locator(".file-group")
    assert groups.count() >= 1 and "pending of" in groups.first.locator(".count").inner_text()
    # Source and Target share the width: no path column squeezing them to a word per line
    source_width = page.locator("table.queue td.source").first.bounding_box()["width"]
    assert source_width > 400
    shoot(page, "review-book-queue-1280.png")
    with page.expect_navigation():
        page.click("#page-next")
    assert "page 2 of" in page.locator("#summary").inner_text()
    # search and filters narrow it down; the file list counts pending per file
    page.goto(f"{url}/?q=softmax&label=fuzzy")
    found = session.filtered(label="fuzzy", show="pending", query="softmax")
    assert 0 < len(found) < total
    assert all("softmax" in f"{i.source_new}{i.target_new}".lower() for i in found)
    assert page.locator("table.queue tbody tr").count() == min(100, len(found))
    options = page.locator("select[name=file] option").all_inner_texts()
    assert len(options) > 100 and all(re.search(r"\(\d+/\d+\)$", o) for o in options[1:])
    # flags mean something: a code block whose only change is translated comments is no structure flag
    comments_only = [i for i in session.queue.items if i.source_new and i.target_new
                     and structure_problems(i.source_new, i.target_new) and same_code(i.source_new, i.target_new)]
    assert len(comments_only) > 10 and not any("structure" in i.flags for i in comments_only)
    assert session.queue.labels()["glossary"] == 0  # no glossary given: no invented "Time -> Time" flags
    page.close()


@pytest.mark.d2l
def test_whole_book_at_400px_and_the_file_view(browser, book) -> None:  # noqa: ANN001
    url, _, session = book
    page = open_page(browser, url, 400)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the queue overflows: {width}px"
    shoot(page, "review-book-queue-400.png")
    item = next(i for i in session.queue.items if i.status == "fuzzy" and (i.output_line or 0) > 60)
    page.goto(f"{url}/segment/{item.id}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    shoot(page, "review-book-segment-400.png")
    for width in (1280, 400):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{url}/segment/{item.id}")
        with page.expect_navigation():
            page.click("#file-link")
        numbers = page.locator("pre.file b")
        assert numbers.first.inner_text() == "1"  # lines are numbered from 1, as editors do
        line = page.locator(f"#L{item.output_line}")
        assert item.target_new.splitlines()[0][:20] in line.inner_text()
        page.wait_for_timeout(200)
        header = page.locator("header.top").bounding_box()
        box = line.bounding_box()
        assert box["y"] >= header["y"] + header["height"] - 1, "the highlighted line is under the sticky header"
        assert box["y"] < 800
        shoot(page, f"review-book-file-{width}.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{url}/segment/{item.id}")
    shoot(page, "review-book-segment-1280.png")
    page.close()


# -- attacks ---------------------------------------------------------------------------------------


def test_framing_and_foreign_origins_are_refused(browser, small) -> None:  # noqa: ANN001
    url, project, session = small
    attacker = FastAPI()

    @attacker.get("/", response_class=HTMLResponse)
    def evil() -> str:
        return (f'<iframe id="f" src="{url}/segment/f0-s2" width="1200" height="800"></iframe>'
                f'<form id="x" method="post" action="{url}/segment/f0-s2"><input name="action" value="accept">'
                f'<input name="token" value="{TOKEN}"></form>')

    page = open_page(browser, url)  # the reviewer is logged in: the cookie is set
    cookies = [c["name"] for c in page.context.cookies()]
    assert cookies == [f"amts_review_{url.rsplit(':', 1)[1]}"]  # one cookie name per server
    with ThreadedServer(attacker) as evil_url:
        assert evil_url.rsplit(":", 1)[1] != url.rsplit(":", 1)[1]  # same host, another port: same site
        page.goto(evil_url)
        page.wait_for_timeout(500)
        frame = page.frame_locator("#f")
        assert frame.locator("#accept").count() == 0  # the browser refused to show the framed page
        page.mouse.click(120, 560)  # where the Accept button would be
        # even a form that knows the token is refused when it comes from another origin
        with page.expect_navigation():
            page.evaluate("document.getElementById('x').submit()")
        assert "refused" in page.content()
    assert session.decision(session.queue.get("f0-s2")) is None
    assert (project / "zh.pooling.md").read_text(encoding="utf-8") == output_text()
    response = httpx.get(f"{url}/?token={TOKEN}", follow_redirects=True)
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.close()


def test_a_huge_body_is_refused_before_it_is_read(small) -> None:  # noqa: ANN001
    url, _, _ = small
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall((f"POST /segment/f0-s2 HTTP/1.1\r\nHost: {host}:{port}\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 300000000\r\n\r\n"
                      "action=accept&target=").encode())
        started = time.monotonic()
        answer = ""  # no token, 300 MB announced: answered at once, without waiting for the body
        while "larger than" not in answer and time.monotonic() - started < 5:
            answer += sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and time.monotonic() - started < 5
    assert "larger than" in answer


def test_a_keyboard_decision_is_undone_with_u(browser, small, store: Path) -> None:  # noqa: ANN001
    url, project, session = small
    page = open_page(browser, url, path="/segment/f0-s2")
    page.locator("body").focus()
    with page.expect_navigation():
        page.keyboard.press("a")  # accepted; the next pending segment opens with "Undo" in its message
    assert session.decision(session.queue.get("f0-s2")).decision == "accepted"
    assert (SEGMENTS[2][3], SEGMENTS[2][5]) in stored(store) and page.locator("#undo-flash").count() == 1
    page.locator("body").focus()
    with page.expect_navigation():
        page.keyboard.press("u")
    assert page.url.split("?")[0].endswith("/segment/f0-s2")  # back where the decision was made
    assert session.decision(session.queue.get("f0-s2")) is None
    assert (SEGMENTS[2][3], SEGMENTS[2][5]) not in stored(store)  # the pair went with it
    assert (project / "zh.pooling.md").read_text(encoding="utf-8") == output_text()
    page.close()
