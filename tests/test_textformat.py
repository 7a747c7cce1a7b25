"""Text helpers of the pages."""
import pytest

from navigator.textformat import split_lead


@pytest.mark.parametrize("text, lead, rest", [
    ("Book a visit with Dr. Ortiz. Then call the plan.", "Book a visit with Dr. Ortiz.",
     "Then call the plan."),
    ("Under U.S. law you can appeal. Ask in writing.", "Under U.S. law you can appeal.",
     "Ask in writing."),
    ("One sentence only.", "One sentence only.", ""),
    ("Call 1-800-633-4227. Ask for a supervisor.", "Call 1-800-633-4227.", "Ask for a supervisor."),
])
def test_a_step_leads_with_its_first_sentence(text, lead, rest):
    assert split_lead(text) == (lead, rest)
