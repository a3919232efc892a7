"""The OpenAPI 3 document of the public API, served at ``/openapi.json``."""


def init_app(app) -> None:
    from app.openapi.routes import bp

    app.register_blueprint(bp)
