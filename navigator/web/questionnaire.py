"""Question pages, check your answers, save and resume, delete: thin routes over the
questionnaire data (navigator.questionnaire) and the cases service."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import EmailField
from wtforms.validators import DataRequired, Length, Regexp

from navigator import clock, db, rulebook
from navigator.engine import evaluate, validate_answers
from navigator.extensions import limiter
from navigator.models import Case
from navigator.questionnaire import Page, Questionnaire, load_questionnaire
from navigator.questionnaire.forms import PREFER_NOT_SUFFIX, build_form, form_answers
from navigator.questionnaire.forms import data_text as forms_data_text
from navigator.services import calls as call_log
from navigator.services import cases, reminders
from navigator.services.messaging import Mailer, SendError
from navigator.web import sealed
from navigator.web.security_events import reshow_when_token_stale
from navigator.web.session_case import (
    CASE_KEY,
    case_route,
    case_to_read,
    client_id,
    current_case,
)

bp = Blueprint("questionnaire", __name__)
LINK_KEY = "resume_link"    # [case public id, the private link just made], this browser only


class EmailLinkForm(FlaskForm):
    email = EmailField(_l("Your email address"), render_kw={"maxlength": 254,
                                                            "autocomplete": "email"},
                       validators=[DataRequired(_l("Enter your email address")),
                                   Length(max=254, message=_l("Email address must be at most "
                                                              "254 characters")),
                                   Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                          message=_l("Enter an email address like "
                                                     "name@example.com"))])
PENDING_KEY = "pending_pages"  # pages submitted while the database was down, not yet saved
SWITCH_KEY = "resume_switch"   # the case a resume link opens, while the person decides
MAX_PENDING_PAGES = 20         # the session cookie must stay small


@bp.record_once
def _load_questions(state) -> None:
    # Loaded with the app: a broken questions file stops the start with the problems named.
    path = Path(state.app.config["RULES_DIR"]) / "questions.yaml"
    pumps = state.app.extensions["rulebook"].pump_names
    state.app.extensions["questionnaire"] = load_questionnaire(path, pumps)


@bp.app_template_global("data_text")
def data_text(text: str) -> str:
    """Text from the rule files (questions, hints, option labels) in the page's language: the
    rules' catalogue (the `rules` domain), else the app's own. It may hold a literal "%"."""
    return forms_data_text(text)


def questionnaire() -> Questionnaire:
    return current_app.extensions["questionnaire"]


def page_url(page: Page | None, change: bool = False) -> str:
    if page is None:
        return url_for("questionnaire.check")
    return url_for("questionnaire.question_page", page_id=page.id, change=1 if change else None)


def resume_target(answers: dict) -> str:
    """Where someone with these answers carries on: the first gap, else the summary."""
    return page_url(questionnaire().first_unanswered(answers))


@case_route(bp, "/start", methods=["GET"])
def start():
    return redirect(page_url(questionnaire().pages[0]))


@case_route(bp, "/questions/<page_id>", methods=["GET", "POST"])
def question_page(page_id: str):
    flow = questionnaire()
    page = flow.page(page_id) or abort(404)
    case = current_case()
    if case is None and client_id() is not None:
        abort(404)
    answers = dict(case.answers) if case else {}
    change = request.args.get("change") == "1"
    if not page.is_shown(answers):
        return redirect(page_url(flow.next_page(page, answers), change))
    gap = flow.first_unanswered(answers)
    if gap is not None and gap.number < page.number:
        return redirect(page_url(gap, change))
    as_of = _answered_on(case)
    form = build_form(page, answers, as_of,
                      formdata=request.form if request.method == "POST" else None)
    if request.method == "POST" and form.validate():
        merged = flow.prune({**answers, **form_answers(form)})
        _store(case, merged, as_of)
        return redirect(_after(page, merged, change))
    back = url_for("questionnaire.check") if change else _back_url(flow, page, answers)
    return render_template("questionnaire/page.html", page=page, form=form, back_url=back,
                           topic_count=len(flow.topics), errors=_error_links(form),
                           prefer_not_suffix=PREFER_NOT_SUFFIX, has_case=case is not None)


STALE_TOKEN_NOTICE = _l("You were away for a while, so this page was not saved yet. What you "
                        "typed is still here: check it and press Continue.")


@reshow_when_token_stale("questionnaire.question_page")
def reshow_typed_page():
    """A question page submitted after its security token expired: the same page with what was
    typed (nothing saved, no errors) and a plain message; Continue then saves it."""
    page = questionnaire().page((request.view_args or {}).get("page_id", ""))
    if page is None:
        return None
    case = current_case()
    answers = dict(case.answers) if case else {}
    form = build_form(page, answers, _answered_on(case), formdata=request.form)
    change = request.args.get("change") == "1"
    back = url_for("questionnaire.check") if change else _back_url(questionnaire(), page, answers)
    return render_template("questionnaire/page.html", page=page, form=form, back_url=back,
                           topic_count=len(questionnaire().topics), errors=[],
                           prefer_not_suffix=PREFER_NOT_SUFFIX, has_case=case is not None,
                           stale_notice=STALE_TOKEN_NOTICE), 400


def _answered_on(case: Case | None) -> date:
    """The person's local date, which typed dates may not be after (navigator.clock)."""
    book = rulebook.current()
    return clock.plan_date(case, book) if case is not None else clock.today_for({}, book)


