"""The caseload for workers: dashboard, due list, client case pages, hand-over of a family's
case, calendar feed, members and the audit log. Thin routes over navigator.services.caseload.

Every case URL loads the case through `_case_or_404`, which answers 404 for any case outside
the worker's organisation, existing or not. Every view, change, download and delete of a case
is written to the audit log.
"""
from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from navigator import db, rulebook
from navigator.engine.answers import FIELDS
from navigator.extensions import limiter
from navigator.models import CASE_STATUSES, Case
from navigator.services import accounts, audit
from navigator.services import caseload as service
from navigator.services.feed import worker_calendar
from navigator.web.session_case import CASE_KEY, case_for_request
from navigator.web.validators import NoControlCharacters, without_control_characters

bp = Blueprint("caseload", __name__, url_prefix="/caseload")
# Pages of the family-facing areas a worker opens for a client, by the case in the session.
OPEN_TARGETS = {
    "questionnaire": "questionnaire.start",
    "answers": "questionnaire.check",
    "plan": "plan.show",
    "plan_pdf": "plan.pdf",
    "letters": "letters.index",
    "letter_details": "letters.details",
    "calls": "followup.calls",
    "reminders": "followup.reminders_page",
}
OPEN_AUDIT = {"plan_pdf": "case.pdf", "letters": "case.letters",
              "letter_details": "case.letters"}
STATUS_LABELS = {"active": _l("Active"), "waiting": _l("Waiting"), "closed": _l("Closed")}
STEP_STATE_LABELS = {"done": _l("Done"), "not_applicable": _l("Not applicable"),
                     "": _l("Not yet")}


def days_phrasebook():
    """days_phrase(n): "5 days left", "today" or "3 days ago", each number translated once per
    page (a caseload page can show a thousand of them)."""
    from flask_babel import ngettext
    cache: dict[int, str] = {}

    def days_phrase(days: int) -> str:
        if days not in cache:
            if days < 0:
                cache[days] = ngettext("%(num)d day ago", "%(num)d days ago", -days)
            elif days == 0:
                cache[days] = _("today")
            else:
                cache[days] = ngettext("%(num)d day left", "%(num)d days left", days)
        return cache[days]
    return days_phrase


@bp.context_processor
def _phrases() -> dict:
    return {"days_phrase": days_phrasebook()}


def coverage_label(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def eligibility_word(value) -> str:
    if value is True:
        return _("likely eligible")
    if value == "maybe":
        return _("maybe eligible")
    if value is False:
        return _("not eligible")
    return _("not in the plan")


def describe_event(event, who: str) -> str:
    """One line of a case's history, in words."""
    who = who or (_("the rules update") if event.kind == "plan_changed" else _("a former member"))
    detail = event.detail or {}
    words = {
        "created": lambda: _("%(who)s created the case", who=who),
        "claimed": lambda: _("%(who)s took over the family's case", who=who),
        "renamed": lambda: _("%(who)s changed the client's name", who=who),
        "status_changed": lambda: _("%(who)s changed the status to %(status)s", who=who,
                                    status=STATUS_LABELS.get(detail.get("new"), "")),
        "owner_changed": lambda: _("%(who)s handed the case to %(to)s", who=who,
                                   to=detail.get("to", "")),
        "step": lambda: _("%(who)s marked “%(step)s” %(state)s", who=who, step=detail.get("step", ""),
                          state=STEP_STATE_LABELS.get(detail.get("state"), _("Not yet")).lower()),
        "note": lambda: _("%(who)s added a note", who=who),
        "plan_changed": lambda: _("The plan changed with rules version %(version)s",
                                  version=detail.get("to_version", "")),
        "reviewed": lambda: _("%(who)s reviewed the plan change", who=who),
    }
    return words.get(event.kind, lambda: event.kind)()


# --- forms -------------------------------------------------------------------------------------

class ClientForm(FlaskForm):
    client_name = StringField(_l("Client's name"), validators=[
        DataRequired(_l("Enter the client's name.")),
        Length(max=200, message=_l("Enter at most 200 characters.")), NoControlCharacters()],
        render_kw={"maxlength": 200, "autocomplete": "off"})


class ClaimForm(ClientForm):
    link = StringField(_l("The family's resume link"), description=_l(
        "Paste the whole private link the family saved (it ends in a long code), or just the code."),
        validators=[DataRequired(_l("Paste the family's resume link.")),
                    Length(max=300, message=_l("Paste at most 300 characters: the link only.")),
                    NoControlCharacters()],
        render_kw={"maxlength": 300, "autocomplete": "off", "spellcheck": "false"})


class CaseForm(ClientForm):
    status = SelectField(_l("Status"), choices=[SelectChoice(s, STATUS_LABELS[s]) for s in CASE_STATUSES])
    owner = SelectField(_l("Worker"), coerce=int, validators=[Optional()])


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Add a note"), validators=[
        DataRequired(_l("Write the note before saving it.")),
        Length(max=service.MAX_NOTE_LENGTH, message=_l("Write at most 5,000 characters.")),
        NoControlCharacters(multiline=True)],
        render_kw={"maxlength": service.MAX_NOTE_LENGTH, "rows": 4})


