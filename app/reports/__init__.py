"""Citizen reports: intake, public pages, status changes."""
