"""Letter PDF speed: one letter (p50/p99), a 6-letter packet, peak memory of one packet.

One letter renders in the calling thread (PDF_PROCESSES=0, as in development). The packet is
timed as production makes it: PDF_PROCESSES=2, its letters rendered side by side in two worker
processes, then merged here. Its peak memory is taken in the calling thread (tracemalloc cannot
see the workers).
"""
from __future__ import annotations

from datetime import date

from bench.harness import Result, peak_memory_mb, summary, time_calls
from navigator.engine import evaluate, validate_answers
from navigator.engine.loader import default_rulebook
from navigator.services import letters, pdf

AS_OF = date(2026, 11, 23)
DETAILS = {"patient_name": "José Núñez", "date_of_birth": "1980-02-03", "member_id": "XZW1234",
           "insurer_name": "Acme Health Plan", "prescriber_name": "Dr. Ana Ortiz",
           "prescriber_npi": "1234567893", "denial_reason": "Not medically necessary."}
# Medicare Advantage with Omnipod and a denied claim calls for six letters.
ANSWERS = {"state": "OH", "age": 70, "diabetes_type": "type1", "coverage": "medicare_advantage",
           "also_medicaid": False, "household_size": 1, "annual_income": 26000,
           "current_therapy": "injections", "pump_wanted": "omnipod_5", "uses_cgm": True,
           "denial": "claim", "denial_date": "2026-11-02"}


def run() -> list[Result]:
    book = default_rulebook()
    answers, _errors = validate_answers(ANSWERS, AS_OF)
    plan = evaluate(answers, AS_OF, book)
    ids = letters.letter_ids_in_plan(plan)[:6]
    cycle = iter(range(10**9))

    def one_letter() -> None:
        letter_id = ids[next(cycle) % len(ids)]
        letters.letter_pdf(letter_id, answers, DETAILS, plan, book)

    def packet() -> None:
        letters.packet_pdf(ids, answers, DETAILS, plan, book)

    results = summary("one letter PDF (render + WeasyPrint)", time_calls(one_letter, 60, warmup=5),
                      target_p50="<= 80 ms")
    pdf.use_processes(2)  # production's PDF_PROCESSES
    try:
        samples = time_calls(packet, 15, warmup=3)
    finally:
        pdf.use_processes(0)
    results += summary(f"{len(ids)}-letter packet PDF, warm, 2 worker processes", samples,
                       target_p50="<= 400 ms")
    results.append(Result("peak memory of one packet, in-thread (tracemalloc)",
                          peak_memory_mb(packet), "MB"))
    return results
