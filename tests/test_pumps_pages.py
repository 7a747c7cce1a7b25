"""The pump pages: /pumps follows the case's answers, /pumps/compare shows the facts and the
estimate, bad input is named and kept, and the pump question leads there and back."""
import re

from tests.test_questionnaire import MEDICAID_CHILD_JOURNEY, MEDICARE_JOURNEY, until, walk


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.data.decode()))


def test_pumps_without_a_case_lists_every_pump(client, book):
    response = client.get("/pumps")
    assert response.status_code == 200
    text = _text(response)
    assert "All pumps (7)" in text
    for pump in book.pumps.values():
        assert f"Compare {pump.name}" in text
    assert "Back to your questions" not in text


def test_pumps_follow_the_answers_of_the_case(client):
    walk(client, MEDICAID_CHILD_JOURNEY)       # Texas, age 8, type 1, Medicaid
    text = _text(client.get("/pumps"))
    assert "For a child of 8." in text and "For type 1 diabetes." in text
    assert " you use." not in text             # no CGM named in the answers
    assert "Pumps that suit these answers (7)" in text      # every pump is cleared for 8
    assert "Cleared for age 8 (from age 7)." in text           # MiniMed 780G
    assert 'id="age" name="age" type="text" inputmode="numeric" autocomplete="off" value="8"' \
        in client.get("/pumps").data.decode()
    # The form changes the choice, for this visit only: a child of 4.
    text = _text(client.get("/pumps?filtered=1&age=4&diabetes_type=type1"))
    assert "For a child of 4." in text
    assert "Pumps that suit these answers (3)" in text
    suits, others = text.split("Pumps that may not suit these answers")
    assert "Omnipod 5" in suits and "Tandem Mobi" in suits and "MiniMed 780G" not in suits
    assert "Cleared from age 6, not for someone aged 4." in others


def test_pump_question_links_to_the_pumps_and_back(client):
    walk(client, until(MEDICAID_CHILD_JOURNEY, "pump"))
    page = client.get("/questions/pump").data.decode()
    assert 'href="/pumps?back=pump_wanted"' in page
    back = client.get("/pumps?back=pump_wanted").data.decode()
    assert '<a class="back-link" href="/questions/pump">Back to your questions</a>' in back
    # The back link only ever points at a question page.
    for evil in ("https://evil.example", "//evil.example", "state\"><script>", "nonsense"):
        page = client.get("/pumps", query_string={"back": evil}).data.decode()
        assert "Back to your questions" not in page and "<script>" not in page


def test_an_undecided_case_gets_the_way_back_to_the_question(client):
    journey = [(page, {**data, "pump_wanted": "undecided"} if page == "pump" else data)
               for page, data in MEDICAID_CHILD_JOURNEY]
    walk(client, journey)
    assert "Back to your questions" in _text(client.get("/pumps"))


def test_compare_shows_facts_sources_and_unknowns(client, book):
    response = client.get("/pumps/compare?ids=omnipod_5,tslim_x2,twiist")
    assert response.status_code == 200
    text = _text(response)
    assert "Omnipod 5, t:slim X2, twiist AID System" in text
    assert "IPX7: tested to 3 ft for 30 minutes" in text
    assert "Not found" in text                      # twiist's tubing is not stated anywhere
    assert "not confirmed" in text
    assert book.sources["tandem_warranty_us"].url in response.data.decode()
    assert "No published price was found for this pump, so no price is used." in text
    assert "ask for" in text


def test_compare_accepts_repeated_ids_from_the_tick_boxes(client):
    response = client.get("/pumps/compare?ids=mobi&ids=minimed_780g")
    assert response.status_code == 200
    text = _text(response)
    assert "Tandem Mobi, MiniMed 780G" in text
    # Mobi: its usual DME route only (no reliable source names a pharmacy route for it).
    assert "Through: medical equipment (DME) benefit Not enough numbers" in text
    assert "Through: pharmacy benefit (some plans only)" not in text