class StepForm(FlaskForm):
    state = RadioField(_l("Progress"), default="", validators=[Optional()], choices=[
        SelectChoice(value, label) for value, label in STEP_STATE_LABELS.items()])
    on_date = DateField(_l("Date"), validators=[Optional()],
                        description=_l("Leave empty for today."))


class MemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the member's name.")),
                                               Length(max=200, message=_l("Enter at most 200 characters.")),
                                               NoControlCharacters()],
                       render_kw={"maxlength": 200})
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Enter an email address.")),
        Length(max=254, message=_l("Enter an email address of at most 254 characters.")),
        NoControlCharacters()],
                       render_kw={"maxlength": 254})
    role = RadioField(_l("Role"), default="member", choices=[
        SelectChoice("member", _l("Member: works with their own clients")),
        SelectChoice("admin", _l("Admin: sees every client, adds members, reads the audit log"))])
    password = PasswordField(_l("Password (optional)"), description=_l(
        "Leave empty to get an invitation link the member opens to choose a password. "
        "Or give a password of at least 12 characters to tell them yourself."),
        validators=[Optional()], render_kw={"autocomplete": "new-password", "maxlength": 256})


# --- helpers -----------------------------------------------------------------------------------

def _user():
    return current_user._get_current_object()


def _case_or_404(public_id: str) -> Case:
    case = service.case_for_user(db.get_session(), _user(), public_id)
    if case is None:
        abort(404)
    return case


def _audit(action: str, case: Case | None = None) -> None:
    audit.record(db.get_session(), _user(), action, case.public_id if case else None)


def _require_admin() -> None:
    if not _user().is_admin:
        abort(404)


def _today() -> date:
    return date.today()


@bp.before_request
@login_required
def _signed_in():
    """Every caseload page needs a signed-in worker (the calendar feed has its own secret)."""


# --- the caseload ------------------------------------------------------------------------------

@bp.get("/")
def dashboard():
    sort = request.args.get("sort", "deadline")
    descending = request.args.get("dir") == "desc"
    search = without_control_characters(request.args.get("q", "")[:200])
    everyone = _user().is_admin and request.args.get("scope") == "all"
    rows = service.caseload(db.get_session(), _user(), rulebook.current(), _today(), sort,
                            descending, search, everyone)
    due = service.due_items(db.get_session(), _user(), rulebook.current(), _today(),
                            everyone=everyone, refresh=not search)
    return render_template("caseload/dashboard.html", rows=rows, sort=sort, descending=descending,
                           search=search, everyone=everyone, due=due,
                           coverage_label=coverage_label,
                           status_labels={k: str(v) for k, v in STATUS_LABELS.items()},
                           new_form=ClientForm(), claim_form=ClaimForm())


