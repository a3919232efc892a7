"""Transparency page: how many reports, how many fixed, how fast - as SVG charts and CSV."""


def init_app(app) -> None:
    from app.transparency.routes import bp

    app.register_blueprint(bp)
