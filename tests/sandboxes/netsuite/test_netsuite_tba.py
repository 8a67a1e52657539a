"""OAuth 1.0a TBA verification with an independent signer (oauthlib's client): what passes, what is refused.

Every refusal must be NetSuite's one 401 body (``INVALID_LOGIN``), whatever the cause.
"""

from __future__ import annotations

import time
from dataclasses import replace

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, Client

from sandboxes.netsuite import DEV_SETTINGS
from tests.sandboxes.netsuite.signing import NetSuiteHttp, Signer


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["title"] == "Unauthorized" and body["type"].endswith("#section-15.5.2")
    assert body["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


class TestAccepted:
    def test_signed_request_with_query_and_body(self, ns: NetSuiteHttp) -> None:
        assert ns.request("POST", "/record/v1/customer", json_body={"companyName": "A"}).status_code == 204
        assert ns.request("GET", "/record/v1/customer/1", params={"expandSubResources": "true"}).status_code == 200

    def test_body_hash_is_optional(self, ns: NetSuiteHttp) -> None:
        plain = NetSuiteHttp(ns.base, Signer(body_hash=False))
        assert plain.request("POST", "/record/v1/customer", json_body={"companyName": "A"}).status_code == 204

    def test_external_id_path_with_escapes(self, ns: NetSuiteHttp) -> None:
        response = ns.request("PUT", "/record/v1/customer/eid:ACME%20EU", json_body={"companyName": "A"})
        assert response.status_code == 204
        assert ns.request("GET", "/record/v1/customer/eid:ACME%20EU").json()["externalId"] == "ACME EU"


class TestRefused:
    def test_tampered_body(self, ns: NetSuiteHttp) -> None:
        request = ns.build("POST", "/record/v1/customer", json_body={"companyName": "A"})
        forged = httpx.Request("POST", request.url, headers=request.headers, content=b'{"companyName": "B"}')
        assert_refused(ns.http.send(forged))

    def test_tampered_query(self, ns: NetSuiteHttp) -> None:
        request = ns.build("GET", "/record/v1/customer", params={"limit": "5"})
        forged = httpx.Request("GET", str(request.url).replace("limit=5", "limit=6"), headers=request.headers)
        assert_refused(ns.http.send(forged))

    def test_wrong_token_secret(self, ns: NetSuiteHttp) -> None:
        assert_refused(NetSuiteHttp(ns.base, Signer(token_secret="wrong")).request("GET", "/record/v1/customer"))

    def test_replayed_nonce(self, ns: NetSuiteHttp) -> None:
        fixed = NetSuiteHttp(ns.base, Signer(nonce="same-nonce-every-time"))
        assert fixed.request("GET", "/record/v1/customer").status_code == 200
        assert_refused(fixed.request("GET", "/record/v1/customer", params={"limit": "1"}))

    def test_stale_timestamp(self, ns: NetSuiteHttp) -> None:
        old = str(int(time.time()) - DEV_SETTINGS.timestamp_window - 60)
        assert_refused(NetSuiteHttp(ns.base, Signer(timestamp=old)).request("GET", "/record/v1/customer"))

    def test_wrong_account_realm(self, ns: NetSuiteHttp) -> None:
        other = replace(DEV_SETTINGS, account_id="7654321_SB1")
        assert_refused(NetSuiteHttp(ns.base, Signer(other)).request("GET", "/record/v1/customer"))

    def test_hmac_sha1_is_not_accepted(self, ns: NetSuiteHttp) -> None:
        s = DEV_SETTINGS
        url = f"{ns.base}/services/rest/record/v1/customer"
        client = Client(s.consumer_key, client_secret=s.consumer_secret, resource_owner_key=s.token_id,
                        resource_owner_secret=s.token_secret, signature_method=SIGNATURE_HMAC_SHA1,
                        realm=s.account_id)
        _, headers, _ = client.sign(url, "GET")
        assert_refused(httpx.get(url, headers=headers))

    def test_missing_or_garbled_header(self, ns: NetSuiteHttp) -> None:
        url = f"{ns.base}/services/rest/record/v1/customer"
        assert_refused(httpx.get(url))
        assert_refused(httpx.get(url, headers={"Authorization": "Bearer abc"}))
        assert_refused(httpx.get(url, headers={"Authorization": 'OAuth realm="1234567_SB1", oauth_nonce'}))
