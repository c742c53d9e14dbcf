"""The local cloud: moto's S3 server and our Amazon Translate protocol server, on 127.0.0.1.

boto3 reaches both through its own endpoint settings (``AWS_ENDPOINT_URL_S3``,
``AWS_ENDPOINT_URL_TRANSLATE``), which detached job workers inherit; credentials are fake and no
shared AWS config file is read, so nothing real is ever contacted.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

moto_server = pytest.importorskip("moto.server")

from translate_server import TranslateServer  # noqa: E402

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/amts-translate"


@dataclass
class Cloud:
    s3: Any  # a boto3 S3 client on the local S3 server
    translate: TranslateServer
    s3_endpoint: str

    @property
    def translate_endpoint(self) -> str:
        return self.translate.endpoint


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cloud]:
    import boto3

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    s3_server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3_server.start()
    host, port = s3_server.get_host_and_port()
    s3_endpoint = f"http://{host}:{port}"
    # moto keeps its buckets per Python process, not per server: start every test empty
    urllib.request.urlopen(urllib.request.Request(f"{s3_endpoint}/moto-api/reset", method="POST"), timeout=10)
    translate = TranslateServer(s3_endpoint, region=REGION).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_TRANSLATE", translate.endpoint)
    try:
        yield Cloud(boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION), translate, s3_endpoint)
    finally:
        translate.stop()
        s3_server.stop()
