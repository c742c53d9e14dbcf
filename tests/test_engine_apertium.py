"""The apertium engine against the real ``apertium`` binary (installed by scripts/install-system.sh)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from amts.engines import EngineError, EngineUnavailable, Request, get_engine

REPO = Path(__file__).resolve().parent.parent
needs_apertium = pytest.mark.skipif(
    shutil.which("apertium") is None or not Path("/usr/share/apertium/modes/eng-spa.mode").exists(),
    reason="apertium / apertium-eng-spa not installed: run `make system` (scripts/install-system.sh)",
)
PH = re.compile(r"\{\d+\}")



def test_missing_binary_is_a_clear_unavailable_error() -> None:
    with pytest.raises(EngineUnavailable, match="apertium-eng-spa"):
        get_engine("apertium", binary="no-such-apertium-binary")


@needs_apertium
def test_supports_only_installed_pairs() -> None:
    engine = get_engine("apertium")
    assert engine.supports("en", "es") and engine.supports("es", "en")
    assert not engine.supports("en", "zh")
    with pytest.raises(EngineError, match="no mode for en->zh"):
        engine.translate([Request("Hello.")], "en", "zh")


@needs_apertium
def test_one_call_keeps_segments_placeholders_case_and_final_periods() -> None:
    texts = [
        "Machine Translation and the Dataset",  # a heading: no period invented
        "We have used {1} to design language models.",  # after a heading: still starts upper case
        "The dog runs to the house {1} and {2}.",
        "",
        "The model {3} is trained on {1} and {2} data.",
        "I like cats.",  # the last line keeps its period
    ]
    out = get_engine("apertium").translate([Request(t) for t in texts], "en", "es")
    assert len(out) == len(texts)
    assert out[3] == ""
    for source, target in zip(texts, out, strict=True):
        assert Counter(PH.findall(source)) == Counter(PH.findall(target))
        assert source[-1:] != "." or target.endswith(".")
    assert not out[0].endswith(".")
    assert out[1][0].isupper()
    assert "perro" in out[2] and "casa" in out[2]
    assert "gatos" in out[5]


@needs_apertium
def test_spanish_to_english() -> None:
    (out,) = get_engine("apertium").translate_texts(["El perro come {1}."], "es", "en")
    assert "dog" in out and "{1}" in out


@needs_apertium
def test_changed_placeholders_are_repaired_piece_by_piece(tmp_path: Path) -> None:
    """A pipeline that eats ``{2}`` in whole lines: the engine re-translates between placeholders."""
    eater = tmp_path / "apertium-eating-placeholders"
    eater.write_text(f"#!/bin/sh\n{shutil.which('apertium')} \"$@\" | sed 's/{{2}}//g'\n")
    eater.chmod(0o755)
    engine = get_engine("apertium", binary=str(eater))
    (out,) = engine.translate_texts(["The dog {1} eats the bread {2} in the house."], "en", "es")
    assert Counter(PH.findall(out)) == Counter(["{1}", "{2}"])
    assert out.index("{1}") < out.index("{2}")
    assert "perro" in out and "pan" in out


def test_timeout_is_an_engine_error(tmp_path: Path) -> None:
    slow = tmp_path / "slow-apertium"
    slow.write_text("#!/bin/sh\n[ \"$1\" = -l ] && { echo eng-spa; exit 0; }\nsleep 5\n")
    slow.chmod(0o755)
    engine = get_engine("apertium", binary=str(slow), timeout=0.5)
    with pytest.raises(EngineError, match="no answer within 0.5 s"):
        engine.translate_texts(["Hello."], "en", "es")


def test_failing_pipeline_reports_its_message(tmp_path: Path) -> None:
    broken = tmp_path / "broken-apertium"
    broken.write_text("#!/bin/sh\n[ \"$1\" = -l ] && { echo eng-spa; exit 0; }\necho 'Error: bad things' >&2\nexit 1\n")
    broken.chmod(0o755)
    with pytest.raises(EngineError, match="bad things"):
        get_engine("apertium", binary=str(broken)).translate_texts(["Hello."], "en", "es")


@needs_apertium
@pytest.mark.slow
@pytest.mark.d2l
def test_eval_sections_to_spanish_keep_all_structure(
    d2l: Path, eval_sections: list[str], tmp_path: Path, check_structure
) -> None:
    """`amts translate --engine apertium` on the 5 evaluation sections: check_structure.py passes."""
    src, out = tmp_path / "en", tmp_path / "out"
    for section in eval_sections:
        (src / section).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(d2l / "en-origin" / section, src / section)
    result = subprocess.run(
        [sys.executable, "-m", "amts", "translate", str(src), "--src", "en", "--tgt", "es",
         "--engine", "apertium", "--out", str(out)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "0 failed" in " ".join(result.stderr.split())
    check = check_structure(src, out, "es", expect_change=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "structure identical in 5/5 files" in check.stdout
    spanish = (out / eval_sections[3]).with_name("es." + Path(eval_sections[3]).name).read_text(encoding="utf-8")
    assert "traducción automática" in spanish.lower()
