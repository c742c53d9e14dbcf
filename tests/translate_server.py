"""A local server speaking the subset of Amazon Translate's JSON protocol that amts uses.

moto has no Translate backend, and botocore's Stubber never puts a byte on the wire. This server
does: boto3 talks to it over HTTP with ``endpoint_url`` (or ``AWS_ENDPOINT_URL_TRANSLATE``), so
request signing (SigV4, checked here), awsJson1_1 serialisation, error parsing, pagination and amts's
retries all run for real. Batch jobs and parallel-data imports read and write a real S3 server (moto's)
through boto3, as Amazon's service does with its data access role.

Operations (``X-Amz-Target: AWSShineFrontendService_20170701.<Operation>``): CreateParallelData,
UpdateParallelData, GetParallelData, ListParallelData, ImportTerminology, StartTextTranslationJob,
DescribeTextTranslationJob, StopTextTranslationJob, ListTextTranslationJobs, TranslateText. States and
errors are the documented ones (API reference of each operation, "Guidelines and quotas").

The "translation" is deterministic so tests can check it: every run of prose outside
``translate="no"`` becomes ``<marker> <prose>`` (``[中]`` for zh, ``[es]`` for es...) (terminology applied first); a prose run that equals a
source of the job's parallel data becomes that pair's target, the way active custom translation
steers the output. Faults are injected per operation (:meth:`TranslateServer.fail_next`).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import html
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import botocore.session

try:  # botocore's patterns are Java regular expressions (\\p{L}, \\P{M}): the regex module reads them
    import regex as _regex
except ImportError:  # pragma: no cover - only the patterns with Unicode classes go unchecked then
    _regex = re  # type: ignore[assignment]

PREFIX = "AWSShineFrontendService_20170701."
ACCOUNT = "123456789012"
LANGUAGES = {"en", "zh", "zh-TW", "es", "es-MX", "fr", "fr-CA", "de", "ja", "ko", "pt", "pt-PT", "tr", "vi", "ru", "it", "ar"}
MAX_TEXT_BYTES = 10_000
RUNNING = ("SUBMITTED", "IN_PROGRESS", "STOP_REQUESTED")
MAX_RECORD_BYTES = 1000
FORBIDDEN_START = "+-=@"
_SPAN = re.compile(r"(<span\b[^>]*\btranslate=[\"']no[\"'][^>]*>.*?</span\s*>)", re.S | re.I)
_TAG = re.compile(r"(<[^>]+>)")
_PARAGRAPH = re.compile(r"(<p\b[^>]*>)(.*?)(</p\s*>)", re.S | re.I)


MODEL = botocore.session.get_session().get_service_model("translate")


def validation_errors(shape: Any, value: Any, path: str) -> list[str]:
    """What Amazon's request validation says about ``value`` against a botocore shape (required
    members, enums, min/max lengths and sizes, patterns), in Amazon's own wording."""
    kind = shape.type_name
    shown = str(value) if len(str(value)) <= 80 else str(value)[:77] + "..."
    fails = [f"Value '{shown}' at '{path}' failed to satisfy constraint: Member must " + what
             for what in _constraint_failures(shape, value)]  # fmt: skip
    if fails:
        return fails
    if kind == "structure":
        errors = [f"Value null at '{_member_path(path, name)}' failed to satisfy constraint: Member must not be null"
                  for name in shape.required_members if value.get(name) is None]  # fmt: skip
        for name, item in value.items():
            if name not in shape.members:
                errors.append(f"Unknown member '{_member_path(path, name)}'")
            elif item is not None:
                errors += validation_errors(shape.members[name], item, _member_path(path, name))
        return errors
    if kind == "list":
        return [e for i, item in enumerate(value, 1) for e in validation_errors(shape.member, item, f"{path}.{i}.member")]
    if kind == "map":
        return [e for key, item in value.items() for e in validation_errors(shape.value, item, f"{path}.{key}")]
    return []


