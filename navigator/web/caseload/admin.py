"""Members and the audit log: an organisation's admins only (others get 404)."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from navigator import db
from navigator.services import accounts, audit
from navigator.textformat import TIME_ZONES
from navigator.web.caseload import bp
from navigator.web.caseload.forms import MemberForm
from navigator.web.caseload.routes import user
from navigator.web.validators import without_control_characters


def _require_admin() -> None:
    if not user().is_admin:
        abort(404)


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
    return Response(render_template(
        "caseload/members.html", form=form, invite_link=invite_link,
        members=accounts.members(db.get_session(), user().organisation_id)), status=status)


def _add_member(form: MemberForm) -> str | None:
    """The invitation link for a member without a password; None when a password was given."""
    dbs = db.get_session()
    try:
        if form.password.data:
            member = accounts.create_member(dbs, user(), form.email.data, form.name.data,
                                            form.role.data, form.password.data)
            flash(_("%(name)s can now sign in with the password you chose.", name=member.name))
            link = None
        else:
            invitation = accounts.invite_member(dbs, user(), form.email.data, form.name.data,
                                                form.role.data)
            link = url_for("auth.accept_invite", token=invitation.token, _external=True)
    except accounts.AccountError as exc:
        form[exc.field].errors.append(_(str(exc)))
        return None
    audit.record(dbs, user(), "member.create")
    return link


@bp.post("/members/<int:user_id>/active")
def set_member_active(user_id: int):
    _require_admin()
    dbs = db.get_session()
    member = accounts.member(dbs, user().organisation_id, user_id)
    if member is None:
        abort(404)
    try:
        accounts.set_active(dbs, user(), member, request.form.get("active") == "1")
    except accounts.AccountError as exc:
        flash(_(str(exc)), "error")
    else:
        audit.record(dbs, user(), "member.update")
    return redirect(url_for("caseload.members"))


@bp.get("/audit")
def audit_log():
    _require_admin()
    # Clamped: a huge page number would overflow the database's OFFSET.
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)
    case_id = without_control_characters(request.args.get("case", "")[:32]) or None
    rows, total = audit.entries(db.get_session(), user().organisation_id, page, case_id)
    pages = max((total + audit.PAGE_SIZE - 1) // audit.PAGE_SIZE, 1)
    return render_template("caseload/audit.html", rows=rows, page=page, pages=pages,
                           total=total, case_id=case_id,
                           time_zone=_(TIME_ZONES.get(user().time_zone or "UTC", "UTC")))
