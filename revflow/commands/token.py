"""``revflow token``: print an access token from the running issuer, for curl and scripts.

    export TOKEN=$(revflow token --client revflow-dev --scope "billing:read" --audience billing)
    curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8103/v1/...

A token is for one service: ``--audience`` is required unless the client may call only one.
The secret comes from ``--secret``, else ``REVFLOW_CLIENT_SECRET``, else the documented secret of a dev
client; the issuer from ``--issuer-url``, else ``REVFLOW_ISSUER_URL``, else ``http://127.0.0.1:8100``.
"""

from __future__ import annotations

import json

import click
import httpx

from services.runtime.auth.issuer.clients import dev_secret

__all__ = ["DEFAULT_ISSUER_URL", "token"]

DEFAULT_ISSUER_URL = "http://127.0.0.1:8100"


@click.command("token")
@click.option("--client", "client_id", default="revflow-dev", show_default=True, help="OAuth client id.")
@click.option("--secret", envvar="REVFLOW_CLIENT_SECRET", default=None,
              help="Client secret [env: REVFLOW_CLIENT_SECRET; default: the dev client's documented secret].")
@click.option("--scope", default="", help='Space-separated scopes, e.g. "billing:read billing:write"; '
              "all the client may have when empty.")
@click.option("--audience", default=None, help="The service the token is for (its aud), e.g. billing; required "
              "when the client may call several services.")
@click.option("--issuer-url", envvar="REVFLOW_ISSUER_URL", default=DEFAULT_ISSUER_URL, show_default=True,
              help="Base URL of the issuer [env: REVFLOW_ISSUER_URL].")
@click.option("--json", "as_json", is_flag=True, help="Print the whole token response as JSON.")
def token(client_id: str, secret: str | None, scope: str, audience: str | None, issuer_url: str,
          as_json: bool) -> None:
    """Print an access token for CLIENT from the issuer (client-credentials grant), for one audience."""
    secret = secret if secret is not None else dev_secret(client_id)
    if secret is None:
        raise click.UsageError(f"{client_id} is not a dev client: give --secret or set REVFLOW_CLIENT_SECRET")
    data = {"grant_type": "client_credentials"}
    if scope.strip():
        data["scope"] = scope.strip()
    if audience:
        data["audience"] = audience
    url = f"{issuer_url.rstrip('/')}/oauth/token"
    try:
        response = httpx.post(url, data=data, auth=(client_id, secret), timeout=10.0)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"no issuer answers at {issuer_url} ({exc}); is `revflow up` running?") from None
    body = _json(response)
    if response.status_code != 200 or "access_token" not in body:
        reason = body.get("error_description") or body.get("error") or response.reason_phrase
        if body.get("error") == "invalid_target" and not audience:
            raise click.UsageError(f"give --audience: {reason}")
        raise click.ClickException(f"the issuer refused: HTTP {response.status_code} {reason}")
    click.echo(json.dumps(body, indent=2) if as_json else body["access_token"])


def _json(response: httpx.Response) -> dict[str, str]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
