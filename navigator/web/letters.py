"""Letters: the list the case's plan calls for, the details form, HTML preview, PDF and packet.

Thin routes over navigator.services.letters. The case is the session's (a family's) or the one
in the URL (a worker's client): see navigator.web.session_case.

With REDIS_URL the packet is made on the queue (navigator.jobs, navigator.services.packets):
the form's POST enqueues it and redirects to a page that waits for it without JavaScript (it
reloads itself, and has a link to check again), then hands over the download; only the case
that asked can open that page or the PDF. Without REDIS_URL the packet is made in the request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from navigator import clock, db, i18n, rulebook
from navigator.engine import Plan, evaluate, validate_answers
from navigator.extensions import current_language, pdf_limit
from navigator.models import Case
from navigator.services import calls as call_log
from navigator.services import cases
from navigator.services import letters as letter_service
from navigator.web.security_events import reshow_when_token_stale
from navigator.web.session_case import case_for_request, case_route, client_id

bp = Blueprint("letters", __name__)


# --- the details form: WTForms fields built from the service's field list -------------------

FIELD_LABELS = {
    "patient_name": _l("Patient's full name"),
    "date_of_birth": _l("Date of birth"),
    "member_id": _l("Member ID"),
    "group_number": _l("Group number"),
    "insurer_name": _l("Insurer or plan name"),
    "insurer_address": _l("Insurer or plan address"),
    "claim_number": _l("Claim or reference number"),
    "prescriber_name": _l("Prescriber's name"),
    "prescriber_npi": _l("Prescriber's NPI"),
    "practice_address": _l("Practice address"),
    "practice_phone": _l("Practice phone"),
    "denial_reason": _l("Reason given for the denial"),
    "sender": _l("Who is sending the letters"),
    "sender_name": _l("Your full name, if you are not the patient"),
    "sender_address": _l("Your mailing address and phone number"),
    "recipient_name": _l("Who reviews the appeal, if not the plan above"),
    "recipient_address": _l("Their address"),
}
SENDER_CHOICES = [
    SelectChoice("", _l("Choose")),
    SelectChoice("patient", _l("The patient")),
    SelectChoice("parent", _l("A parent or guardian")),
    SelectChoice("representative", _l("A representative")),
]
FIELD_HINTS = {
    "date_of_birth": _l("Written as MM/DD/YYYY, for example 03/14/2017."),
    "member_id": _l("As printed on the insurance card. For Medicare, the Medicare number."),
    "prescriber_npi": _l("The 10-digit National Provider Identifier."),
    "practice_phone": _l("Digits, spaces and + ( ) - . only."),
    "denial_reason": _l("Copy the reason from the denial notice, word for word."),
    "sender": _l("Letters from a doctor's office are signed by the prescriber. For a child "
                 "under 18, a parent or guardian signs unless you choose otherwise. A "
                 "representative (a relative, friend or advocate) must enclose the form the "
                 "payer asks for: the letter names it."),
    "sender_address": _l("Printed at the top of the letters you send, so the reply comes to you."),
    "recipient_name": _l("The Medicare contractor, the fair hearing office or the review "
                         "organization named on your notice. Used in the appeal letters that "
                         "go to them."),
}


# What each letter written in English says, for a family reading the site in another language:
# shown above the English preview (services.letters.letter_language says which are English).
LETTER_SUMMARIES = {
    "medical_necessity": _l(
        "Your prescriber reviews it, signs it and sends it to the insurer. It sets out the "
        "medical facts the insurer's criteria ask for (the diagnosis, the insulin you use now, "
        "glucose records and lab results) to show that the pump is medically necessary."),
    "prior_authorization": _l(
        "Your prescriber's office sends it with the prior authorization form and the letter of "
        "medical necessity. It asks the insurer to approve the pump and its supplies before you "
        "get them, and to decide quickly when waiting would put your health at risk."),
    "internal_appeal": _l(
        "You sign it and send it to your plan, at the address on the denial notice, before the "
        "deadline. It asks the plan for a full new review of its decision and to cover the "
        "pump, and it answers the reason the plan gave for the denial."),
    "external_review": _l(
        "You sign it and send it to the external review office named in the plan's final "
        "denial. It asks an independent reviewer, outside the plan, to overturn the denial; "
        "the reviewer's decision binds the plan."),
    "medicare_redetermination": _l(
        "You sign it and send it to the Medicare contractor at the address on your notice. It "
        "is a Medicare appeal: it asks Medicare to look again at its refusal to pay for the "
        "pump."),
    "part_d_coverage_determination": _l(
        "You or your prescriber send it to your Medicare drug plan (Part D). It asks the plan to "
        "cover the pump on its drug list, or to reverse a refusal."),
    "medicare_advantage_reconsideration": _l(
        "You sign it and send it to your Medicare Advantage plan. It is the first appeal: it "
        "asks the plan to reverse its refusal. If the plan still says no, it must send your "
        "case to an independent reviewer."),
    "medicaid_fair_hearing": _l(
        "You sign it and send it to the state Medicaid agency or the hearing office on your "
        "notice. It asks for a fair hearing on the Medicaid or CHIP denial, before a hearing "
        "officer who is not part of the decision."),
    "medicaid_plan_appeal": _l(
        "You sign it and send it to your Medicaid health plan, at the appeals address on its "
        "notice. It asks the plan to reverse its denial and cover the pump. This appeal to the "
        "plan comes before a state fair hearing."),
    "formulary_exception": _l(
        "Your prescriber signs it and sends it to the drug plan. It asks the plan to cover a "
        "pump or supplies that are not on its drug list, and says why the covered choices do "
        "not suit you."),
    "network_gap_exception": _l(
        "Your prescriber's office sends it to the plan. It asks the plan to pay for a supplier "
        "outside its network at the in-network cost, because no supplier in the network can "
        "provide the pump."),
    "claim_file_request": _l(
        "You sign it and send it to the plan (or to the Medicaid agency). It asks, free of "
        "charge, for the documents, records, criteria and call recordings behind the "
        "decision, so that your appeal can answer them."),
}


class DetailsForm(FlaskForm):
    """The browser gets maxlength; the service's validate_details makes every check."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        raw = {name: self[name].data or "" for name in letter_service.DETAIL_FIELDS}
        _clean, errors = letter_service.validate_details(raw)
        for error in errors:
            field = self[error.field]
            message = _("%(label)s %(message)s", label=field.label.text, message=i18n.say(current_language(), error.message))
            if message not in field.errors:
                field.errors = [*field.errors, message]
            valid = False
        return valid

    def details(self) -> dict[str, str]:
        raw = {name: self[name].data or "" for name in letter_service.DETAIL_FIELDS}
        clean, _errors = letter_service.validate_details(raw)
        return clean or {}


