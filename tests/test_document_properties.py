"""Property tests on generated Markdown: parsing never crashes and reassembly is exact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amts.adapt import AdaptiveTranslator
from amts.adapt.documents import translate_markdown
from amts.document import mask, parse_markdown
from amts.engines import get_engine

words = st.sampled_from(
    ["model", "the", "data", "模型", "数据", "loss", "e.g.", "Fig.", "3.14", "über", "niño", "x", "—", "a,"]
)
inline = st.one_of(
    words,
    st.sampled_from(["$x_t$", "`code`", ":numref:`sec_a`", "[link](http://a.b/c)", "![fig](img/a.svg)",
                     "*em*", "**strong**", "&amp;", "<br/>", "[**slide**]", "\\*", "{3}", ":cite:`A.B`"]),
)
sentence = st.lists(inline, min_size=1, max_size=8).map(" ".join).map(lambda s: s + st_end(s))


def st_end(text: str) -> str:
    return "。" if any("\u4e00" <= c <= "\u9fff" for c in text) else "."


paragraph = st.lists(sentence, min_size=1, max_size=4).map(lambda ss: "\n".join(ss))
block = st.one_of(
    paragraph,
    paragraph.map(lambda p: "# " + p.replace("\n", " ")),
    paragraph.map(lambda p: "- " + p.replace("\n", "\n  ")),
    paragraph.map(lambda p: "> " + p.replace("\n", "\n> ")),
    paragraph.map(lambda p: "1. " + p.replace("\n", " ")),
    st.just("```{.python .input}\n#@tab pytorch\nx = 1  # comment.\n```"),
    st.just("$$\nE = mc^2\n$$\n:eqlabel:`eq_e`"),
    st.just(":label:`sec_x`"),
    st.just("| a | b |\n|---|---|\n| `c` | d e. |"),
    st.just("<div>\nhtml\n</div>"),
    st.just(":begin_tab:`pytorch`\nSome tab text.\n:end_tab:"),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
)
separator = st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n\n\n", "  \n\n", "\n\t\n"])


@st.composite
def documents(draw) -> str:
    blocks = draw(st.lists(block, min_size=0, max_size=8))
    seps = draw(st.lists(separator, min_size=len(blocks), max_size=len(blocks)))
    return "".join(b + s for b, s in zip(blocks, seps, strict=True))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_identity_round_trip_is_exact(text: str):
    document = parse_markdown(text)
    assert document.render({}) == text
    assert "".join(block.text for block in document.blocks) == text
    translated = translate_markdown(text, AdaptiveTranslator(get_engine("identity")), "en", "en")
    assert translated.text == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_never_crashes_on_any_text(text: str):
    document = parse_markdown(text)
    assert document.render({}) == text
    for segment in document.segments:
        sentences = segment.sentences("en")
        pos = 0
        for s in sentences:  # in order, exact substrings, separated by whitespace only
            assert segment.text[s.start : s.end] == s.text
            assert s.start >= pos and not segment.text[pos : s.start].strip()
            pos = s.end
        assert not segment.text[pos:].strip()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_pseudo_translation_keeps_every_inline_structure(text: str):
    translated = translate_markdown(text, AdaptiveTranslator(get_engine("pseudo")), "en", "zh").text
    before = sorted(span for seg in parse_markdown(text).segments for span in mask(seg.text).spans)
    for span in set(before):
        assert translated.count(span) >= before.count(span), span


@given(st.text(max_size=200))
def test_mask_round_trip(raw: str):
    masked = mask(raw)
    assert masked.unmask(masked.text) == raw