def _member_path(path: str, name: str) -> str:
    name = name[:1].lower() + name[1:]
    return f"{path}.{name}" if path else name


def _constraint_failures(shape: Any, value: Any) -> list[str]:
    meta, kind = shape.metadata, shape.type_name
    types = {"structure": dict, "list": list, "map": dict, "string": str, "blob": str, "boolean": bool,
             "integer": int, "long": int, "float": (int, float), "double": (int, float), "timestamp": (int, float, str)}
    if not isinstance(value, types.get(kind, object)):
        return [f"be of type {kind}"]
    if kind == "blob":
        import base64

        size = len(base64.b64decode(value))
    elif kind in ("string", "list", "map"):
        size = len(value)
    else:
        size = None
    found: list[str] = []
    if size is not None and "min" in meta and size < meta["min"]:
        found.append(f"have length greater than or equal to {meta['min']}")
    if size is not None and "max" in meta and size > meta["max"]:
        found.append(f"have length less than or equal to {meta['max']}")
    if kind in ("integer", "long") and "min" in meta and value < meta["min"]:
        found.append(f"have value greater than or equal to {meta['min']}")
    if kind in ("integer", "long") and "max" in meta and value > meta["max"]:
        found.append(f"have value less than or equal to {meta['max']}")
    if kind == "string" and shape.enum and value not in shape.enum:
        found.append(f"satisfy enum value set: [{', '.join(shape.enum)}]")
    if kind == "string" and meta.get("pattern") and not _pattern(meta["pattern"]).fullmatch(value):
        found.append(f"satisfy regular expression pattern: {meta['pattern']}")
    return found


def _pattern(text: str) -> Any:
    try:
        return _regex.compile(text)
    except Exception:  # noqa: BLE001 - a pattern this regex engine cannot read is not checked
        return re.compile(".*", re.S)


def check_request(operation: str, request: dict[str, Any]) -> None:
    """Raise Amazon's ``ValidationException`` for a request its service model does not allow."""
    if operation not in MODEL.operation_names:
        return
    shape = MODEL.operation_model(operation).input_shape
    errors = validation_errors(shape, request, "") if shape is not None else []
    unknown = [e for e in errors if e.startswith("Unknown member")]
    if unknown:
        raise ApiError("SerializationException", unknown[0])
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
        raise ApiError("ValidationException", count + "; ".join(errors))


def marker(tgt: str) -> str:
    """What a "translation" into ``tgt`` starts with (in the target's script, so script checks pass)."""
    return {"zh": "[中]", "zh-TW": "[中]", "ja": "[日]", "ko": "[한]"}.get(tgt, f"[{tgt}]")


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.retry_after = code, message, status, retry_after


@dataclass
class Fault:
    operation: str
    code: str
    message: str
    status: int
    count: int
    retry_after: float | None = None


@dataclass
class Job:
    props: dict[str, Any]
    stop: threading.Event = field(default_factory=threading.Event)


