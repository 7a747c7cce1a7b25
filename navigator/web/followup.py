"""Follow-through pages: reminder sign-up (family and worker), the signed links in messages
(one-click unsubscribe, "did it work?"), and the call and evidence log of the session's case.
Thin routes over navigator.services.reminders and navigator.services.calls."""
from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
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
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from navigator import clock, db, i18n, rulebook
from navigator.extensions import csrf, current_language
from navigator.models import Case, Reminder, ReminderSubscription
from navigator.services import calls as call_log
from navigator.services import reminders
from navigator.web.session_case import case_route, client_id, current_case

bp = Blueprint("followup", __name__)
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


# --- links in messages, made outside any request ------------------------------------------------

class AppLinks:
    """Absolute links for reminder messages: PUBLIC_BASE_URL, else the site's own address
    (PREFERRED_URL_SCHEME://SERVER_NAME), else the development server."""

    def __init__(self, app: Flask):
        self.app = app
        self.secret = app.config["SECRET_KEY"]
        config = app.config
        server = config.get("SERVER_NAME")
        self.base = (config.get("PUBLIC_BASE_URL")
                     or (f"{config.get('PREFERRED_URL_SCHEME') or 'https'}://{server}" if server
                         else DEVELOPMENT_BASE_URL)).rstrip("/")

    def _url(self, endpoint: str, **values) -> str:
        with self.app.test_request_context("/"):
            return self.base + url_for(endpoint, **values)

    def plan(self, case: Case, for_worker: bool) -> str:
        if not for_worker:
            return self._url("plan.show")
        try:
            return self._url("caseload.case_page", public_id=case.public_id)
        except BuildError:          # the caseload's page names may move; its home stays
            return self._url("caseload.dashboard")

    def unsubscribe(self, subscription: ReminderSubscription) -> str:
        return self._url("followup.unsubscribe_link",
                         token=reminders.unsubscribe_token(self.secret, subscription.id))

    def step_done(self, reminder: Reminder) -> str:
        return self._url("followup.step_done_link",
                         token=reminders.step_done_token(self.secret, reminder.id))


# --- forms ----------------------------------------------------------------------------------------

ZONE_CHOICES = [SelectChoice("", _l("Choose your time zone"))] + [
    SelectChoice(zone, _l(label)) for zone, label in reminders.TIME_ZONES.items()]


class SubscribeForm(FlaskForm):
    first_name = StringField(_l("First name"), render_kw={"maxlength": 60,
                                                          "autocomplete": "given-name"},
                             description=_l("The only personal word a reminder holds."))
    channel = RadioField(_l("How should we remind you?"), default="email", validate_choice=False,
                         choices=[SelectChoice("email", _l("Email")),
                                  SelectChoice("text", _l("Text message (email when a text "
                                                          "cannot be sent)"))])
    email = EmailField(_l("Email address"), render_kw={"maxlength": 254,
                                                        "autocomplete": "email"},
                       validators=[Optional()])
    phone = TelField(_l("Mobile number (for text messages)"),
                     render_kw={"maxlength": 20, "autocomplete": "tel"},
                     validators=[Optional()])
    # The service checks the choices, so every wrong field is named in one go.
    time_zone = SelectField(_l("Time zone"), choices=ZONE_CHOICES, validate_choice=False,
                            description=_l("Reminders come at about 9 a.m. your time."))
    consent = BooleanField(_l("I agree to get reminders at this address. I can stop them "
                              "with one click in any message."))


class WorkerSubscribeForm(FlaskForm):
    time_zone = SelectField(_l("Time zone"), choices=ZONE_CHOICES, validate_choice=False,
                            description=_l("Reminders come at about 9 a.m. your time."))
    consent = BooleanField(_l("Email me reminders for the clients I own, at my sign-in "
                              "address. I can stop them with one click in any message."))


class CaseDatesForm(FlaskForm):
    pass


for _kind, _spec in reminders.CASE_DATE_KINDS.items():
    setattr(CaseDatesForm, _kind, DateField(_l(_spec.label), validators=[Optional()],
                                            description=_l("Optional; as on your notice.")))


