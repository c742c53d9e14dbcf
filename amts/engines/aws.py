"""Amazon Translate (real-time ``TranslateText``) through boto3, plus custom terminology import.

Credentials come only from boto3's standard chain (environment, shared config/SSO profile, container
or instance role): amts never reads or stores keys. botocore's own retries are switched off so that
one configurable policy (:mod:`amts.engines.retry`) governs throttling and transient failures.

``TranslateText`` cannot take per-request examples (Amazon's "active custom translation" with parallel
data is batch-only, see :mod:`amts.engines.aws_batch`) nor an inline glossary: the glossary reaches
it as an imported custom terminology (:func:`import_terminology`) named in ``terminology``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from amts.engines.aws_html import from_html, to_html
from amts.engines.aws_languages import amazon_code, amazon_codes
from amts.engines.base import Engine, EngineError, EngineUnavailable, Request, Translation
from amts.engines.pacing import Pacer, ordered_map
from amts.engines.retry import RetryPolicy, call_with_retry, parse_retry_after
from amts.errors import InputError
from amts.memory.formats.amazon import FORBIDDEN_FIELD_START

#: error codes Amazon (Translate and S3) returns for throttling or transient server trouble
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalServerException",
        "InternalError",
        "RequestTimeout",
        "RequestTimeoutException",
        "SlowDown",
    }
)
#: error codes that mean the credentials themselves are wrong: retrying cannot help
CREDENTIAL_CODES = frozenset(
    {
        "ExpiredTokenException",
        "ExpiredToken",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AccessDeniedException",
        "AccessDenied",
        "MissingAuthenticationTokenException",
    }
)
#: seconds to wait for a TCP connection: an unreachable endpoint is reported, not waited for
CONNECT_TIMEOUT = 5.0
#: TranslateText accepts at most 10,000 bytes of UTF-8 per call
MAX_TEXT_BYTES = 10_000
#: a custom terminology term (source or target) is at most 200 bytes of UTF-8
MAX_TERM_BYTES = 200


def check_resource_name(name: str, what: str) -> str:
    """``name`` if Amazon accepts it for a parallel data resource, terminology or job (botocore's
    service model has the rule); otherwise an :class:`InputError` in one line, before anything is sent."""
    import re

    meta = _resource_name_rule()
    pattern = meta.get("pattern", "")
    if not meta.get("min", 1) <= len(name) <= meta.get("max", 256) or (pattern and not re.fullmatch(pattern, name)):
        raise InputError(
            f"{what} name {name!r} is refused by Amazon Translate: {meta.get('min', 1)}-{meta.get('max', 256)} letters, "
            f"digits and '-', with single '_' only after one of them (pattern {pattern})"
        )
    return name


@lru_cache(maxsize=1)
def _resource_name_rule() -> dict[str, Any]:
    import botocore.session

    return dict(botocore.session.get_session().get_service_model("translate").shape_for("ResourceName").metadata)


def check_resource_names(names: Sequence[str], what: str) -> list[str]:
    return [check_resource_name(name, what) for name in names]


def is_transient(error: BaseException) -> bool:
    """Whether an AWS error is worth retrying: throttling, 5xx, timeouts, dropped connections."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_CODES or status in (429, 500, 502, 503, 504)
    return isinstance(
        error, ConnectTimeoutError | ReadTimeoutError | EndpointConnectionError | ConnectionClosedError
    )


def error_code(error: BaseException) -> str:
    from botocore.exceptions import ClientError

    return error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""


def connection_failed(error: BaseException) -> bool:
    """Nothing answered at all (refused, no route, no DNS, connect timeout)."""
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    return isinstance(error, ConnectTimeoutError | EndpointConnectionError)


def make_client(
    service: str, region: str | None = None, profile: str | None = None, timeout: float = 30.0
) -> Any:
    """A boto3 client with botocore retries off (amts retries) and explicit timeouts.

    The endpoint is boto3's own setting, so ``AWS_ENDPOINT_URL_TRANSLATE`` / ``AWS_ENDPOINT_URL_S3``
    (or ``endpoint_url`` in a profile) point amts at a local or private endpoint.
    """
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, NoRegionError, ProfileNotFound

    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=min(timeout, CONNECT_TIMEOUT),
        read_timeout=timeout,
    )
    region = region or os.environ.get("AWS_REGION")  # the other SDKs' variable; botocore reads AWS_DEFAULT_REGION
    try:
        session = boto3.session.Session(profile_name=profile, region_name=region)
        return session.client(service, config=config)
    except NoRegionError as error:
        raise EngineUnavailable(
            f"{service}: no AWS region configured (set --region, AWS_REGION or a profile)"
        ) from error
    except ProfileNotFound as error:
        raise EngineUnavailable(f"{service}: {error}") from error
    except BotoCoreError as error:
        raise EngineUnavailable(f"{service}: {error}") from error


