"""The ctranslate2 engine with the real OPUS-MT zh->en model (scripts/models.d/opus-mt-zh-en.sh)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from amts.document import mask, parse_markdown
from amts.engines import EngineUnavailable, get_engine
from amts.engines.ctranslate2 import default_model_dir, models_root

PH = re.compile(r"\{\d+\}")
CJK = re.compile(r"[\u3400-\u9fff]")
pytest.importorskip("ctranslate2", reason="ctranslate2 not installed: pip install -e '.[models]'")
needs_model = pytest.mark.skipif(
    not (default_model_dir("zh", "en") / "model.bin").is_file(),
    reason="OPUS-MT zh->en model missing: run `make models` (scripts/models.d/opus-mt-zh-en.sh)",
)


@pytest.fixture(scope="module")
def engine():
    return get_engine("ctranslate2")


def test_models_root_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AMTS_MODELS", str(tmp_path))
    assert models_root() == tmp_path
    assert default_model_dir("zh", "en") == tmp_path / "opus-mt-zh-en"


def test_missing_model_is_a_clear_unavailable_error(tmp_path: Path) -> None:
    engine = get_engine("ctranslate2", model_dir=tmp_path / "nothing-here")
    assert not engine.supports("zh", "en")
    with pytest.raises(EngineUnavailable, match="no model for zh->en"):
        engine.translate_texts(["你好。"], "zh", "en")


@needs_model
def test_default_model_is_zh_to_en_only(engine) -> None:
    assert engine.supports("zh", "en")
    assert not engine.supports("en", "zh")


def _zh_sentences(d2l: Path, section: str, with_placeholders: int) -> list[str]:
    """Masked sentences of a real Chinese section: some with placeholders, some without."""
    document = parse_markdown((d2l / "zh" / section).read_text(encoding="utf-8"))
    masked = [mask(s.key("zh")).text for seg in document.segments for s in seg.sentences("zh")]
    with_ph = [m for m in masked if "{" in m and CJK.search(m)][:with_placeholders]
    without = [m for m in masked if "{" not in m and CJK.search(m)][:3]
    return with_ph + without


@needs_model
@pytest.mark.d2l
@pytest.mark.slow
def test_real_paragraphs_keep_placeholders_and_come_out_english(engine, d2l: Path, eval_sections: list[str]) -> None:
    texts = _zh_sentences(d2l, eval_sections[0], 8)
    assert sum("{" in t for t in texts) >= 5
    out = engine.translate_texts(texts, "zh", "en")
    assert len(out) == len(texts)
    for source, target in zip(texts, out, strict=True):
        assert Counter(PH.findall(source)) == Counter(PH.findall(target)), (source, target)
        assert not CJK.search(target), target
        assert len(re.findall(r"[A-Za-z]{2,}", target)) >= 2, target
    assert "training" in out[0].lower() or any("training" in o.lower() for o in out)


@needs_model
def test_literal_marker_lookalikes_in_the_text_survive(engine) -> None:
    """Text that already holds ``X1`` gets another marker letter: both the literal and {1} survive."""
    (out,) = engine.translate_texts(["变量X1的值存储在{1}中。"], "zh", "en")
    assert "X1" in out and out.count("{1}") == 1


@needs_model
def test_beam_size_one_is_greedy_and_still_valid() -> None:
    greedy = get_engine("ctranslate2", beam_size=1, batch_size=2, threads=1)
    out = greedy.translate_texts(["我们在{1}中讨论了{2}。", "机器翻译是一个重要的问题。"], "zh", "en")
    assert Counter(PH.findall(out[0])) == Counter(["{1}", "{2}"])
    assert "translation" in out[1].lower()


@needs_model
@pytest.mark.d2l
@pytest.mark.slow
def test_section_zh_to_en_keeps_all_structure(
    d2l: Path, eval_sections: list[str], tmp_path: Path, check_structure
) -> None:
    """`amts translate --engine ctranslate2` on one evaluation section: check_structure.py passes."""
    section = eval_sections[0]
    src, out = tmp_path / "zh", tmp_path / "out"
    (src / section).parent.mkdir(parents=True)
    shutil.copyfile(d2l / "zh" / section, src / section)
    result = subprocess.run(
        [sys.executable, "-m", "amts", "translate", str(src), "--src", "zh", "--tgt", "en",
         "--engine", "ctranslate2", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "0 failed" in " ".join(result.stderr.split())
    check = check_structure(src, out, "en", expect_change=True)
    assert check.returncode == 0, check.stdout
    english = (out / section).with_name("en." + Path(section).name).read_text(encoding="utf-8")
    assert not CJK.search(re.sub(r"```.*?```", "", english, flags=re.S)), "Chinese prose left in the output"