@bp.get("/due")
def due():
    everyone = _user().is_admin and request.args.get("scope") == "all"
    items = service.due_items(db.get_session(), _user(), rulebook.current(), _today(),
                              everyone=everyone)
    return render_template("caseload/due.html", items=items, everyone=everyone,
                           window=service.DUE_WINDOW_DAYS)


@bp.post("/cases")
def create_case():
    form = ClientForm()
    if form.validate_on_submit():
        case = service.create_client_case(db.get_session(), _user(), form.client_name.data)
        _audit("case.create", case)
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
            case = service.claim_case(db.get_session(), _user(), form.link.data,
                                      form.client_name.data)
        except service.CaseloadError as exc:
            form[exc.field].errors.append(_(str(exc)))
        else:
            _audit("case.claim", case)
            flash(_("The family's case is now in your caseload. Their old link no longer works."))
            return redirect(url_for("caseload.case_page", public_id=case.public_id))
    return render_template("caseload/new.html", new_form=ClientForm(), claim_form=form), 400


# --- one client's case -------------------------------------------------------------------------

def _case_page(case: Case, status: int = 200, note_form: NoteForm | None = None,
               case_form: CaseForm | None = None, step_errors: dict | None = None,
               step_values: dict | None = None):
    dbs = db.get_session()
    book = rulebook.current()
    plan, problems = service.current_plan(case, book, _today())
    case_form = case_form or CaseForm(data={"client_name": case.client_name,
                                            "status": case.status, "owner": case.owner_user_id})
    _owner_choices(case_form)
    return render_template(
        "caseload/case.html", case=case, plan=plan, problems=problems,
        progress=service.progress(dbs, case), notes=service.notes(dbs, case),
        history=service.history(dbs, case), changes=service.plan_changes(case),
        note_form=note_form or NoteForm(), case_form=case_form,
        step_errors=step_errors or {}, step_values=step_values or {},
        state_labels=STEP_STATE_LABELS, status_labels=STATUS_LABELS,
        coverage_label=coverage_label, eligibility_word=eligibility_word,
        describe_event=describe_event, field_labels={k: f.label for k, f in FIELDS.items()},
        open_targets=[t for t, e in OPEN_TARGETS.items() if e in current_app.view_functions],
        today=_today()), status


def _owner_choices(form: CaseForm) -> None:
    members = accounts.members(db.get_session(), _user().organisation_id)
    form.owner.choices = [SelectChoice(m.id, m.name) for m in members if m.active]


@bp.get("/cases/<public_id>")
def case_page(public_id: str):
    case = _case_or_404(public_id)
    _audit("case.view", case)
    return _case_page(case)


@bp.post("/cases/<public_id>")
def update_case(public_id: str):
    case = _case_or_404(public_id)
    form = CaseForm()
    _owner_choices(form)
    if not _user().is_admin:
        form.owner.data = case.owner_user_id    # only admins hand a case to a colleague
    if form.validate_on_submit():
        try:
            service.update_case(db.get_session(), _user(), case, form.client_name.data,
                                form.status.data, form.owner.data)
        except service.CaseloadError as exc:
            form[exc.field if exc.field != "client_name" else "client_name"].errors.append(_(str(exc)))
        else:
            _audit("case.update", case)
            flash(_("Case details saved."))
            return redirect(url_for("caseload.case_page", public_id=case.public_id))
    return _case_page(case, 400, case_form=form)


@bp.post("/cases/<public_id>/steps/<step_id>")
def mark_step(public_id: str, step_id: str):
    case = _case_or_404(public_id)
    form = StepForm()
    plan, _problems = service.current_plan(case, rulebook.current(), _today())
    if plan is None:
        abort(404)
    error = None
    if not form.validate_on_submit():
        error = _("Date must be a real date written as YYYY-MM-DD, or left empty for today.") \
            if form.on_date.errors else _("Choose done, not applicable or not yet.")
    else:
        try:
            service.mark_step(db.get_session(), _user(), case, plan, step_id,
                              form.state.data or "", form.on_date.data, _today())
        except service.CaseloadError as exc:
            error = _(str(exc))
    if error:
        values = {"state": request.form.get("state", ""), "on_date": request.form.get("on_date", "")}
        return _case_page(case, 400, step_errors={step_id: error},
                          step_values={step_id: values})
    _audit("case.step", case)
    return redirect(url_for("caseload.case_page", public_id=case.public_id,
                            _anchor=f"step-{step_id}"))


