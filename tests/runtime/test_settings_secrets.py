"""No secret of a settings object or credential holder shows in its repr, its str or rich's pretty-printing."""

from __future__ import annotations

import importlib
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from litestar.testing import TestClient
from rich.pretty import pretty_repr

from sandboxes.netsuite.settings import NetSuiteSettings
from sandboxes.salesforce.settings import SalesforceSettings
from services.example.settings import ExampleSettings
from services.experience.crm_panel.settings import CrmPanelSettings
from services.experience.ops_console.settings import OpsConsoleSettings
from services.experience.partner.settings import PartnerSettings
from services.process.quote_to_cash.settings import QuoteToCashSettings
from services.runtime.auth.issuer.settings import IssuerSettings
from services.runtime.settings import RuntimeSettings, from_env, redact_url, redacted_fields
from services.runtime.testing import free_port
from services.system.billing.app import create_app as create_billing
from services.system.billing.settings import BillingSettings
from services.system.crm.settings import CrmSettings
from services.system.erp.connectors.netsuite._auth import TokenCredentials
from services.system.erp.settings import ErpSettings
from services.system.revrec.settings import RevrecSettings
from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]

# Per settings class: secret values by field, and values of other fields that must still show.
CASES: dict[type[RuntimeSettings], tuple[dict[str, str], dict[str, str]]] = {
    RuntimeSettings: ({"client_secret": "rt-client-secret-7c1e"}, {"client_id": "rt-client-id-51aa"}),
    ExampleSettings: ({"client_secret": "ex-client-secret-0b2f"}, {"peer_url": "http://peer-3f9d:8001"}),
    QuoteToCashSettings: ({"client_secret": "q2c-client-secret-9d4c"}, {"crm_url": "http://crm-6e1a:8101"}),
    CrmSettings: ({"client_secret": "crm-client-secret-1a7b",
                   "salesforce_access_token": "00D5g000004Sbx!AQ4AQ-sf-token-2c8e",
                   "hubspot_access_token": "pat-na1-hs-token-4d0f",
                   "hubspot_app_secret": "hs-app-secret-8e3d"},
                  {"salesforce_organization_id": "00D5g000004Sbx0A7c"}),
    BillingSettings: ({"client_secret": "billing-client-secret-5f6a",
                       "stripe_api_key": "sk_test_51StripeSecret3b9c",
                       "chargebee_api_key": "test_cbKeySecret6d2e",
                       "webhook_secret": "whsec_signing1f4a,whsec_signing2b5c"},
                      {"chargebee_site": "acme-test-8a2b"}),
    RevrecSettings: ({"client_secret": "revrec-client-secret-2e9f"}, {"connector": "builtin"}),
    ErpSettings: ({"client_secret": "erp-client-secret-3c1d",
                   "netsuite_consumer_key": "ns-consumer-key-6b7a",
                   "netsuite_consumer_secret": "ns-consumer-secret-0e4c",
                   "netsuite_token_id": "ns-token-id-9a3f",
                   "netsuite_token_secret": "ns-token-secret-7d5b"},
                  {"netsuite_account_id": "7654321_SB2"}),
    OpsConsoleSettings: ({"client_secret": "console-client-secret-4a8e"}, {"process_audience": "q2c-aud-1c6f"}),
    PartnerSettings: ({"client_secret": "partner-client-secret-8f2d"}, {"default_plan": "plan-5e0b"}),
    CrmPanelSettings: ({"client_secret": "panel-client-secret-6c9a", "hubspot_app_secret": "panel-hs-secret-2b7e"},
                       {"public_url": "https://panel-9d1c.example.com"}),
}

# Fields whose names look secret but hold none.
NOT_SECRET = {"key_prefix", "token_issuer", "token_ttl_seconds", "clients_file", "signing_keys_file",
              "retired_keys_kept", "client_id", "netsuite_account_id", "cookie_secure", "client_plans",
              "auth_leeway_seconds", "webhook_allow_private_networks"}
SECRET_LOOKING = re.compile(r"secret|token|key|password|passwd|private|credential|signing|auth|cert|hash")


