"""The plan engine: rules as data in, an access plan out. Knows nothing of Flask."""
from navigator.engine.answers import FIELDS, AnswersInvalid, FieldError, validate_answers
from navigator.engine.evaluate import evaluate
from navigator.engine.loader import RuleBook, RulesInvalid, load_cases, load_rulebook
from navigator.engine.plan import Plan

__all__ = ["FIELDS", "AnswersInvalid", "FieldError", "Plan", "RuleBook", "RulesInvalid",
           "evaluate", "load_cases", "load_rulebook", "validate_answers"]
