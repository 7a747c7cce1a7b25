"""The caseload's own pages: dashboard, due list, new and taken-over clients, one client's
case page and what a worker changes on it. Thin routes over navigator.services.caseload."""
from __future__ import annotations

from datetime import date

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from navigator import clock, db, rulebook
from navigator.engine.answers import FIELDS
from navigator.extensions import current_language, limiter
from navigator.models import Case, User
from navigator.services import accounts, audit
from navigator.services import caseload as service
from navigator.textformat import TIME_ZONES, local_time
from navigator.web.caseload import bp
from navigator.web.caseload.client_pages import refuse_other_client
from navigator.web.caseload.forms import (
    CaseForm,
    ClaimForm,
    ClientForm,
    NoteForm,
    ShareForm,
    StepForm,
    TimeZoneForm,
)
from navigator.web.caseload.phrases import (
    STATUS_LABELS,
    STEP_STATE_LABELS,
    coverage_label,
    days_phrasebook,
    describe_event,
    eligibility_word,
)
from navigator.web.questionnaire import questionnaire
from navigator.web.validators import without_control_characters

CLIENT_FIELD = "for_client"     # every form of a client's page says which client it was for


# --- helpers -----------------------------------------------------------------------------------

def user():
    return current_user._get_current_object()


def case_or_404(public_id: str, manage: bool = False) -> Case:
    """The case, if this worker may reach it (`manage`: hand over, share, delete), else 404.
    A POSTed form must be for this very client (see client_pages.refuse_other_client)."""
    case = service.case_for_user(db.get_session(), user(), public_id)
    if case is None or (manage and not service.can_manage(user(), case)):
        abort(404)
    if request.method == "POST" and request.form.get(CLIENT_FIELD) != case.public_id:
        abort(refuse_other_client(case, request.form.get(CLIENT_FIELD)))
    return case


def record(action: str, case: Case | None = None) -> None:
    audit.record(db.get_session(), user(), action, case.public_id if case else None)


def today() -> date:
    """The worker's local date (their chosen zone; else clock.DEFAULT_ZONE) for due lists and
    dates they type. A client's plan is dated the client's own local date (clock.plan_date)."""
    return clock.today_in(user().time_zone)


def due_window() -> int:
    days = request.args.get("days", type=int)
    return days if days in service.DUE_WINDOWS else service.DUE_WINDOW_DAYS


@bp.before_request
@login_required
def _signed_in():
    """Every caseload page needs a signed-in worker (the calendar feed has its own secret)."""


@bp.context_processor
def _phrases() -> dict:
    return {"days_phrase": days_phrasebook(), "client_field_name": CLIENT_FIELD}


@bp.app_template_filter("local_time")
def _local_time(moment) -> str:
    """A stored time in the signed-in worker's chosen zone, with the zone's abbreviation."""
    zone = current_user.time_zone if current_user.is_authenticated else None
    return local_time(moment, zone)


# --- the caseload ------------------------------------------------------------------------------

@bp.get("/")
def dashboard():
    sort = request.args.get("sort", "deadline")
    descending = request.args.get("dir") == "desc"
    search = without_control_characters(request.args.get("q", "")[:200])
    everyone = user().is_admin and request.args.get("scope") == "all"
    rows = service.caseload(db.get_session(), user(), rulebook.current(), today(), sort,
                            descending, search, everyone)
    due = service.due_items(db.get_session(), user(), rulebook.current(), today(),
                            everyone=everyone, refresh=not search)
    return render_template("caseload/dashboard.html", rows=rows, sort=sort, descending=descending,
                           search=search, everyone=everyone, due=due,
                           coverage_label=coverage_label,
                           status_labels={k: str(v) for k, v in STATUS_LABELS.items()},
                           new_form=ClientForm(), claim_form=ClaimForm())


@bp.get("/due")
def due():
    everyone = user().is_admin and request.args.get("scope") == "all"
    window = due_window()
    items = service.due_items(db.get_session(), user(), rulebook.current(), today(),
                              days=window, everyone=everyone)
    return render_template("caseload/due.html", items=items, everyone=everyone, window=window,
                           windows=service.DUE_WINDOWS)


@bp.post("/cases")
def create_case():
    form = ClientForm()
    if form.validate_on_submit():
        case = service.create_client_case(db.get_session(), user(), form.client_name.data)
        record("case.create", case)
        flash(_("Case created for %(name)s. Fill in the questionnaire with them next.",
                name=case.client_name))
        return redirect(url_for("caseload.case_page", public_id=case.public_id))
    return render_template("caseload/new.html", new_form=form, claim_form=ClaimForm()), 400