def test_estimate_with_plan_numbers(client):
    response = client.get("/pumps/compare", query_string={
        "ids": "omnipod_5,tslim_x2", "deductible_left": "$1,500", "dme_coinsurance": "20%",
        "pharmacy_copay": "50", "oop_max_left": "4000"})
    text = _text(response)
    assert "About $600 in the first year" in text and "$50 × 12 fills = $600" in text
    assert "At most $4,000 in the first year" in text       # the pump's price is not published
    assert 'value="$1,500"' in response.data.decode()       # kept as typed


def test_bad_input_names_the_field_keeps_it_and_is_escaped(client):
    response = client.get("/pumps/compare", query_string={
        "ids": "<script>alert(1)</script>,tslim_x2", "deductible_left": "lots",
        "dme_coinsurance": "150"})
    assert response.status_code == 400
    page = response.data.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    text = _text(response)
    assert "Choose pumps from the list" in text
    assert "Deductible left this year must be a number from 0 to 1,000,000" in text
    assert "Coinsurance for medical equipment (DME) must be a number from 0 to 100" in text
    assert 'value="lots"' in page and 'value="150"' in page
    one = client.get("/pumps/compare?ids=tslim_x2")
    assert one.status_code == 400
    assert "Choose two or three pumps to compare (you chose 1)" in _text(one)
    assert client.get("/pumps?filtered=1&age=abc").status_code == 400


def test_the_api_document_lists_the_catalogue_pumps(client, book):
    spec = client.get("/api/v1/openapi.json").get_json()
    allowed = spec["components"]["schemas"]["Answers"]["properties"]["pump_wanted"]["enum"]
    assert allowed == [*book.pumps, "undecided"]


def test_the_cgm_in_use_narrows_the_pumps(client):
    journey = [(page, {"cgm_in_use": "medtronic"} if page == "cgm" else data)
               for page, data in MEDICAID_CHILD_JOURNEY]
    walk(client, journey)
    text = _text(client.get("/pumps"))
    assert "Works with the Guardian 4, Simplera Sync or Instinct (Abbott) you use." in text
    # The Tandem pumps' and twiist's CGM lists exclude Medtronic's sensors; Omnipod 5's and the
    # iLet's lists were not found in a reliable source, so those pumps stay (unknown).
    assert "Pumps that suit these answers (4)" in text
    assert "Pumps that may not suit these answers (3)" in text


def test_a_medicare_case_sees_the_medicare_routes(client, book):
    from datetime import date

    from navigator.textformat import usd
    from tests.test_questionnaire import MEDICARE_JOURNEY

    walk(client, MEDICARE_JOURNEY)
    text = _text(client.get("/pumps"))
    assert "Medicare Part D, the drug plan, through a pharmacy" in text      # Omnipod 5
    assert "Medicare Part B, as medical equipment (DME)" in text            # t:slim X2
    text = _text(client.get("/pumps/compare?ids=omnipod_5,tslim_x2&pharmacy_copay=200"))
    assert "Through: Part D drug plan, at a pharmacy" in text
    assert "Through: Medicare Part B, as medical equipment (DME)" in text
    # $200 x 12 fills = $2,400, above the Part D cap of the year ($2,100 in 2026).
    cap = book.parameter("part_d.oop_cap", date.today())
    assert f"About {usd(min(2400, cap))} in the first year" in text
    assert "Part D caps what you pay in a year" in text


def _compare_link(html: str):
    found = re.search(r'class="callout pump-compare[^"]*"><a href="([^"]+)">([^<]+)</a>', html)
    return (found.group(1).replace("&amp;", "&"), found.group(2)) if found else None


def _with_pump(journey, pump):
    return [(page, {**data, "pump_wanted": pump} if page == "pump" else data)
            for page, data in journey]


def test_the_plan_links_to_the_pumps_while_no_pump_is_chosen(client):
    """Issue 17: an undecided family finds the comparison from the plan, filtered by their
    answers (a child of 8 with type 1; the pumps page then offers the way back)."""
    walk(client, _with_pump(MEDICAID_CHILD_JOURNEY, "undecided"))
    url, text = _compare_link(client.get("/plan").data.decode())
    assert url == "/pumps?age=8&diabetes_type=type1" and text.startswith("No pump chosen yet?")
    page = _text(client.get(url))
    assert "For a child of 8." in page and "Back to your questions" in page


