"""Rate limits hold across replicas: the quota lives in Redis, not in a replica's memory.

``partner-limited`` is on the ``trial`` plan of this stack (5 requests an hour). Its requests alternate
between the two replicas; together they get exactly five, with the ``RateLimit-*`` fields counting down
across both, and the sixth is refused on whichever replica it reaches. Another client is not affected.
"""

from __future__ import annotations


def _fields(response) -> tuple[int, int, int]:
    h = response.headers
    return int(h["ratelimit-limit"]), int(h["ratelimit-remaining"]), int(h["ratelimit-reset"])


class TestQuotaSharedByReplicas:
    def test_five_requests_across_two_replicas_then_429(self, partners):
        limited = partners("partner-limited")
        remaining = []
        for i in range(5):
            response = limited.get("/v2/webhooks", replica=i % 2)
            assert response.status_code == 200, response.text
            limit, left, reset = _fields(response)
            assert limit == 5 and reset > 0
            assert response.headers["ratelimit-policy"] == "5;w=3600"
            remaining.append(left)
        assert remaining == [4, 3, 2, 1, 0]

        for replica in (0, 1):
            refused = limited.get("/v1/orders", replica=replica)
            assert refused.status_code == 429, refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            problem = refused.json()
            assert problem["status"] == 429 and problem["type"].endswith("/rate-limited")
            assert int(refused.headers["retry-after"]) >= 1
            assert _fields(refused)[1] == 0
            assert "data" not in problem

        # Writes count against the same quota and are refused before they do anything.
        write = limited.post("/v2/webhooks", {"url": "http://127.0.0.1:9/x", "events": ["*"]}, replica=1)
        assert write.status_code == 429
        assert limited.ok("GET", "/v2/webhooks", status=429) is not None

    def test_other_clients_keep_their_own_quota(self, partners):
        other = partners("partner-b")
        response = other.get("/v2/webhooks", replica=1)
        assert response.status_code == 200, response.text
        limit, left, _ = _fields(response)
        assert limit == 100_000 and left > 5
