"""Area alerts: mails about new and fixed reports in an Ortsteil or around an address."""


def init_app(app) -> None:
    """Register the pages, the mails and the history watcher that records alerts."""
    from app.alerts import events, notifications  # noqa: F401  (notifications registers the mail builders)
    from app.alerts.routes import bp
    from app.public import notifications as public_notifications  # noqa: F401  (reporter additions mail)

    app.register_blueprint(bp)
    events.init_app(app)
