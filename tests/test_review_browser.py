"""End to end in a real headless Chromium: sync the d2l `pooling` case, review it, fix a segment, save.

Debian's chromium (scripts/system-packages.txt) driven by Playwright; no browser is ever downloaded.
Screenshots of the queue and of a segment page go to test-output/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest
from test_review_support import chromium
from typer.testing import CliRunner

from amts.cli import app as cli_app
from amts.document import normalize_space
from amts.memory import Pair, Store, TermMatcher
from amts.review import ProjectRoot, ReviewSession, StoreFeedback, ThreadedServer, create_app, file_hash
from amts.review.sources import open_target

OUT = Path(__file__).resolve().parent.parent / "test-output"
PD = "pooling-post-edited"
TOKEN = "browser-test-token-0123456789"

pytestmark = [pytest.mark.d2l, pytest.mark.slow]


@pytest.fixture
def synced(d2l: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder holding the pooling case synced by `amts sync` with its JSON report."""
    project = tmp_path / "book"
    project.mkdir()
    for name in ("en_old.md", "en_new.md", "zh_old.md"):
        shutil.copy(d2l / "sync" / "pooling" / name, project / name)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli_app, [
        "sync", "--old-source", "en_old.md", "--new-source", "en_new.md", "--old-target", "zh_old.md",
        "--out", "zh.pooling.md", "--report", "pooling.json", "--engine", "memory"])
    assert result.exit_code == 0, result.output
    return project


@pytest.fixture
def browser():  # noqa: ANN201 - generator fixture
    with chromium() as launched:
        yield launched


