"""The document model: lossless reassembly, segments, placeholders, sentences."""

from __future__ import annotations

import pytest

from amts.document import (
    PlaceholderError,
    join_sentences,
    keep_dollar_lines,
    mask,
    normalize_space,
    parse_markdown,
    sentence_key,
    split_sentences,
)

SAMPLE = """---
title: A small book
---
# Getting started
:label:`sec_start`

Our model reads $x_t$ and writes `y = f(x)`. See :numref:`fig_a` and [the guide](https://example.org/a_b).
It is fast.

![A tiny figure.](../img/tiny.svg)
:width:`300px`
:label:`fig_a`

$$y = \\sum_i w_i x_i.$$
:eqlabel:`eq_sum`

```{.python .input}
#@tab pytorch
print("code stays")
```

- first item with *emphasis*
  that wraps
- second item

> A quoted line
> that continues.

| Name | Meaning |
|------|---------|
| `w`  | a weight |

Setext heading
==============

<div class="note">raw html stays</div>

:begin_tab:`pytorch`
Tab text to translate.
:end_tab:
"""


def kinds(document):
    return [block.kind for block in document.blocks if block.kind != "blank"]


def test_render_without_changes_is_byte_identical():
    for text in (SAMPLE, SAMPLE.replace("\n", "\r\n"), "\ufeff" + SAMPLE, SAMPLE + "   \n\n  ", ""):
        document = parse_markdown(text)
        assert document.render({}) == text
        assert "".join(block.text for block in document.blocks) == text


def test_blocks_and_segments_follow_markdown_structure():
    document = parse_markdown(SAMPLE)
    assert kinds(document) == [
        "front_matter", "heading", "structure", "paragraph", "paragraph", "math", "code", "list",
        "blockquote", "table", "heading", "html", "paragraph",
    ]
    texts = [segment.text for segment in document.segments]
    assert "Getting started" in texts
    assert "first item with *emphasis*\nthat wraps" in texts
    assert "A quoted line\nthat continues." in texts
    assert "a weight" in texts and "Meaning" in texts
    assert "Tab text to translate." in texts
    assert "![A tiny figure.](../img/tiny.svg)" in texts
    # structure is never offered for translation
    joined = "\n".join(texts)
    for never in (":label:", "print(", "$$", ":width:", "raw html", "title:", ":begin_tab:", "`w`"):
        assert never not in joined


def test_a_line_starting_with_a_reference_is_prose():
    document = parse_markdown(":numref:`fig_a` shows the model.\nIt is small.\n")
    assert [s.text for s in document.segments] == [":numref:`fig_a` shows the model.\nIt is small."]


def test_replacing_a_segment_changes_only_its_bytes():
    document = parse_markdown(SAMPLE)
    item = next(s for s in document.segments if s.text.startswith("first item"))
    out = document.render({item.index: "premier élément\nqui continue"})
    assert "- premier élément\n  qui continue\n- second item" in out
    assert out.replace("- premier élément\n  qui continue", "- first item with *emphasis*\n  that wraps") == SAMPLE
    cell = next(s for s in document.segments if s.text == "a weight")
    out = document.render({cell.index: "un\npoids"})
    assert "| `w`  | un poids |" in out


def test_crlf_is_kept_in_translated_multiline_segments():
    text = "Line one\r\nline two.\r\n\r\nNext.\r\n"
    document = parse_markdown(text)
    out = document.render({0: "Ligne un\nligne deux."})
    assert out == "Ligne un\r\nligne deux.\r\n\r\nNext.\r\n"


def test_unclosed_fence_round_trips_with_a_warning():
    text = "Intro.\n\n```python\nprint(1)\n"
    document = parse_markdown(text)
    assert document.render({}) == text
    assert any("never closed" in warning for warning in document.warnings)
    assert [s.text for s in document.segments] == ["Intro."]


