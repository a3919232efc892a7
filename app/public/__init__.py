"""Public pages: home, report pages, statement pages."""