def _renderings(obj: object) -> Iterator[str]:
    yield repr(obj)
    yield str(obj)
    yield pretty_repr(obj)


def _settings_classes() -> list[type[msgspec.Struct]]:
    """Every Struct declared in a settings module of ``services``."""
    found = []
    for path in sorted((ROOT / "services").rglob("settings.py")):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        found += [obj for obj in vars(module).values() if isinstance(obj, type) and issubclass(obj, msgspec.Struct)
                  and obj.__module__ == module.__name__]
    return found


def test_every_service_settings_class_has_a_case():
    service_classes = {cls for cls in _settings_classes() if issubclass(cls, RuntimeSettings)}
    assert len(service_classes) >= 9
    assert service_classes <= CASES.keys(), "add the new settings class to CASES"


@pytest.mark.parametrize("cls", _settings_classes(), ids=lambda cls: cls.__name__)
def test_every_secret_looking_field_is_redacted(cls):
    fields = {f.name for f in msgspec.structs.fields(cls)}
    hidden = redacted_fields(cls)
    assert hidden <= fields, f"{cls.__name__}.secret_fields names no field: {sorted(hidden - fields)}"
    unhidden = {name for name in fields - hidden - NOT_SECRET if SECRET_LOOKING.search(name)}
    assert not unhidden, f"{cls.__name__}: declare {sorted(unhidden)} in secret_fields (or list it in NOT_SECRET)"


@pytest.mark.parametrize("cls", list(CASES), ids=lambda cls: cls.__name__)
def test_service_settings_hide_their_secrets(cls):
    secrets, plain = CASES[cls]
    env = {f"REVFLOW_T_{name.upper()}": value for name, value in {**secrets, **plain}.items()}
    env["REDIS_URL"] = "redis://redis-host-4e7a:6379/3"
    settings = from_env(cls, "REVFLOW_T_", env)
    for name, value in secrets.items():
        assert getattr(settings, name) == value  # still the plain string everywhere it is used
    for text in _renderings(settings):
        for name, value in secrets.items():
            assert value not in text
            assert f"{name}=<redacted>" in text
        for value in [*plain.values(), "redis://redis-host-4e7a:6379/3", settings.service_name]:
            assert value in text


def test_a_password_in_a_url_is_redacted():
    settings = from_env(CrmSettings, "REVFLOW_T_", {"REDIS_URL": "rediss://default:redis-pw-8c3e@cache-2a1f:6380/0",
                                                     "REVFLOW_T_VENDOR_URL": "https://user:vendor-pw-5b9d@crm-7e4c"})
    assert settings.redis_url == "rediss://default:redis-pw-8c3e@cache-2a1f:6380/0"
    for text in _renderings(settings):
        assert "redis-pw-8c3e" not in text and "vendor-pw-5b9d" not in text
        assert "rediss://default:<redacted>@cache-2a1f:6380/0" in text and "https://user:<redacted>@crm-7e4c" in text


def test_an_unset_secret_shows_as_none():
    assert "stripe_api_key=None" in repr(BillingSettings())


def test_issuer_settings_hide_client_secrets_signing_keys_and_admin_secret():
    private_d = "jwk-private-d-3f8a1c"
    env = {"REVFLOW_ISSUER_CLIENTS": json.dumps([{"client_id": "svc-client-2d4b", "client_secret": "svc-secret-9e1f"}]),
           "REVFLOW_ISSUER_SIGNING_KEYS": json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": "kid-7b2c",
                                                                 "d": private_d, "x": "x", "y": "y"}]}),
           "REVFLOW_ISSUER_ADMIN_SECRET": "issuer-admin-secret-5a6d",
           "REVFLOW_ISSUER_ISSUER_URL": "https://issuer-1e9b.example.com"}
    settings = from_env(IssuerSettings, "REVFLOW_ISSUER_", env)
    assert settings.clients is not None and settings.clients[0].client_secret == "svc-secret-9e1f"
    for text in _renderings(settings):
        for secret in ("svc-secret-9e1f", private_d, "kid-7b2c", "issuer-admin-secret-5a6d"):
            assert secret not in text
        assert "svc-client-2d4b" in text and "https://issuer-1e9b.example.com" in text