def test_review_pooling_in_chromium(synced: Path, store: Path, browser) -> None:  # noqa: ANN001
    report = json.loads((synced / "pooling.json").read_text(encoding="utf-8"))
    segments = report["files"][0]["segments"]
    wanted = [s for s in segments if s["needs_review"]]
    fuzzy = [s for s in wanted if s["status"] == "fuzzy"]
    assert fuzzy, "the pooling case has modified paragraphs whose old translation is kept"
    # the fuzzy segment whose change is an addition in brackets: the reviewer adds it to the translation
    target = next(s for s in fuzzy if "(" in s["source_new"] and "(" not in s["source_old"])
    output = synced / "zh.pooling.md"
    original = output.read_bytes()

    # the parallel data sync would have used: the old pairs of the changed segments, the human
    # translations kept, and two term pairs of our own
    seed = [Pair(normalize_space(s["source_old"], "en"), normalize_space(s["target_old"], "zh"), "en", "zh",
                 {"origin": "aligned"}) for s in segments if s["status"] in ("kept", "fuzzy") and s["source_old"]]
    seed += [Pair("input tensor", "输入张量", "en", "zh", {"origin": "imported"}),
             Pair("channels", "通道", "en", "zh", {"origin": "imported"})]
    Store(store).create(PD, seed)
    root = ProjectRoot(synced)
    glossary = TermMatcher({"input tensor": "输入张量", "channels": "通道"})
    session = ReviewSession(open_target("pooling.json", root), StoreFeedback(store, PD), glossary=glossary)
    assert len(session.queue.items) >= len(wanted)
    app = create_app(session, root, TOKEN)
    OUT.mkdir(exist_ok=True)
    with ThreadedServer(app) as url:
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.goto(f"{url}/?token={TOKEN}")
        assert page.url == f"{url}/"  # the token left the address bar for a cookie
        total = len(session.queue.items)
        assert page.locator("#progress").inner_text().split() == ["0", "of", str(total), "done"]
        assert page.locator("table.queue tbody tr").count() == total

        # filter the queue: only the fuzzy ("source changed") segments
        page.select_option("select[name=label]", "fuzzy")
        page.click(".filters button")
        page.wait_for_url("**label=fuzzy**")
        rows = page.locator("table.queue tbody tr")
        assert rows.count() == len(fuzzy)
        page.screenshot(path=str(OUT / "review-queue.png"), full_page=True)

        page.click(f"#row-{target['id']} a.open")
        page.wait_for_url(f"**/segment/{target['id']}**")
        inserted = page.locator("#source-new ins").all_inner_texts()
        assert inserted and all(text in target["source_new"] for text in inserted)
        assert any("(" in text for text in inserted)
        assert page.locator("#target-new .text").inner_text() == target["target_new"]
        # the old pair of this segment is the best memory match, with its match percentage
        best = page.locator("#matches tr").first
        assert best.locator(".text").first.inner_text() == normalize_space(target["source_old"], "en")
        assert 70 <= float(best.locator(".score").inner_text().rstrip("%")) < 100
        assert page.locator("#glossary td").first.inner_text() == "input tensor"
        page.screenshot(path=str(OUT / "review-segment.png"), full_page=True)

        # edit and save with the keyboard
        assert page.input_value("#target") == target["target_new"]
        fixed = target["target_new"].replace("，", "（批量大小），", 1) if "，" in target["target_new"] \
            else target["target_new"] + "（批量大小）"
        page.fill("#target", fixed)
        page.focus("#target")
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")
        assert "note=" in page.url, page.content()[:2000]
        assert page.locator(".flash.ok").count() == 1

        # the file changed exactly there, nowhere else
        assert output.read_bytes() == original.replace(target["target_new"].encode(), fixed.encode(), 1)
        assert original.count(target["target_new"].encode()) == 1
        # and the parallel data has the post-edited pair as a new version
        pairs = Store(store).pairs(PD)
        assert len(pairs) == len(seed) + 1 and Store(store).describe(PD).version == 2
        assert (pairs[-1].source, pairs[-1].target, pairs[-1].provenance["origin"]) == (
            normalize_space(target["source_new"], "en"), normalize_space(fixed, "zh"), "post-edited")

        # the next pending fuzzy segment is open: accept it with the `a` key
        accepted_id = page.locator(".segment-nav .id").inner_text()
        assert accepted_id != target["id"] and accepted_id in {s["id"] for s in fuzzy}
        page.locator("body").focus()
        with page.expect_navigation():
            page.keyboard.press("a")
        assert session.decision(session.queue.get(accepted_id)).decision == "accepted"
        assert Store(store).describe(PD).version == 3
        page.goto(f"{url}/?show=all")
        assert page.locator("#progress").inner_text().split() == ["2", "of", str(total), "done"]

        # a conflicting change on disk to this segment since the page was loaded is shown, never overwritten
        other = next(s for s in wanted if s["status"] == "untranslated")
        page.goto(f"{url}/segment/{other['id']}")
        theirs = output.read_text(encoding="utf-8").replace(other["target_new"], "别人改过的译文。", 1)
        output.write_text(theirs, encoding="utf-8")
        page.fill("#target", "我的译文。")
        response_status = []
        page.on("response", lambda r: response_status.append(r.status) if "/segment/" in r.url else None)
        with page.expect_navigation():
            page.click("#save")
        assert 409 in response_status
        assert "changed outside this review" in page.locator("#conflict").inner_text()
        assert page.input_value("#target") == "我的译文。"  # the reviewer's text is not lost
        assert output.read_text(encoding="utf-8") == theirs

        # the browser's cookie reads, but never writes: a write without the token is refused
        refused = page.request.post(f"{url}/segment/{other['id']}", form={"action": "edit", "target": "x"})
        assert refused.status == 403
        assert output.read_text(encoding="utf-8") == theirs
        # path traversal through the file viewer is refused
        (synced.parent / "secret.md").write_text("private notes", encoding="utf-8")
        refused_page = page.goto(url + "/file/..%2Fsecret.md")
        assert refused_page.status == 403 and "private notes" not in page.content()
        normalised = page.goto(url + "/file/%2e%2e/%2e%2e/etc/passwd")  # the browser collapses the dots
        assert normalised.status in (403, 404) and "root:" not in page.content()
        page.close()

    with httpx.Client(base_url=url) as client, pytest.raises(httpx.ConnectError):  # server stopped
        client.get("/")
    assert file_hash(output) != file_hash(synced / "zh_old.md")
