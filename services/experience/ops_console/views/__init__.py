"""The console's pages for people: server-rendered HTML (Jinja), progressively enhanced by one small script.

Every page works without JavaScript; ``static/console.js`` only refreshes a deal whose workflows are still
moving, and asks for confirmation before cancelling. ``page_router()`` is what the app mounts.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.static_files import create_static_files_router

from services.experience.ops_console.views._auth import AuthController
from services.experience.ops_console.views._close import ClosePagesController
from services.experience.ops_console.views._deals import DealPagesController
from services.experience.ops_console.views._exceptions import ExceptionPagesController
from services.experience.ops_console.views._governance import GovernancePagesController
from services.experience.ops_console.views._revenue import RevenuePagesController
from services.experience.ops_console.views._web import PAGE_OPT, Templates, html_exception_handlers

__all__ = ["Templates", "page_router", "static_router"]

STATIC = Path(__file__).with_name("static")


def page_router() -> Router:
    """The pages, with errors shown as pages (not problem+json) and sign-in instead of a bearer token."""
    return Router(path="/", route_handlers=[AuthController, DealPagesController, ExceptionPagesController,
                                            RevenuePagesController, ClosePagesController,
                                            GovernancePagesController],
                  exception_handlers=html_exception_handlers, opt=PAGE_OPT, include_in_schema=False)


def static_router() -> Router:
    """The stylesheet and the script (public: the sign-in page needs them)."""
    return create_static_files_router(path="/static", directories=[STATIC], opt=PAGE_OPT,
                                      include_in_schema=False)
