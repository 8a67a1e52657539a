"""The revrec system API: contracts, schedules, periods and verification around the pure rev-rec engine.

Owns the revenue domain's canonical API (v1): registering contracts from won deals, allocation and
schedules, modifications, billing links, period runs and close, journals and reports, stateless previews,
and verification of vendor schedules. It reaches a rev-rec platform only through ``ports.RevrecConnector``
(the built-in one wraps ``engine/``). It must never import another service, and ``engine/`` must never
import it.
"""

__all__: list[str] = []
