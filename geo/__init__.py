"""The PostGIS layer: routing, nearby search, map queries, geocoding, area import.

Functions here take a SQLAlchemy ``Session`` or ``Connection`` and plain values;
they import nothing from Flask or from ``app``.
"""