def _store(case: Case | None, answers: dict, as_of: date) -> None:
    if case is None:
        case = cases.create_case(db.get_session())
        session[CASE_KEY] = case.public_id
    cases.save_answers(db.get_session(), case, answers, as_of)


def _apply(page: Page, formdata, case: Case | None) -> dict | None:
    """Validate a submitted page against the case's answers and save it: the merged answers,
    or None (nothing saved) when the page has errors."""
    answers = dict(case.answers) if case else {}
    as_of = _answered_on(case)
    form = build_form(page, answers, as_of, formdata=formdata, csrf=False)
    if not form.validate():
        return None
    merged = questionnaire().prune({**answers, **form_answers(form)})
    _store(case, merged, as_of)
    return merged


def keep_submitted_page() -> None:
    """Called when the database is unreachable: a question page being submitted is kept in
    the session, so no answer is lost; save_pending_answers stores it once the database is
    back. Only a submission that passed the CSRF check is kept."""
    if request.endpoint != "questionnaire.question_page" or request.method != "POST":
        return
    if current_app.config.get("WTF_CSRF_ENABLED") and not g.get("csrf_valid"):
        return
    submitted = [(key, value) for key, value in request.form.items(multi=True)
                 if key != "csrf_token"]
    pages = pending_pages()
    session[PENDING_KEY] = sealed.seal([*pages, {"page": request.view_args["page_id"],
                                                 "form": submitted,
                                                 "client": client_id()}][-MAX_PENDING_PAGES:])


def pending_pages() -> list:
    """The pages kept in the session while the database was down. They are encrypted there:
    the cookie is only signed, and these are answers such as income (review L12)."""
    value = sealed.unseal(session.get(PENDING_KEY))
    return value if isinstance(value, list) else []


def save_pending_answers() -> None:
    """Pages submitted while the database was down are saved, in order, before anything else
    happens; if it is still down the 503 page shows again and they stay pending."""
    if PENDING_KEY not in session or request.endpoint == "static":
        return
    dropped = 0
    for pending in pending_pages():
        page = questionnaire().page(pending.get("page", ""))
        case = _pending_case(pending.get("client"))
        if page is None or case is False or \
                _apply(page, MultiDict(pending.get("form", [])), case) is None:
            dropped += 1     # no longer fits the answers (or the questions changed): asked again
    session.pop(PENDING_KEY, None)
    if dropped:
        current_app.logger.warning("%d pending page(s) dropped: no longer valid", dropped)


def _pending_case(client: str | None) -> Case | None | bool:
    """The case a kept page was for: the session's own (None: a new one), a client the signed-in
    worker still reaches, or False when it may not be written any more. An organisation's case
    is written by its own workers only, even through pages kept while the database was down
    (review L7: a resume link to it opened by an outsider)."""
    if not client:
        family = session.get(CASE_KEY)
        case = cases.get_case(db.get_session(), family) if family else None
        return False if case is not None and case.organisation_id is not None else case
    from navigator.services import caseload
    if not current_user.is_authenticated:
        return False
    case = caseload.case_for_user(db.get_session(), current_user._get_current_object(), client)
    return case if case is not None else False


@bp.record_once
def _keep_pages_when_the_database_is_down(state) -> None:
    state.app.extensions.setdefault("on_database_unavailable", []).append(keep_submitted_page)


def _after(page: Page, answers: dict, change: bool) -> str:
    flow = questionnaire()
    if change:
        # A changed answer may open a question not yet answered; ask it, then summarise.
        return page_url(flow.first_unanswered(answers), change=True)
    return page_url(flow.next_page(page, answers))


def _back_url(flow: Questionnaire, page: Page, answers: dict) -> str:
    previous = flow.previous_page(page, answers)
    if previous:
        return page_url(previous)
    if client_id():
        return url_for("caseload.case_page", public_id=client_id())
    return url_for("main.home")


def _error_links(form) -> list[tuple[str, str]]:
    """(anchor id, message) for the error summary; radios link to their first option."""
    links = []
    for question in form.questions:
        field = getattr(form, question.field)
        anchor = f"{field.id}-0" if question.widget == "radios" else field.id
        links.extend((anchor, message) for message in field.errors)
    return links


@case_route(bp, "/check", methods=["GET"])
@db.reads_only
def check():
    case = case_to_read()
    if case is None:
        return redirect(url_for("questionnaire.start"))
    flow = questionnaire()
    gap = flow.first_unanswered(case.answers)
    if gap is not None:
        return redirect(page_url(gap))
    rows = flow.answered_questions(case.answers)
    return render_template("questionnaire/check.html", rows=rows, answers=case.answers)