@bp.route("/cases/new", methods=["GET"])
def new_case():
    return render_template("caseload/new.html", new_form=ClientForm(), claim_form=ClaimForm())


@bp.post("/cases/claim")
@limiter.limit("20 per minute")
def claim_case():
    form = ClaimForm()
    if form.validate_on_submit():
        try:
            case = service.claim_case(db.get_session(), user(), form.link.data,
                                      form.client_name.data)
        except service.CaseloadError as exc:
            form[exc.field].errors.append(_(str(exc)))
        else:
            record("case.claim", case)
            flash(_("The family's case is now in your caseload. Their old link no longer works."))
            return redirect(url_for("caseload.case_page", public_id=case.public_id))
    return render_template("caseload/new.html", new_form=ClientForm(), claim_form=form), 400


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """The worker's time zone, for the times on caseload pages."""
    form = TimeZoneForm(data={"time_zone": user().time_zone or "UTC"})
    if request.method == "POST":
        form = TimeZoneForm()
        if form.validate_on_submit():
            accounts.set_time_zone(db.get_session(), user(), form.time_zone.data)
            flash(_("Times are now shown in %(zone)s.", zone=_(TIME_ZONES[form.time_zone.data])))
            return redirect(url_for("caseload.settings"))
        return render_template("caseload/settings.html", form=form), 400
    return render_template("caseload/settings.html", form=form)


# --- one client's case -------------------------------------------------------------------------

def _case_page(case: Case, status: int = 200, note_form: NoteForm | None = None,
               case_form: CaseForm | None = None, share_form: ShareForm | None = None,
               step_errors: dict | None = None, step_values: dict | None = None):
    dbs = db.get_session()
    plan, problems = service.current_plan(case, rulebook.current(),
                                         lang=current_language())
    case_form = case_form or CaseForm(data={"client_name": case.client_name,
                                            "status": case.status, "owner": case.owner_user_id})
    shared = service.shared_with(dbs, case)
    share_form = share_form or ShareForm()
    _member_choices(case_form, share_form, case, shared)
    return render_template(
        "caseload/case.html", case=case, plan=plan, problems=problems,
        progress=service.progress(dbs, case), notes=service.notes(dbs, case),
        history=service.history(dbs, case), changes=service.plan_changes(case),
        note_form=note_form or NoteForm(), case_form=case_form, share_form=share_form,
        shared=shared, can_manage=service.can_manage(user(), case),
        step_errors=step_errors or {}, step_values=step_values or {},
        state_labels=STEP_STATE_LABELS, status_labels=STATUS_LABELS,
        coverage_label=coverage_label, eligibility_word=eligibility_word,
        describe_event=describe_event, field_labels={k: f.label for k, f in FIELDS.items()},
        time_zone=_(TIME_ZONES.get(user().time_zone or "UTC", "UTC")), today=today(),
        owner_name=_owner_name(case), questionnaire_url=_questionnaire_url(case)), status


def _owner_name(case: Case) -> str:
    owner = db.get_session().get(User, case.owner_user_id) if case.owner_user_id else None
    return owner.name if owner is not None else _("a former member")


def _questionnaire_url(case: Case) -> str:
    """Where the client's questionnaire carries on: the first question not answered yet."""
    gap = questionnaire().first_unanswered(case.answers or {})
    if gap is None:
        return url_for("questionnaire.check", client_id=case.public_id)
    return url_for("questionnaire.question_page", page_id=gap.id, client_id=case.public_id)


def _member_choices(case_form: CaseForm, share_form: ShareForm, case: Case, shared) -> None:
    members = [m for m in accounts.members(db.get_session(), user().organisation_id) if m.active]
    case_form.owner.choices = [SelectChoice(m.id, m.name) for m in members]
    share_form.member.choices = [SelectChoice(m.id, m.name) for m in members
                                 if m.id != case.owner_user_id and m not in shared]


@bp.get("/cases/<public_id>")
def case_page(public_id: str):
    case = case_or_404(public_id)
    record("case.view", case)
    return _case_page(case)


@bp.post("/cases/<public_id>")
def update_case(public_id: str):
    case = case_or_404(public_id)
    form = CaseForm()
    _member_choices(form, ShareForm(formdata=None), case, [])
    if not service.can_manage(user(), case):
        form.owner.data = case.owner_user_id    # only the owner or an admin hands a case over
    if form.validate_on_submit():
        try:
            service.update_case(db.get_session(), user(), case, form.client_name.data,
                                form.status.data, form.owner.data)
        except service.CaseloadError as exc:
            form[exc.field].errors.append(_(str(exc)))
        else:
            record("case.update", case)
            if service.case_for_user(db.get_session(), user(), case.public_id) is None:
                flash(_("%(name)s is now in your colleague's caseload.", name=case.client_name))
                return redirect(url_for("caseload.dashboard"))
            flash(_("Case details saved."))
            return redirect(url_for("caseload.case_page", public_id=case.public_id))
    return _case_page(case, 400, case_form=form)


