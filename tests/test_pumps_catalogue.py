"""The pump catalogue (rules/pumps.yaml) is the only pump data: the loader checks it, and the
answers, the questionnaire, the programs and the letters all follow it."""
import shutil
from datetime import date

import pytest
import yaml

from navigator.engine import RulesInvalid, evaluate, load_rulebook, validate_answers
from navigator.engine.loader import DEFAULT_RULES_DIR
from navigator.engine.programs import assess
from navigator.engine.schema import PUMP_FACT_FIELDS
from navigator.questionnaire import load_questionnaire
from navigator.services.letters import device_for
from tests.answers import answers as make_answers

AS_OF = date(2026, 11, 23)

NEW_PUMP = {
    "id": "example_pump", "name": "Example Pump", "maker": "Example Maker", "status": "marketed",
    "tubed": True, "channel": "dme", "medicare_route": "part_b_dme", "reservoir_units": 250,
    "codes": ["E0784", "A4224"],
    "sources": {"tubed": ["tandem_purchase_steps"], "channel": ["tandem_purchase_steps"],
                "medicare_route": ["tandem_purchase_steps"], "reservoir_units": ["tandem_purchase_steps"],
                "codes": ["tandem_purchase_steps"]},
}


def _copy_with(tmp_path, mutate):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    path = copy / "pumps.yaml"
    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return copy


def _problems(tmp_path, mutate) -> str:
    with pytest.raises(RulesInvalid) as info:
        load_rulebook(_copy_with(tmp_path, mutate))
    return str(info.value)


def test_every_pump_has_the_comparison_facts_or_says_it_does_not_know(book):
    assert list(book.pumps) == ["omnipod_5", "omnipod_dash", "tslim_x2", "mobi", "minimed_780g",
                                "ilet", "twiist"]
    for pump in book.pumps.values():
        for field in PUMP_FACT_FIELDS:
            if pump.is_known(field):
                assert pump.fact_sources[field], (pump.id, field)
            else:
                assert field not in pump.fact_sources, (pump.id, field)
    # Unknown stays unknown: twiist's tubing and usual channel are not stated anywhere.
    twiist = book.pumps["twiist"]
    assert twiist.tubed is None and twiist.channel is None and not twiist.is_known("medicare_route")
    assert book.pumps["tslim_x2"].warranty_years == 4
    assert book.pumps["tslim_x2"].is_verified("warranty_years")
    assert not book.pumps["minimed_780g"].is_verified("activity_modes")


def test_adding_a_pump_is_a_data_change(tmp_path):
    copy = _copy_with(tmp_path, lambda data: data["pumps"].append(NEW_PUMP))
    book = load_rulebook(copy)
    assert book.pump_names["example_pump"] == "Example Pump"

    answers, errors = validate_answers(make_answers(pump_wanted="example_pump"), AS_OF, book)
    assert errors == []
    plan = evaluate(answers, AS_OF, book)
    assert plan.coverage_route == "dme"

    questions = load_questionnaire(copy / "questions.yaml", book.pump_names)
    question = next(q for page in questions.pages for q in page.questions
                    if q.field == "pump_wanted")
    assert [o.value for o in question.spec.options][-2:] == ["example_pump", "undecided"]
    assert question.option_label("example_pump") == "Example Pump"

    device = device_for(answers, book, AS_OF)
    assert [c.code for c in device.codes] == ["E0784", "A4224"]


def test_a_pump_id_not_in_the_catalogue_is_refused_with_the_allowed_ids(book):
    _answers, errors = validate_answers(make_answers(pump_wanted="omnipod_6"), AS_OF, book)
    assert [e.field for e in errors] == ["pump_wanted"]
    assert "omnipod_5" in errors[0].message and "undecided" in errors[0].message


def test_a_fact_without_a_source_is_an_error(tmp_path):
    def mutate(data):
        del data["pumps"][0]["sources"]["water"]
    message = _problems(tmp_path, mutate)
    assert "pumps.yaml: pump omnipod_5: water: has a value but no source" in message


