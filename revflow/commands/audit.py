"""``revflow audit``: prove the hash-chained audit stream unbroken."""

from __future__ import annotations

import click

from revflow.commands._redis_opts import redis_options, run_with_redis
from services.runtime.audit import AuditLog, VerifyResult
from services.runtime.redis import KeySpace

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """Inspect the audit stream of revenue-impacting writes."""


@audit.command("verify")
@redis_options
def verify(redis_url: str, prefix: str) -> None:
    """Recompute the audit chain; print OK and the count, or the first broken link and exit 1."""
    result: VerifyResult = run_with_redis(redis_url, lambda r: AuditLog(r, KeySpace(prefix)).verify())
    if result.ok:
        click.echo(f"OK: {result.count} entries, head {result.head_hash}")
        return
    link = result.broken
    assert link is not None
    click.echo(f"BROKEN at index {link.index} (stream id {link.stream_id or '-'}): {link.kind}: {link.detail}")
    click.echo(f"{link.index} entries before it verify; last good hash {result.head_hash}")
    raise click.exceptions.Exit(1)
