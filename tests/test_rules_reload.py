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
