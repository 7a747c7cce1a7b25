"""The deployment files hang together (the container build itself needs a container engine and
registry access, which the test machine does not have: docs/DEPLOY.md says so)."""
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def test_compose_file_parses_and_mounts_files_that_exist():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert {"postgres", "redis", "migrate", "app1", "app2", "nginx"} <= set(compose["services"])
    for volume in compose["services"]["nginx"]["volumes"]:
        source = volume.split(":", 1)[0]
        assert (DEPLOY / source).is_file(), source
    assert compose["services"]["app1"]["healthcheck"]["test"][-1].find("/readyz") > 0


def test_compose_gives_the_worker_and_the_apps_the_mail_settings():
    """The reminders worker sends the emails (and the apps the "email me my link" form): both
    get MAIL_URL and MAIL_FROM, passed through from the environment."""
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert services["worker"]["command"][:2] == ["navigator", "worker"]
    for name in ("worker", "app1", "app2"):
        environment = services[name]["environment"]
        for setting in ("MAIL_URL", "MAIL_FROM", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                        "TWILIO_FROM_NUMBER", "PUBLIC_BASE_URL", "REDIS_URL"):
            assert setting in environment, (name, setting)
        assert environment["MAIL_URL"].startswith("${MAIL_URL")
    example = (DEPLOY / "navigator.env.example").read_text()
    assert "\nMAIL_URL=smtp" in example and "\nMAIL_FROM=" in example


def test_the_compose_and_systemd_workers_take_reminders_and_letter_packets():
    """Letter packets are made on the queue when REDIS_URL is set: some worker must listen to
    the PDF queue, or the "being prepared" page would wait for ever."""
    import shlex

    from navigator.jobs import QUEUE_ROLES

    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    unit = (DEPLOY / "systemd" / "navigator-worker.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    for command in (services["worker"]["command"], shlex.split(exec_start.split("=", 1)[1])):
        queues = command[command.index("--queues") + 1].split(",")
        assert queues == ["reminders", "pdf"] and set(queues) <= set(QUEUE_ROLES), command


def test_dockerfile_copies_what_the_app_reads_at_run_time():
    # "COPY [--chown=...] SOURCE... DEST": the last source is the second-to-last word
    copied = {line.split()[-2] for line in (DEPLOY / "Dockerfile").read_text().splitlines()
              if line.startswith("COPY")}
    for needed in ("navigator", "templates", "rules", "deploy"):
        assert needed in copied, needed


def test_every_unit_names_files_that_exist():
    for unit in (DEPLOY / "systemd").iterdir():
        text = unit.read_text()
        if "deploy/gunicorn.conf.py" in text:
            assert (DEPLOY / "gunicorn.conf.py").is_file()
    assert (DEPLOY / "navigator.env.example").read_text().count("SECRET_KEY=") == 1
