"""Open311 GeoReport v2 (with the widely used extensions) under ``/open311/v2/``."""


def init_app(app) -> None:
    """Register the Open311 routes and the ``flask open311`` commands."""
    from app.open311 import cli
    from app.open311.admin import bp as admin_bp
    from app.open311.routes import bp

    app.register_blueprint(bp)
    app.register_blueprint(admin_bp)
    cli.init_app(app)
