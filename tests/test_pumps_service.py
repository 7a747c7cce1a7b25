"""Choosing a pump (navigator.services.pumps): the filters over the real catalogue, and the
first-year estimate worked by hand."""
from datetime import date

import pytest

from navigator.engine.schema import PriceSpec
from navigator.services import pumps as service
from navigator.services.pumps import Filters, PlanNumbers

ON = date(2026, 11, 23)


def _by_id(matches):
    return {m.pump.id: m for m in matches}


def _ids(matches):
    return [m.pump.id for m in matches]


# --- filters -----------------------------------------------------------------------------------

def test_without_answers_every_pump_suits_and_keeps_catalogue_order(book):
    matches = service.choose(book, Filters())
    assert _ids(matches) == list(book.pumps)
    assert all(m.suitable and not m.fits and not m.unknown for m in matches)


def test_a_child_of_five_sees_the_pumps_cleared_for_that_age_first(book):
    matches = service.choose(book, Filters(age=5, diabetes_type="type1"))
    suitable = [m.pump.id for m in matches if m.suitable]
    assert suitable == ["omnipod_5", "mobi", "omnipod_dash"]   # DASH last: its ages are unknown
    by_id = _by_id(matches)
    assert by_id["tslim_x2"].misfits == ["Cleared from age 6, not for someone aged 5."]
    assert by_id["minimed_780g"].misfits == ["Cleared from age 7, not for someone aged 5."]
    assert by_id["omnipod_dash"].unknown == [
        "Whether it is cleared for type 1 diabetes was not found.",
        "The youngest age it is cleared for was not found."]
    assert "Cleared for age 5 (from age 2)." in by_id["omnipod_5"].fits
    assert _ids(matches)[3:] == ["tslim_x2", "minimed_780g", "ilet", "twiist"]


def test_type_2_uses_the_type_2_age_and_leaves_out_type_1_only_pumps(book):
    teen = _by_id(service.choose(book, Filters(age=15, diabetes_type="type2")))
    assert teen["omnipod_5"].misfits == ["Cleared from age 18, not for someone aged 15."]
    assert teen["ilet"].misfits == ["Not cleared for type 2 diabetes."]
    assert teen["twiist"].misfits == ["Not cleared for type 2 diabetes."]
    adult = _by_id(service.choose(book, Filters(age=40, diabetes_type="type2")))
    assert adult["omnipod_5"].suitable and adult["tslim_x2"].suitable
    assert not adult["ilet"].suitable


def test_the_cgm_in_use_keeps_the_pumps_that_work_with_it(book):
    matches = _by_id(service.choose(book, Filters(cgm="dexcom_g7")))
    assert matches["minimed_780g"].misfits == [
        "Does not work with the Dexcom G7 in any source we have."]
    assert matches["mobi"].fits == ["Works with the Dexcom G7 you use."]
    assert matches["tslim_x2"].fits == ["Works with the Dexcom G7 you use."]   # Tandem's own page
    assert not matches["twiist"].suitable      # the Libre 3 Plus only, on Tidepool's page
    # No reliable source gives Omnipod 5's CGM list: unknown, not a misfit.
    for pump_id in ("omnipod_5", "omnipod_dash"):
        assert matches[pump_id].suitable
        assert matches[pump_id].unknown == ["Whether it works with the Dexcom G7 was not found."]


def test_a_pharmacy_plan_sees_the_pumps_sold_through_the_pharmacy(book):
    matches = service.choose(book, Filters(coverage="employer", channel="pharmacy"))
    suitable = [m.pump.id for m in matches if m.suitable]
    assert suitable == ["omnipod_5", "omnipod_dash", "ilet", "twiist"]
    by_id = _by_id(matches)
    assert by_id["tslim_x2"].misfits == [
        "Not sold through the pharmacy benefit in any source we have."]


def test_channels_follow_the_coverage(book):
    pumps = book.pumps
    assert service.channels_for(pumps["omnipod_5"], "medicare_original") == ["pharmacy"]
    assert service.channels_for(pumps["tslim_x2"], "medicare_advantage") == ["dme"]
    assert service.channels_for(pumps["twiist"], "medicare_original") == []     # not known
    assert service.channels_for(pumps["mobi"], "employer") == ["dme"]
    assert service.channels_for(pumps["ilet"], "employer") == ["pharmacy"]   # usual channel unknown
    assert service.channels_for(pumps["omnipod_5"], "tricare") == ["pharmacy"]
    assert service.channels_for(pumps["tslim_x2"], "tricare") == ["dme"]       # TRICARE: pumps are DME
    medicare = _by_id(service.choose(book, Filters(coverage="medicare_original",
                                                   channel="pharmacy")))
    assert medicare["twiist"].unknown == [
        "Whether plans pay for it through the pharmacy benefit was not found."]
    assert medicare["mobi"].misfits            # Original Medicare: Part B, not the pharmacy


