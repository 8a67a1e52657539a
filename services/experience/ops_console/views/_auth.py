"""Sign-in and sign-out for people.

``GET /login`` gives a visitor an anonymous session whose CSRF token the form carries; ``POST /login``
checks that token, the password (scrypt, constant-time; an unknown username costs as long as a wrong
password) and the per-username failure count, then ends the anonymous session and starts a new one under a
new id, so a session id planted in the browser beforehand is worth nothing. ``POST /logout`` ends it.
"""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from services.experience.ops_console.passwords import DUMMY_HASH, verify_password
from services.experience.ops_console.views._web import (
    PAGE_OPT,
    SECURITY_HEADERS,
    form_of,
    page,
    query,
    safe_next,
    session_cookie,
    session_of,
)

__all__ = ["AuthController"]


async def _password_ok(password: str, stored: str) -> bool:
    # scrypt takes tens of milliseconds of CPU: off the event loop, so other requests keep flowing.
    return await anyio.to_thread.run_sync(verify_password, password, stored)


class AuthController(Controller):
    path = "/"
    opt = PAGE_OPT

    @get("/login", opt=query("next"), include_in_schema=False)
    async def login_form(self, request: Request[Any, Any, Any]) -> Response[str]:
        session_id, session = await session_of(request)
        if session is not None and session.signed_in:
            return Redirect(safe_next(request.query_params.get("next")), status_code=303)
        if session is None or session_id is None:
            session_id, session = await request.app.state.sessions.anonymous()
        response = await page(request, "login.html.j2", session=session, next=safe_next(
            request.query_params.get("next")), error=None, username="")
        response.set_cookie(session_cookie(request, session_id))
        return response

    @post("/login", opt=query(), include_in_schema=False)
    async def login(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session_id, session = await session_of(request)
        if session is None or session_id is None:  # no form was served to this browser (or it expired)
            session_id, session = await request.app.state.sessions.anonymous()
            response = await page(request, "login.html.j2", status=400, session=session, next="/pipeline",
                                  username="", error="The sign-in form had expired. Please sign in again.")
            response.set_cookie(session_cookie(request, session_id))
            return response
        form = await form_of(request, session)
        username = form.get("username", "").strip().lower()[:64]
        target = safe_next(form.get("next"))
        throttle = request.app.state.throttle
        user = request.app.state.users.get(username)
        if await throttle.blocked(username):
            error = "Too many failed attempts for this username. Wait a few minutes and try again."
        elif await _password_ok(form.get("password", ""), user.password_hash if user else DUMMY_HASH) and user:
            await throttle.succeeded(username)
            new_id, _ = await request.app.state.sessions.sign_in(session_id, user)
            response = Redirect(target, status_code=303, headers=SECURITY_HEADERS)
            response.set_cookie(session_cookie(request, new_id))
            return response
        else:
            await throttle.failed(username)
            error = "Wrong username or password."
        return await page(request, "login.html.j2", status=401, session=session, next=target, error=error,
                          username=username)

    @post("/logout", opt=query(), include_in_schema=False)
    async def logout(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session_id, session = await session_of(request)
        if session is not None and session_id is not None:
            await form_of(request, session)
            await request.app.state.sessions.end(session_id)
        response = Redirect("/login", status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(session_cookie(request, "", expire=True))
        return response