def test_the_plan_links_to_the_pumps_when_the_route_depends_on_the_pump(client):
    walk(client, MEDICAID_CHILD_JOURNEY)          # Omnipod 5 chosen; Texas Medicaid pays both ways
    url, text = _compare_link(client.get("/plan").data.decode())
    assert url.startswith("/pumps?") and "medical equipment or at the pharmacy" in text


def test_no_pump_link_when_the_choice_is_made_and_the_route_is_one(client):
    walk(client, MEDICARE_JOURNEY)                # t:slim X2 on Original Medicare: Part B only
    assert _compare_link(client.get("/plan").data.decode()) is None


def test_a_worker_s_client_plan_links_to_the_pumps_with_the_client_s_filters(app, worker,
                                                                          worker_client):
    from sqlmodel import Session

    from navigator.models import User
    from navigator.services import caseload
    from navigator.services import cases as case_store
    from tests.answers import answers

    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        case = caseload.create_client_case(session, session.get(User, worker.id), "Dana Ruiz")
        case_store.save_answers(session, case, answers(age=12, pump_wanted="undecided"))
    response = worker_client.get(f"/caseload/clients/{case.public_id}/plan")
    assert response.status_code == 200
    url, _ = _compare_link(response.data.decode())
    assert url == "/pumps?age=12&diabetes_type=type1"
    assert "For a child of 12." in _text(worker_client.get(url))


def test_a_catalogue_price_is_shown_as_an_estimate_with_its_period_and_source(app, client,
                                                                                monkeypatch):
    """No price is published yet (rules/pumps.yaml): this puts one in to see how it would read."""
    import dataclasses
    from datetime import date

    from navigator.engine.schema import PriceSpec

    book = app.extensions["rulebook"]
    prices = [PriceSpec(item="pump", usd=5000, sources=["cms_article_a52507"], verified=False,
                        period_start=date(2026, 1, 1), period_end=date(2026, 12, 31)),
              PriceSpec(item="supplies_year", usd=1000, sources=["cms_article_a52507"],
                        verified=False, period_start=date(2026, 1, 1))]
    pumps = {**book.pumps, "tslim_x2": book.pumps["tslim_x2"].model_copy(update={"prices": prices})}
    monkeypatch.setitem(app.extensions, "rulebook", dataclasses.replace(book, pumps=pumps))

    html = client.get("/pumps/compare", query_string={
        "ids": "tslim_x2,mobi", "deductible_left": "1500", "dme_coinsurance": "20",
        "oop_max_left": "4000"}).data.decode()
    tslim = re.search(r'aria-labelledby="estimate-tslim_x2">(.*?)</section>', html, re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", tslim.group(1)))
    # By hand: 5,000 + 1,000 = 6,000 allowed; 1,500 + 20% of the other 4,500 = 2,400 (< 4,000).
    assert "About $2,400 in the first year" in text
    assert "Allowed amount: $5,000 + $1,000 = $6,000" in text
    assert "$1,500 (deductible) + 20% × $4,500 = $2,400" in text
    read = "(read November 23, 2026), not confirmed."
    assert ("The pump: $5,000 estimate Price for January 1, 2026 to December 31, 2026. Source: "
            "Policy Article A52507 — External Infusion Pumps " + read) in text
    assert "A year of supplies: $1,000 estimate Price from January 1, 2026. Source:" in text
    assert "No published price was found" not in text and "To get a number" not in text
    assert "No published price was found" in html                           # Tandem Mobi's

    spanish = _text(client.get("/pumps/compare", query_string={"ids": "tslim_x2,mobi",
                                                               "lang": "es"}))
    assert ("La bomba: $5,000 cálculo aproximado Precio del 1 de enero de 2026 al 31 de diciembre "
            "de 2026. Fuente:") in spanish
    assert "(consultada el 23 de noviembre de 2026), sin confirmar." in spanish
    assert "Un año de suministros: $1,000 cálculo aproximado Precio desde el 1 de enero" in spanish
