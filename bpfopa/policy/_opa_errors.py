"""OPA's answers as :mod:`bpfopa.errors`: transport failures and HTTP statuses, each to the
most specific class, whether a failure is worth retrying.

Apart from the client so that the client reads as requests and verdicts, and this one table
of failures reads (and is tested, tests/opa/test_client.py) on its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import aiohttp
import orjson

from bpfopa.errors import (
    BpfopaError,
    OpaRejectedError,
    OpaTimeoutError,
    OpaUnavailableError,
    PolicyEngineError,
)

__all__ = ["EVAL_ERROR_CODES", "check_status", "eval_error_codes", "is_retriable", "opa_errors"]

#: Error codes in a 500 body that one input document can cause: retrying the same batch cannot
#: help, isolating the document can. Other 500s (OPA overloaded, crashed handler) are retriable.
EVAL_ERROR_CODES = frozenset(
    {"eval_conflict_error", "eval_type_error", "eval_builtin_error", "eval_internal_error"}
)


@contextlib.contextmanager
def opa_errors(url: str) -> Iterator[None]:
    """Translate transport exceptions to :mod:`bpfopa.errors`, the most specific class first."""
    try:
        yield
    except BpfopaError:
        raise
    except TimeoutError as exc:
        raise OpaTimeoutError(f"OPA at {url} did not answer in time") from exc
    except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
        # A certificate problem does not heal by retrying: not OpaUnavailableError.
        raise PolicyEngineError(f"TLS handshake with OPA at {url} failed: {exc}") from exc
    except aiohttp.ClientConnectorError as exc:
        raise OpaUnavailableError(f"cannot connect to OPA at {url}: {exc.os_error}") from exc
    except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
        raise OpaUnavailableError(f"connection to OPA at {url} broke: {exc!r}") from exc
    except aiohttp.ClientError as exc:
        raise PolicyEngineError(f"HTTP client error talking to OPA at {url}: {exc!r}") from exc
    except orjson.JSONDecodeError as exc:
        raise OpaUnavailableError(f"OPA at {url} sent a body that is not JSON: {exc}") from exc


def eval_error_codes(body: bytes) -> set[str]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return set()
    if not isinstance(parsed, dict):
        return set()
    errors = parsed.get("errors")
    codes = set()
    if isinstance(errors, list):
        codes = {e.get("code") for e in errors if isinstance(e, dict)}
    return {c for c in codes if isinstance(c, str)}


def check_status(url: str, status: int, body: bytes) -> None:
    """Raise the error class an OPA answer with ``status`` stands for (nothing for 2xx)."""
    if 200 <= status < 300:
        return
    text = body.decode("utf-8", "replace")[:2000]
    if status in (401, 403):
        raise PolicyEngineError(f"OPA at {url} refused the request ({status}): check the token")
    if status == 500 and eval_error_codes(body) & EVAL_ERROR_CODES:
        raise OpaRejectedError(f"OPA could not evaluate the input: {text}", status, text)
    if status == 429 or status >= 500:
        raise OpaUnavailableError(f"OPA at {url} answered {status}: {text[:300]}")
    raise OpaRejectedError(f"OPA at {url} rejected the request ({status}): {text}", status, text)


def is_retriable(exc: BaseException) -> bool:
    return isinstance(exc, BpfopaError) and exc.retriable