class TranslateServer:
    """Start with :meth:`start`; ``endpoint`` is then ``http://127.0.0.1:<port>``."""

    def __init__(
        self,
        s3_endpoint: str,
        region: str = "us-east-1",
        credentials: dict[str, str] | None = None,
        expired: set[str] | None = None,
        job_seconds: float = 0.3,
        import_seconds: float = 0.2,
        latency: float = 0.0,
    ) -> None:
        self.region = region
        self.credentials = credentials or {"testing": "testing"}
        self.expired = expired or set()
        self.job_seconds, self.import_seconds, self.latency = job_seconds, import_seconds, latency
        self.s3 = boto3.client(
            "s3", endpoint_url=s3_endpoint, region_name=region,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        self.parallel_data: dict[str, dict[str, Any]] = {}
        self.pd_pairs: dict[str, dict[str, dict[str, str]]] = {}  # name -> tgt -> {source: target}
        self.terminologies: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, Job] = {}
        self.faults: list[Fault] = []
        self.calls: list[str] = []  # operations in the order they arrived (faulted ones too)
        self.requests: list[tuple[str, dict[str, Any]]] = []  # (operation, parsed body) of every call
        self.failing_documents: set[str] = set()  # input names whose translation errors in a job
        self.import_failure: str | None = None  # the next parallel-data import ends FAILED with this message
        self.max_running_jobs = 10  # Amazon's default quota of concurrent batch jobs
        self.limit_refused = threading.Event()  # set when a start was refused for the limit
        self.list_hidden = False  # jobs not (yet) listed by ListTextTranslationJobs, like eventual consistency
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------------
    def start(self) -> TranslateServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, payload = server.handle(self.command, self.path, dict(self.headers.items()), body)
                retry_after = payload.pop("_retry_after", None)
                data = json.dumps(payload).encode()
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", str(retry_after))
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        thread.start()
        return self

    @property
    def endpoint(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        for job in self.jobs.values():
            job.stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def sent(self, operation: str, member: str) -> list[Any]:
        """The value of ``member`` in every ``operation`` request received, in order."""
        return [request.get(member) for name, request in self.requests if name == operation]

    def fail_next(
        self, operation: str, code: str, message: str = "", status: int = 400, count: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """The next ``count`` calls of ``operation`` answer with this error (e.g. throttling)."""
        self.faults.append(Fault(operation, code, message or code, status, count, retry_after))

    # -- request handling ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        headers = {k.lower(): v for k, v in headers.items()}
        target = headers.get("x-amz-target", "")
        operation = target[len(PREFIX) :] if target.startswith(PREFIX) else ""
        with self.lock:
            self.calls.append(operation)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency and operation == "TranslateText":
                time.sleep(self.latency)
            self._authenticate(method, path, headers, body)
            for fault in self.faults:
                if fault.operation == operation and fault.count > 0:
                    fault.count -= 1
                    raise ApiError(fault.code, fault.message, fault.status, fault.retry_after)
            handler: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(self, f"op_{operation}", None)
            if handler is None:
                raise ApiError("UnknownOperationException", f"unknown operation {target!r}")
            try:
                request = json.loads(body or b"{}")
            except ValueError as error:
                raise ApiError("SerializationException", f"body is not JSON: {error}") from None
            with self.lock:
                self.requests.append((operation, request))
            check_request(operation, request)
            return 200, handler(request)
        except ApiError as error:
            answer: dict[str, Any] = {"__type": error.code, "message": error.message}
            if error.retry_after is not None:
                answer["_retry_after"] = error.retry_after
            return error.status, answer
        finally:
            with self.lock:
                self.in_flight -= 1

    def _authenticate(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        """Check the SigV4 signature the way AWS does (scope, known key, expiry, signature)."""
        auth = headers.get("authorization", "")
        match = re.match(
            r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
            r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)",
            auth,
        )
        if not match:
            raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
        key, day, region, service, signed, signature = match.groups()
        if key in self.expired or headers.get("x-amz-security-token") in self.expired:
            raise ApiError("ExpiredTokenException", "The security token included in the request is expired")
        if key not in self.credentials:
            raise ApiError("UnrecognizedClientException", "The security token included in the request is invalid.")
        if service != "translate" or region != self.region:
            raise ApiError(
                "InvalidSignatureException",
                f"Credential should be scoped to a valid region and service: {region}/{service}",
            )
        names = signed.split(";")
        canonical_headers = "".join(f"{n}:{' '.join(headers.get(n, '').split())}\n" for n in names)
        canonical = "\n".join(
            [method, path.split("?")[0] or "/", "", canonical_headers, signed, hashlib.sha256(body).hexdigest()]
        )
        amz_date = headers.get("x-amz-date", "")
        scope = f"{day}/{region}/{service}/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        secret = ("AWS4" + self.credentials[key]).encode()
        for part in (day, region, service, "aws4_request"):
            secret = hmac.new(secret, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(secret, to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise ApiError(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided.",
            )

    # -- helpers -------------------------------------------------------------------------------------
    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _s3_location(self, uri: str, what: str) -> tuple[str, str]:
        if not re.match(r"s3://[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](/.*)?$", uri or ""):
            raise ApiError("InvalidParameterValueException", f"{what}: {uri!r} is not a valid S3 URI")
        bucket, _, key = uri[5:].partition("/")
        try:
            location = self.s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
        except self.s3.exceptions.ClientError:
            raise ApiError("InvalidRequestException", f"{what}: cannot access S3 bucket {bucket}") from None
        if location != self.region:
            raise ApiError(
                "InvalidRequestException",
                f"{what}: the S3 bucket {bucket} is in {location}; it must be in the same Region as the "
                f"API endpoint you are calling ({self.region})",
            )
        return bucket, key

    @staticmethod
    def _language(code: str) -> str:
        if code not in LANGUAGES:
            raise ApiError("UnsupportedLanguagePairException", f"Unsupported language pair: {code}")
        return code

    def translate_fragment(self, text: str, tgt: str, pairs: dict[str, str], terms: dict[str, str]) -> str:
        """Our deterministic "translation" of HTML: each paragraph (or the whole fragment) once."""

        def one(inner: str) -> str:
            plain = " ".join(html.unescape(_TAG.sub("", inner)).split())
            if plain in pairs:  # active custom translation: the example's own translation
                return html.escape(pairs[plain], quote=False)
            parts: list[str] = []
            for part in _SPAN.split(inner):
                if not part or _SPAN.fullmatch(part):
                    parts.append(part)
                    continue
                prose = html.unescape(part)
                for source, target in terms.items():
                    prose = prose.replace(source, target)
                parts.append(html.escape(prose, quote=False))
            return f"{marker(tgt)} {''.join(parts)}" if plain else "".join(parts)

        if _PARAGRAPH.search(text):
            return _PARAGRAPH.sub(lambda m: m.group(1) + one(m.group(2)) + m.group(3), text)
        return one(text)

    # -- parallel data -------------------------------------------------------------------------------
    def op_CreateParallelData(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        name = request["Name"]
        config = request.get("ParallelDataConfig") or {}
        if name in self.parallel_data:
            raise ApiError("ConflictException", f"Parallel data {name} already exists")
        self._s3_location(config.get("S3Uri", ""), "ParallelDataConfig.S3Uri")
        now = time.time()
        self.parallel_data[name] = {
            "Name": name, "Arn": f"arn:aws:translate:{self.region}:{ACCOUNT}:parallel-data/{name}",
            "Description": request.get("Description", ""), "ParallelDataConfig": config, "Status": "CREATING",
            "CreatedAt": now, "LastUpdatedAt": now,
        }  # fmt: skip
        self._spawn(lambda: self._import(name, config, updating=False))
        return {"Name": name, "Status": "CREATING"}

    def op_UpdateParallelData(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        name = request["Name"]
        props = self._pd(name)
        config = request.get("ParallelDataConfig") or {}
        if props.get("Status") in ("CREATING", "UPDATING") or props.get("LatestUpdateAttemptStatus") == "UPDATING":
            raise ApiError("ConcurrentModificationException", f"Parallel data {name} is being modified")
        self._s3_location(config.get("S3Uri", ""), "ParallelDataConfig.S3Uri")
        props.update(LatestUpdateAttemptStatus="UPDATING", LatestUpdateAttemptAt=time.time())
        self._spawn(lambda: self._import(name, config, updating=True))
        return {"Name": name, "Status": props["Status"], "LatestUpdateAttemptStatus": "UPDATING",
                "LatestUpdateAttemptAt": props["LatestUpdateAttemptAt"]}  # fmt: skip

    def _pd(self, name: str) -> dict[str, Any]:
        if name not in self.parallel_data:
            raise ApiError("ResourceNotFoundException", f"Parallel data {name} could not be found")
        return self.parallel_data[name]

    def _import(self, name: str, config: dict[str, Any], updating: bool) -> None:
        time.sleep(self.import_seconds)
        props = self.parallel_data[name]
        state_key = "LatestUpdateAttemptStatus" if updating else "Status"
        try:
            if self.import_failure:
                message, self.import_failure = self.import_failure, None
                raise ValueError(message)
            bucket, key = config["S3Uri"][5:].partition("/")[::2]
            data = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            rows = list(csv.reader(io.StringIO(data))) if config.get("Format") == "CSV" else []
            if len(rows) < 2 or len(rows[0]) < 2:
                raise ValueError("Input file has no valid records")
            src, tgts = rows[0][0], rows[0][1:]
            imported, skipped, failed = {t: {} for t in tgts}, 0, 0
            for row in rows[1:]:
                if len(row) != len(tgts) + 1 or any(not cell for cell in row) or any(cell[0] in FORBIDDEN_START for cell in row):
                    failed += 1
                elif len(row[0].encode("utf-8")) > MAX_RECORD_BYTES:
                    skipped += 1  # Amazon skips an over-long record without failing the import
                else:
                    for tgt, target in zip(tgts, row[1:], strict=True):
                        imported[tgt][row[0]] = target
            count = len(next(iter(imported.values()))) if imported else 0
            if not count:
                raise ValueError("Input file has no valid records")
        except Exception as error:  # noqa: BLE001 - every problem is the import's FAILED message
            props.update({state_key: "FAILED", "Message": str(error)})
            if not updating:
                props["Status"] = "FAILED"
            return
        self.pd_pairs[name] = imported
        props.update(
            {state_key: "ACTIVE", "Status": "ACTIVE", "SourceLanguageCode": src, "TargetLanguageCodes": tgts,
             "ImportedRecordCount": count, "SkippedRecordCount": skipped, "FailedRecordCount": failed,
             "ImportedDataSize": len(data.encode()), "LastUpdatedAt": time.time(), "ParallelDataConfig": config}
        )  # fmt: skip
        props.pop("Message", None)

    def op_GetParallelData(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        props = self._pd(request["Name"])
        location = {"RepositoryType": "S3", "Location": props["ParallelDataConfig"].get("S3Uri", "")}
        return {"ParallelDataProperties": dict(props), "DataLocation": location}

    def op_ListParallelData(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return self._page(
            [dict(p) for _, p in sorted(self.parallel_data.items())], request, "ParallelDataPropertiesList", 500
        )

    @staticmethod
    def _page(items: list[dict[str, Any]], request: dict[str, Any], key: str, most: int) -> dict[str, Any]:
        size = int(request.get("MaxResults") or 100)
        if not 1 <= size <= most:
            raise ApiError("InvalidParameterValueException", f"MaxResults must be between 1 and {most}")
        start = int(request.get("NextToken") or 0)
        answer: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            answer["NextToken"] = str(start + size)
        return answer

    # -- terminology ---------------------------------------------------------------------------------
    def op_ImportTerminology(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        import base64

        name = request["Name"]
        if request.get("MergeStrategy") != "OVERWRITE":
            raise ApiError("InvalidParameterValueException", "MergeStrategy must be OVERWRITE")
        data = request.get("TerminologyData") or {}
        raw = base64.b64decode(data.get("File", ""))
        if len(raw) > 10 * 1024 * 1024:
            raise ApiError("LimitExceededException", "Terminology file exceeds 10 MB")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8")))) if data.get("Format") == "CSV" else []
        if len(rows) < 2:
            raise ApiError("InvalidParameterValueException", "The terminology file has no terms")
        src, tgts = rows[0][0], rows[0][1:]
        for tgt in (src, *tgts):
            self._language(tgt)
        terms = {tgt: {} for tgt in tgts}
        for row in rows[1:]:
            if any(len(cell.encode()) > 200 for cell in row):
                raise ApiError("InvalidParameterValueException", "A term exceeds 200 bytes")
            for tgt, target in zip(tgts, row[1:], strict=False):
                terms[tgt][row[0]] = target
        props = {
            "Name": name, "Arn": f"arn:aws:translate:{self.region}:{ACCOUNT}:terminology/{name}/LATEST",
            "Description": request.get("Description", ""), "SourceLanguageCode": src, "TargetLanguageCodes": tgts,
            "TermCount": len(rows) - 1, "SizeBytes": len(raw), "Format": "CSV",
            "Directionality": data.get("Directionality", "UNI"), "CreatedAt": time.time(), "LastUpdatedAt": time.time(),
        }  # fmt: skip
        self.terminologies[name] = {"props": props, "terms": terms}
        return {"TerminologyProperties": props}

    def _terms(self, names: list[str], src: str, tgt: str) -> dict[str, str]:
        if len(names) > 1:
            raise ApiError("InvalidParameterValueException", "At most one terminology per request")
        terms: dict[str, str] = {}
        for name in names:
            if name not in self.terminologies:
                raise ApiError("ResourceNotFoundException", f"Terminology {name} could not be found")
            found = self.terminologies[name]
            if found["props"]["SourceLanguageCode"] == src:
                terms.update(found["terms"].get(tgt, {}))
        return terms

    # -- real time -----------------------------------------------------------------------------------
    def op_TranslateText(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        text = request["Text"]
        src, tgt = self._language(request["SourceLanguageCode"]), self._language(request["TargetLanguageCode"])
        if src == tgt:
            raise ApiError("UnsupportedLanguagePairException", f"Unsupported language pair: {src} to {tgt}")
        if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise ApiError("TextSizeLimitExceededException", f"Input text size exceeds limit of {MAX_TEXT_BYTES} bytes")
        terms = self._terms(request.get("TerminologyNames") or [], src, tgt)
        answer: dict[str, Any] = {
            "TranslatedText": self.translate_fragment(text, tgt, {}, terms),
            "SourceLanguageCode": src, "TargetLanguageCode": tgt,
        }  # fmt: skip
        if request.get("Settings"):
            answer["AppliedSettings"] = request["Settings"]
        return answer

    # -- batch jobs ----------------------------------------------------------------------------------
    def op_StartTextTranslationJob(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        src = self._language(request["SourceLanguageCode"])
        tgts = [self._language(t) for t in request["TargetLanguageCodes"]]
        if not 1 <= len(tgts) <= 10:
            raise ApiError("InvalidParameterValueException", "A job has 1 to 10 target languages")
        if src in tgts:
            raise ApiError("UnsupportedLanguagePairException", f"Unsupported language pair: {src} to {src}")
        input_config, output_config = request["InputDataConfig"], request["OutputDataConfig"]
        if input_config.get("ContentType") not in ("text/html", "text/plain"):
            raise ApiError("InvalidRequestException", f"Unsupported content type {input_config.get('ContentType')}")
        self._s3_location(input_config["S3Uri"], "InputDataConfig.S3Uri")
        self._s3_location(output_config["S3Uri"], "OutputDataConfig.S3Uri")
        names = request.get("ParallelDataNames") or []
        if len(names) > 1:
            raise ApiError("InvalidParameterValueException", "At most one parallel data resource per job")
        for name in names:
            props = self._pd(name)
            if props.get("Status") != "ACTIVE":
                raise ApiError("InvalidRequestException", f"Parallel data {name} is {props.get('Status')}, not ACTIVE")
            if props["SourceLanguageCode"] != src or not set(tgts) <= set(props["TargetLanguageCodes"]):
                raise ApiError(
                    "InvalidRequestException",
                    f"Parallel data {name} ({props['SourceLanguageCode']}->{','.join(props['TargetLanguageCodes'])}) "
                    f"does not cover {src}->{','.join(tgts)}",
                )
        self._terms(request.get("TerminologyNames") or [], src, tgts[0])
        token = request.get("ClientToken")
        for job in self.jobs.values():  # idempotent: the same client token starts nothing new
            if token and job.props.get("_token") == token:
                return {"JobId": job.props["JobId"], "JobStatus": job.props["JobStatus"]}
        running = sum(j.props["JobStatus"] in RUNNING for j in self.jobs.values())
        if running >= self.max_running_jobs:
            self.limit_refused.set()
            raise ApiError("LimitExceededException",
                           f"You have reached the maximum of {self.max_running_jobs} concurrent text translation jobs")
        job_id = uuid.uuid4().hex[:32]
        props = {
            "JobId": job_id, "JobName": request.get("JobName", ""), "JobStatus": "SUBMITTED",
            "SourceLanguageCode": src, "TargetLanguageCodes": tgts, "InputDataConfig": input_config,
            "OutputDataConfig": output_config, "DataAccessRoleArn": request["DataAccessRoleArn"],
            "ParallelDataNames": names, "TerminologyNames": request.get("TerminologyNames") or [],
            "SubmittedTime": time.time(), "_token": token,
            "JobDetails": {"TranslatedDocumentsCount": 0, "DocumentsWithErrorsCount": 0, "InputDocumentsCount": 0},
        }  # fmt: skip
        if request.get("Settings"):
            props["Settings"] = request["Settings"]
        job = Job(props)
        self.jobs[job_id] = job
        self._spawn(lambda: self._run_job(job))
        return {"JobId": job_id, "JobStatus": "SUBMITTED"}

    def _pause(self, job: Job, share: float) -> bool:
        """Wait ``share`` of ``job_seconds`` (read live, so a test can speed up running jobs); True if stopped."""
        started = time.monotonic()
        while time.monotonic() - started < self.job_seconds * share:
            if job.stop.wait(0.02):
                return True
        return job.stop.is_set()

    def _run_job(self, job: Job) -> None:
        props = job.props
        if self._pause(job, 1 / 3):
            props.update(JobStatus="STOPPED", EndTime=time.time())
            return
        props["JobStatus"] = "IN_PROGRESS"
        if "no-access" in props["DataAccessRoleArn"]:
            props.update(
                JobStatus="FAILED", EndTime=time.time(),
                Message=f"Amazon Translate could not assume the role {props['DataAccessRoleArn']} or it has "
                "no access to the S3 input location",
            )  # fmt: skip
            return
        in_bucket, in_prefix = props["InputDataConfig"]["S3Uri"][5:].partition("/")[::2]
        out_bucket, out_prefix = props["OutputDataConfig"]["S3Uri"][5:].partition("/")[::2]
        out_root = f"{out_prefix.rstrip('/')}/" if out_prefix.strip("/") else ""
        out_root += f"{ACCOUNT}-TranslateText-{props['JobId']}/"
        keys = [
            item["Key"]
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=in_bucket, Prefix=in_prefix)
            for item in page.get("Contents", [])
            if not item["Key"].endswith("/")
        ]
        details = props["JobDetails"]
        details["InputDocumentsCount"] = len(keys)
        pairs = self.pd_pairs.get(props["ParallelDataNames"][0], {}) if props["ParallelDataNames"] else {}
        errors: dict[str, list[dict[str, str]]] = {t: [] for t in props["TargetLanguageCodes"]}
        for key in keys:
            if self._pause(job, 1 / max(1, len(keys)) / 2):
                props.update(JobStatus="STOPPED", EndTime=time.time())
                return
            relative = key[len(in_prefix) :].lstrip("/")
            folder, _, name = relative.rpartition("/")
            body = self.s3.get_object(Bucket=in_bucket, Key=key)["Body"].read()
            for tgt in props["TargetLanguageCodes"]:
                if any(bad in relative for bad in self.failing_documents):
                    errors[tgt].append({"sourceFile": relative, "errorMessage": "Internal error translating file"})
                    continue
                terms = self._terms(props["TerminologyNames"], props["SourceLanguageCode"], tgt)
                text = self.translate_fragment(body.decode("utf-8"), tgt, pairs.get(tgt, {}), terms)
                out_key = out_root + (f"{folder}/" if folder else "") + f"{tgt}.{name}"
                self.s3.put_object(Bucket=out_bucket, Key=out_key, Body=text.encode("utf-8"))
        failed = {relative["sourceFile"] for items in errors.values() for relative in items}
        details["DocumentsWithErrorsCount"] = len(failed)
        details["TranslatedDocumentsCount"] = len(keys) - len(failed)
        for tgt, items in errors.items():
            aux = {"sourceLanguageCode": props["SourceLanguageCode"], "targetLanguageCode": tgt,
                   "documentCountWithCustomerError": "0", "documentCountWithServerError": str(len(items)),
                   "details": items}  # fmt: skip
            self.s3.put_object(
                Bucket=out_bucket, Key=f"{out_root}details/{tgt}.auxiliary-translation-details.json",
                Body=json.dumps(aux).encode(),
            )  # fmt: skip
        if failed and len(failed) == len(keys):
            props.update(JobStatus="FAILED", Message="Every document failed to translate; see the details folder")
        elif failed:
            props.update(JobStatus="COMPLETED_WITH_ERROR",
                         Message=f"{len(failed)} document(s) failed; see the details folder")  # fmt: skip
        else:
            props["JobStatus"] = "COMPLETED"
        props["EndTime"] = time.time()

    def _job(self, job_id: str) -> Job:
        if job_id not in self.jobs:
            raise ApiError("ResourceNotFoundException", f"Job {job_id} could not be found")
        return self.jobs[job_id]

    @staticmethod
    def _public(props: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in props.items() if not k.startswith("_") and v not in ([], None)}

    def op_DescribeTextTranslationJob(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        return {"TextTranslationJobProperties": self._public(self._job(request["JobId"]).props)}

    def op_StopTextTranslationJob(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        job = self._job(request["JobId"])
        if job.props["JobStatus"] in ("SUBMITTED", "IN_PROGRESS"):
            job.props["JobStatus"] = "STOP_REQUESTED"
            job.stop.set()
        return {"JobId": job.props["JobId"], "JobStatus": job.props["JobStatus"]}

    def hold_jobs(self, count: int, seconds: float) -> None:
        """``count`` jobs of another user of the account: they take job slots until ``seconds`` after a
        start was refused for Amazon's limit (so a test sees the refusal, then the slots free)."""
        for number in range(count):
            job_id = f"held{number:04d}{uuid.uuid4().hex[:8]}"
            job = Job({"JobId": job_id, "JobName": f"other-{number}", "JobStatus": "IN_PROGRESS",
                       "SubmittedTime": time.time()})  # fmt: skip
            self.jobs[job_id] = job

            def finish(job: Job = job) -> None:
                self.limit_refused.wait(120)
                job.stop.wait(seconds)
                job.props.update(JobStatus="COMPLETED", EndTime=time.time())

            self._spawn(finish)

    def op_ListTextTranslationJobs(self, request: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        wanted = request.get("Filter") or {}
        if self.list_hidden:
            return {"TextTranslationJobPropertiesList": []}
        jobs = [
            self._public(job.props)
            for job in sorted(self.jobs.values(), key=lambda j: j.props["SubmittedTime"])
            if (not wanted.get("JobName") or job.props["JobName"] == wanted["JobName"])
            and (not wanted.get("JobStatus") or job.props["JobStatus"] == wanted["JobStatus"])
        ]
        return self._page(jobs, request, "TextTranslationJobPropertiesList", 500)
