"""The batching OPA client: many documents per request, several requests in flight.

One request carries ``{"input": {"events": [doc, ...]}}`` to ``data.bpfopa.main.alerts``. Transport
and HTTP failures are translated to :mod:`bpfopa.errors` in one place (:func:`opa_errors`,
:func:`check_status`); tenacity retries what the exception marks ``retriable`` (a timeout is not:
the pipeline declares the outage at the first one). An evaluation error (a 500 such as a rule
conflict) is isolated rule by rule (:mod:`bpfopa.policy._isolation`): only the faulty rule loses
the document, counted per rule. A rejection no rule explains (OPA's 400) is isolated by splitting
the batch in halves until the bad document stands alone; it then goes to the dead-letter file and
every other document still gets its verdict.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
import orjson
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from bpfopa.errors import (
    OpaRejectedError,
    PolicyEngineError,
    PolicyMissingError,
)
from bpfopa.output import DeadLetterFile
from bpfopa.policy._isolation import isolate_documents, isolate_rules
from bpfopa.policy._opa_errors import (
    EVAL_ERROR_CODES,
    check_status,
    eval_error_codes,
    is_retriable,
    opa_errors,
)
from bpfopa.policy._projection import Projection, ProjectionPlan, exception_field_paths
from bpfopa.policy._verdicts import Evaluation, PolicyAlert, Rejection, RuleFault, parse_alerts

__all__ = [
    "DeadLetterFile",
    "Evaluation",
    "OpaClient",
    "OpaClientConfig",
    "PolicyAlert",
    "Rejection",
    "RuleFault",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OpaClientConfig:
    """Where OPA is and how hard to try.

    ``max_inflight`` bounds both the concurrent requests and the keep-alive connections.
    """

    url: str
    token: str | None = None
    ca_file: Path | None = None
    max_inflight: int = 4
    #: A request unanswered this long declares the outage (no retry in place).
    timeout_s: float = 5.0
    retry_attempts: int = 4
    retry_initial_s: float = 0.05
    retry_max_s: float = 2.0
    package: str = "bpfopa/main"
    #: How often the exception data is re-read when the projection depends on it.
    projection_refresh_s: float = 10.0


class OpaClient:
    """Async client of OPA's data API; use as ``async with OpaClient(config) as client``."""

    def __init__(
        self,
        config: OpaClientConfig,
        *,
        dead_letter: DeadLetterFile | None = None,
        on_latency: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config
        self.dead_letter = dead_letter or DeadLetterFile(None)
        self._on_latency = on_latency
        self._session: aiohttp.ClientSession | None = None
        self.set_url(config.url)
        self._package_ref = "data." + config.package.replace("/", ".")
        self.inflight = 0
        self.requests = 0
        self.retries = 0
        self.rejected = 0
        self.malformed_verdicts = 0
        #: Documents each rule could not evaluate (evaluation errors isolated to that rule).
        self.rule_faults: Counter[str] = Counter()
        # Documents go to OPA through this projection; alerts keep the full documents.
        self.projection: Projection | None = None
        self._plan: ProjectionPlan | None = None
        self._next_refresh = 0.0

    def set_url(self, url: str) -> None:
        """Send the next requests to ``url`` (the managed OPA moved after a policy reload);
        requests in flight finish where they are."""
        self.config = replace(self.config, url=url)
        self._base = url.rstrip("/")
        self._alerts_url = f"{self._base}/v1/data/{self.config.package}/alerts"
        self._query_url = f"{self._base}/v1/query"

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def open(self) -> None:
        if self._session is not None:
            return
        ssl_context: ssl.SSLContext | bool = True
        if self.config.ca_file is not None:
            ssl_context = ssl.create_default_context(cafile=str(self.config.ca_file))
        headers = {"Content-Type": "application/json"}
        if self.config.token:
            headers["Authorization"] = f"Bearer {self.config.token}"
        connector = aiohttp.TCPConnector(
            limit=self.config.max_inflight, ssl=ssl_context, keepalive_timeout=30
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=self.config.timeout_s),
            raise_for_status=False,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self.dead_letter.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("OpaClient is not open: use 'async with OpaClient(...)'")
        return self._session

    # -- health and policy presence ------------------------------------------------------------

    async def health(self) -> None:
        """Raise :class:`OpaUnavailableError` unless ``GET /health`` answers 200."""
        url = f"{self._base}/health"
        with opa_errors(url):
            async with self.session.get(url) as resp:
                body = await resp.read()
                check_status(url, resp.status, body)

    async def check_policies(self) -> None:
        """Raise :class:`PolicyMissingError` unless ``data.bpfopa.main.alerts`` is defined."""
        await self._post_events([], context="policy check")

    async def evaluates(self) -> bool:
        """Whether OPA answers a real (empty) evaluation now: its health as the pipeline sees it."""
        try:
            await self.check_policies()
        except PolicyEngineError:
            return False
        return True

    async def syscalls(self) -> list[str] | None:
        """``data.bpfopa.main.syscalls``: the syscalls the rules need, None when undefined."""
        result = await self.get_data(f"{self.config.package}/syscalls")
        if not isinstance(result, list):
            return None
        return sorted({name for name in result if isinstance(name, str)})

    # -- projection ---------------------------------------------------------------------------

    @property
    def projection_plan(self) -> ProjectionPlan | None:
        return self._plan

    async def set_projection_plan(self, plan: ProjectionPlan | None) -> None:
        """Send OPA only what ``plan`` says the policies read (None: full documents).

        When the plan depends on the exception data (``object.get(doc, split(field, "."))`` in
        lib/exceptions), documents go unprojected until that data has been read from OPA; it is
        re-read every ``projection_refresh_s``.
        """
        self._plan = plan
        self.projection = None
        self._next_refresh = 0.0
        if plan is not None:
            await self.refresh_projection()

    async def refresh_projection(self) -> None:
        """Rebuild the projection from the plan and OPA's current exception data."""
        plan = self._plan
        if plan is None:
            return
        self._next_refresh = time.monotonic() + self.config.projection_refresh_s
        if not plan.exception_lookups:
            self.projection = plan.projection()
            return
        paths: set[tuple[str, ...]] = set()
        try:
            for where in ("bpfopa/exceptions", "bpfopa/defaults/exceptions"):
                paths |= exception_field_paths(await self.get_data(where))
        except PolicyEngineError as exc:
            # Keep the projection we have (none yet: full documents) and try again later.
            log.debug("exception data not readable for the projection: %s", exc)
            return
        self.projection = plan.projection(paths)

    async def get_data(self, path: str) -> Any:
        """``GET /v1/data/<path>``'s result (None when undefined)."""
        url = f"{self._base}/v1/data/{path}"
        with opa_errors(url):
            async with self.session.get(url) as resp:
                body = await resp.read()
                check_status(url, resp.status, body)
                parsed = orjson.loads(body)
        return parsed.get("result") if isinstance(parsed, dict) else None

    # -- evaluation ---------------------------------------------------------------------------

    async def evaluate(self, documents: Sequence[Any], *, retry: bool = True) -> Evaluation:
        """Verdicts for ``documents``; rejected documents are isolated and dead-lettered.

        Raises :class:`OpaUnavailableError` once the retries are spent (``retry=False``: at the
        first failure; a timeout is never retried in place), and :class:`PolicyMissingError` /
        :class:`PolicyEngineError` for problems no document causes. An evaluation error is
        isolated to the rule causing it (:attr:`Evaluation.rule_faults`, dead-lettered with the
        rule's name). Indices refer to the full documents, whatever the projection.
        """
        if self._plan is not None and time.monotonic() >= self._next_refresh:
            await self.refresh_projection()
        docs = list(documents)
        attempts = self.config.retry_attempts if retry else 1

        async def post(
            batch: list[Any], rules: Mapping[str, Any] | None
        ) -> tuple[list[PolicyAlert], int]:
            return await self._post_with_retry(batch, rules, attempts)

        try:
            alerts, malformed = await post(docs, None)
            evaluation = Evaluation(alerts=alerts, requests=1, malformed_verdicts=malformed)
        except OpaRejectedError as exc:
            rules = await self._rules_to_isolate(exc, post)
            if rules is None:
                evaluation = await isolate_documents(post, docs, exc)
            else:
                evaluation = await isolate_rules(post, docs, rules, exc)
            evaluation.requests += 1
        for rejection in evaluation.rejected:
            self.dead_letter.write(rejection)
        for fault in evaluation.rule_faults:
            self.rule_faults[fault.rule] += 1
            reason = f"rule {fault.rule} could not evaluate the document: {fault.reason}"
            self.dead_letter.write(Rejection(fault.document, reason, 500))
        self.rejected += len(evaluation.rejected)
        return evaluation

    async def _rules_to_isolate(
        self,
        error: OpaRejectedError,
        post: Callable[[list[Any], Mapping[str, Any] | None], Any],
    ) -> Mapping[str, Any] | None:
        """The enabled rules (``data.bpfopa.main._rules``) when ``error`` is an evaluation
        error some rule causes; None when documents must be isolated instead."""
        if error.status != 500 or not eval_error_codes(error.body.encode()) & EVAL_ERROR_CODES:
            return None
        try:
            rules = await self.get_data(f"{self.config.package}/_rules")
            if not isinstance(rules, dict) or not rules:
                return None
            await post([], {})  # no rule at all still fails: the fault is not in a rule
        except PolicyEngineError:
            return None
        return rules

    async def _post_with_retry(
        self, documents: list[Any], rules: Mapping[str, Any] | None, attempts: int
    ) -> tuple[list[PolicyAlert], int]:
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_retriable),
            # Full jitter: many clients (or in-flight batches) do not retry in lock-step.
            wait=wait_random_exponential(
                multiplier=self.config.retry_initial_s, max=self.config.retry_max_s
            ),
            stop=stop_after_attempt(max(1, attempts)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self.retries += 1
                return await self._post_events(documents, context="evaluation", rules=rules)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _post_events(
        self, documents: list[Any], *, context: str, rules: Mapping[str, Any] | None = None
    ) -> tuple[list[PolicyAlert], int]:
        """One request; with ``rules``, only those rules (``_rules`` replaced through ``with``)."""
        projection = self.projection
        events = documents if projection is None else [projection.apply(d) for d in documents]
        request: dict[str, Any] = {"input": {"events": events}}
        url = self._alerts_url
        if rules is not None:
            url = self._query_url
            ref, only = self._package_ref, orjson.dumps(rules).decode()
            request["query"] = f"x := {ref}.alerts with {ref}._rules as {only}"
        try:
            payload = orjson.dumps(request)
        except TypeError as exc:  # orjson.JSONEncodeError: e.g. an int beyond 64 bits
            raise OpaRejectedError(f"document is not JSON-serializable: {exc}", 0) from exc
        self.inflight += 1
        started = time.perf_counter()
        try:
            with opa_errors(url):
                async with self.session.post(url, data=payload) as resp:
                    body = await resp.read()
                    check_status(url, resp.status, body)
                    parsed = orjson.loads(body)
        finally:
            self.inflight -= 1
            self.requests += 1
            if self._on_latency is not None:
                self._on_latency(time.perf_counter() - started)
        if rules is not None:  # /v1/query: {"result": [{"x": alerts}]}
            rows = parsed.get("result") if isinstance(parsed, dict) else None
            row = rows[0] if isinstance(rows, list) and rows else None
            parsed = {"result": row["x"]} if isinstance(row, dict) and "x" in row else {}
        return self._parse_result(parsed, len(documents), context)

    def _parse_result(
        self, parsed: Any, batch_size: int, context: str
    ) -> tuple[list[PolicyAlert], int]:
        if not isinstance(parsed, Mapping) or "result" not in parsed:
            raise PolicyMissingError(
                f"{context}: data.{self.config.package.replace('/', '.')}.alerts is undefined at "
                f"{self._base}: the bpfopa policies are not loaded (or the package is broken)"
            )
        alerts, malformed = parse_alerts(parsed["result"], batch_size, context)
        self.malformed_verdicts += malformed
        return alerts, malformed
