"""Areas and addresses of a town: import, validation, re-routing, and the admin page."""
from __future__ import annotations


def init_app(app) -> None:
    """Register the `flask addresses|areas|routing` commands, the admin page and the re-routing mail."""
    from app.areas import cli, notifications  # noqa: F401  (notifications registers its mail builder)

    cli.init_app(app)
    from app.areas.admin import bp

    app.register_blueprint(bp)
