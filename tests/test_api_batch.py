"""The API's OpenAPI document against real responses; organisation keys and the batch endpoint."""

import pytest
from jsonschema import Draft202012Validator
from sqlmodel import Session

from navigator.models import Organisation
from navigator.services.api_keys import create_key, revoke_key
from navigator.web.openapi import MAX_BATCH
from tests.answers import answers


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _check(spec, schema_name, body):
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, [e.message for e in errors[:3]]


def _response_schema(spec, path, method, status):
    content = spec["paths"][path][method]["responses"][status]["content"]
    return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]


@pytest.fixture
def api_key(app):
    with Session(app.extensions["db_engine"]) as session:
        org = Organisation(name="Valley Clinic")
        session.add(org)
        session.commit()
        record, key = create_key(session, org.id, "nightly batch")
        return record.id, key


def _bearer(key):
    return {"Authorization": f"Bearer {key}"}


def test_openapi_is_a_valid_3_1_document(spec):
    assert spec["openapi"] == "3.1.0"
    for schema in spec["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert {"/plan", "/plans", "/rules"} <= set(spec["paths"])


@pytest.mark.parametrize("overrides", [{}, {"coverage": "medicaid", "age": 8},
                                       {"coverage": "medicare_original", "age": 70,
                                        "denial": "claim"}])
def test_plan_responses_match_the_document(client, spec, overrides):
    body = answers(**overrides)
    _check(spec, "Answers", body)
    response = client.post("/api/v1/plan", json=body)
    assert response.status_code == 200
    _check(spec, _response_schema(spec, "/plan", "post", "200"), response.get_json())


def test_error_and_rules_responses_match_the_document(client, spec):
    bad = client.post("/api/v1/plan", json={**answers(), "age": "old"})
    assert bad.status_code == 422
    _check(spec, _response_schema(spec, "/plan", "post", "422"), bad.get_json())
    rules = client.get("/api/v1/rules")
    _check(spec, _response_schema(spec, "/rules", "get", "200"), rules.get_json())


def test_the_answers_schema_refuses_what_the_api_refuses(spec):
    schema = {"$ref": "#/components/schemas/Answers", "components": spec["components"]}
    validator = Draft202012Validator(schema)
    assert not validator.is_valid({**answers(), "extra": 1})
    assert not validator.is_valid({**answers(), "state": "ZZ"})


def test_batch_needs_a_key(client):
    response = client.post("/api/v1/plans", json=[answers()])
    assert response.status_code == 401
    assert response.get_json()["errors"][0]["field"] == "Authorization"


def test_batch_plans_each_answer_in_order_with_errors_in_place(client, spec, api_key):
    _key_id, key = api_key
    body = [answers(), answers(state="ZZ"), answers(coverage="chip", age=9)]
    response = client.post("/api/v1/plans", json=body, headers=_bearer(key))
    assert response.status_code == 200
    result = response.get_json()
    _check(spec, _response_schema(spec, "/plans", "post", "200"), result)
    assert (result["plans"], result["invalid"]) == (2, 1)
    assert result["results"][1]["index"] == 1
    assert result["results"][1]["errors"][0]["field"] == "state"
    single = client.post("/api/v1/plan", json=answers(coverage="chip", age=9)).get_json()
    assert [s["id"] for s in result["results"][2]["steps"]] == [s["id"] for s in single["steps"]]


def test_batch_of_a_thousand_fits_and_more_is_refused(client, api_key):
    _key_id, key = api_key
    full = client.post("/api/v1/plans", json=[answers()] * MAX_BATCH, headers=_bearer(key))
    assert full.status_code == 200
    assert full.get_json()["plans"] == MAX_BATCH
    over = client.post("/api/v1/plans", json=[answers()] * (MAX_BATCH + 1), headers=_bearer(key))
    assert over.status_code == 413
    assert "at most 1000" in over.get_json()["errors"][0]["message"]


def test_batch_body_must_be_an_array(client, api_key):
    response = client.post("/api/v1/plans", json=answers(), headers=_bearer(api_key[1]))
    assert response.status_code == 422


def test_a_revoked_or_unknown_key_is_refused(app, client, api_key):
    key_id, key = api_key
    assert client.post("/api/v1/plans", json=[answers()], headers=_bearer(key)).status_code == 200
    with Session(app.extensions["db_engine"]) as session:
        revoke_key(session, key_id)
    for presented in (key, "pan_not-a-real-key"):
        response = client.post("/api/v1/plan", json=answers(), headers=_bearer(presented))
        assert response.status_code == 401


def test_keyed_requests_are_limited_per_key_not_per_address(app, api_key):
    app.config["API_KEY_RATE_LIMIT"] = "2 per minute"
    app.config["API_RATE_LIMIT"] = "100 per minute"
    client = app.test_client()
    _key_id, key = api_key
    codes = [client.post("/api/v1/plans", json=[answers()], headers=_bearer(key)).status_code
             for _ in range(3)]
    assert codes == [200, 200, 429]
    # The same address without the key still has its own allowance.
    assert client.post("/api/v1/plan", json=answers()).status_code == 200


def test_only_the_hash_of_a_key_is_stored(app, api_key):
    key_id, key = api_key
    with app.extensions["db_engine"].connect() as connection:
        row = connection.exec_driver_sql("SELECT key_hash FROM api_keys").one()
    assert key not in row[0] and len(row[0]) == 64


def test_cli_creates_lists_and_revokes_keys(app, runner):
    with Session(app.extensions["db_engine"]) as session:
        session.add(Organisation(name="Hill Health"))
        session.commit()
    made = runner.invoke(args=["api-key", "create", "--organisation", "Hill Health",
                               "--name", "batch"])
    assert made.exit_code == 0, made.output
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("pan_")
    listed = runner.invoke(args=["api-key", "list"])
    assert "batch" in listed.output and key not in listed.output
    key_id = listed.output.split("\t", 1)[0]
    assert runner.invoke(args=["api-key", "revoke", key_id]).exit_code == 0
    client = app.test_client()
    assert client.post("/api/v1/plans", json=[answers()], headers=_bearer(key)).status_code == 401
    missing = runner.invoke(args=["api-key", "create", "--organisation", "Nobody", "--name", "x"])
    assert missing.exit_code == 2 and "give the id instead" in missing.output
