"""The token endpoint: client credentials, and the JWT bearer grant verified against the app's certificate."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar.testing import TestClient

from sandboxes.salesforce import create_app

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _key_and_cert() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "revflow-connected-app")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, str, rsa.RSAPrivateKey]:
    key, cert = _key_and_cert()
    other, _ = _key_and_cert()
    return key, cert, other


@pytest.fixture
def client(keys: Any) -> Iterator[TestClient[Any]]:
    app = create_app(jwt_certificate=keys[1], client_id="app-key", client_secret="app-secret", session_ids=())
    with TestClient(app, base_url="https://sandbox.test") as test_client:
        yield test_client


def _assertion(key: rsa.RSAPrivateKey, **claims: Any) -> str:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    body = {"iss": "app-key", "sub": "integration@revflow.test", "aud": "https://login.salesforce.com",
            "exp": int(time.time()) + 180, **claims}
    return jwt.encode({"alg": "RS256"}, body, RSAKey.import_key(pem))


class TestClientCredentials:
    def test_token_then_api_call(self, client: TestClient[Any]) -> None:
        response = client.post("/services/oauth2/token", data={"grant_type": "client_credentials"},
                               auth=("app-key", "app-secret"))
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "Bearer" and body["instance_url"] == "https://sandbox.test"
        assert body["access_token"].startswith("00D")
        api = client.get("/services/data/v62.0/limits", headers={"Authorization": f"Bearer {body['access_token']}"})
        assert api.status_code == 200 and api.json()["DailyApiRequests"]["Max"] == 15000

    @pytest.mark.parametrize(("form", "error"), [
        ({"grant_type": "client_credentials", "client_id": "app-key", "client_secret": "wrong"}, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "nope", "client_secret": "x"}, "invalid_client_id"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ])
    def test_refusals(self, client: TestClient[Any], form: dict[str, str], error: str) -> None:
        response = client.post("/services/oauth2/token", data=form)
        assert response.status_code == 400 and response.json()["error"] == error

    def test_no_dev_session_when_disabled(self, client: TestClient[Any]) -> None:
        response = client.get("/services/data/v62.0/limits", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 401 and response.json()[0]["errorCode"] == "INVALID_SESSION_ID"


class TestJwtBearer:
    def test_signed_assertion_is_accepted(self, client: TestClient[Any], keys: Any) -> None:
        response = client.post("/services/oauth2/token", data={"grant_type": JWT_GRANT,
                                                               "assertion": _assertion(keys[0])})
        assert response.status_code == 200 and "refresh_token" not in response.json()

    @pytest.mark.parametrize(("signer", "claims", "error"), [
        (2, {}, "invalid_grant"),  # signed by another key
        (0, {"iss": "someone-else"}, "invalid_client_id"),
        (0, {"aud": "https://evil.test"}, "invalid_grant"),
        (0, {"exp": int(time.time()) - 10}, "invalid_grant"),
        (0, {"sub": ""}, "invalid_grant"),
    ])
    def test_bad_assertions(self, client: TestClient[Any], keys: Any, signer: int, claims: dict[str, Any],
                            error: str) -> None:
        response = client.post("/services/oauth2/token", data={"grant_type": JWT_GRANT,
                                                               "assertion": _assertion(keys[signer], **claims)})
        assert response.status_code == 400 and response.json()["error"] == error

    def test_garbage_assertion(self, client: TestClient[Any]) -> None:
        response = client.post("/services/oauth2/token", data={"grant_type": JWT_GRANT, "assertion": "x.y.z"})
        assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