@bp.post("/cases/<public_id>/shares")
def share_case(public_id: str):
    case = case_or_404(public_id, manage=True)
    form = ShareForm()
    shared = service.shared_with(db.get_session(), case)
    _member_choices(CaseForm(formdata=None), form, case, shared)
    if form.validate_on_submit():
        try:
            member = service.share_case(db.get_session(), user(), case, form.member.data)
        except service.CaseloadError as exc:
            form[exc.field].errors.append(_(str(exc)))
        else:
            record("case.update", case)
            flash(_("%(name)s can now see and work on this case.", name=member.name))
            return redirect(url_for("caseload.case_page", public_id=case.public_id,
                                    _anchor="sharing"))
    return _case_page(case, 400, share_form=form)


@bp.post("/cases/<public_id>/shares/<int:user_id>/remove")
def unshare_case(public_id: str, user_id: int):
    case = case_or_404(public_id, manage=True)
    service.unshare_case(db.get_session(), user(), case, user_id)
    record("case.update", case)
    flash(_("The case is no longer shared with that colleague."))
    return redirect(url_for("caseload.case_page", public_id=case.public_id, _anchor="sharing"))


@bp.post("/cases/<public_id>/steps/<step_id>")
def mark_step(public_id: str, step_id: str):
    case = case_or_404(public_id)
    form = StepForm()
    plan, _problems = service.current_plan(case, rulebook.current(),
                                         lang=current_language())
    if plan is None:
        abort(404)
    error = None
    if not form.validate_on_submit():
        error = _("Date must be a real date written as YYYY-MM-DD, or left empty for today.") \
            if form.on_date.errors else _("Choose done, not applicable or not yet.")
    else:
        try:
            service.mark_step(db.get_session(), user(), case, plan, step_id,
                              form.state.data or "", form.on_date.data, today())
        except service.CaseloadError as exc:
            error = _(str(exc))
    if error:
        values = {"state": request.form.get("state", ""), "on_date": request.form.get("on_date", "")}
        return _case_page(case, 400, step_errors={step_id: error},
                          step_values={step_id: values})
    record("case.step", case)
    title = next(step.title for step in plan.steps if step.id == step_id)
    flash(_("“%(step)s” is marked %(state)s for %(name)s.", step=title, name=case.client_name,
            state=str(STEP_STATE_LABELS[form.state.data or ""]).lower()))
    if request.form.get("back") == "due":
        return redirect(url_for("caseload.due", days=due_window_from_form()))
    return redirect(url_for("caseload.case_page", public_id=case.public_id,
                            _anchor=f"step-{step_id}"))


def due_window_from_form() -> int | None:
    days = request.form.get("days", type=int)
    return days if days in service.DUE_WINDOWS and days != service.DUE_WINDOW_DAYS else None


@bp.post("/cases/<public_id>/notes")
def add_note(public_id: str):
    case = case_or_404(public_id)
    form = NoteForm()
    if form.validate_on_submit():
        service.add_note(db.get_session(), user(), case, form.body.data)
        record("case.note", case)
        flash(_("Note added."))
        return redirect(url_for("caseload.case_page", public_id=case.public_id, _anchor="notes"))
    return _case_page(case, 400, note_form=form)


@bp.post("/cases/<public_id>/reviewed")
def mark_reviewed(public_id: str):
    case = case_or_404(public_id)
    service.mark_reviewed(db.get_session(), user(), case)
    record("case.review", case)
    flash(_("Plan change marked as reviewed."))
    return redirect(url_for("caseload.case_page", public_id=case.public_id))


@bp.get("/cases/<public_id>/export.json")
def export_case(public_id: str):
    case = case_or_404(public_id)
    data = service.export(db.get_session(), case, rulebook.current(), today())
    record("case.export", case)
    response = jsonify(data)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="case-{case.public_id[:8]}-{today().isoformat()}.json"'
    return response


@bp.route("/cases/<public_id>/delete", methods=["GET", "POST"])
def delete_case(public_id: str):
    """The worker's own delete, with a confirmation page (the family's "Delete my answers" is
    never offered for a client)."""
    case = case_or_404(public_id, manage=True)
    if request.method == "GET":
        record("case.view", case)
        return render_template("caseload/delete.html", case=case)
    name = case.client_name
    service.delete_case(db.get_session(), case)
    record("case.delete", case)
    flash(_("The case of %(name)s is deleted, with its notes, progress and history.", name=name))
    return redirect(url_for("caseload.dashboard"))