class CallForm(FlaskForm):
    on_date = DateField(_l("Date of the call"), validators=[Optional()])
    spoke_with = StringField(_l("Who did you speak with?"), render_kw={"maxlength": 200},
                             description=_l("Their name, or what they said they were called."))
    organisation = StringField(_l("Where do they work?"), render_kw={"maxlength": 200},
                               description=_l("For example the plan, the supplier or the "
                                              "doctor's office."))
    reference = StringField(_l("Reference number"), render_kw={"maxlength": 80},
                            description=_l("The call or case reference they gave, if any."))
    what_was_said = TextAreaField(_l("What was said"), render_kw={"maxlength": 4000})
    next_step = TextAreaField(_l("Next step"), render_kw={"maxlength": 1000})
    attachments = TextAreaField(_l("Papers kept (one name a line)"),
                                render_kw={"maxlength": 2500},
                                description=_l("Only the names, such as “denial letter "
                                               "2026-11-02.pdf”; nothing is uploaded."))
    use_in_letters = BooleanField(_l("Quote this call in my appeal letters"), default=True)


def _add_errors(form: FlaskForm, problems: dict[str, str], name_the_field: bool = True) -> None:
    """Service messages onto their fields; `name_the_field` for messages that do not say which
    field they are about ("is required")."""
    for name, message in problems.items():
        field = form._fields.get(name)
        if field is not None:
            message = i18n.say(current_language(), message)
            text = f"{field.label.text}: {message}" if name_the_field else message
            field.errors = [*field.errors, text]


def _current_choices(active: list[ReminderSubscription]) -> dict:
    """The form filled in from the sign-up in force, if any."""
    if not active:
        return {}
    latest = active[-1]
    return {"first_name": latest.first_name, "channel": latest.channel,
            "email": latest.email or "", "phone": latest.phone or "",
            "time_zone": latest.time_zone}


def _require_case() -> Case:
    case = current_case()
    if case is None and client_id() is not None:
        abort(404)
    if case is None:
        flash(_("Answer the questions first: reminders and the call log belong to a plan."),
              "warning")
        abort(redirect(url_for("questionnaire.start")))
    return case


# --- reminder sign-up -------------------------------------------------------------------------

@case_route(bp, "/reminders", methods=["GET", "POST"])
def reminders_page():
    case = _require_case()
    dbs = db.get_session()
    form = SubscribeForm() if request.method == "POST" else SubscribeForm(
        data=_current_choices(reminders.active_subscriptions(dbs, case=case)))
    if request.method == "POST" and form.validate():
        try:
            reminders.subscribe(dbs, case=case, first_name=form.first_name.data or "",
                                email=form.email.data or "", phone=form.phone.data or "",
                                channel=form.channel.data or "email",
                                time_zone=form.time_zone.data or "",
                                consent=bool(form.consent.data))
        except reminders.SubscriptionErrors as exc:
            _add_errors(form, exc.problems, name_the_field=False)
        else:
            flash(_("Reminders are on. Each message has a link to stop them."), "success")
            return redirect(url_for("followup.reminders_page"))
    return _reminders_page(case, form, CaseDatesForm(data=reminders.case_dates(dbs, case)),
                           400 if request.method == "POST" else 200)


def _reminders_page(case: Case, form: FlaskForm, dates_form: FlaskForm, status: int):
    dbs = db.get_session()
    return render_template(
        "followup/reminders.html", form=form, dates_form=dates_form,
        active=reminders.active_subscriptions(dbs, case=case),
        sent=reminders.history(dbs, case), kinds=reminders.CASE_DATE_KINDS,
        zones=reminders.TIME_ZONES, case_name=case.client_name,
        retention_days=current_app.config["RETENTION_DAYS"],
        # The answers may say the current pump is under warranty, but never until when.
        in_warranty=(case.answers or {}).get("pump_warranty") == "in_warranty"), status


@case_route(bp, "/reminders/dates", methods=["POST"])
def save_dates():
    case = _require_case()
    form = CaseDatesForm()
    if not form.validate():
        return _reminders_page(case, SubscribeForm(formdata=None), form, 400)
    reminders.save_case_dates(db.get_session(), case,
                              {kind: form[kind].data for kind in reminders.CASE_DATE_KINDS})
    flash(_("Your dates are saved."), "success")
    return redirect(url_for("followup.reminders_page"))


@case_route(bp, "/reminders/stop", methods=["POST"])
def stop():
    case = _require_case()
    dbs = db.get_session()
    for subscription in reminders.active_subscriptions(dbs, case=case):
        reminders.unsubscribe(dbs, subscription.id)
    flash(_("Reminders are off. Nothing more will be sent."), "success")
    return redirect(url_for("followup.reminders_page"))


