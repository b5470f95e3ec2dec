"""Finding what OPA could not evaluate, so that only it is lost.

An evaluation error (a rule producing conflicting values, a type error under strict built-ins)
is caused by one rule on some documents: the batch is re-evaluated with the rule set halved
(``data.bpfopa.main._rules`` replaced through ``with``) until the faulty rule stands alone, and
that rule alone with the documents halved until the documents it fails on stand alone. Every
other rule still judges every document; each (rule, document) fault is reported. A rejection
no rule explains (OPA's 400, an unserialisable document) is isolated by halving the documents.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bpfopa.errors import OpaRejectedError
from bpfopa.policy._verdicts import Evaluation, PolicyAlert, Rejection, RuleFault

__all__ = ["Post", "isolate_documents", "isolate_rules"]

#: One request: documents, and the rules to evaluate (None: the package's own set).
Post = Callable[[list[Any], Mapping[str, Any] | None], Awaitable[tuple[list[PolicyAlert], int]]]


async def isolate_documents(
    post: Post, documents: list[Any], error: OpaRejectedError
) -> Evaluation:
    """Verdicts for ``documents`` (which failed with ``error``) minus the documents OPA rejects."""
    if len(documents) <= 1:
        return Evaluation(rejected=[Rejection(d, str(error), error.status) for d in documents])
    middle = len(documents) // 2
    left, right = await asyncio.gather(
        _documents_part(post, documents[:middle]), _documents_part(post, documents[middle:])
    )
    left.merge(right, middle)
    return left


async def _documents_part(post: Post, documents: list[Any]) -> Evaluation:
    try:
        alerts, malformed = await post(documents, None)
    except OpaRejectedError as exc:
        found = await isolate_documents(post, documents, exc)
        found.requests += 1
        return found
    return Evaluation(alerts=alerts, requests=1, malformed_verdicts=malformed)


async def isolate_rules(
    post: Post, documents: list[Any], rules: Mapping[str, Any], error: OpaRejectedError
) -> Evaluation:
    """Verdicts of every rule in ``rules`` for ``documents`` (which failed with ``error``),
    except the (rule, document) pairs that fail on their own."""
    return await _split_rules(post, documents, sorted(rules), rules, error)


async def _rules_part(
    post: Post, documents: list[Any], ids: Sequence[str], rules: Mapping[str, Any]
) -> Evaluation:
    try:
        alerts, malformed = await post(documents, {i: rules[i] for i in ids})
    except OpaRejectedError as exc:
        found = await _split_rules(post, documents, ids, rules, exc)
        found.requests += 1
        return found
    return Evaluation(alerts=alerts, requests=1, malformed_verdicts=malformed)


async def _split_rules(
    post: Post,
    documents: list[Any],
    ids: Sequence[str],
    rules: Mapping[str, Any],
    error: OpaRejectedError,
) -> Evaluation:
    if len(ids) > 1:
        middle = len(ids) // 2
        left, right = await asyncio.gather(
            _rules_part(post, documents, ids[:middle], rules),
            _rules_part(post, documents, ids[middle:], rules),
        )
        left.merge(right)
        return left
    if len(documents) > 1:
        middle = len(documents) // 2
        left, right = await asyncio.gather(
            _rules_part(post, documents[:middle], ids, rules),
            _rules_part(post, documents[middle:], ids, rules),
        )
        left.merge(right, middle)
        return left
    return Evaluation(
        rule_faults=[RuleFault(ids[0], d, error.body or str(error)) for d in documents]
    )
