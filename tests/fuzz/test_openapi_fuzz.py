"""Schemathesis against the API's own OpenAPI document, as every role.

Each operation the app registers is one test. Every generated request is sent once per
role (admins of the city, a district, a street and a community, the auditor, a foundation
and nobody; in CI the coverage phase's boundary values take turns among the roles), and
each answer must be no 5xx, a status the operation documents
explicitly (the catch-all ``default`` response does not count), the documented content
type, and a body and headers that match the documented schema. The last test fails if
any operation was not exercised as every role, or never got past 404.

CI runs a few derandomized examples per operation; ``FUNDPOOL_TEST_FUZZ_EXAMPLES=500`` runs a
longer, randomized search (see README, Development).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter, defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    unsupported_method,
)

from fundpool import create_app
from tests.fuzz.scene import KNOWN

ROLES = ("city_admin", "district_admin", "street_admin", "community_admin", "auditor",
         "foundation", "anonymous")
LONG_RUN = "FUNDPOOL_TEST_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("FUNDPOOL_TEST_FUZZ_EXAMPLES", "8"))

# The names the API gives ids and codes, and which of the scene's values fit them.
PATH_KINDS = {"donation_id": "donation_id", "donor_id": "donor_id", "proposal_id": "proposal_id",
              "need_id": "need_id", "match_id": "match_id", "run_id": "run_id",
              "entry_id": "entry_id", "hold_id": "hold_id", "token_id": "token_id",
              "job_id": "job_id", "month": "month", "year": "year", "quarter": "quarter"}
CODE_KINDS = (("/accounts/", "account"), ("/funds/", "fund"), ("/pools/", "pool"))
FIELD_KINDS = {"pool": "pool", "within": "pool", "parent": "pool", "pool_code": "pool",
               "parent_code": "pool", "fund": "fund", "source_fund": "fund",
               "target_fund": "fund", "account": "account", "counter_account": "account",
               "donor_id": "donor_id", "token_id": "token_id", "year": "year",
               "amount": "amount", "currency": "currency", "categories": "categories",
               "area_codes": "area_codes", "as_of": "date", "from": "date", "to": "date",
               "effective_date": "date", "received_date": "date", "survey_date": "date",
               "paid_date": "date", "submitted_on": "date", "on": "date"}


def openapi_document() -> dict:
    app = create_app({"database_url": "sqlite://", "secret_key": "fuzz", "log_level": "WARNING"})
    return app.test_client().get("/api/v1/openapi.json").get_json()


SCHEMA = schemathesis.openapi.from_dict(openapi_document(), config=schemathesis.Config.from_dict({
    "generation": {"mode": "all", "with-security-parameters": False},
}))
EXERCISED: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))


def documented_status_code(ctx, response, case):
    """Only statuses the operation names count; ``default`` ("any other error") does not.

    Requests with a method the path does not declare are ``unsupported_method``'s to judge.
    """
    if response.request.method != case.operation.method.upper():
        return
    documented = case.operation.responses.status_codes
    if str(response.status_code) not in documented:
        raise AssertionError(f"{response.status_code} is not documented for "
                             f"{case.operation.label} (documented: {', '.join(documented)})")


CHECKS = [not_a_server_error, documented_status_code, content_type_conformance,
          response_headers_conformance, response_schema_conformance, unsupported_method,
          allow_header_conformance]


def _steer(values, kind_of) -> st.SearchStrategy:
    """Sometimes swap a generated id or code for one that exists, so requests get past 404."""
    if not isinstance(values, dict):
        return st.just(values)
    return st.fixed_dictionaries({
        name: (st.sampled_from([value, *KNOWN[kind_of(name)]]) if KNOWN.get(kind_of(name))
               else st.just(value))
        for name, value in values.items()})


def _code_kind(path: str) -> str | None:
    return next((kind for part, kind in CODE_KINDS if part in path), None)


@SCHEMA.hook
def flatmap_path_parameters(context, path_parameters):
    path = context.operation.path
    return _steer(path_parameters,
                  lambda name: _code_kind(path) if name == "code" else PATH_KINDS.get(name))


@SCHEMA.hook
def flatmap_query(context, query):
    return _steer(query, FIELD_KINDS.get)


@SCHEMA.hook
def flatmap_body(context, body):
    return _steer(body, FIELD_KINDS.get)


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, derandomize=not LONG_RUN, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_operation_as_every_role(case, fuzz_app):
    app, scene = fuzz_app
    for role in _roles_for(case):
        headers = {} if role == "anonymous" else scene.city.headers(role)
        response = case.call(app=app, headers=headers, buffered=True)
        EXERCISED[case.operation.label][role][response.status_code] += 1
        try:
            case.validate_response(response, headers=headers, checks=CHECKS)
        except Exception as failure:
            failure.add_note(f"(sent as {role})")
            raise


def _roles_for(case) -> tuple[str, ...]:
    """Generated requests go out as every role; the coverage phase's hundreds of boundary
    values per operation take turns instead in the CI run (each role still gets dozens)."""
    if LONG_RUN or case.meta is None or case.meta.phase.name.value != "coverage":
        return ROLES
    turn = next(TURNS[case.operation.label])
    return (ROLES[turn % len(ROLES)],)


TURNS: dict[str, itertools.count] = defaultdict(itertools.count)


def test_every_operation_was_exercised_as_every_role():
    if not EXERCISED:
        pytest.skip("the fuzz tests did not run")
    operations = [op.ok().label for op in SCHEMA.get_all_operations()]
    missing = [f"{label} as {role}" for label in operations for role in ROLES
               if not EXERCISED[label][role]]
    assert not missing, f"never exercised: {missing}"
    stuck = [label for label in operations
             if not any(status not in (401, 403, 404) for role in ROLES
                        for status in EXERCISED[label][role])]
    assert not stuck, f"never got past 401/403/404: {stuck}"


@pytest.mark.parametrize("role", ["city_admin", "street_admin"])
def test_sequences_along_the_inferred_links(fuzz_app, role):
    """Stateful: Schemathesis infers links from the document (a created donation's id to
    its refund, a fund's code to its statement, …) and walks them, checking every answer."""
    app, scene = fuzz_app
    headers = scene.city.headers(role)
    steps = Counter()

    class Workflow(SCHEMA.as_state_machine()):
        def get_call_kwargs(self, case):
            steps[case.operation.label] += 1
            return {"app": app, "headers": headers, "buffered": True}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, headers=headers, checks=CHECKS)

    # Always derandomized and short: the database is not reset between scenarios, and a
    # randomized longer run trips Hypothesis' FlakyStrategyDefinition on the changed state.
    Workflow.run(settings=settings(max_examples=10, stateful_step_count=8,
                                   derandomize=True, deadline=None, database=None,
                                   suppress_health_check=list(HealthCheck)))
    assert len(steps) > 10, f"the workflows reached only {sorted(steps)}"