for _name, _spec in letter_service.DETAIL_FIELDS.items():
    if _spec.choices:
        setattr(DetailsForm, _name, SelectField(
            FIELD_LABELS[_name], description=FIELD_HINTS.get(_name, ""),
            choices=SENDER_CHOICES, validators=[Optional()], validate_choice=False))
        continue
    _kind = TextAreaField if _spec.multiline else StringField
    setattr(DetailsForm, _name, _kind(
        FIELD_LABELS[_name], description=FIELD_HINTS.get(_name, ""),
        validators=[Optional()],
        render_kw={"maxlength": _spec.max_length}))


# --- the current case and its plan --------------------------------------------------------------

@dataclass
class CurrentCase:
    case: Case | cases.CaseRecord   # the ORM object on the details page, which saves to it
    answers: dict
    plan: Plan                      # in the page's language
    as_of: date
    lang: str

    def plan_in(self, lang: str) -> Plan:
        if lang == self.lang:
            return self.plan
        return evaluate(self.answers, self.as_of, rulebook.current(), lang=lang)

    def plan_for(self, letter_id: str) -> Plan:
        """The plan in the language `letter_id` is written in (its titles and deadlines are
        quoted in the letter): English for a letter to an insurer or a doctor."""
        return self.plan_in(letter_service.letter_language(letter_id, self.lang))


