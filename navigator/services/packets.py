"""Letter packets made on the queue (REDIS_URL): the job's id, what is kept in Redis, and who may
read it.

A packet request becomes one job on the PDF queue. Its id is an HMAC (keyed with SECRET_KEY) of
the case's public id, the chosen letters and a fingerprint of what the letters are filled in
from, so a double submit finds the same job, and the id says nothing about the case. The job's
arguments are the case's public id and the letter ids only: the worker loads the case from the
database. The finished PDF is kept in Redis for `keep_seconds` (PDF_KEEP_SECONDS), encrypted with
a key derived from SECRET_KEY, beside the public id of the case that asked; it is given only to a
request for that same case (the session's, or a worker's client checked by the caseload guard).
The job id alone never opens it.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from redis import Redis
from sqlmodel import Session

JOB_ID_PATTERN = re.compile(r"packet-[0-9a-f]{32}")
OWNER_SECONDS = 24 * 3600       # after the PDF is gone, its owner still hears "expired", not 404
CLAIM_SECONDS = 30              # at most this long for one request to look and enqueue

WAITING, READY, FAILED, EXPIRED, NOT_FOUND = "waiting", "ready", "failed", "expired", "not found"


class PacketUnavailable(RuntimeError):
    """The case cannot give this packet (gone, unfinished answers, a letter not in its plan).
    The message names the reason's kind only, never the case's data."""


def job_id_for(secret_key: str, case_public_id: str, letter_ids: Iterable[str],
               fingerprint: str) -> str:
    payload = json.dumps([case_public_id, sorted(letter_ids), fingerprint]).encode()
    digest = hmac.new(b"navigator-packet\0" + secret_key.encode(), payload, hashlib.sha256)
    return "packet-" + digest.hexdigest()[:32]


def fingerprint(*parts: Any) -> str:
    """What the packet is made from (answers, details, calls, rules version, date), hashed: a
    changed case gets a new job, the same one finds the job already there."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _fernet(secret_key: str) -> Fernet:
    key = hashlib.sha256(b"navigator-packet-seal\0" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


@dataclass
class PacketStore:
    """The packets' keys in Redis, under `navigator:<queue>:packet:<job id>:...`."""

    redis: Redis
    queue_name: str
    secret_key: str
    keep_seconds: int = 600

    def _key(self, job_id: str, part: str) -> str:
        return f"navigator:{self.queue_name}:packet:{job_id}:{part}"

    def claim(self, job_id: str) -> bool:
        """True for the one request that may enqueue this job now."""
        return bool(self.redis.set(self._key(job_id, "claim"), b"1", nx=True, ex=CLAIM_SECONDS))

    def release(self, job_id: str) -> None:
        self.redis.delete(self._key(job_id, "claim"))

    def bind(self, job_id: str, case_public_id: str) -> None:
        """Record whose packet this is (the job id is derived from the case's id, so it is
        always the same case)."""
        self.redis.set(self._key(job_id, "case"), case_public_id.encode(), ex=OWNER_SECONDS)

    def forget_failure(self, job_id: str) -> None:
        self.redis.delete(self._key(job_id, "failed"))

    def owner(self, job_id: str) -> str | None:
        raw = self.redis.get(self._key(job_id, "case"))
        if isinstance(raw, bytes):          # (mypy: Redis may be set to give str)
            raw = raw.decode()
        return raw or None

    def belongs_to(self, job_id: str, case_public_id: str | None) -> bool:
        if not case_public_id or not JOB_ID_PATTERN.fullmatch(job_id or ""):
            return False
        owner = self.owner(job_id)
        return owner is not None and hmac.compare_digest(owner, case_public_id)

    def put(self, job_id: str, body: bytes, filename: str) -> None:
        sealed = _fernet(self.secret_key).encrypt(body)
        pipe = self.redis.pipeline()
        pipe.set(self._key(job_id, "pdf"), sealed, ex=self.keep_seconds)
        pipe.set(self._key(job_id, "name"), filename.encode(), ex=self.keep_seconds)
        pipe.execute()

    def fail(self, job_id: str, reason: str) -> None:
        self.redis.set(self._key(job_id, "failed"), reason.encode(), ex=self.keep_seconds)

    def has_pdf(self, job_id: str) -> bool:
        return bool(self.redis.exists(self._key(job_id, "pdf")))

    def failed(self, job_id: str) -> bool:
        return bool(self.redis.exists(self._key(job_id, "failed")))

    def get(self, job_id: str) -> tuple[bytes, str] | None:
        sealed, name = self.redis.mget(self._key(job_id, "pdf"), self._key(job_id, "name"))
        if not sealed:
            return None
        try:
            body = _fernet(self.secret_key).decrypt(sealed)
        except InvalidToken:
            return None                 # sealed under another SECRET_KEY: as if gone
        if isinstance(name, bytes):         # (mypy: Redis may be set to give str)
            name = name.decode()
        return body, name or "letters.pdf"


def case_packet(session: Session, book, case_public_id: str, letter_ids: list[str],
                lang: str = "en") -> tuple[bytes, str]:
    """The packet PDF and its file name for a saved case, as the letters page makes it: the
    case's answers and letter details, its plan on its plan date (in English for the letters to
    insurers and doctors, in `lang`, the page's language, for those written in the family's),
    its calls marked for letters. Raises PacketUnavailable, or PdfRenderError when rendering
    fails."""
    from navigator import clock, i18n
    from navigator.engine import evaluate, validate_answers
    from navigator.services import calls as call_log
    from navigator.services import cases
    from navigator.services import letters as letter_service

    case = cases.get_case(session, case_public_id)
    if case is None:
        raise PacketUnavailable("case not found")
    if lang not in i18n.LANGUAGES:
        raise PacketUnavailable("language not offered")
    as_of = clock.plan_date(case, book)
    answers, errors = validate_answers(case.answers or {}, as_of, book)
    if errors or answers is None:
        raise PacketUnavailable("answers not complete")
    plan = evaluate(answers, as_of, book, lang=i18n.DEFAULT_LANGUAGE)
    family_plan = plan if lang == i18n.DEFAULT_LANGUAGE else evaluate(answers, as_of, book,
                                                                      lang=lang)
    available = letter_service.letter_ids_in_plan(plan)
    if not letter_ids or any(lid not in available for lid in letter_ids):
        raise PacketUnavailable("letter not in the plan")
    body = letter_service.packet_pdf(letter_ids, answers, case.details or {}, plan, book,
                                     call_log.facts_for_letters(session, case.public_id), lang,
                                     family_plan=family_plan)
    return body, letter_service.packet_filename(plan.as_of)
