"""Amazon Translate engine: botocore's Stubber (validates every request against the real API model)
for Translate, moto for S3 (moto has no Translate backend)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from botocore.stub import ANY, Stubber

from amts.document import mask
from amts.engines import EngineError, Request
from amts.engines.aws import AwsTranslateEngine, import_terminology, make_client
from amts.engines.aws_html import from_html, from_html_document, to_html, to_html_document
from amts.engines.aws_parallel import MAX_SOURCE_BYTES, parallel_data_csv, unescape_field
from amts.engines.retry import RetriesExhausted, RetryPolicy
from amts.memory.pairs import Pair

FAST = RetryPolicy(attempts=4, base_delay=0.0, max_delay=0.0)


@pytest.fixture
def translate_client(aws_env: None):
    client = make_client("translate", "us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_html_round_trip_keeps_placeholders_and_escapes_prose() -> None:
    masked = mask("Use `x < y` & keep :numref:`fig_a` here <b>bold</b>.").text
    html = to_html(masked)
    assert '<span translate="no" data-amts="1">{1}</span>' in html
    assert "&amp;" in html and "\n" not in html
    assert from_html(html) == masked
    # the engine may move spans and re-quote attributes; the placeholder survives
    moved = "<span data-amts='2' translate='no'>{2}</span> avant &amp; {1}"
    assert from_html(moved) == "{2} avant & {1}"
    doc = to_html_document(["one {1}", "two < three"], "en")
    assert from_html_document(doc, 3) == ["one {1}", "two < three", None]


def test_parallel_data_csv_follows_amazon_rules() -> None:
    long_source = " ".join(f"Sentence number {i} is about training deep networks well." for i in range(30))
    long_target = "".join(f"第{i}句是关于训练深度网络的。" for i in range(30))
    pairs = [
        Pair('A "quoted"\nword, here.', "一个“引用”的\n词，这里。", "en", "zh"),
        Pair("- a list item", "- 列表项", "en", "zh"),
        Pair("@decorator and =sum", "@装饰器", "en", "zh"),
        Pair(long_source, long_target, "en", "zh"),
        Pair(long_source + " Unmatched tail.", long_target, "en", "zh"),  # sentence counts differ
        Pair("Other pair.", "别的。", "en", "es"),  # other language pair: not included
        Pair("", "空", "en", "zh"),
    ]
    data, report = parallel_data_csv(pairs, "en", "zh")
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["en", "zh"]
    assert len(text.splitlines()) == len(rows)  # one pair a line: no newline inside any field
    body = rows[1:]
    assert all(len(row) == 2 for row in body)
    assert all(field[0] not in "+-=@" for row in body for field in row)
    assert all(len(row[0].encode()) <= MAX_SOURCE_BYTES for row in body)
    assert '"A ""quoted"" word, here."' in text  # quotes doubled
    assert ["\\- a list item", "\\- 列表项"] in body and unescape_field("\\- a list item") == "- a list item"
    assert report.escaped == 4 and report.split == 1 and len(report.dropped_long) == 1
    assert report.dropped_empty == 1
    assert report.written == len(body) == 3 + 30


def test_translate_text_retries_throttling_and_keeps_placeholders(translate_client) -> None:
    client, stubber = translate_client
    masked = mask("See :numref:`sec_intro` for $x$.").text
    expected = {
        "Text": to_html(masked),
        "SourceLanguageCode": "en",
        "TargetLanguageCode": "de",
        "TerminologyNames": ["d2l-terms"],
        "Settings": {"Formality": "FORMAL"},
    }
    stubber.add_client_error(
        "translate_text", "ThrottlingException", "Rate exceeded", 400, expected_params=expected
    )
    stubber.add_client_error(
        "translate_text", "ServiceUnavailableException", "busy", 503, expected_params=expected
    )
    answer = 'Siehe <span translate="no" data-amts="1">{1}</span> für <span translate="no" data-amts="2">{2}</span>.'
    stubber.add_response(
        "translate_text",
        {"TranslatedText": answer, "SourceLanguageCode": "en", "TargetLanguageCode": "de"},
        expected_params=expected,
    )
    engine = AwsTranslateEngine(
        client=client, terminology="d2l-terms", formality="formal", concurrency=1, policy=FAST
    )
    assert engine.translate([Request(masked)], "en", "de") == ["Siehe {1} für {2}."]


def test_translate_text_gives_up_after_max_attempts(translate_client) -> None:
    client, stubber = translate_client
    for _ in range(3):
        stubber.add_client_error("translate_text", "ThrottlingException", "Rate exceeded", 400)
    engine = AwsTranslateEngine(
        client=client, concurrency=1, policy=RetryPolicy(attempts=3, base_delay=0, max_delay=0)
    )
    with pytest.raises(RetriesExhausted, match="3 attempt"):
        engine.translate([Request("Hello.")], "en", "de")


def test_bad_request_is_not_retried(translate_client) -> None:
    client, stubber = translate_client
    stubber.add_client_error("translate_text", "UnsupportedLanguagePairException", "no en->ko", 400)
    engine = AwsTranslateEngine(client=client, concurrency=1, policy=FAST)
    with pytest.raises(EngineError, match="no en->ko"):
        engine.translate([Request("Hello.")], "en", "ko")


def test_concurrent_calls_keep_request_order(aws_env: None) -> None:
    class EchoClient:
        """Answers out of order (later requests faster) to prove results stay in request order."""

        def translate_text(self, **params: str) -> dict[str, str]:
            import time

            number = int(re.search(r"\d+", params["Text"]).group(0))
            time.sleep(0.002 * (10 - number))
            return {"TranslatedText": params["Text"].upper()}

    engine = AwsTranslateEngine(client=EchoClient(), concurrency=4, policy=FAST)
    texts = [f"segment {i}" for i in range(10)]
    assert engine.translate([Request(t) for t in texts], "en", "de") == [t.upper() for t in texts]


def test_import_terminology_sends_csv_from_glossary(translate_client) -> None:
    client, stubber = translate_client
    glossary = {"machine translation": "机器翻译", "-negative": "负", "token": "词元"}
    stubber.add_response(
        "import_terminology",
        {"TerminologyProperties": {"Name": "d2l", "TermCount": 2}},
        expected_params={
            "Name": "d2l",
            "MergeStrategy": "OVERWRITE",
            "TerminologyData": {"File": ANY, "Format": "CSV", "Directionality": "UNI"},
        },
    )
    sent: list[bytes] = []
    client.meta.events.register(
        "before-parameter-build.translate.ImportTerminology",
        lambda params, **_: sent.append(params["TerminologyData"]["File"]),
    )
    report = import_terminology("d2l", glossary, "en", "zh", client=client, policy=FAST)
    assert report.terms == 2 and [term for term, _ in report.skipped] == ["-negative"]
    rows = list(csv.reader(io.StringIO(sent[0].decode("utf-8"))))
    assert rows == [["en", "zh"], ["machine translation", "机器翻译"], ["token", "词元"]]
