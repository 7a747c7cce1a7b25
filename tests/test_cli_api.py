"""The ways in: the `navigator` CLI and the JSON API."""
import json

import pytest
from click.testing import CliRunner

from navigator.cli import main
from tests.answers import answers


@pytest.fixture
def cli():
    return CliRunner()


def test_rules_check_passes(cli):
    result = cli.invoke(main, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert "rules OK" in result.output


def test_rules_test_runs_the_yaml_cases(cli):
    result = cli.invoke(main, ["rules", "test"])
    assert result.exit_code == 0, result.output
    assert " passed, 0 failed" in result.output


def test_rules_check_fails_on_a_broken_folder(cli, tmp_path):
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "x.yaml").write_text("rules: [{id: x}]\n")
    result = cli.invoke(main, ["rules", "check", "--rules", str(tmp_path)])
    assert result.exit_code == 1
    assert "plan/x.yaml" in result.output


def test_plan_json_from_a_file(cli, tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers()))
    result = cli.invoke(main, ["plan", str(path), "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["as_of"] == "2026-11-23" and plan["steps"]


def test_plan_batch_from_stdin_keeps_order(cli):
    batch = [answers(state="TX"), answers(coverage="medicaid", state="NY", age=9)]
    result = cli.invoke(main, ["plan", "-", "--as-of", "2026-11-23"], input=json.dumps(batch))
    assert result.exit_code == 0, result.output
    plans = json.loads(result.output)
    assert len(plans) == 2
    assert any(s["id"] == "medicaid_epsdt" for s in plans[1]["steps"])


def test_plan_text_format(cli):
    result = cli.invoke(main, ["plan", "-", "--format", "text", "--as-of", "2026-11-23"],
                        input=json.dumps(answers()))
    assert result.exit_code == 0
    assert "ACCESS PLAN" in result.output and "STEPS" in result.output


def test_plan_invalid_answers_exit_2_with_one_line_per_field(cli):
    bad = {**answers(), "age": 500, "state": "XX"}
    result = cli.invoke(main, ["plan", "-", "--as-of", "2026-11-23"], input=json.dumps(bad))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert sorted(lines) == sorted(["error: state: must be one of: " + ", ".join(
        __import__("navigator.engine.answers", fromlist=["STATES"]).STATES),
        "error: age: must be a whole number from 0 to 120"])
    assert "Traceback" not in result.output


def test_plan_not_json(cli):
    result = cli.invoke(main, ["plan", "-"], input="{nope")
    assert result.exit_code == 2
    assert result.output.startswith("error: input: not valid JSON")


def test_api_plan(client):
    response = client.post("/api/v1/plan", json=answers())
    assert response.status_code == 200
    body = response.get_json()
    assert {"rules_version", "reviewed", "as_of", "fpl_percent", "coverage_route", "steps",
            "programs", "letters", "deadlines", "warnings"} <= set(body)


def test_api_invalid_answers_422(client):
    response = client.post("/api/v1/plan", json={**answers(), "age": "old", "extra": 1})
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"age", "extra"}


def test_api_refuses_non_json(client):
    assert client.post("/api/v1/plan", data="state=OH").status_code == 415
    bad = client.post("/api/v1/plan", data="{nope", content_type="application/json")
    assert bad.status_code == 400


def test_api_rules(client, app):
    body = client.get("/api/v1/rules").get_json()
    assert body["version"] == app.extensions["rulebook"].version
    assert body["counts"]["states"] == 51
