"""Batch planning: the plan document (sources once) and `navigator plan --format jsonl`."""
import io
import json
from datetime import date

import pytest
from click.testing import CliRunner

from navigator.cli import main
from navigator.engine import evaluate, validate_answers
from navigator.engine.document import DOCUMENT_FORMAT, plan_document
from navigator.services import batch
from navigator.services.batch import InputInvalid, iter_json_values
from tests.answers import answers

AS_OF = date(2026, 11, 23)


def _plan(book, **overrides):
    valid, problems = validate_answers(answers(**overrides), AS_OF)
    assert not problems
    return evaluate(valid, AS_OF, book)


def _expand(document: dict) -> dict:
    """The full shape back from the document: every source id replaced by its source."""
    full = {k: v for k, v in document.items() if k not in ("format", "sources")}
    sources = document["sources"]
    for group in ("steps", "programs", "resources"):
        for item in full[group]:
            item["sources"] = [sources[i] for i in item["sources"]]
    for deadline in full["deadlines"]:
        deadline["source"] = sources[deadline["source"]]
    return full


@pytest.mark.parametrize("overrides", [
    {}, {"coverage": "medicare_original", "pump_wanted": "omnipod_5", "age": 70},
    {"coverage": "medicaid", "age": 9, "denial": "appeal"},
])
def test_document_lists_each_source_once_and_loses_nothing(book, overrides):
    plan = _plan(book, **overrides)
    document = json.loads(json.dumps(plan_document(plan)))
    assert document["format"] == DOCUMENT_FORMAT
    cited = {i for step in document["steps"] for i in step["sources"]}
    assert cited and cited <= set(document["sources"])
    assert all(isinstance(i, str) for p in document["programs"] for i in p["sources"])
    assert all(isinstance(i, str) for r in document["resources"] for i in r["sources"])
    assert _expand(document) == plan.model_dump(mode="json")


@pytest.mark.parametrize("text", [
    '{"a": 1}\n{"a": 2}\n{"a": 3}\n',                      # JSON Lines
    '{\n  "a": 1\n}\n\n{"a": 2}{"a": 3}',                   # pretty and concatenated objects
    ' [ {"a": 1}, {"a": 2},\n{"a": 3} ] \n',                # one array
])
def test_values_are_read_one_at_a_time_across_chunk_boundaries(monkeypatch, text):
    monkeypatch.setattr(batch, "_CHUNK", 3)     # every value straddles several reads
    assert list(iter_json_values(io.StringIO(text))) == [{"a": 1}, {"a": 2}, {"a": 3}]


def test_a_number_split_across_reads_is_read_whole(monkeypatch):
    monkeypatch.setattr(batch, "_CHUNK", 2)
    assert list(iter_json_values(io.StringIO("12345 678"))) == [12345, 678]


@pytest.mark.parametrize("text, where", [
    ('{"a": 1}\n{"a": }\n', "line 2, column 7"), ("[{}, {}", "expected ']' at line 1"),
    ("[{}]\n {}", "after the closing ']' at line 2, column 2"),
])
def test_broken_input_says_where(text, where):
    with pytest.raises(InputInvalid, match=where):
        list(iter_json_values(io.StringIO(text)))


def test_empty_input_gives_nothing():
    assert list(iter_json_values(io.StringIO("  \n"))) == []
    assert list(iter_json_values(io.StringIO("[]"))) == []


def test_cli_jsonl_writes_one_plan_per_line_and_errors_in_place(tmp_path):
    bad = answers(state="ZZ")
    lines = [answers(), bad, answers(coverage="medicaid", age=9)]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in lines))
    result = CliRunner().invoke(main, ["plan", str(path), "--format", "jsonl",
                                       "--as-of", "2026-11-23"])
    assert result.exit_code == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["format"] == DOCUMENT_FORMAT and out[2]["format"] == DOCUMENT_FORMAT
    assert out[1] == {"index": 1, "errors": [{"field": "state", "message": out[1]["errors"][0]
                                              ["message"]}]}
    assert "1 of 3 answers were invalid" in result.stderr


def test_cli_jsonl_matches_the_full_plan(tmp_path, book):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(answers()) + "\n")
    result = CliRunner().invoke(main, ["plan", str(path), "--format", "jsonl",
                                       "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert _expand(json.loads(result.stdout)) == _plan(book).model_dump(mode="json")


def test_cli_jsonl_broken_input_is_a_clear_error(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(answers()) + "\n{oops\n")
    result = CliRunner().invoke(main, ["plan", str(path), "--format", "jsonl",
                                       "--as-of", "2026-11-23"])
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1         # the good plan was written first
    assert "error: input: not valid JSON at line 2, column 2" in result.stderr


def test_cli_compact_array_in_array_out(tmp_path):
    path = tmp_path / "in.json"
    path.write_text(json.dumps([answers(), answers(age=70, coverage="medicare_original")]))
    result = CliRunner().invoke(main, ["plan", str(path), "--format", "compact",
                                       "--as-of", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert "\n" not in result.stdout.strip()
    documents = json.loads(result.stdout)
    assert [d["format"] for d in documents] == [DOCUMENT_FORMAT] * 2