def aws_call(
    client: Any,
    operation: str,
    policy: RetryPolicy,
    on_retry: Any = None,
    **params: Any,
) -> dict[str, Any]:
    """Call one API operation with the retry policy.

    Fails fast with :class:`EngineUnavailable`: no credentials, credentials AWS refuses (expired,
    unknown, wrong signature), or an endpoint this client never reached (no network, wrong URL) --
    retrying those for a minute would only hide them. Once the endpoint has answered, a dropped
    connection is transient like throttling.
    """
    from botocore.exceptions import ClientError, NoCredentialsError, PartialCredentialsError

    def transient(error: BaseException) -> bool:
        if connection_failed(error) and not getattr(client, "_amts_reached", False):
            return False
        return is_transient(error)

    def call() -> dict[str, Any]:
        answer = getattr(client, operation)(**params)
        client._amts_reached = True
        return answer

    def retry_after(error: BaseException) -> float | None:
        if not isinstance(error, ClientError):
            return None
        headers = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        return parse_retry_after(headers.get("retry-after"))

    try:
        return call_with_retry(
            call, policy=policy, transient=transient, retry_after=retry_after, what=operation, on_retry=on_retry
        )
    except (NoCredentialsError, PartialCredentialsError) as error:
        raise EngineUnavailable(
            f"no AWS credentials found by boto3's standard chain (environment, ~/.aws profile, SSO, role): {error}"
        ) from error
    except ClientError as error:
        if error_code(error) in CREDENTIAL_CODES:
            client._amts_reached = True
            raise EngineUnavailable(
                f"AWS refused the credentials ({error_code(error)}): "
                f"{error.response.get('Error', {}).get('Message', '')}"
            ) from error
        raise
    except Exception as error:
        if connection_failed(error):
            raise EngineUnavailable(
                f"cannot reach {client.meta.endpoint_url}: {error} (check the network; set AWS_REGION, or "
                "AWS_ENDPOINT_URL_TRANSLATE for another endpoint)"
            ) from error
        raise


