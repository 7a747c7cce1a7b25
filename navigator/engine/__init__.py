"""The plan engine: rules as data in, an access plan out. Knows nothing of Flask."""
from navigator.engine.answers import (
    FIELDS,
    Answers,
    AnswersInvalid,
    FieldError,
    ValueProblem,
    parse_typed,
    validate_answers,
)
from navigator.engine.evaluate import evaluate, plan_for
from navigator.engine.loader import RuleBook, RulesInvalid, load_cases, load_rulebook
from navigator.engine.plan import Plan

__all__ = ["FIELDS", "Answers", "AnswersInvalid", "FieldError", "Plan", "RuleBook", "RulesInvalid",
           "ValueProblem", "evaluate", "load_cases", "load_rulebook", "parse_typed", "plan_for",
           "validate_answers"]
