"""Values kept in the session cookie that must not be readable there: Flask's cookie is signed
(nobody can change it) but not encrypted (anyone who sees it can read it). Sealed values are
encrypted and authenticated with a key derived from SECRET_KEY (Fernet: AES-128-CBC with
HMAC-SHA256)."""
from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

MAX_AGE_SECONDS = 7 * 24 * 3600      # a value sealed longer ago than this is not opened


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = hashlib.sha256(b"navigator-session-seal\0" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


def unseal(token: Any) -> Any:
    """The sealed value, or None when there is none or it cannot be opened (another key, too
    old, not a sealed value)."""
    if not isinstance(token, str) or not token:
        return None
    try:
        return json.loads(_fernet().decrypt(token.encode("ascii"), ttl=MAX_AGE_SECONDS))
    except (InvalidToken, ValueError, UnicodeEncodeError):
        return None
