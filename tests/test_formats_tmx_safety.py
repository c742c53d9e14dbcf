"""TMX from other tools: a DOCTYPE is accepted; entity tricks (XXE, billion laughs) are refused safely."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from amts.memory import FormatError, read_pairs

DOCTYPE_TMX = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE tmx SYSTEM "tmx14.dtd">
<tmx version="1.4">
  <header creationtool="Translate Toolkit" creationtoolversion="3.13" segtype="sentence" o-tmf="UTF-8"
          adminlang="en" srclang="en" datatype="PlainText"/>
  <body>
    <tu><tuv xml:lang="en"><seg>Hello, world.</seg></tuv><tuv xml:lang="zh-CN"><seg>你好，世界。</seg></tuv></tu>
    <tu><tuv xml:lang="en"><seg>Deep learning.</seg></tuv><tuv xml:lang="zh-CN"><seg>深度学习。</seg></tuv></tu>
  </body>
</tmx>
"""


def test_doctype_is_accepted_and_zh_cn_matches_zh(tmp_path: Path) -> None:
    path = tmp_path / "tt.tmx"
    path.write_text(DOCTYPE_TMX, encoding="utf-8")
    pairs = read_pairs(path, src_lang="en", tgt_lang="zh")
    assert [(p.source, p.target, p.tgt_lang) for p in pairs] == [
        ("Hello, world.", "你好，世界。", "zh"),
        ("Deep learning.", "深度学习。", "zh"),
    ]
    assert len(read_pairs(path, src_lang="en", tgt_lang="zh-Hans")) == 2
    with pytest.raises(FormatError, match="lacks a target"):
        read_pairs(path, src_lang="en", tgt_lang="zh-TW")  # Traditional script: another variety


def test_external_entity_xxe_is_refused_and_nothing_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    path = tmp_path / "xxe.tmx"
    path.write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<tmx version="1.4"><header srclang="en"/><body>'
        '<tu><tuv xml:lang="en"><seg>&xxe;</seg></tuv><tuv xml:lang="zh"><seg>秘密</seg></tuv></tu></body></tmx>\n',
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="entity declarations are not accepted") as caught:
        read_pairs(path)
    assert "TOP-SECRET" not in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_external_dtd_with_parameter_entity_is_not_fetched(tmp_path: Path) -> None:
    path = tmp_path / "param.tmx"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE tmx [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>\n'
        '<tmx version="1.4"><header srclang="en"/><body/></tmx>\n',
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="not accepted"):
        read_pairs(path)


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    path = tmp_path / "lol.tmx"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE tmx [' + "".join(entities) + "]>\n"
        '<tmx version="1.4"><header srclang="en"/><body>'
        '<tu><tuv xml:lang="en"><seg>&lol9;</seg></tuv><tuv xml:lang="zh"><seg>笑</seg></tuv></tu></body></tmx>\n',
        encoding="utf-8",
    )
    started = time.perf_counter()
    with pytest.raises(FormatError, match="entity declarations are not accepted"):
        read_pairs(path)
    assert time.perf_counter() - started < 2  # refused at the declaration, never expanded (10^9 "lol"s)


def test_a_zh_cn_tmx_serves_translation_into_zh(tmp_path: Path, store: Path) -> None:
    """The issue's case: translate-toolkit's TMX (DOCTYPE, zh-CN) imported, then used for --tgt zh."""
    from typer.testing import CliRunner

    from amts.cli import app

    tmx = tmp_path / "tt.tmx"
    tmx.write_text(DOCTYPE_TMX, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["pd", "create", "tt", "--file", str(tmx)])
    assert result.exit_code == 0, result.output
    book = tmp_path / "book"
    book.mkdir()
    (book / "a.md").write_text("# Deep learning.\n\nHello, world.\n", encoding="utf-8")
    result = runner.invoke(app, ["translate", str(book), "--src", "en", "--tgt", "zh", "--engine", "memory",
                                 "--parallel-data", "tt", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "zh.a.md").read_text(encoding="utf-8") == "# 深度学习。\n\n你好，世界。\n"
