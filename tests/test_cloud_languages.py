"""BCP 47 tags become Amazon Translate's own codes on the wire (real-time, batch jobs, parallel data,
terminology) while output files keep the user's tag; a language Amazon lacks is refused in one line,
naming the closest code, before anything is uploaded. Against the local protocol server and moto S3."""

from __future__ import annotations

from pathlib import Path

import pytest
from cloud_fixtures import ROLE, Cloud, cloud  # noqa: F401 - the fixture
from jobs_helpers import amts, status

from amts.engines.aws_languages import AMAZON_LANGUAGES, UnsupportedLanguage, amazon_code
from amts.jobs import JobStore
from amts.memory import Pair, write_pairs

BOOK = {"intro.md": "# Introduction\n\nDeep learning is fun.\n", "part/one.md": "Networks keep a state.\n"}
#: the user's tag -> Amazon's code (Amazon: zh = Simplified, zh-TW = Traditional, pt = Brazilian, es-MX)
EXPECTED = {"zh-Hans": "zh", "zh-CN": "zh", "zh-Hant": "zh-TW", "zh-TW": "zh-TW", "pt-BR": "pt",
            "pt-PT": "pt-PT", "es-419": "es-MX", "es-MX": "es-MX", "nb": "no", "iw": "he"}  # fmt: skip


def make_book(root: Path) -> Path:
    for relative, text in BOOK.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def test_tags_map_to_amazon_codes_and_unknown_ones_name_the_closest() -> None:
    assert {tag: amazon_code(tag) for tag in EXPECTED} == EXPECTED
    assert all(len(code) <= 5 for code in AMAZON_LANGUAGES)  # TargetLanguageCode's maximum length
    with pytest.raises(UnsupportedLanguage, match=r"does not support 'yue': the closest it supports is 'zh-TW'"):
        amazon_code("yue")  # Cantonese is another language, not Traditional Chinese
    with pytest.raises(UnsupportedLanguage, match="what-is-languages"):
        amazon_code("eo")  # nothing close: the message points at Amazon's list