def _current_case() -> CurrentCase | None:
    """The session's case with complete answers and its plan, or None."""
    case = case_for_request()
    if case is None:
        return None
    as_of = clock.plan_date(case, rulebook.current())
    answers, errors = validate_answers(case.answers or {}, as_of, rulebook.current())
    if errors:
        return None
    lang = current_language()
    return CurrentCase(case, answers, evaluate(answers, as_of, rulebook.current(), lang=lang),
                       as_of, lang)


def _require_case() -> CurrentCase:
    current = _current_case()
    if current is None and client_id() is not None:
        flash(_("Finish the questionnaire with the client first: letters are filled in from "
                "the answers."), "warning")
        abort(redirect(url_for("caseload.case_page", public_id=client_id())))
    if current is None:
        flash(_("Answer the questions about your coverage first: letters are filled in from "
                "your answers."), "warning")
        abort(redirect(url_for("main.home")))
    return current


def _require_letter(current: CurrentCase, letter_id: str) -> None:
    if letter_id not in letter_service.letter_ids_in_plan(current.plan):
        abort(404)


# --- routes ---------------------------------------------------------------------------------

@case_route(bp, "/letters/", methods=["GET"])
@db.reads_only
def index():
    current = _require_case()
    in_english = {letter.id for letter in current.plan.letters
                  if letter_service.letter_language(letter.id, current.lang) != current.lang}
    return render_template("letters/index.html", plan=current.plan,
                           details=current.case.details or {}, in_english=in_english,
                           detail_fields=letter_service.DETAIL_FIELDS, labels=FIELD_LABELS)


