"""The caseload's forms. Checks that need the database (a member of the organisation, a step
of the plan) are made by navigator.services.caseload, which names the field at fault."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
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

from navigator.models import CASE_STATUSES
from navigator.services import caseload as service
from navigator.textformat import TIME_ZONES
from navigator.web.caseload.phrases import STATUS_LABELS, STEP_STATE_LABELS
from navigator.web.validators import NoControlCharacters


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
    owner = SelectField(_l("Worker"), coerce=int, validators=[Optional()], description=_l(
        "Handing the client to a colleague gives them the case; you no longer see it unless "
        "they share it with you."))


class ShareForm(FlaskForm):
    member = SelectField(_l("Colleague"), coerce=int, validators=[
        DataRequired(_l("Choose a colleague to share the case with."))])


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
        SelectChoice("member", _l("Member: works with their own clients and those shared "
                                  "with them")),
        SelectChoice("admin", _l("Admin: sees every client, adds members, reads the audit log"))])
    password = PasswordField(_l("Password (optional)"), description=_l(
        "Leave empty to get an invitation link the member opens to choose a password. "
        "Or give a password of at least 12 characters to tell them yourself."),
        validators=[Optional()], render_kw={"autocomplete": "new-password", "maxlength": 256})


class TimeZoneForm(FlaskForm):
    time_zone = SelectField(_l("Your time zone"), choices=[
        SelectChoice(zone, _l(label)) for zone, label in TIME_ZONES.items()],
        description=_l("Times in the audit log, notes and history are shown in this zone."))
