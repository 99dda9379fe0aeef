"""Every check lives in one file here, as pint's do: the module docstring is the check's documentation
(`gitea-monitoring lint --explain ID` prints it: what, why, Bad/Good, how to disable), the module holds
`CHECK` (id, default level, one-line why, group) and the code, and tests/lint/checks/test_<module>.py holds
its tests. A new check is a new module: it is found here by name (files starting with `_` are helpers),
and exprs.py, rules.py or dashboards.py call it where it applies.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

MODULES: tuple[ModuleType, ...] = tuple(
    importlib.import_module(f"{__name__}.{info.name}")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name) if not info.name.startswith("_"))
ALL = tuple(m.CHECK for m in MODULES)
DOCS = {m.CHECK.id: (m.__doc__ or "").strip() for m in MODULES}
