"""The worker tests' fixtures (``settings``, ``restore_departments``) for the feedback tests."""
from tests.workers.conftest import restore_departments, settings  # noqa: F401 (pytest fixtures)
