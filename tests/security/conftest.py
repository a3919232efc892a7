"""Fixtures for the security tests (issue 16): every test starts with full rate-limit budgets."""
from __future__ import annotations

from tests.intake.conftest import fresh_rate_limit  # noqa: F401  (autouse)
