"""A malformed rules file stops the start with file, rule and field named; a running app keeps
its last good rules when an edit breaks them, and picks up a good edit."""
import shutil

import pytest

from navigator import create_app, rulebook
from navigator.engine import RulesInvalid
from navigator.engine.loader import DEFAULT_RULES_DIR


@pytest.fixture
def rules_copy(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    return copy


def _break(copy):
    path = copy / "plan" / "00_common.yaml"
    path.write_text(path.read_text().replace("field: coverage", "field: coverrage", 1))


def test_app_refuses_to_start_with_a_malformed_rule(rules_copy, sqlite_url):
    _break(rules_copy)
    with pytest.raises(RulesInvalid) as info:
        create_app({"DATABASE_URL": sqlite_url, "RULES_DIR": str(rules_copy)})
    message = str(info.value)
    assert "plan/00_common.yaml" in message and "rule common_prescription" in message
    assert "unknown field 'coverrage'" in message


def test_running_app_keeps_last_good_rules_then_takes_a_good_edit(rules_copy, sqlite_url):
    app = create_app({"DATABASE_URL": sqlite_url, "RULES_DIR": str(rules_copy),
                      "RULES_RELOAD_SECONDS": 1})
    good = app.extensions["rulebook"].version
    _break(rules_copy)
    app.extensions["rulebook_checked_at"] -= 5
    client = app.test_client()
    assert client.get("/healthz").get_json()["rules_version"] == good
    with app.app_context():
        assert rulebook.current().version == good

    path = rules_copy / "plan" / "00_common.yaml"
    path.write_text(path.read_text().replace("coverrage", "coverage") + "\n# reviewed again\n")
    app.extensions["rulebook_checked_at"] -= 5
    new_version = client.get("/healthz").get_json()["rules_version"]
    assert new_version != good


# --- rules that load but have lost a rule (issue 14 item 7, review M6, L9) ----------------------

def _truncate_common_rules(copy):
    """Cut plan/00_common.yaml before its denial-notice rule: still valid YAML, one rule fewer."""
    path = copy / "plan" / "00_common.yaml"
    text = path.read_text()
    cut = text.index("- id: common_denial_notice")
    path.write_text(text[:cut])


def test_app_refuses_to_start_with_rules_that_fail_a_rule_case(rules_copy, sqlite_url):
    _truncate_common_rules(rules_copy)
    from navigator.engine import load_rulebook
    load_rulebook(rules_copy)                 # the files alone load: only the cases see the loss
    with pytest.raises(RulesInvalid) as info:
        create_app({"DATABASE_URL": sqlite_url, "RULES_DIR": str(rules_copy)})
    message = str(info.value)
    assert "rule case fails" in message and "tests/" in message
    assert "read_denial_notice" in message              # the failure names the lost step
    assert "case '" in message                          # and the case that caught it


def test_reload_keeps_the_last_good_rules_when_a_case_fails(rules_copy, sqlite_url, caplog):
    app = create_app({"DATABASE_URL": sqlite_url, "RULES_DIR": str(rules_copy),
                      "RULES_RELOAD_SECONDS": 1})
    good = app.extensions["rulebook"].version
    _truncate_common_rules(rules_copy)
    client = app.test_client()
    for _attempt in range(2):
        app.extensions["rulebook_checked_at"] -= 5
        assert client.get("/healthz").get_json()["rules_version"] == good
    refusals = [r for r in caplog.records if "rules reload refused" in r.getMessage()]
    assert len(refusals) == 1 and "rule case fails" in refusals[0].getMessage()
    assert "case '" in refusals[0].getMessage()          # the log names the case that caught it
    assert "read_denial_notice" in refusals[0].getMessage()     # and the lost step


@pytest.mark.parametrize("damage", ["invalid_utf8", "folder_for_a_file"])
def test_unreadable_rule_files_are_named_at_start_and_refused_on_reload(rules_copy, sqlite_url,
                                                                        damage):
    app = create_app({"DATABASE_URL": sqlite_url, "RULES_DIR": str(rules_copy),
                      "RULES_RELOAD_SECONDS": 1})
    good = app.extensions["rulebook"].version
    if damage == "invalid_utf8":
        target = rules_copy / "plan" / "20_employer.yaml"
        target.write_bytes(b"\xff\xfe" + target.read_bytes())
        named = "plan/20_employer.yaml: not UTF-8"
    else:
        target = rules_copy / "letters.yaml"
        target.unlink()
        target.mkdir()
        named = "letters.yaml: cannot be read"
    client = app.test_client()
    app.extensions["rulebook_checked_at"] -= 5
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["rules_version"] == good
    assert client.get("/").status_code == 200
    with pytest.raises(RulesInvalid) as info:
        create_app({"DATABASE_URL": sqlite_url, "RULES_DIR": str(rules_copy)})
    assert named in str(info.value)


def test_rules_check_runs_the_cases_and_checks_the_questions(rules_copy):
    from click.testing import CliRunner

    from navigator.cli import main
    runner = CliRunner()
    ok = runner.invoke(main, ["rules", "check", "--rules", str(rules_copy)])
    assert ok.exit_code == 0 and "questions OK" in ok.output and "rule cases pass" in ok.output
    questions = rules_copy / "questions.yaml"
    questions.write_text(questions.read_text() + "\n  - id: [broken\n")
    broken = runner.invoke(main, ["rules", "check", "--rules", str(rules_copy)])
    assert broken.exit_code == 1 and "questions: questions.yaml" in broken.output
    questions.write_bytes(b"\xff" + questions.read_bytes())
    assert runner.invoke(main, ["rules", "check", "--rules", str(rules_copy)]).exit_code == 1
    _truncate_common_rules(rules_copy)
    lost = runner.invoke(main, ["rules", "check", "--rules", str(rules_copy)])
    assert lost.exit_code == 1 and "rule case fails" in lost.output