def name_list(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


def translate_settings(formality: str | None, profanity: bool, brevity: bool) -> dict[str, str]:
    settings: dict[str, str] = {}
    if formality:
        if formality.upper() not in ("FORMAL", "INFORMAL"):
            raise EngineError(f"aws: formality must be formal or informal, not {formality!r}")
        settings["Formality"] = formality.upper()
    if profanity:
        settings["Profanity"] = "MASK"
    if brevity:
        settings["Brevity"] = "ON"
    return settings


class AwsTranslateEngine(Engine):
    """Real-time Amazon Translate: one ``TranslateText`` call per segment, ``concurrency`` at a time.

    Segments go out as HTML with every placeholder in a ``translate="no"`` span, so Amazon keeps
    them; the answer is turned back into masked text for the caller's validation.
    """

    name = "aws"
    title = "Amazon Translate"
    package = "boto3"
    needs_network = True
    batch_size = 64
    output_options = ("endpoint", "terminology", "settings")

    def __init__(
        self,
        region: str | None = None,
        profile: str | None = None,
        terminology: str | Sequence[str] | None = None,
        formality: str | None = None,
        profanity: bool = False,
        brevity: bool = False,
        concurrency: int = 4,
        requests_per_minute: float | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        timeout: float = 30.0,
        batch_size: int | None = None,
        client: Any = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.terminology = check_resource_names(name_list(terminology), "terminology")
        self.settings = translate_settings(formality, profanity, brevity)
        self.concurrency = max(1, int(concurrency))
        self.pacer = Pacer(requests_per_minute)
        self.policy = policy or RetryPolicy.from_options(retries, backoff, max_backoff)
        if batch_size:
            self.batch_size = int(batch_size)
        self.client = client or make_client("translate", region, profile, timeout)
        meta = getattr(self.client, "meta", None)
        #: where the answers come from (another region or endpoint may answer differently)
        self.endpoint = f"{getattr(meta, 'endpoint_url', '')} {getattr(meta, 'region_name', '')}".strip()

    def supports(self, src: str, tgt: str) -> bool:
        """True when Amazon has a code for both tags; otherwise raises the one-line refusal that names
        the closest code (:class:`~amts.engines.aws_languages.UnsupportedLanguage`)."""
        amazon_codes(src, tgt)
        return True

    def translate(self, requests: Sequence[Request], src: str, tgt: str) -> list[str]:
        src, tgt = amazon_codes(src, tgt)

        def one(request: Request) -> str:
            text = to_html(request.text)
            if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
                raise EngineError(
                    f"aws: segment of {len(text.encode())} bytes exceeds TranslateText's {MAX_TEXT_BYTES}"
                )
            params: dict[str, Any] = {"Text": text, "SourceLanguageCode": src, "TargetLanguageCode": tgt}
            if self.terminology:
                params["TerminologyNames"] = self.terminology
            if self.settings:
                params["Settings"] = self.settings
            self.pacer.acquire()
            try:
                answer = aws_call(self.client, "translate_text", self.policy, on_retry=self._throttled, **params)
            except EngineError:
                raise
            except Exception as error:  # a botocore ClientError that is not transient
                raise EngineError(f"aws: translate_text {src}->{tgt}: {error}") from error
            text = from_html(answer["TranslatedText"])
            self.answered(request, Translation(text, review=self.always_review))
            return text

        return ordered_map(one, requests, self.concurrency)

    def _throttled(self, attempt: int, error: BaseException, wait: float) -> None:
        """Throttling tells every thread to hold back, not only the one that was refused."""
        if error_code(error) in TRANSIENT_CODES:
            self.pacer.pause(wait)


@dataclass
class TerminologyReport:
    """What :func:`import_terminology` sent and what it had to leave out (with reasons)."""

    name: str
    terms: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (term, reason)
    properties: dict[str, Any] = field(default_factory=dict)


def terminology_csv(
    glossary: Mapping[str, str], src: str, tgt: str
) -> tuple[bytes, list[tuple[str, str]], int]:
    """A custom terminology CSV (header: Amazon's codes of ``src,tgt``); terms Amazon would reject are skipped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([amazon_code(src), amazon_code(tgt)])
    skipped: list[tuple[str, str]] = []
    count = 0
    for source, target in glossary.items():
        source, target = " ".join(source.split()), " ".join(target.split())
        if not source or not target:
            skipped.append((source, "empty term or translation"))
        elif source[0] in FORBIDDEN_FIELD_START or target[0] in FORBIDDEN_FIELD_START:
            skipped.append(
                (source, f"starts with one of {FORBIDDEN_FIELD_START} (not allowed in Amazon's CSV)")
            )
        elif max(len(source.encode("utf-8")), len(target.encode("utf-8"))) > MAX_TERM_BYTES:
            skipped.append((source, f"over Amazon's {MAX_TERM_BYTES}-byte limit for a term"))
        else:
            writer.writerow([source, target])
            count += 1
    return buffer.getvalue().encode("utf-8"), skipped, count


def import_terminology(
    name: str,
    glossary: Mapping[str, str],
    src: str,
    tgt: str,
    client: Any = None,
    region: str | None = None,
    profile: str | None = None,
    description: str = "",
    policy: RetryPolicy | None = None,
) -> TerminologyReport:
    """Create or overwrite the custom terminology ``name`` from our glossary (source term -> target)."""
    check_resource_name(name, "terminology")
    data, skipped, count = terminology_csv(glossary, src, tgt)
    if not count:
        raise EngineError(f"terminology {name!r}: no usable terms in the glossary")
    client = client or make_client("translate", region, profile)
    params: dict[str, Any] = {
        "Name": name,
        "MergeStrategy": "OVERWRITE",
        "TerminologyData": {"File": data, "Format": "CSV", "Directionality": "UNI"},
    }
    if description:
        params["Description"] = description[:256]
    try:
        answer = aws_call(client, "import_terminology", policy or RetryPolicy(), **params)
    except EngineError:
        raise
    except Exception as error:
        raise EngineError(f"terminology {name!r}: {error}") from error
    return TerminologyReport(name, count, skipped, dict(answer.get("TerminologyProperties", {})))
