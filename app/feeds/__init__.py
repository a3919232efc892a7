"""Atom feeds (with GeoRSS points) of public reports per town, Ortsteil and category."""


def init_app(app) -> None:
    from app.feeds.routes import bp

    app.register_blueprint(bp)
