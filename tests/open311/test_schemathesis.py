"""The schemathesis fuzzer against the served /openapi.json, in-process through WSGI.

Every operation of the document gets a bounded number of generated requests,
valid and invalid ones; a 5xx, an undocumented status, a wrong content type or a
JSON body that contradicts its schema fails the test. A real key is put into the
write operations' api_key so that the validation behind the key is fuzzed too.
The Open311 operations are this package's; the /api/v1 ones (other packages) are
fuzzed in a test of their own so a failure there is reported under its own name.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from app.extensions import limiter
from app.open311.keys import create_client
from tests.factories import make_report, town

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 6}


@pytest.fixture
def fuzz_key(app, db_session):
    """A valid key and one report to update; rate limits off while fuzzing."""
    _client, raw = create_client(town(), "Fuzzer", ["create_request", "post_update"])
    make_report()
    limiter.enabled = False
    yield raw
    limiter.enabled = True


def _operations(app, prefix: str):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if op.path.startswith(prefix)]


def _fuzz(operation, mode: GenerationMode, key: str) -> int:
    calls = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES[mode], deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case):
        if case.method == "POST" and isinstance(case.body, dict) and "api_key" in case.body:
            case.body["api_key"] = key
        case.call_and_validate(checks=CHECKS)
        calls.append(case)

    run()
    return len(calls)


@pytest.mark.slow
def test_open311_operations_match_the_openapi_document(app, fuzz_key):
    operations = _operations(app, "/open311/")
    assert len(operations) == 18  # 9 operations × json/xml
    for operation in operations:
        for mode in EXAMPLES:
            assert _fuzz(operation, mode, fuzz_key) > 0, (operation.label, mode)


@pytest.mark.slow
def test_app_json_api_operations_match_the_openapi_document(app, fuzz_key):
    operations = _operations(app, "/api/")
    if not operations:
        pytest.skip("no /api/v1 routes registered yet")
    for operation in operations:
        for mode in EXAMPLES:
            _fuzz(operation, mode, fuzz_key)
