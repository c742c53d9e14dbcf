"""JSON Lines: one object a line with ``source``, ``target``, ``src_lang``, ``tgt_lang``, ``provenance``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from amts.languages import same_language
from amts.memory.formats.base import FormatError, PairFormat, WriteReport, decode
from amts.memory.pairs import Pair


class JsonlFormat(PairFormat):
    """Lossless, provenance included: the format for amts-to-amts exchange and scripts."""

    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")

    def write(self, items: Sequence[Pair], src: str, tgt: str) -> tuple[str, WriteReport]:
        records = (
            json.dumps(
                {"source": p.source, "target": p.target, "src_lang": p.src_lang, "tgt_lang": p.tgt_lang, "provenance": p.provenance},
                ensure_ascii=False,
            )
            for p in items
        )
        return "".join(record + "\n" for record in records), WriteReport(len(items), [])

    def read(self, data: bytes, src_lang: str | None, tgt_lang: str | None) -> list[Pair]:
        pairs: list[Pair] = []
        src, tgt = src_lang, tgt_lang
        for number, line in enumerate(decode(data).splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise FormatError(f"invalid JSON ({error.msg})", number) from None
            if not isinstance(record, dict):
                raise FormatError("each line must be a JSON object", number)
            fields = {}
            for key in ("source", "target", "src_lang", "tgt_lang"):
                value = record.get(key)
                if not isinstance(value, str) or not value.strip():
                    raise FormatError(f"missing or empty {key!r}", number)
                fields[key] = value
            provenance = record.get("provenance", {})
            if not isinstance(provenance, dict):
                raise FormatError("'provenance' must be an object", number)
            src, tgt = src or fields["src_lang"], tgt or fields["tgt_lang"]
            if not (same_language(fields["src_lang"], src) and same_language(fields["tgt_lang"], tgt)):
                raise FormatError(f"languages {fields['src_lang']}->{fields['tgt_lang']} differ from {src}->{tgt}", number)
            pairs.append(Pair(fields["source"], fields["target"], src, tgt, provenance))
        return pairs
