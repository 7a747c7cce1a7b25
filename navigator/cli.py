"""The `navigator` command: Flask's CLI plus the project's own commands.

Commands that only need the rules (rules check/test, plan) never build the app, so they still
work, and report clearly, when a rule file is broken.
"""
from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from navigator import clock
from navigator.engine import RulesInvalid, evaluate, load_rulebook, validate_answers
from navigator.engine.casecheck import refuse_failing_cases, run_cases


def _rules_dir(option: str | None) -> Path:
    from navigator.config import Config
    return Path(option or os.environ.get("RULES_DIR") or Config.RULES_DIR)


def _load_book(rules: str | None):
    try:
        return load_rulebook(_rules_dir(rules))
    except RulesInvalid as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


def _parse_date(_ctx, _param, value: str | None) -> date | None:
    """--as-of, or None: each plan is then dated the person's local date (navigator.clock)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("use a date written as YYYY-MM-DD") from None


rules_option = click.option("--rules", "rules", metavar="DIR", default=None,
                            help="Rules folder (default: RULES_DIR or ./rules).")
translations_option = click.option(
    "--translations", "translations_dir", metavar="DIR", default=None,
    help="Folder of the translation catalogues (default: navigator/translations).")
lang_option = click.option(
    "--lang", "lang", type=click.Choice(["en", "es"]), default="en", show_default=True,
    help="Language of the plan's texts (keys, ids and values stay the same).")


def _translation_problems(rules: str | None, translations_dir: str | None,
                          required: bool | None) -> tuple[list[str], list[str]]:
    """(problems, notes): each rule text that a required language lacks, and each translation
    whose placeholders differ, named; for a language not yet required, how many it lacks."""
    from navigator.engine.rules_i18n import (
        LANGUAGES,
        REQUIRED_LANGUAGES,
        check_catalogue,
        extract_rules,
    )

    messages = extract_rules(_rules_dir(rules))
    problems, notes = [], []
    for lang in LANGUAGES[1:]:
        found = check_catalogue(messages, lang, translations_dir)
        must = lang in REQUIRED_LANGUAGES if required is None else required
        problems += [f"translations: {lang}: {p}" for p in found
                     if must or p.kind in ("placeholders", "catalogue")]
        lacking = sum(1 for p in found if p.kind in ("missing", "fuzzy"))
        if lacking and not must:
            notes.append(f"translations: {lang}: {lacking} of {len(messages)} texts not yet "
                         "translated")
    return problems, notes


@click.group("rules")
def rules_group() -> None:
    """Check and test the rule files."""


@rules_group.command("check")
@rules_option
@translations_option
@click.option("--require-translations/--no-require-translations", "require_translations",
              default=None, help="Fail when a text has no translation (default: for the "
              "languages marked complete, rules_i18n.REQUIRED_LANGUAGES).")
@click.option("--stats", is_flag=True,
              help="Also print the share of steps with an official source and of verified facts "
                   "(see docs/DATA_QUALITY.md).")
def rules_check(rules: str | None, stats: bool, translations_dir: str | None,
                require_translations: bool | None) -> None:
    """Check what the app checks before it accepts rules: every rule file, questions.yaml and
    the rule cases in rules/tests; and that every text of the rules has a Spanish translation
    with the same placeholders. Exit 1 on any problem, naming it."""
    from navigator.questionnaire import (
        QuestionnaireInvalid,
        default_questions_path,
        load_questionnaire,
    )

    book = _load_book(rules)
    failed = False
    try:
        load_questionnaire(default_questions_path(_rules_dir(rules)), book.pump_names)
    except QuestionnaireInvalid as exc:
        click.echo("\n".join(f"questions: {problem}" for problem in exc.problems), err=True)
        failed = True
    try:
        cases = refuse_failing_cases(book)
    except RulesInvalid as exc:
        click.echo(str(exc), err=True)
        failed = True
    translation_problems, translation_notes = _translation_problems(
        rules, translations_dir, require_translations)
    if translation_problems:
        shown = translation_problems[:60]
        more = len(translation_problems) - len(shown)
        click.echo("\n".join(shown + ([f"… and {more} more"] if more else [])), err=True)
        click.echo("(run `navigator rules extract` to bring new texts into the catalogue, then "
                   "translate them in the .po file)", err=True)
        failed = True
    from navigator.engine.readability import problems as readability_problems
    hard = readability_problems(_rules_dir(rules))
    if hard:
        click.echo("\n".join(hard), err=True)
        click.echo("(rewrite the step's title and first sentence in shorter, plainer words; "
                   "see navigator/engine/readability.py)", err=True)
        failed = True
    if failed:
        sys.exit(1)
    counts = ", ".join(f"{n} {k}" for k, n in book.counts().items())
    click.echo(f"rules OK: version {book.version}, reviewed {book.reviewed.isoformat()}: {counts}; "
               f"questions OK; {cases} rule cases pass; "
               f"translations {'incomplete' if translation_notes else 'OK'}; "
               f"readability {'not checked (textstat not installed)' if hard is None else 'OK'}")
    for note in translation_notes:
        click.echo(note)
    if stats:
        from navigator.engine.quality import measure, report
        click.echo("\n".join(report(measure(book))))


@rules_group.command("extract")
@rules_option
@translations_option
@click.option("--pot", "pot_path", metavar="FILE", default=None,
              help="Also write the template (rules.pot) here.")
@click.option("--compile", "compile_mo", is_flag=True,
              help="Also compile each catalogue to rules.mo (make does this; not committed).")
def rules_extract(rules: str | None, translations_dir: str | None, pot_path: str | None,
                  compile_mo: bool) -> None:
    """Bring the rules' texts into each language's rules.po (as `pybabel extract` and
    `pybabel update` do for the `rules` domain): new English texts come in untranslated, a
    changed one keeps its old translation marked fuzzy, removed ones are dropped."""
    from navigator.engine.rules_i18n import (
        LANGUAGES,
        compile_catalogue,
        extract_rules,
        update_catalogue,
        write_template,
    )

    messages = extract_rules(_rules_dir(rules))
    if pot_path:
        write_template(messages, pot_path)
    for lang in LANGUAGES[1:]:
        path = update_catalogue(messages, lang, translations_dir)
        click.echo(f"{path}: {len(messages)} texts")
        if compile_mo:
            click.echo(str(compile_catalogue(lang, translations_dir)))


@rules_group.command("compile")
@translations_option
def rules_compile(translations_dir: str | None) -> None:
    """Compile each language's rules.po to rules.mo (reviewed translations only)."""
    from navigator.engine.rules_i18n import LANGUAGES, catalogue_path, compile_catalogue

    for lang in LANGUAGES[1:]:
        if catalogue_path(lang, translations_dir).exists():
            click.echo(str(compile_catalogue(lang, translations_dir)))