def test_filters_from_answers_take_age_type_coverage_and_the_cgm_in_use(book):
    answers = {"age": 6, "diabetes_type": "type1", "coverage": "medicaid", "uses_cgm": True,
               "cgm_in_use": "dexcom_g7"}
    filters = service.filters_from_answers(answers, book)
    assert filters == Filters(coverage="medicaid", age=6, diabetes_type="type1", cgm="dexcom_g7")
    assert service.describe_filters(filters, service.known_cgms(book)) == [
        "For a child of 6.", "For type 1 diabetes.", "Works with the Dexcom G7 you use."]
    # A sensor no source pairs with a pump does not filter.
    assert service.filters_from_answers({"cgm_in_use": "eversense"}, book).cgm is None


def test_a_medtronic_sensor_keeps_the_minimed(book):
    matches = _by_id(service.choose(book, Filters(cgm="medtronic")))
    assert [m for m in matches if matches[m].suitable] == [
        "minimed_780g", "omnipod_5", "omnipod_dash", "ilet"]
    assert not any(matches[p].suitable for p in ("mobi", "tslim_x2", "twiist"))
    # The 780G's sensor list rests on an FDA record read in a copy and a journal's news, so the
    # fit carries the "confirm with the maker" note.
    assert matches["minimed_780g"].fits == [
        "Works with the Guardian 4, Simplera Sync or Instinct (Abbott) you use (confirm with the maker)."]