@bp.route("/save", methods=["GET", "POST"])
def save():
    case = current_case()
    if case is None:
        return redirect(url_for("questionnaire.start"))
    if case.organisation_id is not None:
        abort(404)       # never reached: an organisation's case is not a session's case
    if request.method == "GET":
        return render_template("questionnaire/save.html")
    token = cases.issue_resume_token(db.get_session(), case)
    # Kept for this browser only, sealed in the session cookie, so that reloading the page shows
    # the same link instead of making a new one and breaking the link just copied.
    session[LINK_KEY] = sealed.seal([case.public_id, url_for("questionnaire.resume",
                                                             token=token, _external=True)])
    return redirect(url_for("questionnaire.saved"))


@bp.route("/save/link", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def saved():
    """The private link just made, to copy or to email to oneself."""
    case = current_case()
    kept = sealed.unseal(session.get(LINK_KEY))
    if case is None or not kept or kept[0] != case.public_id:
        return redirect(url_for("questionnaire.save"))
    link = kept[1]
    form = EmailLinkForm()
    mail_url = current_app.config.get("MAIL_URL")
    sent_to = None
    if request.method == "POST" and mail_url and form.validate():
        try:
            Mailer(mail_url, current_app.config["MAIL_FROM"]).send_one_off(
                form.email.data, _("Your private link to your pump access plan"),
                render_template("questionnaire/link_email.txt", link=link))
            sent_to = form.email.data
        except SendError:
            form.email.errors = [_("The email could not be sent just now. Copy the link "
                                   "instead, or try again in a few minutes.")]
    response = make_response(render_template(
        "questionnaire/saved.html", link=link, form=form, can_email=bool(mail_url),
        sent_to=sent_to), 400 if form.errors else 200)
    response.headers["Cache-Control"] = "no-store"   # the link is never kept by a cache
    return response


@bp.get("/resume/<path:token>")   # path: even a "token" with a slash gets the same page
@limiter.limit(lambda: current_app.config["RESUME_RATE_LIMIT"])
def resume(token: str):
    case = cases.find_by_token(db.get_session(), token)
    if case is None:
        return render_template("questionnaire/resume_invalid.html"), 404
    held = current_case()
    if held is not None and held.public_id != case.public_id and held.answers:
        # Never swap silently: the person's own answers in progress would drop out of sight,
        # and a link sent by someone else would capture what they type next.
        session[SWITCH_KEY] = case.public_id
        return redirect(url_for("questionnaire.resume_switch"))
    session[CASE_KEY] = case.public_id
    # Redirect so the token does not stay in the address bar or the history.
    return redirect(resume_target(case.answers))


@bp.route("/resume-switch", methods=["GET", "POST"])
def resume_switch():
    """Asked when a resume link would replace answers in progress for another case."""
    held = current_case()
    wanted = session.get(SWITCH_KEY)
    other = cases.get_case(db.get_session(), wanted) if wanted else None
    if other is None or other.organisation_id is not None:
        session.pop(SWITCH_KEY, None)
        return redirect(resume_target(held.answers) if held else url_for("questionnaire.start"))
    if request.method == "GET":
        return render_template("questionnaire/resume_switch.html", held=held, other=other)
    session.pop(SWITCH_KEY, None)
    if request.form.get("choice") == "switch" or held is None:
        session[CASE_KEY] = other.public_id
        return redirect(resume_target(other.answers))
    return redirect(resume_target(held.answers))


@bp.get("/export.json")
def export():
    """Everything held about this session's case, as a file to keep."""
    case = current_case()
    if case is None:
        return redirect(url_for("questionnaire.start"))
    as_of = clock.plan_date(case, rulebook.current())
    answers, errors = validate_answers(case.answers, as_of, rulebook.current())
    plan = None if errors else evaluate(answers, as_of, rulebook.current()).model_dump(mode="json")
    held = cases.export(case, plan)
    # The follow-through records too: the call log, reminder sign-ups and the dates given.
    held["call_log"] = call_log.export(db.get_session(), case.id)
    held["reminders"] = list(reminders.subscriptions_for_export(db.get_session(), case))
    held["reminder_dates"] = {kind: day.isoformat() for kind, day in
                              reminders.case_dates(db.get_session(), case).items()}
    response = jsonify(held)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="pump-access-my-data-{as_of.isoformat()}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
def delete():
    case = current_case()
    if case is None:
        return redirect(url_for("questionnaire.deleted"))
    if request.method == "GET":
        return render_template("questionnaire/delete.html")
    cases.delete_case(db.get_session(), case)
    session.pop(CASE_KEY, None)
    return redirect(url_for("questionnaire.deleted"))


@bp.get("/deleted")
def deleted():
    return render_template("questionnaire/deleted.html")
