"""The example service: the smallest complete service on the runtime.

It owns a toy "account directory" so that every runtime concern (auth, scopes, idempotency, versioning and
deprecation, problem details, telemetry, events, audit, the resilient client) can be shown working together
over real HTTP. It must never be a dependency of a real service; real services copy its shape.
"""
