"""Reading the rule and question files: libyaml's safe loader when PyYAML was built with it
(about ten times faster, and every app start, CLI command and test reads these files), else the
pure-Python one. Both build plain data only (no Python objects)."""
from __future__ import annotations

from typing import IO, Any

import yaml

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(stream: str | IO[str]) -> Any:
    return yaml.load(stream, Loader=SAFE_LOADER)  # nosec B506: a safe loader, chosen above
