"""Review: queue loading, saving decisions, conflicts, the token and the project root (real HTTP)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from test_review_support import SEGMENTS, make_report, output_text, read_token, start_review_cli
from typer.testing import CliRunner

from amts.cli import app as cli_app
from amts.memory.store import Store
from amts.review import (
    TOKEN_HEADER,
    ConflictError,
    EditError,
    OutsideRootError,
    ProjectRoot,
    QueueError,
    ReviewSession,
    StoreFeedback,
    ThreadedServer,
    create_app,
    file_hash,
    load_report,
    word_diff,
)
from amts.review.sources import open_target

PD = "review-test"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    make_report(root)
    return root


def open_session(project: Path, store: Path | None = None) -> ReviewSession:
    root = ProjectRoot(project)
    queue = load_report(project / "report.json", root)
    return ReviewSession(queue, StoreFeedback(store, PD) if store else None)


def test_queue_holds_what_needs_review_with_flags(project: Path) -> None:
    session = open_session(project)
    items = session.queue.items
    expected = [f"f0-s{n}" for n, seg in enumerate(SEGMENTS) if seg[1]]
    assert [item.id for item in items] == expected
    by_id = {item.id: item for item in items}
    # the machine translation lost the inline math `$s$` of its source: a structure warning
    assert by_id["f0-s5"].flags == ["structure"]
    assert any("$s$" in problem for problem in by_id["f0-s5"].problems)
    assert by_id["f0-s2"].flags == [] and by_id["f0-s2"].status == "fuzzy"
    assert not by_id["f0-s6"].editable
    assert session.progress() == (0, len(expected))
    assert [i.id for i in session.filtered(label="fuzzy")] == ["f0-s2"]
    assert [i.id for i in session.filtered(label="structure")] == ["f0-s5"]


def test_word_diff_marks_changed_words_only() -> None:
    old, new = word_diff("It keeps the strongest signal.", "It keeps\nthe largest value.")
    assert [p.text for p in old if p.op == "delete"] == ["strongest signal"]
    assert [p.text for p in new if p.op == "insert"] == ["largest value"]
    assert "".join(p.text for p in new) == "It keeps\nthe largest value."  # re-wrapping is not a change
    old_zh, new_zh = word_diff("最强的信号", "最大的值")
    assert [p.text for p in new_zh if p.op == "insert"] == ["大", "值"] or "".join(
        p.text for p in new_zh if p.op == "insert"
    ) == "大值"


def test_edit_changes_only_that_segment_and_feeds_parallel_data(project: Path, store: Path) -> None:
    session = open_session(project, store)
    output = project / "zh.pooling.md"
    before = output.read_bytes()
    item = session.queue.get("f0-s2")
    fixed = "汇聚降低表示的分辨率。它保留每个窗口中的最大值。"
    result = session.save(item, "edit", fixed + "\r\n", file_hash(output))  # a browser sends CRLF
    assert result.file_changed
    old = SEGMENTS[2][5].encode()
    assert output.read_bytes() == before.replace(old, fixed.encode())
    assert output.read_bytes().count(fixed.encode()) == 1
    pairs = Store(store).pairs(PD)
    assert [(p.source, p.target, p.provenance["origin"]) for p in pairs] == [(SEGMENTS[2][3], fixed, "post-edited")]
    state = json.loads((project / "report.review.json").read_text(encoding="utf-8"))
    assert state["history"]["f0-s2"][-1]["decision"] == "edited"
    assert state["history"]["f0-s2"][-1]["target"] == fixed
    # a second edit replaces the first one, and the store gets a new version with the latest text
    again = fixed.replace("最大值", "最大的值")
    session.save(item, "edit", again, file_hash(output))
    assert again in output.read_text(encoding="utf-8") and fixed not in output.read_text(encoding="utf-8")
    info = Store(store).describe(PD)
    assert info.version == 2 and [p.target for p in Store(store).pairs(PD)] == [again]
    # the decisions survive a restart
    assert open_session(project, store).progress() == (1, session.progress()[1])


def test_accept_reject_and_deleted(project: Path, store: Path) -> None:
    session = open_session(project, store)
    output = project / "zh.pooling.md"
    before = output.read_bytes()
    rejected = session.save(session.queue.get("f0-s4"), "reject", None, file_hash(output))
    assert output.read_bytes() == before  # nothing to restore: the segment stays open
    assert rejected.decision.decision == "reopened" and not rejected.decision.decision.done
    assert not Store(store).exists(PD)  # a rejection teaches the memory nothing
    session.save(session.queue.get("f0-s2"), "accept", "ignored text", file_hash(output))
    assert output.read_bytes() == before
    assert [p.target for p in Store(store).pairs(PD)] == [SEGMENTS[2][5]]
    result = session.save(session.queue.get("f0-s6"), "accept", None, file_hash(output))
    assert result.decision.decision == "accepted" and not result.file_changed
    assert session.progress() == (2, 4)  # the rejected one still needs a translation
    assert [d.decision for d in session.state.decisions.values()] == ["reopened", "accepted", "accepted"]


def test_conflicting_change_on_disk_is_never_overwritten(project: Path, store: Path) -> None:
    session = open_session(project, store)
    output = project / "zh.pooling.md"
    loaded = file_hash(output)  # what the page showed
    theirs = output.read_text(encoding="utf-8").replace("卷积", "卷积运算")  # someone edits elsewhere
    output.write_text(theirs, encoding="utf-8")
    with pytest.raises(ConflictError) as conflict:
        session.save(session.queue.get("f0-s2"), "edit", "新的译文。", loaded)
    assert "changed on disk" in str(conflict.value)
    assert conflict.value.current_hash == file_hash(output)
    assert output.read_text(encoding="utf-8") == theirs
    # the proposed text itself was rewritten outside the review: refused even with a fresh hash
    output.write_text(theirs.replace(SEGMENTS[2][5], "别人改过的译文。"), encoding="utf-8")
    with pytest.raises(ConflictError, match="no longer in"):
        session.save(session.queue.get("f0-s2"), "edit", "新的译文。", file_hash(output))
    assert "新的译文" not in output.read_text(encoding="utf-8")
    assert not Store(store).exists(PD) and session.progress()[0] == 0


def test_bad_edits_are_refused_with_a_reason(project: Path) -> None:
    session = open_session(project)
    output = project / "zh.pooling.md"
    item = session.queue.get("f0-s2")
    with pytest.raises(EditError, match="empty"):
        session.save(item, "edit", "  \r\n", file_hash(output))
    with pytest.raises(EditError, match="split the paragraph"):
        session.save(item, "edit", "第一段。\r\n\r\n第二段。", file_hash(output))
    with pytest.raises(EditError, match="placeholders differ.*fig_pad") as lost:
        session.save(session.queue.get("f0-s4"), "edit", "填充保留图像的边界。", file_hash(output))
    assert lost.value.forceable
    assert output.read_text(encoding="utf-8") == output_text()


def test_structure_loss_can_be_forced_and_multiline_is_kept(project: Path) -> None:
    session = open_session(project)
    output = project / "zh.pooling.md"
    item = session.queue.get("f0-s5")  # the proposal already lacks `$s$`: fixing it is welcome
    fixed = "步幅 $s$ 跳过窗口的\n一些位置。"
    session.save(item, "edit", fixed.replace("\n", "\r\n"), file_hash(output))
    assert output.read_text(encoding="utf-8") == output_text().replace(SEGMENTS[5][5], fixed)
    untranslated = session.queue.get("f0-s4")
    with pytest.raises(EditError):  # inventing structure is refused too
        session.save(untranslated, "edit", "填充保留图像的边界，见 :numref:`fig_pad` 和 `pad`。", file_hash(output))
    session.save(untranslated, "edit", "填充保留图像的边界 `pad`。", file_hash(output), force=True)
    assert "填充保留图像的边界 `pad`。" in output.read_text(encoding="utf-8")


def test_same_text_twice_replaces_the_occurrence_at_its_line(tmp_path: Path) -> None:
    root = tmp_path / "p"
    root.mkdir()
    text = "# 标题\n\n同一句话。\n\n中间。\n\n同一句话。\n"
    (root / "zh.a.md").write_text(text, encoding="utf-8")
    report = {"version": 1, "src_lang": "en", "tgt_lang": "zh", "files": [{"output": "zh.a.md", "segments": [
        {"id": "x", "status": "translated", "needs_review": True, "source_old": None, "source_new": "Same.",
         "target_old": None, "target_new": "同一句话。", "output_line": 6}]}]}
    (root / "r.json").write_text(json.dumps(report), encoding="utf-8")
    rooted = ProjectRoot(root)
    session = ReviewSession(load_report(root / "r.json", rooted))
    session.save(session.queue.items[0], "edit", "第二处。", "")
    assert (root / "zh.a.md").read_text(encoding="utf-8") == "# 标题\n\n同一句话。\n\n中间。\n\n第二处。\n"
    # both occurrences reviewed, the report giving the same (wrong) line for both: report order decides
    (root / "zh.a.md").write_text(text, encoding="utf-8")
    for number in (1, 2):
        segment = dict(report["files"][0]["segments"][0], id=f"s{number}", output_line=3)
        report["files"][0]["segments"].append(segment)
    del report["files"][0]["segments"][0]
    (root / "r2.json").write_text(json.dumps(report), encoding="utf-8")
    session = ReviewSession(load_report(root / "r2.json", rooted))
    session.save(session.queue.get("s2"), "edit", "第二处。", "")
    assert (root / "zh.a.md").read_text(encoding="utf-8") == "# 标题\n\n同一句话。\n\n中间。\n\n第二处。\n"
    session.save(session.queue.get("s1"), "edit", "第一处。", "")
    assert (root / "zh.a.md").read_text(encoding="utf-8") == "# 标题\n\n第一处。\n\n中间。\n\n第二处。\n"


def test_paths_outside_the_root_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "p"
    make_report(root)
    rooted = ProjectRoot(root)
    for bad in ["../secret.md", "/etc/passwd", "sub/../../x"]:
        with pytest.raises(OutsideRootError):
            rooted.resolve(bad)
    (tmp_path / "secret.md").write_text("secret", encoding="utf-8")
    (root / "link.md").symlink_to(tmp_path / "secret.md")
    with pytest.raises(OutsideRootError):
        rooted.resolve("link.md")
    report = json.loads((root / "report.json").read_text(encoding="utf-8"))
    report["files"][0]["output"] = "../secret.md"
    (root / "evil.json").write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(QueueError, match="outside the project root"):
        load_report(root / "evil.json", rooted)


@pytest.fixture
def server(project: Path, store: Path):  # noqa: ANN201 - generator fixture
    token = "test-token-1234567890"
    session = open_session(project, store)
    app = create_app(session, ProjectRoot(project), token)
    with ThreadedServer(app) as url:
        yield url, token, project, store


def test_http_writes_need_the_token(server) -> None:  # noqa: ANN001
    url, token, project, store = server
    output = project / "zh.pooling.md"
    before = output.read_bytes()
    form = {"action": "edit", "target": "伪造的译文。", "file_hash": file_hash(output)}
    with httpx.Client(base_url=url) as client:
        refused = client.post("/segment/f0-s2", data=form)
        assert refused.status_code == 403
        wrong = client.post("/segment/f0-s2", data={**form, "token": token[:-1] + "x"})
        assert wrong.status_code == 403
        header_wrong = client.post("/segment/f0-s2", data=form, headers={TOKEN_HEADER: "nope"})
        assert header_wrong.status_code == 403
        assert output.read_bytes() == before and not Store(store).exists(PD)
        ok = client.post("/segment/f0-s2", data=form, headers={TOKEN_HEADER: token, "Accept": "application/json"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["decision"] == "edited"
        assert "伪造的译文。" in output.read_text(encoding="utf-8")
        # the form field works as well (what the page sends)
        ok = client.post("/segment/f0-s4", data={"action": "reject", "token": token, "file_hash": file_hash(output)})
        assert ok.status_code == 303


def test_http_reading_needs_the_token_once(server) -> None:  # noqa: ANN001
    url, token, _, _ = server
    with httpx.Client(base_url=url) as client:
        assert client.get("/").status_code == 403
        assert client.get("/segment/f0-s2").status_code == 403
        first = client.get(f"/?token={token}&show=all")
        assert first.status_code == 303 and first.headers["location"] == "/?show=all"
        page = client.get("/?show=all")  # the cookie now stands for the token
        assert page.status_code == 200 and "f0-s2" in page.text and "0</strong> of <strong>4" in page.text
        assert client.get(f"/?token={token}x").status_code == 403
    with httpx.Client(base_url=url) as client:  # DNS rebinding: a page of another site, resolved to us
        assert client.get(f"/?token={token}", headers={"Host": "attacker.example"}).status_code == 400


def test_http_conflict_is_shown_not_written(server) -> None:  # noqa: ANN001
    url, token, project, _ = server
    output = project / "zh.pooling.md"
    stale = file_hash(output)
    output.write_text(output.read_text(encoding="utf-8") + "\n外部修改。\n", encoding="utf-8")
    theirs = output.read_bytes()
    with httpx.Client(base_url=url, headers={TOKEN_HEADER: token}) as client:
        page = client.post("/segment/f0-s2", data={"action": "edit", "target": "我的译文。", "file_hash": stale})
    assert page.status_code == 409
    assert "changed on disk" in page.text and "我的译文。" in page.text  # the edit is kept in the form
    assert output.read_bytes() == theirs


def test_http_path_traversal_refused(server, tmp_path: Path) -> None:  # noqa: ANN001
    url, token, project, _ = server
    outside = project.parent / "outside.md"
    outside.write_text("private notes", encoding="utf-8")
    (project / "escape.md").symlink_to(outside)
    with httpx.Client(base_url=url, headers={TOKEN_HEADER: token}) as client:
        assert client.get("/file/zh.pooling.md").status_code == 200
        for path in ["/file/..%2Foutside.md", "/file/%2e%2e/outside.md", "/file/escape.md",
                     "/file/%2Fetc%2Fpasswd", "/static/..%2F..%2Fqueue.py"]:
            response = client.get(path)
            assert response.status_code in (403, 404), path
            assert "private notes" not in response.text and "root:" not in response.text
        raw = client.request("GET", httpx.URL(url + "/file/").copy_with(raw_path=b"/file/../outside.md"))
        assert "private notes" not in raw.text


def test_cli_refuses_remote_binding_and_bad_targets(project: Path, store: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["review", str(project / "report.json"), "--host", "0.0.0.0", "--root",
                                     str(project)])
    assert result.exit_code == 2 and "--allow-remote" in result.output
    result = runner.invoke(cli_app, ["review", str(project / "nothing.json"), "--root", str(project)])
    assert result.exit_code == 2 and "no such file" in result.output
    result = runner.invoke(cli_app, ["review", str(project / "report.json"), "--root", str(project / "..")
                                     + "/missing"])
    assert result.exit_code == 2


def test_translated_folder_with_sources(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "en" / "ch").mkdir(parents=True)
    (root / "out" / "ch").mkdir(parents=True)
    (root / "en" / "ch" / "a.md").write_text("# Title\n\nFirst paragraph.\n\n- an item\n", encoding="utf-8")
    (root / "out" / "ch" / "zh.a.md").write_text("# 标题\n\n第一段。\n\n- 一项\n", encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        queue = open_target("out", ProjectRoot(root), source=Path("en"))
    finally:
        os.chdir(cwd)
    assert [(i.source_new, i.target_new, i.output_line) for i in queue.items] == [
        ("Title", "标题", 1), ("First paragraph.", "第一段。", 3), ("an item", "一项", 5)]
    assert queue.tgt_lang == "zh" and queue.state_path == root / "out" / ".amts-review.json"


def test_cli_serves_with_a_printed_token(project: Path, store: Path) -> None:
    """`amts review REPORT` in a real process: it prints the token; reads and writes need it."""
    import time

    from amts.review import free_port

    port = free_port()
    process = start_review_cli(project, store, port)
    try:
        token = read_token(process)
        url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url) as client:
            for _ in range(100):
                try:
                    response = client.get("/api/queue", headers={TOKEN_HEADER: token})
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert response.status_code == 200 and response.json()["total"] == 4
            assert client.get("/api/queue").status_code == 403
            saved = client.post("/segment/f0-s4", data={"action": "reject", "token": token})
            assert saved.status_code == 303
            # a script decides as the page does: with the version of the segment it read
            items = {i["id"]: i for i in client.get("/api/queue", headers={TOKEN_HEADER: token}).json()["items"]}
            as_json = {TOKEN_HEADER: token, "Accept": "application/json"}
            accepted = client.post("/segment/f0-s2", data={"action": "accept", "version": items["f0-s2"]["version"]},
                                   headers=as_json)
            assert accepted.status_code == 200 and accepted.json()["version"] != items["f0-s2"]["version"]
            stale = client.post("/segment/f0-s2", data={"action": "undo", "version": items["f0-s2"]["version"]},
                                headers=as_json)
            assert stale.status_code == 409 and stale.json()["version"] == accepted.json()["version"]
            other = client.post("/segment/f0-s5", data={"action": "accept", "force": "1", "version": items["f0-s5"]["version"]},
                                headers=as_json)  # another segment of the same file: no conflict
            assert other.status_code == 200, other.text
        assert json.loads((project / "report.review.json").read_text(encoding="utf-8"))["history"]["f0-s4"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_glossary_violations_are_flagged(project: Path) -> None:
    from amts.memory import TermMatcher

    queue = load_report(project / "report.json", ProjectRoot(project))
    session = ReviewSession(queue, glossary=TermMatcher({"window": "窗口", "stride": "步长"}))
    stride = session.queue.get("f0-s5")  # the proposal says 步幅, the glossary wants 步长
    assert "glossary" in stride.flags and "stride -> 步长 not used" in stride.problems
    assert "glossary" not in session.queue.get("f0-s2").flags  # 窗口 is used there
    assert session.terms(stride) == {"stride": "步长", "window": "窗口"}
    assert [i.id for i in session.filtered(label="glossary")] == ["f0-s5"]


def test_http_writes_from_another_origin_are_refused_before_the_body(server) -> None:  # noqa: ANN001
    url, token, project, store = server
    output = project / "zh.pooling.md"
    before = output.read_bytes()
    form = {"action": "edit", "target": "伪造的译文。", "token": token}
    port = url.rsplit(":", 1)[1]
    with httpx.Client(base_url=url) as client:
        for headers in ({"Sec-Fetch-Site": "same-site"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Origin": "http://127.0.0.1:1"}, {"Origin": "null"}, {"Origin": f"http://localhost:{port}"}):
            refused = client.post("/segment/f0-s2", data=form, headers=headers)
            assert refused.status_code == 403 and "refused" in refused.text, headers
        ok = client.post("/segment/f0-s2", data=form, headers={"Origin": url, "Sec-Fetch-Site": "same-origin"})
        assert ok.status_code == 303
        page = client.get(f"/?token={token}")
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.cookies.keys() == {f"amts_review_{port}"}
    assert output.read_bytes() != before and "伪造的译文。" in output.read_text(encoding="utf-8")


def test_files_the_sync_did_not_write_are_listed_not_fatal(tmp_path: Path) -> None:
    """A blocked file (no output written, its old translation kept) and the report's skipped lines are
    listed in the queue, grouped; the rest of the report is reviewed as usual."""
    root = tmp_path / "book"
    report_path = make_report(root)
    report = json.loads(report_path.read_text(encoding="utf-8"))
    report["files"].append({"old_source": "en/a.md", "new_source": "en/a.md", "old_target": "zh/a.md",
                            "output": "zh/never-written.md", "segments": [],
                            "blocked": {"line": 12, "reason": "label defined twice"}})
    report["skipped"] = ["ch/new.md: new file, not in en-origin (translate it instead)",
                         "ch/old.md: no successor in the new source; its translation is not carried over"]
    report_path.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    queue = load_report(report_path, ProjectRoot(root))
    assert len(queue.items) == 4
    groups = queue.skipped_groups()
    assert [name for name, _ in groups["new"]] == ["ch/new.md"]
    assert [name for name, _ in groups["dropped"]] == ["ch/old.md"]
    assert groups["blocked"] == [("zh/never-written.md", "blocked, its old translation kept: label defined twice "
                                                          "(line 12)")]