def test_cgm_answers_must_name_an_answer_and_a_listed_sensor(tmp_path):
    import shutil

    import yaml

    from navigator.engine import RulesInvalid, load_rulebook
    from navigator.engine.loader import DEFAULT_RULES_DIR

    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    data = yaml.safe_load((copy / "pumps.yaml").read_text())
    data["cgm_answers"]["dexcom_g8"] = ["Dexcom G8"]
    (copy / "pumps.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RulesInvalid) as info:
        load_rulebook(copy)
    assert "cgm_answer dexcom_g8: is not a value of the cgm_in_use answer" in str(info.value)
    assert "'Dexcom G8' is in no pump's compatible_cgms" in str(info.value)


# --- the estimate, worked by hand ----------------------------------------------------------------

def test_share_after_deductible_by_hand():
    # $6,000 allowed, $1,500 deductible left, 20%: 1,500 + 0.20 x 4,500 = 1,500 + 900 = 2,400.
    assert service.share_after_deductible(6000, 1500, 20) == 2400
    # Allowed below the deductible left: all of it, no coinsurance.
    assert service.share_after_deductible(1000, 1500, 20) == 1000
    # Deductible met: 30% of 3,333.33 = 999.999 -> 1,000.00.
    assert service.share_after_deductible(3333.33, 0, 30) == 1000.0
    assert service.capped(2400, 2000) == 2000
    assert service.capped(2400, None) == 2400


def _priced(book, pump_id, **prices):
    items = [PriceSpec(item=item, usd=usd, sources=["cms_article_a52507"], verified=False,
                       period_start=date(2026, 1, 1), period_end=date(2026, 12, 31))
             for item, usd in prices.items()]
    return book.pumps[pump_id].model_copy(update={"prices": items})


def test_dme_estimate_with_prices_and_plan_numbers(book):
    pump = _priced(book, "tslim_x2", pump=5000, supplies_year=1000)
    numbers = PlanNumbers(deductible_left=1500, dme_coinsurance=20, oop_max_left=4000)
    estimate = service.dme_estimate(pump, numbers, book)
    # 5,000 + 1,000 = 6,000; 1,500 + 20% x 4,500 = 2,400; under the 4,000 left.
    assert estimate.amount == 2400 and estimate.at_most == 4000
    assert estimate.working == ["Allowed amount: $5,000 + $1,000 = $6,000",
                                "$1,500 (deductible) + 20% × $4,500 = $2,400"]
    assert [p.usd for p in estimate.prices] == [5000, 1000]
    assert estimate.ask_for == []

    capped = service.dme_estimate(pump, PlanNumbers(1500, 20, None, None, 2000), book)
    assert capped.amount == 2000
    assert capped.working[-1] == "Capped at your out-of-pocket maximum left: $2,000"


def test_dme_estimate_without_a_price_gives_the_ceiling_and_what_to_ask(book):
    numbers = PlanNumbers(deductible_left=1500, dme_coinsurance=20, oop_max_left=4000)
    estimate = service.dme_estimate(book.pumps["tslim_x2"], numbers, book)
    assert estimate.amount is None and estimate.at_most == 4000 and estimate.prices == []
    assert "E0784 (external ambulatory insulin pump)" in estimate.ask_for[0]
    assert "A4224" in estimate.ask_for[0]

    nothing = service.dme_estimate(book.pumps["tslim_x2"], PlanNumbers(), book)
    assert nothing.amount is None and nothing.at_most is None
    assert nothing.ask_for[1:] == [
        "how much of your deductible is left this year (ask your plan)",
        "your coinsurance for durable medical equipment (DME), in percent (ask your plan)",
        "how much of your out-of-pocket maximum is left this year (ask your plan)"]


def test_pharmacy_copay_estimate_by_hand(book):
    pump = book.pumps["omnipod_5"]
    estimate = service.pharmacy_estimate(pump, PlanNumbers(pharmacy_copay=50), book)
    assert estimate.amount == 600                        # $50 x 12 fills
    assert estimate.working == ["$50 × 12 fills = $600"]
    assert estimate.ask_for == [
        "how much of your out-of-pocket maximum is left this year (ask your plan)"]
    capped = service.pharmacy_estimate(pump, PlanNumbers(pharmacy_copay=50, oop_max_left=500), book)
    assert capped.amount == 500


def test_pharmacy_coinsurance_estimate_by_hand(book):
    pump = _priced(book, "omnipod_5", fill_30_day=300)
    numbers = PlanNumbers(deductible_left=1000, pharmacy_coinsurance=30, oop_max_left=5000)
    estimate = service.pharmacy_estimate(pump, numbers, book)
    # 300 x 12 = 3,600; 1,000 + 30% x 2,600 = 1,000 + 780 = 1,780.
    assert estimate.amount == 1780
    assert estimate.working == ["Price for the year: $300 × 12 fills = $3,600",
                                "$1,000 (deductible) + 30% × $2,600 = $1,780"]
    unpriced = service.pharmacy_estimate(book.pumps["omnipod_5"], numbers, book)
    assert unpriced.amount is None and unpriced.at_most == 5000
    assert unpriced.ask_for[0].startswith("the plan's price for a 30-day fill of Omnipod 5")


def test_original_medicare_fills_in_the_part_b_coinsurance(book):
    pump = _priced(book, "tslim_x2", pump=5000, supplies_year=1000)
    [estimate] = service.estimates_for(pump, PlanNumbers(deductible_left=0), book,
                                       "medicare_original", ON)
    assert estimate.channel == "dme"
    assert estimate.amount == 1200                       # 20% of 6,000, deductible met
    assert estimate.notes[0].startswith("Medicare Part B coinsurance: 20%")


@pytest.mark.parametrize("pump_id, channels", [("mobi", ["dme"]),
                                               ("omnipod_5", ["pharmacy"]), ("twiist", ["pharmacy"])])
def test_one_estimate_per_route(book, pump_id, channels):
    estimates = service.estimates_for(book.pumps[pump_id], PlanNumbers(), book, "employer", ON)
    assert [e.channel for e in estimates] == channels


def test_medicare_part_d_route_is_capped_by_the_part_d_limit(book):
    # 2026: the Part D out-of-pocket cap is $2,100 (rules/parameters); $200 x 12 = $2,400 > $2,100.
    [estimate] = service.estimates_for(book.pumps["omnipod_5"], PlanNumbers(pharmacy_copay=200),
                                       book, "medicare_original", ON)
    assert estimate.channel == "pharmacy" and estimate.at_most == 2100
    assert estimate.amount == 2100
    assert estimate.working == ["$200 × 12 fills = $2,400",
                                "Capped at your out-of-pocket maximum left: $2,100"]
    assert estimate.notes[0].startswith("Part D caps what you pay in a year")
    assert not any("out-of-pocket maximum" in line for line in estimate.ask_for)
