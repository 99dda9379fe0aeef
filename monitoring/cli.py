"""`gitea-monitoring`: build, docs, lint and push the monitoring for the Crossplane Gitea provider."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitoring import __version__
from monitoring.config import load_config
from monitoring.errors import MonitoringError

REPO_ROOT = Path(__file__).resolve().parent.parent


def _cmd_build(args: argparse.Namespace) -> int:
    from monitoring.compiler import build

    config = load_config(args.config)
    files = build(config, Path(args.out))
    kinds: dict[str, int] = {}
    for rel in files:
        top = rel.split("/", 1)[0]
        kinds[top] = kinds.get(top, 0) + 1
    summary = ", ".join(f"{n} in {k}/" for k, n in sorted(kinds.items()))
    print(f"gitea-monitoring: wrote {len(files)} files to {args.out}/ ({summary})")
    return 0


def _cmd_docs(args: argparse.Namespace) -> int:
    from monitoring.docs import update_docs

    config = load_config(args.config)
    changed = update_docs(config, REPO_ROOT, check=args.check)
    if args.check and changed:
        print("gitea-monitoring: out of date: " + ", ".join(changed) + " (run `make docs`)", file=sys.stderr)
        return 1
    print("gitea-monitoring: docs " + ("up to date" if not changed else "updated: " + ", ".join(changed)))
    return 0


def _cmd_lint(args: argparse.Namespace) -> int:
    from monitoring.lint import CHECKS, lint_paths
    from monitoring.lint.catalog import from_file
    from monitoring.lint.findings import render_json, render_text
    from monitoring.lint.inputs import LintInputError

    if args.list_checks:
        for check in CHECKS.values():
            print(f"{check.id:26} {check.level:8} {check.group:10} {check.why}")
        return 0
    disabled = {c.strip() for item in args.disable for c in item.split(",") if c.strip()}
    try:
        catalog = None if args.catalog == "builtin" else from_file(Path(args.catalog))
        result = lint_paths([Path(p) for p in args.paths or ["build"]], catalog, disabled, args.scrape_interval,
                            Path(args.dashboard_schema) if args.dashboard_schema else None)
    except (LintInputError, ValueError) as exc:
        print(f"gitea-monitoring lint: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        sys.stdout.write(render_json(result.findings, result.files, result.notes))
    else:
        sys.stdout.write(render_text(result.findings, result.files, result.notes, verbose=args.verbose))
    return 1 if result.errors else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gitea-monitoring",
        description="Monitoring-as-code for the Crossplane Gitea provider: compile Prometheus rules, "
        "Grafana dashboards and Kubernetes manifests from the Python definitions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("build", help="compile everything into an output directory (default build/)",
                       description="Compile alerts/ and dashboards/ into rule files, promtool tests, dashboard "
                       "JSON, Kubernetes manifests and runbooks. Writes atomically: on any error the previous "
                       "output stays as it was and the exit code is 1.")
    p.add_argument("--config", metavar="FILE", help="YAML file overriding the defaults of monitoring/config.py")
    p.add_argument("--out", metavar="DIR", default="build", help="output directory (default: build)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("docs", help="regenerate docs/runbooks.md and the README's alert list",
                       description="Regenerate the committed runbooks and README sections from the definitions "
                       "(default config). With --check, change nothing and exit 1 when they are out of date.")
    p.add_argument("--config", metavar="FILE", help=argparse.SUPPRESS)
    p.add_argument("--check", action="store_true", help="only report whether the docs are out of date")
    p.set_defaults(func=_cmd_docs)

    p = sub.add_parser(
        "lint", help="check rule files, PrometheusRules and dashboards offline (ours or your own)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Check Prometheus rule files, PrometheusRule manifests (multi-document YAML such as rendered "
        "Helm output), dashboard JSON (plain, {\"dashboard\": ...} API wrapper, in ConfigMaps or GrafanaDashboards), "
        "and use ServiceMonitor/PodMonitor metricRelabelings and Prometheus scrape configs to find metrics that are "
        "dropped at scrape time. Knows the provider's and exporter's metrics, so it finds rules that can never match.",
        epilog="Output: `path:location: LEVEL check-id: message`, one per line, then a summary.\n"
        "Exit codes: 0 no error-level finding (warnings allowed), 1 error-level findings, 2 unusable input\n"
        "(unreadable file, invalid YAML or JSON, unknown check id, bad catalog).\n"
        "Deliberate exceptions: annotation `lint_disable: check-a,check-b` on a rule; tag\n"
        "`lint-disable:check-id` on a dashboard; --disable for the whole run. --list-checks lists every check.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: build)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument("--disable", action="append", default=[], metavar="CHECK",
                   help="skip a check id; repeat or separate with commas")
    p.add_argument("--catalog", default="builtin", metavar="builtin|FILE",
                   help="metrics to check against: the built-in provider/exporter catalog (default), or a "
                   "/metrics text dump or YAML {metrics: [{name, type, labels, values}]} of your own")
    p.add_argument("--scrape-interval", metavar="DURATION", help="for the range-window check (default: the config's, 30s)")
    p.add_argument("--dashboard-schema", metavar="FILE", help="Grafana dashboard JSON schema (default: "
                   "$SPECS_DIR or ../shared/specs grafana-dashboard.schema.json when present, else the check is skipped)")
    p.add_argument("--verbose", action="store_true", help="also list the documents that were not checked")
    p.add_argument("--list-checks", action="store_true", help="list the checks with their level and why, and exit")
    p.set_defaults(func=_cmd_lint)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MonitoringError as exc:
        print(f"gitea-monitoring: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
