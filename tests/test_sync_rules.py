"""The merge's named rules: ordered lists a rule is inserted into by name, over one explicit state."""

from __future__ import annotations

import pytest

from amts.sync import merge_documents
from amts.sync.ruler import RuleNameError, Ruler
from amts.sync.state import KEPT, MergeState, Record, Unit
from amts.sync.unit_rules import UNIT_RULES

OLD = "# Title\n\nFirst paragraph. It has two sentences.\n\nSecond paragraph.\n"
ZH = "# 标题\n\n第一段。它有两句话。\n\n第二段。\n"


def test_a_rule_goes_in_by_name_before_or_after_another() -> None:
    ruler: Ruler = Ruler([("a", len), ("c", len)])
    ruler.after("a", "b", len)
    ruler.before("a", "first", len)
    assert ruler.names == ["first", "a", "b", "c"]
    ruler.remove("b")
    assert ruler.names == ["first", "a", "c"]
    with pytest.raises(RuleNameError, match="no merge rule named 'missing'"):
        ruler.before("missing", "x", len)
    with pytest.raises(RuleNameError, match="exists already"):
        ruler.push("a", len)


def test_the_merge_names_the_rules_that_handled_each_unit_and_sentence() -> None:
    new = OLD.replace("It has two sentences.", "It has three sentences now.")
    result = merge_documents(OLD, new, ZH, None, "en", "zh")
    assert result.rules_used["unchanged"] == 2  # the title and the second paragraph
    assert result.rules_used["segments_one_to_one"] == 1
    assert result.rules_used["segment:sentences"] == 1
    assert result.rules_used["sentence:unchanged"] == 1 and result.rules_used["sentence:changed"] == 1
    assert "第一段。" in result.text and "第二段。" in result.text


def test_an_inserted_unit_rule_runs_before_the_one_named() -> None:
    def keep_old_translation(state: MergeState, unit: Unit) -> bool:
        """A project's own rule: every unit that survives keeps its old translation, unreviewed."""
        if not unit.alive:
            return False
        state.emit(unit.body, Record(KEPT, False, unit.old_text, unit.new_text, unit.body, unit.body))
        state.append(unit.tail)
        return True

    new = OLD.replace("Second paragraph.", "Second paragraph, rewritten.")
    UNIT_RULES.before("unchanged", "keep_old", keep_old_translation)
    try:
        result = merge_documents(OLD, new, ZH, None, "en", "zh")
    finally:
        UNIT_RULES.remove("keep_old")
    assert result.text == ZH
    assert result.rules_used["keep_old"] == 3 and "unchanged" not in result.rules_used
    assert "keep_old" not in UNIT_RULES.names
