"""Typed settings read from the environment at start-up, never at import time.

Each service has its own prefix (``REVFLOW_BILLING_``); a field ``redis_url`` is read from
``REVFLOW_BILLING_REDIS_URL``, falling back to the unprefixed ``REDIS_URL`` for the fields listed in
``SHARED_ENV``. Values are decoded by msgspec into the field's type, so a wrong value fails at start-up with
the variable's name instead of deep inside a request.

Settings hold secrets, so they never print them: a class names its secret fields in ``secret_fields`` and its
``repr`` (hence ``str``, log lines, tracebacks and rich's pretty-printing) shows ``<redacted>`` for each one
that is set, and the password of any URL (``redis://:<redacted>@host``). The values themselves stay plain
strings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar

import msgspec

__all__ = ["SHARED_ENV", "RuntimeSettings", "SecretsHidden", "SettingsError", "from_env", "redact_url",
           "redacted_fields"]

T = TypeVar("T", bound=msgspec.Struct)

SHARED_ENV: dict[str, str] = {
    "redis_url": "REDIS_URL",
    "issuer_url": "REVFLOW_ISSUER_URL",
    "otlp_endpoint": "OTEL_EXPORTER_OTLP_ENDPOINT",
    "key_prefix": "REVFLOW_KEY_PREFIX",
}
"""Fields that every service reads from one unprefixed variable when its own prefixed one is unset."""


class SettingsError(ValueError):
    """A setting in the environment could not be decoded into its declared type."""


class _Redacted:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<redacted>"


_REDACTED = _Redacted()
_URL_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]+@")


def redact_url(url: str) -> str:
    """``url`` with the password of any ``user:password@`` part shown as ``<redacted>``."""
    return _URL_PASSWORD.sub(r"\1:<redacted>@", url)


class SecretsHidden(msgspec.Struct, frozen=True, kw_only=True):
    """A Struct whose ``repr`` and ``str`` show ``<redacted>`` for the fields named in ``secret_fields``.

    A subclass names only its own secret fields; those of its bases stay secret. A password in a URL
    (``redis://user:password@host``) is redacted in every field.
    """

    secret_fields: ClassVar[frozenset[str]] = frozenset()

    def __rich_repr__(self) -> Iterator[tuple[str, Any]]:
        hidden = redacted_fields(type(self))
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name in hidden and value is not None:
                value = _REDACTED
            elif isinstance(value, str):
                value = redact_url(value)
            yield name, value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{name}={value!r}' for name, value in self.__rich_repr__())})"


def redacted_fields(cls: type) -> frozenset[str]:
    """The fields ``cls`` and its bases declare secret in ``secret_fields``."""
    return frozenset().union(*(vars(base).get("secret_fields", ()) for base in cls.__mro__))


class RuntimeSettings(SecretsHidden, frozen=True, kw_only=True):
    """What every service built on the runtime needs; services subclass it with their own fields."""

    secret_fields = frozenset({"client_secret"})

    service_name: str = "service"
    """Name of the service: the JWT audience it accepts, the OpenTelemetry ``service.name``."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis holding idempotency records, events, audit and workflow state."""
    key_prefix: str = "revflow:"
    """Prefix of every Redis key this service writes (tests give each test its own)."""
    issuer_url: str = "http://127.0.0.1:8100"
    """Base URL of the token issuer; JWKS is read from ``<issuer_url>/.well-known/jwks.json``."""
    token_issuer: str | None = None
    """Expected ``iss`` claim; defaults to ``issuer_url``."""
    auth_leeway_seconds: int = 30
    """Clock skew tolerated on ``exp`` and ``nbf``."""
    idempotency_ttl_seconds: int = 86_400
    """How long a completed request is replayable under its Idempotency-Key."""
    idempotency_lock_ms: int = 30_000
    """How long an in-flight request holds its key before a crashed holder's lock expires."""
    idempotency_wait_ms: int = 2_000
    """How long a repeat waits for an in-flight first request before answering 409."""
    max_body_bytes: int = 1_048_576
    """Largest request body accepted; larger ones get a 413 problem."""
    otlp_endpoint: str | None = None
    """OTLP/HTTP collector; traces are exported only when set."""
    log_level: str = "INFO"
    client_id: str | None = None
    """This service's own OAuth client id for calls to other services."""
    client_secret: str | None = None
    """This service's own OAuth client secret."""

    @property
    def expected_issuer(self) -> str:
        return self.token_issuer or self.issuer_url


def from_env(cls: type[T], prefix: str, environ: Mapping[str, str] | None = None, **overrides: Any) -> T:
    """Build ``cls`` from ``<PREFIX><FIELD>`` variables (plus ``SHARED_ENV`` fallbacks and ``overrides``).

    Raises:
        SettingsError: a variable is present but cannot be decoded into its field's type.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for field in msgspec.structs.fields(cls):
        name = f"{prefix}{field.name}".upper()
        raw = env.get(name)
        if raw is None and field.name in SHARED_ENV:
            name = SHARED_ENV[field.name]
            raw = env.get(name)
        if raw is not None:
            values[field.name] = (name, raw)
    decoded: dict[str, Any] = {}
    for field_name, (var, raw) in values.items():
        try:
            decoded[field_name] = _decode(raw, cls, field_name)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            # The value itself stays out of the message: settings hold secrets.
            raise SettingsError(f"{var}: {exc}") from None
    decoded.update(overrides)
    try:
        return msgspec.convert(decoded, cls, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"{cls.__name__}: {exc}") from None


def _decode(raw: str, cls: type[msgspec.Struct], field_name: str) -> Any:
    field_type = next(f.type for f in msgspec.structs.fields(cls) if f.name == field_name)
    if field_type in (str, str | None):
        return raw  # a secret such as "{abc" is a string, not JSON
    if raw.startswith(("{", "[")):
        return msgspec.json.decode(raw)
    return msgspec.convert(raw, field_type, strict=False)
