"""``POST /composite``: up to 25 subrequests in one call, chained with ``@{referenceId.path}`` references.

With ``allOrNone`` the whole request is one transaction: the first failing subrequest keeps its own
error, every other one answers ``PROCESSING_HALTED`` and nothing is saved (closed-won events included).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import SalesforceError
from ._call import Call, Reply, method_not_allowed

__all__ = ["composite"]

MAX_SUBREQUESTS = 25
_REF = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
_PREFIX = re.compile(r"^/services/data/v(\d+\.\d)(/.*)?$")
HALTED = "The transaction was rolled back since another operation in the same transaction failed."
Dispatch = Callable[[Call], Reply]


class _Unresolved(Exception):
    def __init__(self, expression: str, ref: str) -> None:
        super().__init__(expression)
        self.expression, self.ref = expression, ref


def _lookup(results: dict[str, Any], match: re.Match[str]) -> Any:
    ref, path = match.group(1), match.group(2)
    if ref not in results:
        raise _Unresolved(match.group(0)[2:-1], ref)
    value = results[ref]
    for key, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            raise _Unresolved(match.group(0)[2:-1], ref) from None
    return value


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole is not None:
            return _lookup(results, whole)
        return _REF.sub(lambda m: str(_lookup(results, m)), value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    return value


def _subcall(parent: Call, sub: dict[str, Any], results: dict[str, Any]) -> Call:
    url = _substitute(sub.get("url"), results)
    parts = urlsplit(url if isinstance(url, str) else "")
    match = _PREFIX.match(parts.path)
    if match is None or match.group(1) != "62.0":
        raise SalesforceError(400, "INVALID_URL", f"The url {url} is not a valid REST API url for this request")
    segments = [unquote(s) for s in (match.group(2) or "").split("/") if s]
    method = str(sub.get("method", "")).upper()
    if method not in ("GET", "POST", "PATCH", "DELETE", "PUT"):
        raise SalesforceError(400, "INVALID_METHOD", f"Invalid HTTP method: {sub.get('method')}")
    headers = {k.lower(): str(v) for k, v in (sub.get("httpHeaders") or {}).items()}
    return Call(parent.state, method, segments, dict(parse_qsl(parts.query)), _substitute(sub.get("body"), results),
                {**parent.headers, **headers})


def _validate(call: Call) -> list[dict[str, Any]]:
    body = call.body
    subs = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subs, list) or not subs:
        raise SalesforceError(400, "JSON_PARSER_ERROR", "compositeRequest is required and must be a list")
    if len(subs) > MAX_SUBREQUESTS:
        raise SalesforceError(400, "LIMIT_EXCEEDED", f"Request exceeded the limit of {MAX_SUBREQUESTS} "
                              "subrequests")
    ids = [s.get("referenceId") if isinstance(s, dict) else None for s in subs]
    if any(not isinstance(i, str) or not re.fullmatch(r"[A-Za-z0-9_]+", i) for i in ids) or len(set(ids)) != len(ids):
        raise SalesforceError(400, "JSON_PARSER_ERROR", "Each subrequest needs a unique alphanumeric referenceId")
    return subs


def _run_one(call: Call, sub: dict[str, Any], results: dict[str, Any], dispatch: Dispatch) -> Reply:
    try:
        reply = dispatch(_subcall(call, sub, results))
    except _Unresolved as exc:
        return Reply(400, [{"errorCode": "PROCESSING_HALTED", "message": f"Invalid reference specified. No value "
                            f"for {exc.expression} found in {exc.ref}. Provided referenceId ('{exc.ref}') must "
                            "match a preceding request's referenceId."}])
    except SalesforceError as exc:
        return Reply(exc.status, exc.body())
    if reply.status < 300:
        results[sub["referenceId"]] = reply.body
    return reply


def _item(sub: dict[str, Any], reply: Reply) -> dict[str, Any]:
    return {"body": reply.body, "httpHeaders": reply.headers, "httpStatusCode": reply.status,
            "referenceId": sub["referenceId"]}


def composite(call: Call, dispatch: Dispatch) -> Reply:
    """Run the subrequests in order through ``dispatch``."""
    if call.method != "POST" or call.segments[1:]:
        raise method_not_allowed(call.method, "POST")
    subs = _validate(call)
    all_or_none = bool(call.body.get("allOrNone"))
    results: dict[str, Any] = {}
    replies: list[Reply] = []
    if not all_or_none:
        replies = [_run_one(call, sub, results, dispatch) for sub in subs]
        return Reply(200, {"compositeResponse": [_item(s, r) for s, r in zip(subs, replies, strict=True)]})
    try:
        with call.state.transaction():
            for sub in subs:
                replies.append(_run_one(call, sub, results, dispatch))
                if replies[-1].status >= 400:
                    raise _RolledBack
    except _RolledBack:
        halted = Reply(400, [{"errorCode": "PROCESSING_HALTED", "message": HALTED}])
        failed = len(replies) - 1
        replies = [replies[failed] if i == failed else halted for i in range(len(subs))]
    return Reply(200, {"compositeResponse": [_item(s, r) for s, r in zip(subs, replies, strict=True)]})


class _RolledBack(Exception):
    """Unwinds the allOrNone transaction."""
