"""The same job spec against S3: inputs and outputs in buckets of a local moto S3 server."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from jobs_helpers import amts, status
from test_jobs import DOCS, pseudo

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[object, str]]:
    """A moto S3 server on 127.0.0.1 and a client for it; credentials are fake, for the worker too."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets per Python process, not per server: start every test empty
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
    try:
        yield boto3.client("s3", endpoint_url=endpoint), endpoint
    finally:
        server.stop()


def test_s3_in_and_out(s3: tuple[object, str], store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client, endpoint = s3
    client.create_bucket(Bucket="books")  # type: ignore[attr-defined]
    client.create_bucket(Bucket="translated")  # type: ignore[attr-defined]
    for relative, text in DOCS.items():
        client.put_object(Bucket="books", Key=f"d2l/en/{relative}", Body=text.encode())  # type: ignore[attr-defined]
    client.put_object(Bucket="books", Key="d2l/en/img/a.png", Body=b"\x89PNG")  # type: ignore[attr-defined]
    client.put_object(Bucket="books", Key="d2l/other.md", Body=b"# outside the prefix\n")  # type: ignore[attr-defined]
    client.put_object(Bucket="books", Key="d2l/en/bad.md", Body=b"\xff\n")  # type: ignore[attr-defined]

    # the endpoint as boto3's own setting, which the detached worker inherits
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    job_id = amts("job", "start", "s3://books/d2l/en/", "--tgt", "zh", "--tgt", "es", "--engine", "pseudo",
                  "--out", "s3://translated/out").stdout.strip()
    assert amts("job", "wait", job_id, check=False).returncode == 1
    info = status(job_id)
    assert info["state"] == "COMPLETED_WITH_ERROR" and info["skipped"] == ["img/a.png"]
    assert {(e["document"], e["error"]) for e in info["errors"]} == {
        ("bad.md", "DocumentError: s3://books/d2l/en/bad.md: invalid UTF-8 at byte 0 (line 1)")
    }
    listed = client.list_objects_v2(Bucket="translated")["Contents"]  # type: ignore[attr-defined]
    keys = sorted(item["Key"] for item in listed)
    assert keys == sorted(f"out/{Path(rel).parent / f'{lang}.{Path(rel).name}'}".replace("/./", "/")
                          for rel in DOCS for lang in ("zh", "es"))
    for relative, text in DOCS.items():
        key = f"out/{Path(relative).parent / f'zh.{Path(relative).name}'}".replace("/./", "/")
        body = client.get_object(Bucket="translated", Key=key)["Body"].read().decode()  # type: ignore[attr-defined]
        assert body == pseudo(text, "zh")


def test_s3_endpoint_option_and_missing_bucket(s3: tuple[object, str], store: Path, tmp_path: Path) -> None:
    client, endpoint = s3
    client.create_bucket(Bucket="books")  # type: ignore[attr-defined]
    client.put_object(Bucket="books", Key="a.md", Body=b"# Hello\n\nSome prose.\n")  # type: ignore[attr-defined]
    refused = amts("job", "start", "s3://books/", "--tgt", "zh", "--engine", "pseudo", "--out", "s3://nowhere/x/",
                   "--s3-endpoint", endpoint, check=False)
    assert refused.returncode == 2 and "error:" in refused.stderr
    # S3 in, local folder out: the spec mixes both kinds of location
    job_id = amts("job", "start", "s3://books/", "--tgt", "zh", "--engine", "pseudo", "--out", str(tmp_path / "out"),
                  "--s3-endpoint", endpoint).stdout.strip()
    amts("job", "wait", job_id)
    assert (tmp_path / "out" / "zh.a.md").read_text(encoding="utf-8") == pseudo("# Hello\n\nSome prose.\n", "zh")