def test_mask_protects_inline_structure_and_restores_it():
    raw = (
        "Use :numref:`sec_x`, $a+b$, `code`, ``a`b``, <br/>, &amp;, [text *em*](http://x.y/z \"t\"), "
        "![cap](img/a.png), [**slide**], \\* and {7}."
    )
    masked = mask(raw)
    assert masked.unmask(masked.text) == raw
    for kept in (":numref:`sec_x`", "$a+b$", "`code`", "``a`b``", "<br/>", "&amp;", "](http://x.y/z \"t\")",
                 "](img/a.png)", "[**", "**]", "{7}"):
        assert kept in masked.spans
    assert "text *em*" in masked.text and "cap" in masked.text and "slide" in masked.text


def test_lost_invented_or_duplicated_placeholders_are_refused():
    masked = mask("See $x$ and `y`.")
    assert masked.text == "See {1} and {2}."
    with pytest.raises(PlaceholderError, match="lost"):
        masked.unmask("Voir {1}.")
    with pytest.raises(PlaceholderError, match="invented"):
        masked.unmask("Voir {1} et {2} {3}.")
    with pytest.raises(PlaceholderError, match="duplicated"):
        masked.unmask("Voir {1} et {2} {2}.")
    assert masked.unmask("{2} puis {1}.") == "`y` puis $x$."


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("It works. E.g. this one, i.e. Fig. 3.2 here. Dr. Smith agrees! Why? Yes.", "en",
         ["It works.", "E.g. this one, i.e. Fig. 3.2 here.", "Dr. Smith agrees!", "Why?", "Yes."]),
        ("Values like 3.14 and $x. y$ stay. Next `a. B` too.", "en",
         ["Values like 3.14 and $x. y$ stay.", "Next `a. B` too."]),
        ("模型很简单。它可以训练！对吗？\n是的", "zh", ["模型很简单。", "它可以训练！", "对吗？", "是的"]),
        ("Hola, p. ej. esto. ¿Qué tal? ¡Bien! Fin.", "es", ["Hola, p. ej. esto.", "¿Qué tal?", "¡Bien!", "Fin."]),
        ("We list a, b, etc. Then we stop.", "en", ["We list a, b, etc.", "Then we stop."]),
        ("[**It ends.**] Next one.", "en", ["[**It ends.**]", "Next one."]),
    ],
)
def test_sentence_splitting(text, lang, expected):
    masked = mask(text)
    spans = split_sentences(masked.text, lang)
    # map back through the document model to get raw sentences
    document = parse_markdown(text + "\n")
    sentences = [s.text for seg in document.segments for s in seg.sentences(lang)]
    assert sentences == expected
    assert len(spans) == len(expected)


def test_sentences_never_cut_a_figure_caption():
    document = parse_markdown("![First. Second sentence.](../img/a.svg)\n")
    (segment,) = document.segments
    assert [s.text for s in segment.sentences("en")] == ["![First. Second sentence.](../img/a.svg)"]


def test_wrapping_is_folded_outside_structure_only():
    assert normalize_space("a\n  b  c", "en") == "a b c"
    assert normalize_space("模型\n很好 and\nmore", "zh") == "模型很好 and more"
    assert sentence_key("We have $a  \\mid\nb$ here\n  now.", "en") == "We have $a  \\mid\nb$ here now."
    assert join_sentences(["一。", "二。"], [" "], "zh") == "一。二。"
    assert join_sentences(["One.", "Two."], ["\n"], "en") == "One.\nTwo."


def test_dollar_layout_keeps_line_pairing_of_the_source():
    source = "off by \\$100 when\nthe vector $v \\in\nR$ is used.\nCall it $T$."
    target = "相差 \\$100，向量 $v \\in\nR$ 被使用。称为 $T$。"
    laid_out = keep_dollar_lines(target, source)
    assert laid_out == "相差\n\\$100，向量 $v \\in\nR$\n被使用。称为 $T$。"


def test_prose_that_line_based_checkers_read_as_math_is_kept():
    # On one line, a closing and an opening dollar enclose prose: checkers pair them, so it stays.
    masked = mask("We take $a \\in\nB$ and then $c$.")
    assert "$a \\in\nB$ and then $c$" in masked.spans
