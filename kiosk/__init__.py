"""Service-hall feedback and staff evaluation (好差评)."""

import os
from typing import Any

from flask import Flask


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Flask:
    """Create the application: config, extensions, blueprints, errors, CLI.

    instance_path defaults to ./instance beside the package (KIOSK_INSTANCE_PATH overrides).
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path or os.environ.get("KIOSK_INSTANCE_PATH") or None,
    )
    configure(app, test_config)
    trust_proxies(app)
    init_logging(app)
    init_extensions(app)
    register_converters(app)
    register_blueprints(app)
    register_errors(app)
    register_cli(app)
    return app


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Load defaults, then instance/config.py, then KIOSK_* variables, then test_config."""
    from kiosk.config import Defaults, database_url, load_or_create_secret_key

    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("KIOSK")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.instance_path)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)


def trust_proxies(app: Flask) -> None:
    """Believe X-Forwarded-* headers from exactly PROXY_HOPS reverse proxies (0: from none)."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add middleware
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def init_logging(app: Flask) -> None:
    """Log one JSON line per event to stdout, with a request id."""
    from kiosk import logging_setup

    logging_setup.init_logging(app)


def init_extensions(app: Flask) -> None:
    """Bind the extensions to app."""
    from kiosk import auth, i18n, security
    from kiosk.database import init_database
    from kiosk.extensions import csrf, db, migrate

    init_database(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    app.before_request(security.allow_larger_bodies)  # before the CSRF check reads any form
    csrf.init_app(app)
    auth.init_login(app)
    i18n.init_babel(app)
    security.init_security(app)


def register_converters(app: Flask) -> None:
    """Make <int:...> in every route a database id: larger numbers are a 404, not a 500."""
    from kiosk.converters import IdConverter

    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    """Attach every blueprint."""
    from kiosk import (
        api,
        auth,
        board,
        device_api,
        disclosure,
        district,
        kiosk_app,
        main,
        public,
        staff,
    )

    for module in (
        main,
        public,
        auth,
        staff,
        district,
        kiosk_app,
        device_api,
        board,
        disclosure,
        api,
    ):
        app.register_blueprint(module.bp)


def register_errors(app: Flask) -> None:
    """Attach the friendly error pages."""
    from kiosk import errors

    errors.init_errors(app)


def register_cli(app: Flask) -> None:
    """Attach the flask commands."""
    from kiosk import cli

    cli.init_cli(app)