@bp.post("/cases/<public_id>/notes")
def add_note(public_id: str):
    case = _case_or_404(public_id)
    form = NoteForm()
    if form.validate_on_submit():
        service.add_note(db.get_session(), _user(), case, form.body.data)
        _audit("case.note", case)
        flash(_("Note added."))
        return redirect(url_for("caseload.case_page", public_id=case.public_id, _anchor="notes"))
    return _case_page(case, 400, note_form=form)


@bp.post("/cases/<public_id>/reviewed")
def mark_reviewed(public_id: str):
    case = _case_or_404(public_id)
    service.mark_reviewed(db.get_session(), _user(), case)
    _audit("case.review", case)
    flash(_("Plan change marked as reviewed."))
    return redirect(url_for("caseload.case_page", public_id=case.public_id))


@bp.post("/cases/<public_id>/open/<target>")
def open_case(public_id: str, target: str):
    """Open the family-facing questionnaire, plan or letters pages for this client."""
    case = _case_or_404(public_id)
    endpoint = OPEN_TARGETS.get(target)
    if endpoint is None or endpoint not in current_app.view_functions:
        abort(404)
    session[CASE_KEY] = case.public_id
    _audit(OPEN_AUDIT.get(target, "case.questionnaire" if "questionnaire" in endpoint
                          else "case.view"), case)
    return redirect(url_for(endpoint))


@bp.get("/cases/<public_id>/export.json")
def export_case(public_id: str):
    case = _case_or_404(public_id)
    data = service.export(db.get_session(), case, rulebook.current(), _today())
    _audit("case.export", case)
    response = jsonify(data)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="case-{case.public_id[:8]}-{_today().isoformat()}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cases/<public_id>/delete", methods=["GET", "POST"])
def delete_case(public_id: str):
    case = _case_or_404(public_id)
    if request.method == "GET":
        _audit("case.view", case)
        return render_template("caseload/delete.html", case=case)
    name = case.client_name
    service.delete_case(db.get_session(), case)
    _audit("case.delete", case)
    if session.get(CASE_KEY) == public_id:
        session.pop(CASE_KEY)
    flash(_("The case of %(name)s is deleted, with its notes, progress and history.", name=name))
    return redirect(url_for("caseload.dashboard"))


# --- calendar feed -----------------------------------------------------------------------------

@bp.get("/feed")
def feed_settings():
    return render_template("caseload/feed.html", has_feed=bool(_user().feed_token_hash),
                           feed_url=None)


@bp.post("/feed")
def issue_feed():
    token = accounts.issue_feed_token(db.get_session(), _user())
    audit.record(db.get_session(), _user(), "feed.issue")
    url = url_for("feed.calendar", token=token, _external=True)
    response = Response(render_template("caseload/feed.html", has_feed=True, feed_url=url))
    response.headers["Cache-Control"] = "no-store"   # the secret link is shown once
    return response


@bp.post("/feed/revoke")
def revoke_feed():
    accounts.revoke_feed_token(db.get_session(), _user())
    audit.record(db.get_session(), _user(), "feed.revoke")
    flash(_("The calendar feed is turned off. Calendars using the old link stop updating."))
    return redirect(url_for("caseload.feed_settings"))


# The feed is read by calendar apps, which cannot sign in: a blueprint without login.
feed_bp = Blueprint("feed", __name__, url_prefix="/feeds")