@rules_group.command("test")
@rules_option
def rules_test(rules: str | None) -> None:
    """Run the YAML rule cases in rules/tests; exit 1 if any fails."""
    book = _load_book(rules)
    try:
        results = run_cases(book)
    except RulesInvalid as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    failed = [r for r in results if r.failures]
    for result in failed:
        click.echo(f"FAIL {result.file}: {result.name}", err=True)
        for failure in result.failures:
            click.echo(f"  - {failure}", err=True)
    click.echo(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed else 0)


@click.command("plan")
@click.argument("answers_file", type=click.File("r"))
@click.option("--as-of", "as_of", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Plan date (default: today).")
@click.option("--format", "output", type=click.Choice(["json", "compact", "jsonl", "text"]),
              default="json", help="json: the full plan, indented; compact: the plan document "
              "(sources once, docs/API.md) without spaces; jsonl: one plan document per line, "
              "streamed; text: for reading.")
@rules_option
@lang_option
def plan_command(answers_file, as_of: date, output: str, rules: str | None, lang: str) -> None:
    """Print the access plan for the answers in ANSWERS_FILE (- for standard input).

    A JSON array of answers gives an array of plans in the same order. With --format jsonl the
    input may also be JSON Lines, and plans are written as they are made (constant memory); a
    line for invalid answers is {"index": N, "errors": [...]} and the exit status is then 2.
    """
    book = _load_book(rules)
    if output == "jsonl":
        _stream_plans(answers_file, as_of, book, lang)
        return
    try:
        raw = json.load(answers_file)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"error: input: not valid JSON ({exc})", err=True)
        sys.exit(2)
    batch = isinstance(raw, list)
    items = raw if batch else [raw]
    errors: list[str] = []
    plans = []
    for index, item in enumerate(items):
        day = as_of or clock.today_for(item, book)
        answers, problems = validate_answers(item, day, book)
        prefix = f"[{index}] " if batch else ""
        for problem in problems:
            errors.append(f"error: {prefix}{problem.field}: {problem.message}")
        if answers is not None:
            plans.append(evaluate(answers, day, book, lang=lang))
    if errors:
        click.echo("\n".join(errors), err=True)
        sys.exit(2)
    if output == "text":
        from navigator.engine.textplan import plan_as_text
        click.echo("\n\n".join(plan_as_text(p, lang) for p in plans))
        return
    if output == "compact":
        import orjson

        from navigator.engine.document import plan_document
        documents = [plan_document(p) for p in plans]
        sys.stdout.buffer.write(orjson.dumps(documents if batch else documents[0])
                                                + b"\n")
        return
    data = [p.model_dump(mode="json") for p in plans]
    click.echo(json.dumps(data if batch else data[0], indent=2, ensure_ascii=False))