@case_route(bp, "/letters/details", methods=["GET", "POST"])
def details():
    current = _require_case()
    form = DetailsForm() if request.method == "POST" else DetailsForm(
        data=letter_service.details_as_typed(current.case.details or {}))
    if request.method == "POST" and form.validate():
        cases.save_details(db.get_session(), current.case, form.details())
        flash(_("Your letter details are saved."), "success")
        return redirect(url_for("letters.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("letters/details.html", form=form), status


@reshow_when_token_stale("letters.details")
def reshow_typed_details():
    """The details form submitted after its security token expired: shown again with what was
    typed (nothing saved) and a plain message; Save then saves it."""
    if _current_case() is None:
        return None
    return render_template("letters/details.html", form=DetailsForm(), stale_notice=_(
        "You were away for a while, so these details were not saved yet. What you typed is "
        "still here: check it and press Save letter details.")), 400


@case_route(bp, "/letters/<letter_id>", methods=["GET"])
@db.reads_only
def preview(letter_id: str):
    current = _require_case()
    _require_letter(current, letter_id)
    article = letter_service.render_letter(letter_id, current.answers, current.case.details or {},
                                           current.plan_for(letter_id), rulebook.current(),
                                           _calls(current), current.lang)
    title = next(letter.title for letter in current.plan.letters if letter.id == letter_id)
    in_english = letter_service.letter_language(letter_id, current.lang) != current.lang
    summary = LETTER_SUMMARIES.get(letter_id) if in_english else None
    warnings = letter_service.letter_warnings(letter_id, current.answers,
                                              current.case.details or {}, current.plan,
                                              rulebook.current())
    return render_template("letters/preview.html", article=article, letter_id=letter_id,
                           title=title, summary=summary, warnings=[_(text) for text in warnings])


@case_route(bp, "/letters/<letter_id>.pdf", methods=["GET"])
@pdf_limit
@db.reads_only
def pdf(letter_id: str):
    current = _require_case()
    _require_letter(current, letter_id)
    body = letter_service.letter_pdf(letter_id, current.answers, current.case.details or {},
                                     current.plan_for(letter_id), rulebook.current(),
                                     _calls(current), current.lang)
    return _pdf_response(body, letter_service.pdf_filename(letter_id, current.plan.as_of))


@case_route(bp, "/letters/<letter_id>.docx", methods=["GET"])
@pdf_limit
@db.reads_only
def docx(letter_id: str):
    """The same letter as an editable Word document (for the prescriber's letterhead)."""
    from navigator.services.docx_letters import docx_filename, letter_docx

    current = _require_case()
    _require_letter(current, letter_id)
    body = letter_docx(letter_id, current.answers, current.case.details or {},
                       current.plan_for(letter_id), rulebook.current(), _calls(current),
                       current.lang)
    return _download(body, docx_filename(letter_id, current.plan.as_of), DOCX_MIMETYPE)


@case_route(bp, "/letters/packet", methods=["POST"])
@pdf_limit
def packet():
    current = _require_case()
    chosen = request.form.getlist("letter")
    available = letter_service.letter_ids_in_plan(current.plan)
    unknown = [lid for lid in chosen if lid not in available]
    if not chosen or unknown:
        flash(_("Choose one or more of the letters listed to put in the packet."), "error")
        return redirect(url_for("letters.index"))
    if current_app.config.get("REDIS_URL"):
        return _enqueue_packet(current, chosen)
    body = letter_service.packet_pdf(chosen, current.answers, current.case.details or {},
                                     current.plan_in(i18n.DEFAULT_LANGUAGE), rulebook.current(),
                                     _calls(current), current.lang, family_plan=current.plan)
    return _pdf_response(body, letter_service.packet_filename(current.plan.as_of))


def _enqueue_packet(current: CurrentCase, chosen: list[str]):
    """Queue the packet (once, however often the form is sent) and go to its waiting page."""
    from navigator import jobs
    from navigator.services.packets import fingerprint

    ordered = [lid for lid in letter_service.letter_ids_in_plan(current.plan) if lid in chosen]
    made_from = fingerprint(current.answers, current.case.details or {}, _calls(current),
                            rulebook.current().version, current.plan.as_of)
    job_id = jobs.enqueue_packet(current_app, current.case.public_id, ordered, made_from,
                                 current.lang)
    return redirect(url_for("letters.packet_status", job_id=job_id), 303)


PACKET_REFRESH_SECONDS = 2


@case_route(bp, "/letters/packet/<job_id>", methods=["GET"])
@db.reads_only
def packet_status(job_id: str):
    """The queued packet: being prepared (the page reloads itself), ready (the download starts,
    and a link stays on the page), failed (the PDF failure page), or no longer kept."""
    from navigator import jobs
    from navigator.services import packets

    case = case_for_request()
    if not current_app.config.get("REDIS_URL") or case is None:
        abort(404)
    state = jobs.packet_state(current_app, job_id, case.public_id)
    if state == packets.NOT_FOUND:
        abort(404)
    if state == packets.EXPIRED:
        flash(_("That letter packet is no longer kept (packets are kept for a few minutes). "
                "Choose the letters and make it again."), "warning")
        return redirect(url_for("letters.index"))
    if state == packets.FAILED:
        current_app.logger.error("letter packet job %s failed", job_id)
        return _no_store(render_template("errors/pdf.html", status=503,
                                         back=url_for("letters.index")), 503)
    here = url_for("letters.packet_status", job_id=job_id)
    download = url_for("letters.packet_download", job_id=job_id)
    return _no_store(render_template("letters/packet_status.html", ready=state == packets.READY,
                                     here=here, download=download,
                                     refresh=PACKET_REFRESH_SECONDS), 200)


@case_route(bp, "/letters/packet/<job_id>.pdf", methods=["GET"])
@db.reads_only
def packet_download(job_id: str):
    """The queued packet's PDF, for the case that asked only; before it is made, its page."""
    from navigator import jobs

    case = case_for_request()
    if not current_app.config.get("REDIS_URL") or case is None:
        abort(404)
    found = jobs.packet_download(current_app, job_id, case.public_id)
    if found is None:
        if jobs.packet_state(current_app, job_id, case.public_id) == "not found":
            abort(404)
        return redirect(url_for("letters.packet_status", job_id=job_id))
    body, filename = found
    return _pdf_response(body, filename)


def _no_store(body: str, status: int) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _calls(current: CurrentCase) -> list[call_log.CallFacts]:
    """The call log entries the person marked for letters."""
    return call_log.facts_for_letters(db.get_session(), current.case.public_id)


DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _pdf_response(body: bytes, filename: str) -> Response:
    return _download(body, filename, "application/pdf")


def _download(body: bytes, filename: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    current_app.logger.debug("letter download %s: %d bytes", filename, len(body))
    return response
