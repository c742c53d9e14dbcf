"""Where a job reads its documents and writes its outputs: a local folder or ``s3://bucket/prefix/``.

Both kinds offer the same few operations, so one job spec runs locally or against the cloud. Writes
are atomic either way: a temp file + rename locally, a single ``PutObject`` on S3.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from amts.document import DocumentError, decode_markdown
from amts.fileio import atomic_write_text
from amts.tree import NOTEBOOK_SUFFIXES, TRANSLATABLE_SUFFIXES, discover, output_relative  # noqa: F401 - part of the jobs API


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()




class Location:
    """A tree of documents addressed by POSIX paths relative to its root."""

    url: str

    def documents(self, exclude: Sequence[str] = ()) -> tuple[list[tuple[str, int]], list[str]]:
        """``([(relative path, size)] of Markdown files and notebooks, [other files skipped])``."""
        raise NotImplementedError

    def read_text(self, relative: str) -> str:
        raise NotImplementedError

    def write_text(self, relative: str, text: str) -> None:
        raise NotImplementedError

    def hash_of(self, relative: str) -> str | None:
        """sha256 of the file's bytes, None if it does not exist."""
        raise NotImplementedError

    def check_writable(self) -> None:
        """Fail early (``OSError``/``JobError``) when outputs could not be written."""

    def remove_partial(self, relative: str) -> None:
        """Remove leftovers of an interrupted write of ``relative`` (none exist on S3)."""


class LocalLocation(Location):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = str(root)

    def documents(self, exclude: Sequence[str] = ()) -> tuple[list[tuple[str, int]], list[str]]:
        if not self.root.exists():
            raise FileNotFoundError(f"{self.root}: no such file or directory")
        # outputs are never inputs: the job's own output folder inside the input is left out
        files, skipped = discover(self.root, notebooks=True, exclude=[Path(p) for p in exclude if "://" not in p],
                                  skip_outputs=True)
        return [(f.relative.as_posix(), f.path.stat().st_size) for f in files], [s.as_posix() for s in skipped]

    def _path(self, relative: str) -> Path:
        if self.root.is_file() and relative == self.root.name:
            return self.root
        return self.root / relative

    def read_text(self, relative: str) -> str:
        path = self._path(relative)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DocumentError(f"{path}: {error.strerror or error}") from None
        return decode_markdown(data, str(path))

    def write_text(self, relative: str, text: str) -> None:
        atomic_write_text(self._path(relative), text)

    def hash_of(self, relative: str) -> str | None:
        path = self._path(relative)
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None

    def check_writable(self) -> None:
        if self.root.exists() and not self.root.is_dir():
            raise NotADirectoryError(f"{self.root}: output must be a folder")
        self.root.mkdir(parents=True, exist_ok=True)

    def remove_partial(self, relative: str) -> None:
        # amts.fileio.atomic_write_bytes writes to ".<name>.<random>.tmp" beside the target.
        path = self._path(relative)
        if path.parent.is_dir():
            for leftover in path.parent.glob(f".{path.name}.*.tmp"):
                leftover.unlink(missing_ok=True)


class S3Location(Location):
    """``s3://bucket/prefix/`` through boto3; the endpoint comes from the spec or boto3's configuration
    (``AWS_ENDPOINT_URL_S3``), so a local S3 server (moto, MinIO) works like the cloud."""

    def __init__(self, url: str, endpoint_url: str | None = None) -> None:
        import boto3

        rest = url[len("s3://") :]
        self.bucket, _, prefix = rest.partition("/")
        if not self.bucket:
            raise ValueError(f"{url}: no bucket name")
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.url = url
        self.client = boto3.client("s3", endpoint_url=endpoint_url) if endpoint_url else boto3.client("s3")

    def _key(self, relative: str) -> str:
        return self.prefix + relative

    def documents(self, exclude: Sequence[str] = ()) -> tuple[list[tuple[str, int]], list[str]]:
        files: list[tuple[str, int]] = []
        skipped: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                relative = item["Key"][len(self.prefix) :]
                parts = PurePosixPath(relative).parts
                if not relative or relative.endswith("/") or any(p.startswith(".") for p in parts):
                    continue
                if PurePosixPath(relative).suffix.lower() in TRANSLATABLE_SUFFIXES + NOTEBOOK_SUFFIXES:
                    files.append((relative, int(item.get("Size", 0))))
                else:
                    skipped.append(relative)
        return sorted(files), sorted(skipped)

    def read_text(self, relative: str) -> str:
        from botocore.exceptions import ClientError

        try:
            data = self.client.get_object(Bucket=self.bucket, Key=self._key(relative))["Body"].read()
        except ClientError as error:
            raise DocumentError(f"s3://{self.bucket}/{self._key(relative)}: {error}") from None
        return decode_markdown(data, f"s3://{self.bucket}/{self._key(relative)}")

    def write_text(self, relative: str, text: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self._key(relative), Body=text.encode("utf-8"),
            ContentType="text/markdown; charset=utf-8",
        )

    def hash_of(self, relative: str) -> str | None:
        from botocore.exceptions import ClientError

        try:
            data = self.client.get_object(Bucket=self.bucket, Key=self._key(relative))["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        return hashlib.sha256(data).hexdigest()

    def check_writable(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def open_location(url: str, endpoint_url: str | None = None) -> Location:
    if url.startswith("s3://"):
        return S3Location(url, endpoint_url)
    return LocalLocation(Path(url))