def _stream_plans(answers_file, as_of: date | None, book, lang: str = "en") -> None:
    from navigator.engine.document import plan_document_json
    from navigator.services.batch import (
        InputInvalid,
        iter_json_values,
        plan_records,
        write_json_lines,
    )

    out = sys.stdout.buffer
    try:
        plans, invalid = write_json_lines(
            plan_records(iter_json_values(answers_file), as_of, book, lang=lang,
                         document=plan_document_json), out)
    except (InputInvalid, UnicodeDecodeError) as exc:
        out.flush()
        click.echo(f"error: input: {exc}", err=True)
        sys.exit(2)
    out.flush()
    if invalid:
        click.echo(f"error: {invalid} of {plans + invalid} answers were invalid; "
                   "their lines hold the errors", err=True)
        sys.exit(2)


@click.command("letter")
@click.argument("letter_id", required=False)
@click.option("--list", "list_letters", is_flag=True, help="Print every letter id and its title.")
@click.option("--answers", "answers_file", type=click.File("r"), help="Answers JSON file.")
@click.option("--details", "details_file", type=click.File("r"),
              help="Letter details JSON file (optional fields; see docs).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, writable=True),
              help="Where to write the PDF.")
@click.option("--as-of", "as_of", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Plan and letter date (default: today).")
@rules_option
def letter_command(letter_id, list_letters, answers_file, details_file, out_path, as_of,
                   rules) -> None:
    """Render one letter the plan calls for as a PDF (no app or database needed)."""
    from navigator.services import letters as letter_service

    book = _load_book(rules)
    known = [lid for lid, _title in letter_service.catalogue(book)]
    if list_letters:
        for lid, title in letter_service.catalogue(book):
            click.echo(f"{lid}\t{title}")
        return
    if not letter_id or letter_id not in known:
        click.echo(f"error: letter: unknown letter id {letter_id!r}; allowed: {', '.join(known)}",
                   err=True)
        sys.exit(2)
    if answers_file is None or out_path is None:
        click.echo("error: --answers and --out are required to render a letter", err=True)
        sys.exit(2)
    raw_answers = _read_json(answers_file, "answers")
    raw_details = _read_json(details_file, "details") if details_file else {}
    as_of = as_of or clock.today_for(raw_answers, book)
    answers, problems = validate_answers(raw_answers, as_of, book)
    details, detail_problems = letter_service.validate_details(raw_details, as_of)
    problems = list(problems) + list(detail_problems)
    if problems:
        click.echo("\n".join(f"error: {p.field}: {p.message}" for p in problems), err=True)
        sys.exit(2)
    plan = evaluate(answers, as_of, book)
    if letter_id not in letter_service.letter_ids_in_plan(plan):
        called = ", ".join(letter_service.letter_ids_in_plan(plan)) or "none"
        click.echo(f"error: letter: the plan for these answers does not call for {letter_id}; "
                   f"it calls for: {called}", err=True)
        sys.exit(2)
    Path(out_path).write_bytes(letter_service.letter_pdf(letter_id, answers, details, plan, book))
    click.echo(out_path)


def _read_json(handle, what: str):
    try:
        return json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"error: {what}: not valid JSON ({exc})", err=True)
        sys.exit(2)