@feed_bp.get("/<token>.ics")
@limiter.limit("60 per minute")
def calendar(token: str):
    dbs = db.get_session()
    user = accounts.find_by_feed_token(dbs, token)
    if user is None:
        abort(404)
    items = service.due_items(dbs, user, rulebook.current(), _today(), days=365)
    audit.record(dbs, user, "feed.read")
    body = worker_calendar(items, lambda pid: url_for("caseload.case_page", public_id=pid,
                                                      _external=True))
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "no-store"})


# --- members and the audit log (admins) ---------------------------------------------------------

@bp.route("/members", methods=["GET", "POST"])
def members():
    _require_admin()
    form = MemberForm()
    invite_link = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            invite_link = _add_member(form)
            if invite_link is not None or not form.errors:
                status = 200
                form = MemberForm(formdata=None)
    response = Response(render_template(
        "caseload/members.html", form=form, invite_link=invite_link,
        members=accounts.members(db.get_session(), _user().organisation_id)), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _add_member(form: MemberForm) -> str | None:
    """The invitation link for a member without a password; None when a password was given."""
    dbs = db.get_session()
    try:
        if form.password.data:
            user = accounts.create_member(dbs, _user(), form.email.data, form.name.data,
                                          form.role.data, form.password.data)
            flash(_("%(name)s can now sign in with the password you chose.", name=user.name))
            link = None
        else:
            invitation = accounts.invite_member(dbs, _user(), form.email.data, form.name.data,
                                                form.role.data)
            link = url_for("auth.accept_invite", token=invitation.token, _external=True)
    except accounts.AccountError as exc:
        form[exc.field].errors.append(_(str(exc)))
        return None
    audit.record(dbs, _user(), "member.create")
    return link


@bp.post("/members/<int:user_id>/active")
def set_member_active(user_id: int):
    _require_admin()
    dbs = db.get_session()
    member = accounts.member(dbs, _user().organisation_id, user_id)
    if member is None:
        abort(404)
    try:
        accounts.set_active(dbs, _user(), member, request.form.get("active") == "1")
    except accounts.AccountError as exc:
        flash(_(str(exc)), "error")
    else:
        audit.record(dbs, _user(), "member.update")
    return redirect(url_for("caseload.members"))


@bp.get("/audit")
def audit_log():
    _require_admin()
    # Clamped: a huge page number would overflow the database's OFFSET.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    case_id = without_control_characters(request.args.get("case", "")[:32]) or None
    rows, total = audit.entries(db.get_session(), _user().organisation_id, page, case_id)
    pages = max((total + audit.PAGE_SIZE - 1) // audit.PAGE_SIZE, 1)
    return render_template("caseload/audit.html", rows=rows, page=page, pages=pages,
                           total=total, case_id=case_id)


# --- the family-facing pages, when a worker uses them for a client -------------------------------

CASE_BLUEPRINTS = ("questionnaire", "plan", "letters", "followup")
DOWNLOAD_WORDS = ("pdf", "packet", "calendar")


def guard_session_case():
    """An organisation's case in the session is only for its organisation's signed-in workers:
    anyone else loses it from the session (the page then acts as if there were no case).
    Workers' use of those pages is written to the audit log."""
    if request.blueprint not in CASE_BLUEPRINTS:
        return
    case = case_for_request()
    if case is None or case.organisation_id is None:
        return
    user = current_user if current_user.is_authenticated else None
    if user is None or user.organisation_id != case.organisation_id:
        session.pop(CASE_KEY, None)
        return
    audit.record(db.get_session(), _user(), _page_action(), case.public_id)


def _page_action() -> str:
    endpoint = request.endpoint or ""
    if any(word in endpoint for word in DOWNLOAD_WORDS):
        return "case.pdf" if "calendar" not in endpoint else "case.export"
    if endpoint.endswith(".delete") and request.method == "POST":
        return "case.delete"
    return "case.update" if request.method == "POST" else "case.view"


@bp.record_once
def _install_guard(state) -> None:
    state.app.before_request(guard_session_case)
