"""HubSpot's v3 request signature, checked against HubSpot's own SDK and its documented rules."""

from __future__ import annotations

import time

import pytest
from hubspot.utils.signature import Signature

from services.experience.crm_panel.signature import HubSpotVerifier, SignatureRejectedError, canonical_uri, signature_v3

SECRET = "app-client-secret"
URI = "https://panel.example.com/v1/hubspot/card?associatedObjectId=123&associatedObjectType=DEAL&portalId=62515"
NOW_MS = 1_767_225_600_000


def _verifier(**kwargs) -> HubSpotVerifier:
    return HubSpotVerifier(SECRET, clock=lambda: NOW_MS / 1000, **kwargs)


class TestSignatureV3:
    def test_matches_hubspots_sdk(self):
        for method, body in (("GET", b""), ("POST", b'[{"objectId": 1}]')):
            ours = signature_v3(SECRET, method, URI, body, NOW_MS)
            assert ours == Signature.get_signature(SECRET, body.decode(), "v3", URI, method, str(NOW_MS))
            now = int(time.time() * 1000)  # the SDK checks its five-minute window against the real clock
            assert Signature.is_valid(signature_v3(SECRET, method, URI, body, now), SECRET, body.decode(), URI, method,
                                      "v3", str(now))

    def test_decodes_only_the_escapes_hubspot_lists(self):
        sent = "/card?email=a%40b.c&next=%2Fx%3Fy%3Dz&name=A%20B"
        assert canonical_uri(sent) == "/card?email=a@b.c&next=/x?y%3Dz&name=A%20B"
        assert canonical_uri("/card?e=a%40b%2c") == "/card?e=a@b,"  # either case


class TestVerify:
    def _check(self, verifier: HubSpotVerifier, **overrides) -> None:
        request = {"method": "GET", "uri": URI, "body": b"", "timestamp": str(NOW_MS),
                   "signature": signature_v3(SECRET, "GET", URI, b"", NOW_MS)}
        verifier.verify(**{**request, **overrides})

    def test_accepts_an_authentic_request_within_five_minutes(self):
        self._check(_verifier())
        signed_earlier = NOW_MS - 299_000
        self._check(_verifier(), timestamp=str(signed_earlier),
                    signature=signature_v3(SECRET, "GET", URI, b"", signed_earlier))

    @pytest.mark.parametrize("change", [
        {"uri": URI.replace("123", "124")},
        {"method": "POST"},
        {"body": b"x"},
        {"timestamp": str(NOW_MS + 1)},
        {"signature": signature_v3("another-secret", "GET", URI, b"", NOW_MS)},
        {"signature": None},
        {"timestamp": None},
        {"timestamp": "1.5e12"},
    ], ids=["uri", "method", "body", "timestamp", "secret", "no-signature", "no-timestamp", "not-ms"])
    def test_refuses_anything_tampered_or_missing(self, change):
        with pytest.raises(SignatureRejectedError):
            self._check(_verifier(), **change)

    @pytest.mark.parametrize("age_ms", [301_000, -301_000])
    def test_refuses_a_request_signed_more_than_five_minutes_away(self, age_ms):
        stamp = NOW_MS - age_ms
        with pytest.raises(SignatureRejectedError, match="stale"):
            self._check(_verifier(), timestamp=str(stamp), signature=signature_v3(SECRET, "GET", URI, b"", stamp))

    def test_without_a_configured_secret_everything_is_refused(self):
        with pytest.raises(SignatureRejectedError, match="No HubSpot app secret"):
            self._check(HubSpotVerifier(None, clock=lambda: NOW_MS / 1000))


class TestUri:
    def test_public_url_replaces_what_a_proxy_changed(self):
        scope = {"scheme": "http", "headers": [(b"host", b"10.0.0.7:8122")], "path": "/v1/hubspot/card",
                 "raw_path": b"/v1/hubspot/card", "query_string": b"portalId=1"}
        assert HubSpotVerifier(SECRET).uri_of(scope) == "http://10.0.0.7:8122/v1/hubspot/card?portalId=1"
        assert (HubSpotVerifier(SECRET, public_url="https://panel.example.com/").uri_of(scope)
                == "https://panel.example.com/v1/hubspot/card?portalId=1")
