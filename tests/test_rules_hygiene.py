"""Rule data holds no machine paths and no notes to teammates (issue 20; the review's section 5)."""
from __future__ import annotations

import re
from pathlib import Path

RULES = Path(__file__).resolve().parent.parent / "rules"
# A path on someone's machine (not a URL's path), or a note meant for the team.
NOT_IN_DATA = re.compile(r"(^|[\s'\"(])(/work|/home|/tmp|/Users|\.\./shared)/|\bfor the lead\b|"
                         r"\bTODO\b|\bFIXME\b|\bXXX\b", re.IGNORECASE)


def test_rule_files_hold_no_machine_paths_or_notes_to_teammates():
    found = [f"{path.relative_to(RULES)}:{number}: {line.strip()[:80]}"
             for path in sorted(RULES.rglob("*.yaml"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if NOT_IN_DATA.search(line)]
    assert found == []
