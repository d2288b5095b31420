"""schemathesis against the web app's OpenAPI (``/openapi.json``), with and without the token.

Every operation gets cases that fit the schema and cases that don't (wrong types, missing
and extra fields, odd path parameters): the web app must never answer 5xx.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from test_channels_e2e import ChannelCalx

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

#: Cases per operation and mode (the web app runs on 2 shared cores).
MAX_EXAMPLES = 40
STATUSES: dict[str, Counter[int]] = {"with token": Counter(), "without token": Counter()}


@pytest.fixture(scope="module")
def web_schema(stack: ChannelCalx) -> Iterator[Any]:
    schema = schemathesis.openapi.from_url(f"{stack.web}/openapi.json")
    schema.config.generation.update(modes=list(GenerationMode), max_examples=MAX_EXAMPLES)
    yield schema
    for mode, counts in STATUSES.items():
        print(f"\nschemathesis {mode}: {sum(counts.values())} requests, status {dict(counts)}")


schema = schemathesis.pytest.from_fixture("web_schema")


def call(case: Any, stack: ChannelCalx, token: bool) -> None:
    headers = {"Authorization": f"Bearer {stack.api_token}"} if token else {}
    if not token and case.headers:
        case.headers.pop("Authorization", None)
    response = case.call(base_url=stack.web, headers=headers, timeout=60)
    STATUSES["with token" if token else "without token"][response.status_code] += 1
    case.validate_response(response, checks=[not_a_server_error])


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=MAX_EXAMPLES)
def test_no_server_error_with_the_token(case: Any, stack: ChannelCalx) -> None:
    call(case, stack, token=True)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=MAX_EXAMPLES)
def test_no_server_error_without_the_token(case: Any, stack: ChannelCalx) -> None:
    call(case, stack, token=False)
