"""Sending a message: email over SMTP (aiosmtplib) and text messages through a provider.

No Flask here. `MAIL_URL` names the SMTP server: smtp://user:password@host:port uses STARTTLS
when the server offers it, smtps://... speaks TLS from the start. Text messages go through a
`TextSender`; the one real implementation is Twilio's REST API, configured by environment.
When a text cannot be sent (no provider, or the provider refuses), the reminder goes by email
if the person gave an address: some carriers block such texts.
"""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

SMTP_TIMEOUT_SECONDS = 30


class SendError(RuntimeError):
    """The message could not be handed over; the job is retried later."""


@dataclass(frozen=True)
class Message:
    """What a reminder says, in plain text, with its one-click unsubscribe link."""

    subject: str
    body: str          # email, with the unsubscribe link in its last lines
    text: str          # a text message: the same words, shorter
    unsubscribe_url: str


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool


def smtp_settings(mail_url: str) -> SmtpSettings:
    """Parse MAIL_URL; a ValueError names what is wrong (never the password)."""
    parts = urlsplit(mail_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("MAIL_URL must look like smtp://user:password@host:587 or "
                         "smtps://user:password@host:465")
    implicit_tls = parts.scheme == "smtps"
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit_tls,
    )


class Mailer:
    def __init__(self, mail_url: str, sender: str):
        self.settings = smtp_settings(mail_url)
        self.sender = sender

    def build(self, to: str, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain="pump-access-navigator")
        # RFC 2369 and RFC 8058: mail programs show their own one-click "Unsubscribe" button,
        # which POSTs to the link.
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        return email

    def send(self, to: str, message: Message) -> None:
        self._deliver(self.build(to, message))

    def send_one_off(self, to: str, subject: str, body: str) -> None:
        """A message the person asked for once (their private link): no list, no unsubscribe."""
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = to
        email["Subject"] = subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain="pump-access-navigator")
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(body)
        self._deliver(email)

    def _deliver(self, email: EmailMessage) -> None:
        settings = self.settings
        try:
            run_coroutine(aiosmtplib.send(
                email, hostname=settings.host, port=settings.port,
                username=settings.username, password=settings.password,
                use_tls=settings.implicit_tls, timeout=SMTP_TIMEOUT_SECONDS))
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise SendError(f"email not sent ({type(exc).__name__})") from exc


def run_coroutine(coroutine):
    """Run aiosmtplib's coroutine to the end from plain code. A thread that already runs an
    event loop (as Playwright's sync API leaves one) gets a helper thread with its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as helper:
        return helper.submit(asyncio.run, coroutine).result()


class TextSender(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send one text message to an E.164 number; raise SendError when it was not taken."""


class TwilioTextSender:
    """Text messages through Twilio's Messages API (account SID, auth token, sending number)."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str):
        from twilio.rest import Client  # imported here: only deployments that text need it

        self.client = Client(account_sid, auth_token)
        self.from_number = from_number

    def send(self, to: str, text: str) -> None:
        from twilio.base.exceptions import TwilioException

        try:
            self.client.messages.create(to=to, from_=self.from_number, body=text)
        except TwilioException as exc:
            raise SendError(f"text not sent ({type(exc).__name__})") from exc


def text_sender_from_settings(settings) -> TextSender | None:
    """The configured provider, or None when TWILIO_* is not set."""
    sid = settings.get("TWILIO_ACCOUNT_SID")
    token = settings.get("TWILIO_AUTH_TOKEN")
    number = settings.get("TWILIO_FROM_NUMBER")
    if sid and token and number:
        return TwilioTextSender(sid, token, number)
    return None
