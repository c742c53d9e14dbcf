"""The Amazon Translate side of ``amts pd`` and ``amts glossary``: publish, list and describe.

``amts pd publish NAME --s3 s3://bucket/prefix/`` turns the store's parallel data NAME into Amazon's
parallel data NAME (CSV in S3, create or update, wait until ACTIVE) and says what the CSV rules split
or dropped. ``amts glossary publish NAME --file glossary.csv`` imports a custom terminology.
Credentials, Region and endpoint come from boto3's standard settings (``--region``/``--profile``
override them; ``AWS_ENDPOINT_URL_TRANSLATE``/``AWS_ENDPOINT_URL_S3`` point at other endpoints).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from amts.cli.common import fail
from amts.cli.console import out as say
from amts.engines import EngineError

RegionOption = typer.Option(None, "--region", help="AWS Region (default: boto3's: AWS_REGION, profile).")
ProfileOption = typer.Option(None, "--profile", help="AWS profile (default: boto3's credential chain).")


def _client(service: str, region: str | None, profile: str | None) -> Any:
    from amts.engines.aws import make_client

    return make_client(service, region, profile)


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value) if value not in (None, "") else "-"


def publish_parallel_data_command(
    name: str = typer.Argument(..., help="Parallel data in the store; Amazon's resource gets the same name."),
    s3: str = typer.Option(..., "--s3", help="s3://bucket/prefix/ (or .../file.csv) for the CSV Amazon imports."),
    region: str | None = RegionOption,
    profile: str | None = ProfileOption,
    description: str = typer.Option("", "--description", help="Description on Amazon (default: the store's)."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Wait until Amazon's import is ACTIVE."),
    poll: float = typer.Option(5.0, "--poll", help="First seconds between status checks (grows to 60)."),
    store: Path | None = typer.Option(None, "--store", help="Store file (default: $AMTS_HOME/amts.sqlite)."),
) -> None:
    """Publish NAME to Amazon Translate (create or update), for batch jobs with parallel data."""
    from amts.engines.aws_parallel import publish_parallel_data
    from amts.engines.retry import RetryPolicy
    from amts.home import store_path
    from amts.memory import Store

    local = Store(store_path(store))
    info = local.describe(name)
    pairs = local.pairs(name)
    translate = _client("translate", region, profile)
    s3_client = _client("s3", region, profile)
    result = publish_parallel_data(
        pairs, name, s3, info.src_lang, info.tgt_lang, translate=translate, s3=s3_client,
        description=description or info.description, wait=wait,
        poll=RetryPolicy(base_delay=poll, max_delay=max(poll, 60.0), multiplier=1.5, jitter=False, deadline=6 * 3600),
        progress=say.info,
    )  # fmt: skip
    say.info(f"CSV {result.s3_uri}: {result.report.summary()}")
    for source in result.report.dropped_long[:5]:
        say.info(f"  dropped (over 1,000 bytes, sentences do not pair up): {source}")
    props = result.properties
    counts = ""
    if props:
        counts = (
            f": {props.get('ImportedRecordCount', 0)} records imported, {props.get('SkippedRecordCount', 0)} skipped, "
            f"{props.get('FailedRecordCount', 0)} failed"
        )
    say.info(f"{result.action} {name} ({info.src_lang}->{info.tgt_lang}) on Amazon Translate: {result.status}{counts}")
    say.data(name)


def list_aws_parallel_data(region: str | None, profile: str | None) -> None:
    from amts.engines.aws_parallel import list_parallel_data

    found = list_parallel_data(_client("translate", region, profile))
    if not found:
        say.info("no parallel data on Amazon Translate in this Region")
        return
    rows = []
    for props in found:
        languages = f"{props.get('SourceLanguageCode', '?')}->{','.join(props.get('TargetLanguageCodes', [])) or '?'}"
        rows.append((
            props.get("Name", ""), languages, props.get("Status", ""), props.get("LatestUpdateAttemptStatus", "-"),
            props.get("ImportedRecordCount", "-"), _when(props.get("LastUpdatedAt")), props.get("Description", ""),
        ))  # fmt: skip
    say.table(("name", "languages", "status", "last update", "records", "updated", "description"), rows)


def describe_aws_parallel_data(name: str, region: str | None, profile: str | None) -> None:
    from amts.engines.aws import aws_call, error_code
    from amts.engines.retry import RetryPolicy

    client = _client("translate", region, profile)
    try:
        answer = aws_call(client, "get_parallel_data", RetryPolicy(), Name=name)
    except EngineError:
        raise  # one line from the handler; only Amazon's "not found" is worded here
    except Exception as error:  # noqa: BLE001 - a ClientError
        if error_code(error) == "ResourceNotFoundException":
            fail(f"no parallel data {name!r} on Amazon Translate in {client.meta.region_name}")
        fail(f"parallel data {name!r}: {error}")
    props = answer.get("ParallelDataProperties", {})
    rows = [
        ("languages", f"{props.get('SourceLanguageCode', '?')}->{','.join(props.get('TargetLanguageCodes', []))}"),
        ("status", props.get("Status", "")),
        ("last update", props.get("LatestUpdateAttemptStatus", "-")),
        ("message", props.get("Message", "-")),
        ("file", props.get("ParallelDataConfig", {}).get("S3Uri", "-")),
        ("records", f"{props.get('ImportedRecordCount', 0)} imported, {props.get('SkippedRecordCount', 0)} skipped, "
                    f"{props.get('FailedRecordCount', 0)} failed"),
        ("created", _when(props.get("CreatedAt"))),
        ("updated", _when(props.get("LastUpdatedAt"))),
        ("arn", props.get("Arn", "-")),
    ]  # fmt: skip
    say.table(("field", "value"), rows, title=f"{name} on Amazon Translate ({client.meta.region_name})")


def publish_glossary_command(
    name: str = typer.Argument(..., help="Name of the custom terminology on Amazon Translate."),
    file: Path = typer.Option(..., "--file", "-f", help="A glossary CSV (amts glossary mine writes one)."),
    region: str | None = RegionOption,
    profile: str | None = ProfileOption,
    description: str = typer.Option("", "--description", help="Description on Amazon."),
) -> None:
    """Import a glossary as an Amazon custom terminology (overwriting NAME); terms Amazon rejects are listed."""
    from amts.adapt.glossary import Glossary
    from amts.engines.aws import import_terminology

    glossary = Glossary.load(file)
    terms = glossary.mapping()
    report = import_terminology(
        name, terms, glossary.src_lang, glossary.tgt_lang, client=_client("translate", region, profile),
        description=description,
    )  # fmt: skip
    for term, reason in report.skipped[:20]:
        say.info(f"  skipped {term!r}: {reason}")
    count = report.properties.get("TermCount", report.terms)
    say.info(
        f"imported terminology {name} ({glossary.src_lang}->{glossary.tgt_lang}): {count} terms"
        + (f", {len(report.skipped)} skipped" if report.skipped else "")
    )
    say.data(name)
