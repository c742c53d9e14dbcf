"""Translate one Markdown document (or a notebook's Markdown cells) sentence by sentence, keeping all
structure byte for byte."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from amts.adapt.pipeline import MEMORY, AdaptiveTranslator, Outcome
from amts.document import Document, join_sentences, keep_dollar_lines, parse_markdown, sentence_key
from amts.document.notebook import translate_notebook


@dataclass
class SentenceRecord:
    segment: int
    line: int  # 1-based line of the segment in the source
    outcome: Outcome


@dataclass
class DocumentTranslation:
    text: str
    document: Document
    sentences: list[SentenceRecord] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(record.outcome.status for record in self.sentences)

    def problems(self) -> list[SentenceRecord]:
        """Sentences a reviewer must look at: failed validation or left untranslated."""
        return [r for r in self.sentences if r.outcome.status in ("failed", "untranslated")]


def translate_markdown(text: str, translator: AdaptiveTranslator, src: str, tgt: str) -> DocumentTranslation:
    """Translate every prose sentence of ``text``; identical sentences are translated once."""
    document = parse_markdown(text)
    result = DocumentTranslation(text, document)
    replacements: dict[int, str] = {}
    per_segment = []  # (segment, its sentences, their keys) still to translate sentence by sentence
    for segment in document.segments:
        sentences = segment.sentences(src)
        # A paragraph pair in the memory answers the whole paragraph, as the translator wrote it.
        whole_key = sentence_key(segment.text, src) if len(sentences) > 1 else None
        whole = translator.recall(whole_key, src, tgt) if whole_key is not None else None
        if whole is None:
            per_segment.append((segment, sentences, [sentence.key(src) for sentence in sentences]))
            continue
        outcome = Outcome(whole_key, whole, MEMORY, "whole paragraph from the memory")
        result.sentences.append(SentenceRecord(segment.index, segment.line + 1, outcome))
        replacements[segment.index] = keep_dollar_lines(whole, segment.text)
    # dict keeps first-seen order: each distinct sentence goes to the translator once
    position = {key: i for i, key in enumerate(dict.fromkeys(k for _, _, keys in per_segment for k in keys))}
    outcomes = translator.translate(list(position), src, tgt) if position else []
    for segment, sentences, keys in per_segment:
        targets: list[str] = []
        unchanged = True
        for sentence, key in zip(sentences, keys, strict=True):
            outcome = outcomes[position[key]]
            result.sentences.append(SentenceRecord(segment.index, segment.line + 1, outcome))
            targets.append(keep_dollar_lines(outcome.target, sentence.text))
            unchanged &= outcome.target == key
        if unchanged:
            continue  # nothing changed: the original bytes, wrapping included
        separators = [segment.text[a.end : b.start] for a, b in zip(sentences, sentences[1:], strict=False)]
        replacements[segment.index] = join_sentences(targets, separators, tgt)
    result.sentences.sort(key=lambda record: record.segment)
    result.text = document.render(replacements)
    return result


def translate_file(name: str, text: str, translator: AdaptiveTranslator, src: str, tgt: str
                   ) -> tuple[str, list[DocumentTranslation]]:
    """A Markdown file, or a notebook (``.ipynb``) whose Markdown cells are translated one by one:
    the output text and one translation per document (per cell for notebooks)."""
    if not name.lower().endswith(".ipynb"):
        result = translate_markdown(text, translator, src, tgt)
        return result.text, [result]
    results: list[DocumentTranslation] = []

    def cell(markdown: str) -> str:
        results.append(translate_markdown(markdown, translator, src, tgt))
        return results[-1].text

    return translate_notebook(text, cell), results
