"""`navigator rules check --stats`: the share of steps with an official source and of verified facts."""
from click.testing import CliRunner

from navigator.cli import rules_group
from navigator.engine.quality import measure, report


def test_every_step_has_an_official_source(book):
    quality = measure(book)
    assert quality.steps_without == []
    assert quality.steps.total == sum(len(rule.steps) for rule in book.rules)
    assert quality.steps.verified == quality.steps.total
    assert quality.steps.percent == 100.0


def test_facts_are_counted_by_kind_and_a_secondary_source_never_counts_as_verified(book):
    quality = measure(book)
    assert set(quality.facts) == {"parameters", "state fields", "program records", "pump fields",
                                  "sources"}
    assert quality.facts["parameters"].total == len(book.parameters)
    assert quality.facts["program records"].total == len(book.programs)
    assert quality.facts["sources"].total == len(book.sources)
    official_verified = sum(1 for s in book.sources.values()
                            if s.verified and s.kind != "secondary")
    assert quality.facts["sources"].verified == official_verified
    total = quality.all_facts
    assert total.total == sum(share.total for share in quality.facts.values())
    assert 0 < total.percent < 100


def test_the_cli_prints_both_shares():
    result = CliRunner().invoke(rules_group, ["check", "--stats"])
    assert result.exit_code == 0, result.output
    assert "steps with an official source: " in result.output
    assert "(target 100%" in result.output or "target 100%" in result.output
    assert "verified facts: " in result.output and "target at least 80%" in result.output
    lines = report(measure_for_cli())
    assert result.output.strip().splitlines()[-len(lines):] == lines   # the statistics come last


def measure_for_cli():
    from navigator.engine.loader import default_rulebook
    return measure(default_rulebook())
