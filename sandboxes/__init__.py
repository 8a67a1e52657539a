"""Vendor sandboxes: local, stateful, wire-faithful emulators of the vendor APIs revflow integrates with.

Each ``sandboxes/<vendor>/`` package is its own Litestar app (``create_app``) speaking the vendor's shapes,
so the vendor's official SDK works against it with only the base URL changed. ``_kit/`` holds what they
share: admin routes under ``/__sandbox/``, fault injection, ids, pagination, forms and webhook delivery.

Sandboxes are never imported by ``services``, and they import neither ``services`` nor ``contracts``.
"""
