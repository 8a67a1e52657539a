"""The built-in OAuth 2.0 issuer for dev and demo: client-credentials grant, JWKS, metadata.

Owns token issuance only. Services never import it: they verify tokens against its JWKS over HTTP, exactly
as they would against any OIDC provider in production.
"""

from services.runtime.auth.issuer.app import create_app
from services.runtime.auth.issuer.clients import DEV_CLIENTS, dev_secret
from services.runtime.auth.issuer.settings import ClientConfig, IssuerSettings

__all__ = ["DEV_CLIENTS", "ClientConfig", "IssuerSettings", "create_app", "dev_secret"]
