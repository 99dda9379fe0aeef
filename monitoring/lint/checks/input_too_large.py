"""input-too-large (error): an expression or a dashboard over lint's size limits, refused before parsing.

promql-parser's parser and tree walk grow faster than the text: a 2 KB `up + up + ...` of 400 terms took
3.4 GB, 5,000 terms or `sum(` nested 20,000 deep crashed the process. So an expression over 16 KiB, nested
deeper than 64 brackets or with more than 256 operator characters (outside `{...}`) is not parsed, and a
dashboard with more than 2,000 panels or 10,000 queries is not checked; `make build` refuses such an
expression too. Real rule sets stay far below (kube-prometheus and ~100 monitoring mixins: at most 2.5 KB,
nesting 7, 37 operators). Limits: monitoring/model/promql.py (MAX_*), monitoring/lint/dashboards.py (MAX_*).

Bad:  up + up + up + ... (400 terms)
Good: split it into recording rules.
Disable: not per rule (the expression is not read at all); --disable input-too-large hides the finding.
"""

from __future__ import annotations

from gitea_provider_monitoring.lint.check import ERROR, Check

CHECK = Check("input-too-large", ERROR, "an expression or dashboard over lint's size limits is not checked (and "
              "would strain Prometheus or Grafana too)", "bounds")
