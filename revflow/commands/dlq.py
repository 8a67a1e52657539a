"""``revflow dlq``: list dead-lettered events and replay them after the fix."""

from __future__ import annotations

import click
from redis.asyncio import Redis

from revflow.commands._redis_opts import redis_options, run_with_redis
from services.runtime.events import DeadLetter, DeadLetterNotFoundError, EventBus
from services.runtime.redis import KeySpace

__all__ = ["dlq"]

_SOURCE = "/revflow/cli"


@click.group()
def dlq() -> None:
    """Dead-lettered events of the event bus."""


@dlq.command("list")
@click.option("--domain", "--stream", "domain", default=None,
              help="Stream (domain) to list, e.g. crm; every stream when omitted.")
@click.option("--count", default=100, show_default=True, help="Most entries to show.")
@redis_options
def list_(domain: str | None, count: int, redis_url: str, prefix: str) -> None:
    """Show dead letters, oldest first: entry id, stream, group, attempts, event, error."""

    async def work(redis: Redis) -> list[DeadLetter]:
        return await EventBus(redis, KeySpace(prefix), _SOURCE).list_dead_letters(domain, count=count)

    letters = run_with_redis(redis_url, work)
    if not letters:
        click.echo("no dead letters")
        return
    for d in letters:
        click.echo(f"{d.entry_id}  {d.stream}  group={d.group}  attempts={d.attempts}  "
                   f"event={d.event_type or '?'}/{d.event_id or '?'}  failed_at={d.failed_at}")
        click.echo(f"    error: {d.error}")
    click.echo(f"{len(letters)} dead letter(s)")


@dlq.command("replay")
@click.argument("entry_id")
@click.option("--domain", "--stream", "domain", default=None,
              help="Stream (domain) whose dead letters hold ENTRY_ID; searched when omitted.")
@redis_options
def replay(entry_id: str, domain: str | None, redis_url: str, prefix: str) -> None:
    """Re-publish a dead letter's event for the group that failed it (once; the entry is removed)."""

    async def work(redis: Redis) -> str | None:
        try:
            return await EventBus(redis, KeySpace(prefix), _SOURCE).replay_dead_letter(entry_id, domain)
        except DeadLetterNotFoundError:
            return None

    new_id = run_with_redis(redis_url, work)
    if new_id is None:
        click.echo(f"no dead letter {entry_id} (already replayed?)", err=True)
        raise click.exceptions.Exit(1)
    click.echo(f"replayed {entry_id} as stream entry {new_id}")