def test_console_users_hide_their_password_hashes():
    users = [{"username": "ada", "name": "Ada Lovelace", "roles": ["viewer"],
              "password_hash": "scrypt$16384$8$1$c2FsdC0xYjJj$a2V5LTlmM2E"}]
    settings = from_env(OpsConsoleSettings, "REVFLOW_T_", {"REVFLOW_T_USERS": json.dumps(users)})
    for text in _renderings(settings):
        assert "a2V5LTlmM2E" not in text and "Ada Lovelace" in text


def test_sandbox_settings_hide_their_credentials(monkeypatch):
    netsuite = NetSuiteSettings.from_env(env={"REVFLOW_NETSUITE_ACCOUNT_ID": "1111111_SB9",
                                              "REVFLOW_NETSUITE_CONSUMER_KEY": "sbx-consumer-key-4c2a",
                                              "REVFLOW_NETSUITE_CONSUMER_SECRET": "sbx-consumer-secret-8b1d",
                                              "REVFLOW_NETSUITE_TOKEN_ID": "sbx-token-id-0f6e",
                                              "REVFLOW_NETSUITE_TOKEN_SECRET": "sbx-token-secret-3d9c"})
    monkeypatch.setenv("REVFLOW_SALESFORCE_CLIENT_ID", "sbx-sf-client-5e3b")
    monkeypatch.setenv("REVFLOW_SALESFORCE_CLIENT_SECRET", "sbx-sf-secret-7a4f")
    monkeypatch.setenv("REVFLOW_SALESFORCE_SESSION_IDS", "00Dsbx!session-one-2b8d,00Dsbx!session-two-6c0e")
    salesforce = SalesforceSettings.from_env()
    credentials = TokenCredentials(account_id="2222222_SB8", consumer_key="ck-1a5f", consumer_secret="cs-9d2b",
                                   token_id="ti-4e8c", token_secret="ts-6b3a")
    for obj, secrets, plain in [
        (netsuite, ("sbx-consumer-key-4c2a", "sbx-consumer-secret-8b1d", "sbx-token-id-0f6e", "sbx-token-secret-3d9c"),
         "1111111_SB9"),
        (salesforce, ("sbx-sf-secret-7a4f", "session-one-2b8d", "session-two-6c0e"), "sbx-sf-client-5e3b"),
        (credentials, ("ck-1a5f", "cs-9d2b", "ti-4e8c", "ts-6b3a"), "2222222_SB8"),
    ]:
        for text in _renderings(obj):
            assert not [secret for secret in secrets if secret in text], text
            assert plain in text
    assert netsuite.token_secret == "sbx-token-secret-3d9c" and salesforce.client_secret == "sbx-sf-secret-7a4f"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(logging.Formatter().format(record) + repr(record.args))


def test_billing_start_up_health_and_a_failing_vendor_call_log_no_secret(issuer, key_prefix):
    secrets, _ = CASES[BillingSettings]
    settings = BillingSettings(redis_url=REDIS_URL, key_prefix=key_prefix, log_level="DEBUG", issuer_url=issuer.url,
                               vendor_url=f"http://127.0.0.1:{free_port()}", vendor_max_attempts=1, **secrets)
    token = issuer.token("billing:read", "billing")
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in ("", "revflow", "litestar")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        with TestClient(create_billing(settings)) as client:
            bodies = [client.get("/health").text, client.get("/ready").text,
                      client.post("/v1/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=0"}).text]
            failed = client.get("/v1/invoices/in_missing", headers={"Authorization": f"Bearer {token}"})
            bodies.append(failed.text)
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert failed.status_code >= 500 and handler.texts  # the vendor call failed and was logged
    for text in [*handler.texts, *bodies]:
        for value in secrets.values():
            assert not [part for part in value.split(",") if part in text], text


def test_a_url_password_is_redacted_and_the_rest_kept():
    assert redact_url("redis://:s3cret@redis.internal:6379/0") == "redis://:<redacted>@redis.internal:6379/0"
    assert redact_url("redis://app:s3cret@h/1") == "redis://app:<redacted>@h/1"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
