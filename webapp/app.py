"""The web app: pages, sessions, CSRF protection and security headers around them."""

import logging
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from webapp import accounts, csrf, db, training
from webapp.model_client import ModelClient
from webapp.routes import sign_in, try_it, users, workbench
from webapp.routes import training as training_routes
from webapp.settings import Settings
from webapp.web import HERE, AdminOnly, LoginRequired, render

log = logging.getLogger(__name__)

# No script, style or frame from anywhere but this app, and none inline: text a user typed
# cannot run even where it reached the page as markup.
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def _launcher(settings: Settings):
    if settings.training_launcher == "kubernetes":
        return training.KubernetesLauncher.in_cluster(settings)
    if settings.training_launcher == "process":
        return training.ProcessLauncher(settings, Path(tempfile.gettempdir()) / "webapp-training")
    return None


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pool = db.open_pool(
            settings.database_url, settings.database_pool_size, settings.database_wait_seconds
        )
        db.prepare(app.state.pool, settings.max_text_chars)
        if settings.admin_password and accounts.ensure_admin(
            app.state.pool, settings.admin_username, settings.admin_password
        ):
            log.info("created the first admin, %s", settings.admin_username)
        app.state.model = ModelClient(settings.model_url)
        app.state.mlflow = training.MlflowReader(settings) if settings.mlflow_url else None
        app.state.launcher = _launcher(settings)
        try:
            yield
        finally:
            if isinstance(app.state.launcher, training.ProcessLauncher):
                app.state.launcher.stop_all()
            app.state.model.close()
            app.state.pool.close()

    app = FastAPI(
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf.check)],
    )
    app.state.settings = settings
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (try_it, sign_in, workbench, users, training_routes):
        app.include_router(module.router)

    @app.get("/healthz", include_in_schema=False)
    def healthz():
        return PlainTextResponse("ok")

    @app.get("/readyz", include_in_schema=False)
    def readyz(request: Request):
        try:
            with request.app.state.pool.connection(timeout=5) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:  # any failure means not ready; say which
            return PlainTextResponse(f"database unavailable: {type(exc).__name__}", 503)
        return PlainTextResponse("ok")

    @app.exception_handler(LoginRequired)
    def login_required(request: Request, exc: LoginRequired):
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return render(request, "refused.html", 401, message="Sign in first.")

    @app.exception_handler(csrf.CsrfRefused)
    def csrf_refused(request: Request, exc: csrf.CsrfRefused):
        message = (
            "This form expired or came from another site, so it was not sent. "
            "Go back, reload the page and try again."
        )
        return render(request, "refused.html", 403, message=message)

    @app.exception_handler(csrf.BodyTooLarge)
    def too_large(request: Request, exc: csrf.BodyTooLarge):
        limit = csrf.MAX_BODY_BYTES // (1024 * 1024)
        return render(request, "refused.html", 413, message=f"The request is over {limit} MiB.")

    @app.exception_handler(AdminOnly)
    def admin_only(request: Request, exc: AdminOnly):
        return render(request, "refused.html", 403, message="Only an admin can do this.")

    @app.exception_handler(RequestValidationError)
    def bad_request(request: Request, exc: RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'][1:])}: {error['msg']}"
            for error in exc.errors()
        )
        return render(request, "refused.html", 422, message=f"Bad request: {problems}.")

    @app.exception_handler(HTTPException)
    def http_error(request: Request, exc: HTTPException):
        message = "No such page." if exc.status_code == 404 else str(exc.detail)
        return render(request, "refused.html", exc.status_code, message=message)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith(("/workbench", "/login")):
            response.headers["cache-control"] = "no-store"
        return response

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="webapp_session",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    return app