@bp.route("/reminders/worker", methods=["GET", "POST"])
@login_required
def worker_reminders():
    dbs = db.get_session()
    user = current_user._get_current_object()
    form = WorkerSubscribeForm() if request.method == "POST" else WorkerSubscribeForm(
        data=_current_choices(reminders.active_subscriptions(dbs, user=user)))
    if request.method == "POST" and form.validate():
        if request.form.get("action") == "stop":
            for subscription in reminders.active_subscriptions(dbs, user=user):
                reminders.unsubscribe(dbs, subscription.id)
            flash(_("Reminders are off. Nothing more will be sent."), "success")
            return redirect(url_for("followup.worker_reminders"))
        try:
            reminders.subscribe(dbs, user=user, first_name=_greeting_name(user.name),
                                email=user.email, time_zone=form.time_zone.data or "",
                                consent=bool(form.consent.data))
        except reminders.SubscriptionErrors as exc:
            _add_errors(form, exc.problems, name_the_field=False)
        else:
            flash(_("Reminders are on for your clients."), "success")
            return redirect(url_for("followup.worker_reminders"))
    status = 400 if request.method == "POST" else 200
    return render_template("followup/worker_reminders.html", form=form,
                           active=reminders.active_subscriptions(dbs, user=user),
                           zones=reminders.TIME_ZONES), status


def _greeting_name(full_name: str) -> str:
    """The worker's first name for "Hello ...", or "there" when it is not a plain name."""
    words = (full_name or "").split()
    return words[0] if words and reminders.NAME_PATTERN.match(words[0]) else "there"


# --- the signed links in messages ---------------------------------------------------------------

@bp.route("/r/stop/<token>", methods=["GET", "POST"])
@csrf.exempt    # the signed token is the permission; mail programs POST here (RFC 8058)
def unsubscribe_link(token: str):
    subscription_id = reminders.subscription_from_token(current_app.config["SECRET_KEY"], token)
    if subscription_id is None:
        return render_template("followup/link_invalid.html"), 404
    if request.method == "POST":
        if not reminders.unsubscribe(db.get_session(), subscription_id):
            return render_template("followup/link_invalid.html"), 404
        return render_template("followup/unsubscribed.html")
    return render_template("followup/unsubscribe.html", token=token)


@bp.route("/r/done/<token>", methods=["GET", "POST"])
@csrf.exempt    # the signed token is the permission
def step_done_link(token: str):
    found = reminders.step_from_token(db.get_session(), current_app.config["SECRET_KEY"], token)
    if found is None:
        return render_template("followup/link_invalid.html"), 404
    if request.method == "POST":
        case, step_id = found
        if not reminders.mark_step_done_by_link(db.get_session(), case, step_id,
                                                rulebook.current(),
                                                clock.plan_date(case, rulebook.current())):
            return render_template("followup/link_invalid.html"), 404
        return render_template("followup/step_done.html", done=True)
    return render_template("followup/step_done.html", done=False, token=token)


# --- the call and evidence log ------------------------------------------------------------------

@case_route(bp, "/calls", methods=["GET", "POST"])
def calls():
    case = _require_case()
    dbs = db.get_session()
    today = clock.plan_date(case, rulebook.current())        # the person's local date
    form = CallForm() if request.method == "POST" else CallForm(data={"on_date": today})
    if request.method == "POST" and form.validate():
        raw = {name: form[name].data for name in call_log.LIMITS}
        raw["on_date"] = form.on_date.data.isoformat() if form.on_date.data else ""
        raw["attachments"] = call_log.attachment_names(form.attachments.data or "")
        raw["use_in_letters"] = form.use_in_letters.data
        user_id = current_user.id if current_user.is_authenticated else None
        try:
            call_log.add_entry(dbs, case, raw, today, user_id)
        except call_log.CallLogError as exc:
            _add_errors(form, exc.problems)
        else:
            flash(_("The call is in your log."), "success")
            return redirect(url_for("followup.calls"))
    status = 400 if request.method == "POST" else 200
    return render_template("followup/calls.html", form=form, case_name=case.client_name,
                           entries=call_log.entries(dbs, case.id)), status


@case_route(bp, "/calls/<int:entry_id>/delete", methods=["POST"])
def delete_call(entry_id: int):
    case = _require_case()
    if not call_log.delete_entry(db.get_session(), case, entry_id):
        abort(404)
    flash(_("The entry is deleted."), "success")
    return redirect(url_for("followup.calls"))
