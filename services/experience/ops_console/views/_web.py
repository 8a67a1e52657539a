"""What every page shares: templates, the session cookie, the signed-in person, CSRF checks, error pages.

Pages are served without a bearer token (people carry a session cookie instead), so the HTML router opts
out of the runtime's token check and does its own: no session, a redirect to sign-in; a form without the
session's CSRF token, 403. Every page answers with a strict Content-Security-Policy (scripts and styles
from this origin only, no inline code) and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import HTTPException, NotFoundException
from litestar.response import Redirect

from services.experience.ops_console.access import ACTION_LABELS, Person
from services.experience.ops_console.clients import NotFoundError
from services.experience.ops_console.formatting import FILTERS
from services.experience.ops_console.service import ActionRefusedError, ConsoleService
from services.experience.ops_console.sessions import Session, SessionStore
from services.experience.ops_console.settings import OpsConsoleSettings
from services.runtime.auth.middleware import EXCLUDE_OPT_KEY
from services.runtime.http import UpstreamError
from services.runtime.idempotency import IDEMPOTENCY_OPT
from services.runtime.strict_query import QUERY_OPT

__all__ = ["COOKIE", "PAGE_OPT", "SECURITY_HEADERS", "CsrfRejectedError", "LoginRequiredError", "Templates",
           "console_of", "flash", "form_of", "html_exception_handlers", "page", "person_of", "query", "safe_next",
           "session_cookie", "session_of"]

COOKIE = "revflow_console"
PAGE_OPT = {EXCLUDE_OPT_KEY: True, IDEMPOTENCY_OPT: "off"}
"""Pages: no bearer token (the session is checked instead) and no Idempotency-Key middleware (forms carry
their own key, which the console passes on to the process API)."""
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
NAV = (("/pipeline", "Pipeline"), ("/exceptions", "Exceptions"), ("/revenue", "Revenue"),
       ("/close", "Reconciliation and close"), ("/system-of-record", "System of record"),
       ("/catalogue", "Contract catalogue"), ("/slos", "SLOs"), ("/kpis", "KPIs"))


def query(*names: str) -> dict[str, Any]:
    """Handler ``opt`` for a page: its query parameters (the runtime refuses any other)."""
    return {QUERY_OPT: frozenset(names)}


class LoginRequiredError(Exception):
    """The request has no signed-in session."""


class CsrfRejectedError(Exception):
    """A state-changing form arrived without the session's CSRF token."""


class Templates:
    """The Jinja environment of the console's pages (autoescaped; templates read once)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory or Path(__file__).with_name("templates")),
            autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
            auto_reload=False)
        self.env.filters.update(FILTERS)
        self.env.globals.update(nav=NAV, action_labels=ACTION_LABELS)

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)


def console_of(request: Request[Any, Any, Any]) -> ConsoleService:
    return request.app.state.console  # type: ignore[no-any-return]


def _sessions(request: Request[Any, Any, Any]) -> SessionStore:
    return request.app.state.sessions  # type: ignore[no-any-return]


async def session_of(request: Request[Any, Any, Any]) -> tuple[str | None, Session | None]:
    """The request's session id and live session (either may be ``None``)."""
    session_id = request.cookies.get(COOKIE)
    return session_id, await _sessions(request).load(session_id)


async def person_of(request: Request[Any, Any, Any]) -> tuple[str, Session, Person]:
    """The signed-in person. Raises ``LoginRequiredError`` when there is none."""
    session_id, session = await session_of(request)
    if session_id is None or session is None or not session.signed_in:
        raise LoginRequiredError
    return session_id, session, Person(session.username or "", session.name or "", tuple(session.roles))


def session_cookie(request: Request[Any, Any, Any], session_id: str, *, expire: bool = False) -> Cookie:
    """``HttpOnly``, ``SameSite=Lax``, ``Secure`` when configured or when the request came over TLS."""
    settings: OpsConsoleSettings = request.app.state.settings
    secure = settings.cookie_secure or request.url.scheme == "https"
    return Cookie(key=COOKIE, value="" if expire else session_id, path="/", httponly=True, samesite="lax",
                  secure=secure, max_age=0 if expire else None)


async def form_of(request: Request[Any, Any, Any], session: Session) -> dict[str, str]:
    """The submitted form, after checking its CSRF token against the session's."""
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    if not session.csrf_ok(values.get("csrf_token")):
        raise CsrfRejectedError
    return values


def safe_next(target: str | None, default: str = "/pipeline") -> str:
    """A local path to go to after a form (never another site: ``//evil`` and ``https://...`` are refused)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


async def page(request: Request[Any, Any, Any], template: str, *, status: int = 200, session: Session | None = None,
               session_id: str | None = None, person: Person | None = None, **context: Any) -> Response[str]:
    """Render a page for the signed-in ``person`` (flash messages shown once)."""
    flash: list[str] = []
    if session is not None and session_id is not None and session.flash:
        flash, session.flash = list(session.flash), []
        await _sessions(request).save(session_id, session)
    html = request.app.state.templates.render(
        template, person=person, csrf=session.csrf if session else "", flash=flash, path=request.url.path,
        dev_users=request.app.state.dev_users, **context)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


async def flash(request: Request[Any, Any, Any], session_id: str, session: Session, message: str) -> None:
    session.flash = [*session.flash, message][-5:]
    await _sessions(request).save(session_id, session)


# -- errors as pages ---------------------------------------------------------------------------------------------


def _error_page(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Response[str]:
    html = request.app.state.templates.render("error.html.j2", person=None, csrf="", flash=[], path=request.url.path,
                                              dev_users=False, title=title, detail=detail, status=status)
    return Response(html, status_code=status, media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)


def _login_required(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = "/pipeline"
    return Redirect(f"/login?next={quote(target, safe='/')}", status_code=303, headers=SECURITY_HEADERS)


def _csrf(request: Request[Any, Any, Any], _: Exception) -> Response[str]:
    return _error_page(request, 403, "Form expired or not from this console",
                       "The form did not carry this session's security token, so nothing was changed. Go back, "
                       "reload the page and try again.")


def _refused(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    return _error_page(request, 403, "Not allowed for your role", f"Nothing was changed: {exc}.")


def _not_found(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    return _error_page(request, 404, "Not found", str(exc) if isinstance(exc, NotFoundError) else
                       "There is nothing at this address.")


def _upstream(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    status = int(getattr(exc, "http_status", 502))
    return _error_page(request, status, "The process API did not answer",
                       "The console could not read from the quote-to-cash process API just now; nothing was "
                       "changed. Try again in a moment.")


def _http(request: Request[Any, Any, Any], exc: Exception) -> Response[str]:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) and status < 500 else "Something went wrong."
    return _error_page(request, status, "Request not handled", str(detail))


html_exception_handlers: dict[Any, Any] = {
    LoginRequiredError: _login_required,
    CsrfRejectedError: _csrf,
    ActionRefusedError: _refused,
    NotFoundError: _not_found,
    NotFoundException: _not_found,
    UpstreamError: _upstream,
    HTTPException: _http,
}