def test_a_verified_fact_must_cite_a_verified_source(tmp_path):
    def mutate(data):
        mobi = next(p for p in data["pumps"] if p["id"] == "mobi")
        mobi["unverified"].remove("reservoir_units")   # its only source is an FDA summary read in a copy
    message = _problems(tmp_path, mutate)
    assert "pump mobi: reservoir_units: cites only unverified sources" in message


def test_unknown_codes_pumps_and_fields_are_named(tmp_path):
    def mutate(data):
        data["pumps"][0]["codes"].append("E9999")
        data["pumps"][0]["sources"]["colour"] = ["cms_article_a52507"]
        data["pumps"][0]["unverified"].append("colour")
    message = _problems(tmp_path, mutate)
    assert "unknown billing code 'E9999'" in message
    assert "pump omnipod_5: sources.colour: names no fact field" in message
    assert "unverified: colour: names no fact field" in message


def test_a_program_for_an_unknown_pump_is_an_error(tmp_path):
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    path = copy / "programs" / "pump_makers.yaml"
    path.write_text(path.read_text().replace("pumps: [minimed_780g]", "pumps: [minimed_790g]"))
    with pytest.raises(RulesInvalid) as info:
        load_rulebook(copy)
    assert "eligibility.pumps: unknown pump 'minimed_790g'" in str(info.value)


def test_letters_print_the_codes_of_the_route_from_the_data(book):
    medicare, _ = validate_answers(make_answers(coverage="medicare_original", age=70, medigap=False,
                                                also_medicaid=False, pump_wanted="tslim_x2"),
                                   AS_OF, book)
    codes = [c.code for c in device_for(medicare, book, AS_OF).codes]
    assert codes == ["E0784", "A4224", "A4225", "J1817"]
    employer, _ = validate_answers(make_answers(pump_wanted="tslim_x2"), AS_OF, book)
    assert [c.code for c in device_for(employer, book, AS_OF).codes] == ["E0784", "A4224", "A4225"]
    pods, _ = validate_answers(make_answers(pump_wanted="omnipod_5"), AS_OF, book)
    device = device_for(pods, book, AS_OF)
    assert device.codes == () and "National Drug Code" in device.billing_note


def test_program_reasons_use_the_catalogue_names(book):
    program = book.programs["insulet_omnipod_financial_assistance"]
    facts = {"coverage": "uninsured", "pump_wanted": "tslim_x2", "federal_program": False}
    eligible, reason = assess(program, facts, {**book.pump_names, "omnipod_5": "Pod Five"},
                              coverages=book.coverages)
    assert eligible is False
    assert reason == "This program is only for Pod Five, Omnipod DASH."


# --- prices: none is published yet, but one added later must say what it is and when ----------

PRICE = {"item": "pump", "usd": 5000, "sources": ["cms_article_a52507"], "verified": False,
         "period_start": "2026-01-01", "period_end": "2026-12-31"}


def _with_price(**changes):
    def mutate(data):
        pump = next(p for p in data["pumps"] if p["id"] == "tslim_x2")
        price = {**PRICE, **changes}
        pump["prices"] = [{key: value for key, value in price.items() if value is not None}]
    return mutate


def test_a_price_with_its_period_and_source_loads(tmp_path):
    book = load_rulebook(_copy_with(tmp_path, _with_price()))
    (price,) = book.pumps["tslim_x2"].prices
    assert (price.usd, price.period_start, price.period_end) == (5000, date(2026, 1, 1),
                                                                 date(2026, 12, 31))
    open_ended = load_rulebook(_copy_with(tmp_path / "b", _with_price(period_end=None)))
    assert open_ended.pumps["tslim_x2"].prices[0].period_end is None


@pytest.mark.parametrize("changes, words", [
    ({"period_start": None}, "period_start"),
    ({"period_end": "2025-12-31"}, "period_end is before period_start"),
    ({"verified": True}, "is marked verified but cites only unverified sources"),
    ({"sources": ["no_such_source"]}, "no_such_source"),
])
def test_a_price_without_a_period_or_a_true_source_is_refused(tmp_path, changes, words):
    assert words in _problems(tmp_path, _with_price(**changes))