@click.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply the migrations to DATABASE_URL (default: the SQLite file under instance/)."""
    from navigator import db
    from navigator.config import build_config

    _cls, settings = build_config()
    db.upgrade(str(settings["DATABASE_URL"]), revision)
    click.echo("database is up to date")


def register_commands(app: Flask) -> None:
    """Commands that need the app (database, sessions) are added by their areas."""
    app.cli.add_command(purge_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(recheck_command)
    app.cli.add_command(api_key_group)
    app.cli.add_command(worker_command)
    app.cli.add_command(reminders_group)


@click.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Age in days of families' cases (default: RETENTION_DAYS, 30 unless set).")
@with_appcontext
def purge_command(days: int | None) -> None:
    """Apply the retention times: families' cases not updated for RETENTION_DAYS days, audit
    entries older than AUDIT_RETENTION_DAYS, accounts deactivated more than
    DEACTIVATED_ACCOUNT_RETENTION_DAYS ago. Run it daily (docs/SECURITY.md)."""
    from flask import current_app
    from sqlmodel import Session

    from navigator import db
    from navigator.services import accounts, audit
    from navigator.services.cases import purge_older_than

    config = current_app.config
    days = days or int(config["RETENTION_DAYS"])
    audit_days = int(config["AUDIT_RETENTION_DAYS"])
    account_days = int(config["DEACTIVATED_ACCOUNT_RETENTION_DAYS"])
    with Session(db.engine()) as session:
        removed = purge_older_than(session, days)
        entries = audit.purge_older_than(session, audit_days)
        users = accounts.purge_deactivated(session, account_days)
    db.overwrite_deleted(db.engine())
    click.echo(f"removed {removed} case(s) not updated for {days} days, {entries} audit "
               f"entr{'y' if entries == 1 else 'ies'} older than {audit_days} days, {users} "
               f"account(s) deactivated more than {account_days} days ago")


@click.command("create-user")
@click.option("--organisation", required=True, help="Name of the new organisation.")
@click.option("--email", required=True, help="The admin's email address (their sign-in name).")
@click.option("--name", required=True, help="The admin's name.")
@click.password_option("--password", help="At least 12 characters (asked for when not given).")
@with_appcontext
def create_user_command(organisation: str, email: str, name: str, password: str) -> None:
    """Create an organisation and its first admin, who then adds members in the app."""
    from sqlmodel import Session

    from navigator import db
    from navigator.services.accounts import AccountError, create_organisation_with_admin

    with Session(db.engine()) as session:
        try:
            user = create_organisation_with_admin(session, organisation, email, name, password)
        except AccountError as exc:
            click.echo(f"error: {exc.field}: {exc}", err=True)
            sys.exit(2)
        click.echo(f"created admin {user.email} of organisation {organisation!r}")


@click.command("recheck")
@with_appcontext
def recheck_command() -> None:
    """Re-evaluate every saved case with the current rules; flag the plans that changed."""
    from flask import current_app
    from sqlmodel import Session

    from navigator import db
    from navigator.services.recheck import claim_version, recheck_all

    book = current_app.extensions["rulebook"]
    with Session(db.engine()) as session:
        claim_version(session, book.version)
        report = recheck_all(session, book)
    click.echo(f"rules {book.version}: checked {report.checked} case(s), "
               f"{report.flagged} plan(s) changed, {report.updated} updated, "
               f"{report.per_second:,.0f} cases/s")


@click.group("api-key")
def api_key_group() -> None:
    """Organisations' keys for the batch API (POST /api/v1/plans)."""


@api_key_group.command("create")
@click.option("--organisation", "organisation", required=True,
              help="The organisation's id or exact name.")