def test_realtime_sends_amazon_codes_and_writes_the_users_names(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    tags = ["zh-Hans", "zh-Hant", "pt-BR", "pt-PT", "es-419"]
    args = ["translate", str(book), "--engine", "aws", "--out", str(out)]
    for tag in tags:
        args += ["--tgt", tag]
    amts(*args)
    sent = set(cloud.translate.sent("TranslateText", "TargetLanguageCode"))
    assert sent == {"zh", "zh-TW", "pt", "pt-PT", "es-MX"}
    assert set(cloud.translate.sent("TranslateText", "SourceLanguageCode")) == {"en"}
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md"))
    assert written == sorted([f"{tag}.intro.md" for tag in tags] + [f"part/{tag}.one.md" for tag in tags])
    assert (out / "pt-PT.intro.md").read_text(encoding="utf-8").startswith("# [pt-PT] Introduction")


def test_batch_job_and_parallel_data_send_amazon_codes(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="amts-book")
    write_pairs([Pair("Deep learning is fun.", "深度学习很有趣。", "en", "zh-CN")], tmp_path / "zh.csv")
    amts("pd", "create", "d2l-zh", "--file", str(tmp_path / "zh.csv"))
    published = amts("pd", "publish", "d2l-zh", "--s3", "s3://amts-book/parallel/", "--poll", "0.05")
    assert "ACTIVE" in published.stderr
    csv = cloud.s3.get_object(Bucket="amts-book", Key="parallel/d2l-zh.en-zh-CN.csv")["Body"].read().decode()
    assert csv.splitlines()[0] == "en,zh"
    (tmp_path / "terms.csv").write_text("en,es-419\nnetworks,redes\n", encoding="utf-8")
    amts("glossary", "publish", "d2l-terms", "--file", str(tmp_path / "terms.csv"))
    assert cloud.translate.terminologies["d2l-terms"]["props"]["TargetLanguageCodes"] == ["es-MX"]

    book, out = make_book(tmp_path / "book"), tmp_path / "out"
    job_id = amts("job", "start", str(book), "--engine", "aws-batch", "--tgt", "zh-CN", "--tgt", "es-MX",
                  "--parallel-data", "d2l-zh", "--out", str(out), "--s3", "s3://amts-book/jobs/",
                  "--role-arn", ROLE, "--poll", "0.05").stdout.strip()  # fmt: skip
    assert amts("job", "wait", job_id, check=False).returncode == 0, status(job_id)
    assert sorted(cloud.translate.sent("StartTextTranslationJob", "TargetLanguageCodes")) == [["es-MX"], ["zh"]]
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.md"))
    assert written == ["es-MX.intro.md", "part/es-MX.one.md", "part/zh-CN.one.md", "zh-CN.intro.md"]
    assert "深度学习很有趣。" in (out / "zh-CN.intro.md").read_text(encoding="utf-8")  # its parallel data applied


def test_unsupported_language_is_refused_before_any_upload(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="amts-book")
    book = make_book(tmp_path / "book")
    refused = amts("job", "start", str(book), "--engine", "aws-batch", "--tgt", "zh", "--tgt", "yue",
                   "--out", str(tmp_path / "out"), "--s3", "s3://amts-book/jobs/", "--role-arn", ROLE, check=False)  # fmt: skip
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "does not support 'yue': the closest it supports is 'zh-TW'" in refused.stderr
    dry = amts("job", "start", str(book), "--engine", "aws-batch", "--tgt", "yue", "--dry-run",
               "--out", str(tmp_path / "out"), "--s3", "s3://amts-book/jobs/", "--role-arn", ROLE, check=False)  # fmt: skip
    assert dry.returncode == 2 and "'zh-TW'" in dry.stderr
    realtime = amts("translate", str(book), "--engine", "aws", "--tgt", "yue", "--out", str(tmp_path / "o"), check=False)
    assert realtime.returncode == 2 and "'zh-TW'" in realtime.stderr and not (tmp_path / "o").exists()

    write_pairs([Pair("Deep learning is fun.", "深度學習很有趣。", "en", "yue")], tmp_path / "yue.csv")
    amts("pd", "create", "d2l-yue", "--file", str(tmp_path / "yue.csv"))
    pd = amts("pd", "publish", "d2l-yue", "--s3", "s3://amts-book/parallel/", check=False)
    assert pd.returncode == 2 and "'zh-TW'" in pd.stderr and len(pd.stderr.strip().splitlines()) == 1
    (tmp_path / "terms.csv").write_text("en,yue\nnetworks,網絡\n", encoding="utf-8")
    terms = amts("glossary", "publish", "t", "--file", str(tmp_path / "terms.csv"), check=False)
    assert terms.returncode == 2 and "'zh-TW'" in terms.stderr
    assert "Contents" not in cloud.s3.list_objects_v2(Bucket="amts-book")  # nothing uploaded
    assert not cloud.translate.requests and not JobStore(store).jobs()  # nothing sent, no job recorded


def test_names_amazon_refuses_and_long_terms(cloud: Cloud, store: Path, tmp_path: Path) -> None:  # noqa: F811
    cloud.s3.create_bucket(Bucket="amts-book")
    write_pairs([Pair("Deep learning is fun.", "深度学习很有趣。", "en", "zh")], tmp_path / "zh.csv")
    for name in ("_d2l-zh", "d2l__zh"):
        amts("pd", "create", name, "--file", str(tmp_path / "zh.csv"))  # the store takes it; Amazon would not
        refused = amts("pd", "publish", name, "--s3", "s3://amts-book/parallel/", check=False)
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
        assert f"parallel data name {name!r} is refused by Amazon Translate" in refused.stderr
        terms = amts("glossary", "publish", name, "--file", str(tmp_path / "zh.csv"), check=False)
        assert terms.returncode == 2 and f"terminology name {name!r}" in terms.stderr
    assert "Contents" not in cloud.s3.list_objects_v2(Bucket="amts-book") and not cloud.translate.requests

    long_term = "deep " * 50
    (tmp_path / "terms.csv").write_text(f"en,zh\nnetworks,网络\n{long_term},深\ntensor,张量\n", encoding="utf-8")
    published = amts("glossary", "publish", "d2l-terms", "--file", str(tmp_path / "terms.csv"))
    assert "2 terms, 1 skipped" in published.stderr and "200-byte" in published.stderr
    assert cloud.translate.terminologies["d2l-terms"]["props"]["TermCount"] == 2
