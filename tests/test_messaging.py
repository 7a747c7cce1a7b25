"""Messaging settings: MAIL_URL parsing and the text provider chosen by environment. Twilio's
client is built here but never asked to send anything."""
from __future__ import annotations

import pytest

from navigator.services.messaging import (
    Mailer,
    Message,
    TwilioTextSender,
    smtp_settings,
    text_sender_from_settings,
)


def test_mail_url_forms():
    tls = smtp_settings("smtps://user%40site:pa%3Ass@mail.example.org")
    assert (tls.host, tls.port, tls.username, tls.password, tls.implicit_tls) == (
        "mail.example.org", 465, "user@site", "pa:ss", True)
    plain = smtp_settings("smtp://127.0.0.1:2525")
    assert (plain.port, plain.username, plain.implicit_tls) == (2525, None, False)
    assert smtp_settings("smtp://mail.example.org").port == 587


@pytest.mark.parametrize("url", ["", "http://mail.example.org", "smtp://", "mail.example.org"])
def test_a_wrong_mail_url_is_refused_without_echoing_it(url):
    with pytest.raises(ValueError) as error:
        smtp_settings(url)
    assert "MAIL_URL must look like" in str(error.value)


def test_every_email_has_one_click_unsubscribe_headers():
    email = Mailer("smtp://127.0.0.1:2525", "Reminders <r@example.org>").build(
        "zelda@family.example", Message("Subject", "Body\n", "Body", "https://x.example/r/stop/t"))
    assert email["List-Unsubscribe"] == "<https://x.example/r/stop/t>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["Auto-Submitted"] == "auto-generated"


def test_text_messages_go_through_twilio_only_when_all_three_settings_are_given():
    settings = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "token",
                "TWILIO_FROM_NUMBER": "+16145550100"}
    assert text_sender_from_settings({}) is None
    assert text_sender_from_settings({**settings, "TWILIO_FROM_NUMBER": ""}) is None
    sender = text_sender_from_settings(settings)
    assert isinstance(sender, TwilioTextSender) and sender.from_number == "+16145550100"