@click.option("--name", required=True, help="What the key is for, e.g. 'nightly clinic batch'.")
@with_appcontext
def api_key_create(organisation: str, name: str) -> None:
    """Make a key; it is printed once and only its hash is kept."""
    from sqlmodel import Session, select

    from navigator import db
    from navigator.models import Organisation
    from navigator.services.api_keys import ApiKeyError, create_key

    with Session(db.engine()) as session:
        if organisation.isdigit():
            org_id = int(organisation)
        else:
            matches = session.exec(select(Organisation).where(
                Organisation.name == organisation)).all()
            if len(matches) != 1:
                click.echo(f"error: organisation: {len(matches)} organisations are named "
                           f"{organisation!r}; give the id instead", err=True)
                sys.exit(2)
            org_id = matches[0].id
        try:
            record, key = create_key(session, org_id, name)
        except ApiKeyError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    click.echo(f"API key {record.id} ({name}) for organisation {org_id}; store it now, "
               "it is not shown again:")
    click.echo(key)


@api_key_group.command("list")
@with_appcontext
def api_key_list() -> None:
    """Every key: id, organisation, name, made, last used, revoked."""
    from sqlmodel import Session

    from navigator import db
    from navigator.services.api_keys import list_keys

    def when(moment) -> str:
        return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"

    with Session(db.engine()) as session:
        for key in list_keys(session):
            click.echo(f"{key.id}\torganisation {key.organisation_id}\t{key.name}\t"
                       f"made {when(key.created_at)}\tlast used {when(key.last_used_at)}\t"
                       f"revoked {when(key.revoked_at)}")


@api_key_group.command("revoke")
@click.argument("key_id", type=int)
@with_appcontext
def api_key_revoke(key_id: int) -> None:
    """Turn a key off at once; it stays listed with the date."""
    from sqlmodel import Session

    from navigator import db
    from navigator.services.api_keys import ApiKeyError, revoke_key

    with Session(db.engine()) as session:
        try:
            revoke_key(session, key_id)
        except ApiKeyError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
    click.echo(f"API key {key_id} revoked")
@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty (for tests and one-offs).")
@click.option("--no-scan", is_flag=True, help="Do not start a scheduler pass at start-up.")
@click.option("--queues", default="reminders,pdf", show_default=True,
              help="Which work to take, in this order: reminders (REMINDER_QUEUE), pdf "
                   "(letter packets, PDF_QUEUE), or both separated by a comma.")
@with_appcontext
def worker_command(burst: bool, no_scan: bool, queues: str) -> None:
    """Run a background worker on the Redis queues (REDIS_URL): reminders and letter packets."""
    from flask import current_app

    from navigator import jobs

    roles = tuple(part.strip() for part in queues.split(",") if part.strip())
    unknown = [role for role in roles if role not in jobs.QUEUE_ROLES]
    if not roles or unknown:
        click.echo(f"error: --queues: {', '.join(unknown) or 'empty'}: give reminders, pdf, or "
                   "reminders,pdf.", err=True)
        sys.exit(2)
    if not current_app.config.get("REDIS_URL"):
        click.echo("error: REDIS_URL: not set; the worker needs Redis. Without Redis, run "
                   "`navigator reminders send` from cron.", err=True)
        sys.exit(2)
    if "reminders" in roles and not current_app.config.get("MAIL_URL"):
        click.echo("warning: MAIL_URL: not set; reminders cannot be sent by email (text "
                   "messages only where all three TWILIO_* settings are given).", err=True)
    jobs.run_worker(current_app._get_current_object(), burst=burst, scan_now=not no_scan,
                    roles=roles)


@click.group("reminders")
def reminders_group() -> None:
    """Reminders by email and text message."""


@reminders_group.command("send")
@with_appcontext
def reminders_send() -> None:
    """One pass without Redis (for cron): create the reminders that fell due and send them."""
    from flask import current_app
    from sqlmodel import Session

    from navigator import db, jobs
    from navigator.services import reminders

    app = current_app._get_current_object()
    links, mailer, texter = jobs.senders(app)
    with Session(db.engine()) as session:
        counts = reminders.send_due(session, app.extensions["rulebook"], links=links,
                                    mailer=mailer, texter=texter)
    click.echo(", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items()))
    if counts["failed"]:
        sys.exit(1)


def _create_app():
    from navigator import create_app
    return create_app()


main = FlaskGroup(create_app=_create_app, help="Pump Access Navigator.")
for command in (rules_group, plan_command, letter_command, db_group):
    main.add_command(command)


if __name__ == "__main__":
    main()
