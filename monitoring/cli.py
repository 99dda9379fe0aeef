"""`gitea-monitoring`: build, docs, lint and push the monitoring for the Crossplane Gitea provider."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from gitea_provider_monitoring import __version__
from gitea_provider_monitoring.check.promtool import REPO_ROOT
from gitea_provider_monitoring.model.config import config_warnings, load_config
from gitea_provider_monitoring.model.errors import MonitoringError


def _cmd_build(args: argparse.Namespace) -> int:
    from gitea_provider_monitoring.render.compiler import build

    config = load_config(args.config)
    files = build(config, Path(args.out))
    kinds: dict[str, int] = {}
    for rel in files:
        top = rel.split("/", 1)[0]
        kinds[top] = kinds.get(top, 0) + 1
    summary = ", ".join(f"{n} in {k}/" for k, n in sorted(kinds.items()))
    print(f"gitea-monitoring: wrote {len(files)} files to {args.out}/ ({summary})")
    for warning in config_warnings(config):
        print(f"gitea-monitoring: warning: {warning}", file=sys.stderr)
    _note_unreachable(config)
    return 0


def _note_unreachable(config) -> None:
    """Alerts without a firing case under this config (impossible to fire, or a reconcile SLO too strict to show in
    a test): allowed (the e2e config does it), but said."""
    from gitea_provider_monitoring import alerts

    for rule_file in alerts.rule_files(config):
        for rule in rule_file.alerts():
            if rule.unreachable:
                print(f"gitea-monitoring: note: {rule.alert} has no firing case with this config: {rule.unreachable}",
                      file=sys.stderr)


def _cmd_docs(args: argparse.Namespace) -> int:
    from gitea_provider_monitoring.render.docs import update_docs

    config = load_config(args.config)
    changed = update_docs(config, REPO_ROOT, check=args.check)
    if args.check and changed:
        print("gitea-monitoring: out of date: " + ", ".join(changed) + " (run `make docs`)", file=sys.stderr)
        return 1
    print("gitea-monitoring: docs " + ("up to date" if not changed else "updated: " + ", ".join(changed)))
    return 0


def _cmd_lint(args: argparse.Namespace) -> int:
    from gitea_provider_monitoring.lint import CHECKS, lint_paths
    from gitea_provider_monitoring.lint.catalog import from_file
    from gitea_provider_monitoring.lint.findings import locate_lines, render_json, render_sarif, render_text
    from gitea_provider_monitoring.lint.inputs import LintInputError
    from gitea_provider_monitoring.lint.types import TypeSourceError

    if args.list_checks:
        for check in CHECKS.values():
            print(f"{check.id:29} {check.level:8} {check.group:10} {check.why}")
        return 0
    if args.explain:
        from gitea_provider_monitoring.lint.checks import DOCS

        if args.explain not in CHECKS:
            print(f"gitea-monitoring lint: --explain {args.explain}: no such check; see --list-checks", file=sys.stderr)
            return 2
        check = CHECKS[args.explain]
        print(DOCS.get(check.id) or f"{check.id} ({check.level}): {check.why}")
        return 0
    disabled = {c.strip() for item in args.disable for c in item.split(",") if c.strip()}
    severities = tuple(s.strip() for s in args.severities.split(",") if s.strip()) if args.severities else None
    levels = dict(item.partition("=")[::2] for arg in args.level for item in arg.split(",") if item.strip())
    try:
        catalog = None if args.catalog == "builtin" else from_file(Path(args.catalog))
        result = lint_paths([Path(p) for p in args.paths or ["build"]], catalog, disabled, args.scrape_interval,
                            Path(args.dashboard_schema) if args.dashboard_schema else None, severities, levels,
                            metrics=args.metrics, prometheus=args.prometheus)
    except (LintInputError, TypeSourceError, ValueError) as exc:
        print(f"gitea-monitoring lint: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        sys.stdout.write(render_json(result.findings, result.files, result.notes))
    elif args.format == "sarif":
        sys.stdout.write(render_sarif(result.findings, result.files, result.notes, locate_lines(result.findings)))
    else:
        sys.stdout.write(render_text(result.findings, result.files, result.notes, verbose=args.verbose))
    if args.strict and result.unchecked:
        print(f"gitea-monitoring lint: --strict: nothing checkable in {len(result.unchecked)} file(s): "
              + ", ".join(result.unchecked[:5]) + (" ..." if len(result.unchecked) > 5 else ""), file=sys.stderr)
        return 2
    return 1 if result.errors else 0


def _cmd_test(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from gitea_provider_monitoring.check import selftest
    from gitea_provider_monitoring.render.compiler import build

    config = load_config(args.config)
    with tempfile.TemporaryDirectory(prefix="gitea-monitoring-test-") as tmp:
        out = Path(tmp) / "build"
        if not args.dir:
            build(config, out)
        elif not (Path(args.dir) / "tests").is_dir():
            print(f"gitea-monitoring test: {args.dir}: no tests/ directory (build it with `gitea-monitoring build`)",
                  file=sys.stderr)
            return 2
        else:  # a copy: the hand-written tests are rendered beside the generated ones, not into your build
            shutil.copytree(args.dir, out)
        report = selftest.prove(out, config, jobs=args.jobs,
                                handwritten=None if args.no_handwritten else selftest.HANDWRITTEN_DIR)
    for line in report.lint_errors:
        print(f"lint: {line}")
    for failure in report.failures:
        print(f"FAILED {failure}")
    source = args.config or "the default config"
    verdict = "ok" if report.ok else "FAILED"
    print(f"gitea-monitoring test: {verdict}: {source}: {report.cases} promtool cases in {report.files} files"
          f"{'' if report.ok else f', {len(report.failures)} file(s) failed, {len(report.lint_errors)} lint error(s)'}")
    _note_unreachable(config)
    return 0 if report.ok else 1


PUSH_EXIT = {"ok": 0, "failed": 1, "changes": 2, "refused": 3, "usage": 4}


def _git_commit() -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=REPO_ROOT)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _cmd_push(args: argparse.Namespace) -> int:
    from gitea_provider_monitoring.delivery import push as gp
    from gitea_provider_monitoring.delivery.client import Auth, GrafanaClient, GrafanaError, Redactor, is_loopback, redact

    token = None
    if args.token_file:
        try:
            token = Path(args.token_file).read_text().strip()
        except OSError as exc:
            return _push_fail(f"cannot read --token-file {args.token_file}: {exc.strerror}")
        if not token:
            return _push_fail(f"--token-file {args.token_file} is empty; write the service account token into it "
                              "(GRAFANA_TOKEN is not used when --token-file is given)")
    token = token or os.environ.get("GRAFANA_TOKEN") or None
    auth = Auth(token=token, user=os.environ.get("GRAFANA_USER"), password=os.environ.get("GRAFANA_PASSWORD"))
    secret = Redactor(auth.token, auth.password, url=args.grafana_url or "", user=auth.user)

    def say(text: str) -> None:  # every line push prints passes the one redaction step
        print(secret(text))

    def fail(message: str, code: str = "usage") -> int:
        return _push_fail(secret(message), code)

    if not args.grafana_url:
        return fail("--grafana-url (or GRAFANA_URL) is required")
    url_has_user = "@" in urlsplit(args.grafana_url).netloc
    if not token and not auth.user and not url_has_user:
        return fail("no credentials: set GRAFANA_TOKEN (or --token-file) or GRAFANA_USER and GRAFANA_PASSWORD")
    if urlsplit(args.grafana_url).scheme == "http" and not is_loopback(args.grafana_url):
        if not args.allow_http:
            return fail(f"{redact(args.grafana_url)} is plain http: the credentials would cross the network "
                        "unencrypted; use https, or pass --allow-http if this network is trusted")
        print("gitea-monitoring push: warning: sending credentials over plain http (--allow-http)", file=sys.stderr)
    try:
        local = gp.load_local(Path(args.dir))
    except gp.PushInputError as exc:
        return fail(str(exc))
    config = load_config(args.config)
    folder_title = args.folder_title or config.grafana_folder
    client = GrafanaClient(args.grafana_url, auth, org_id=args.org_id, verify=args.ca_file or True,
                           timeout=args.timeout, retries=args.retries)
    commit = _git_commit()
    message = f"gitea-provider-monitoring {__version__}" + (f" ({commit})" if commit else "")
    try:
        health = client.health()
        say(f"grafana  {redact(args.grafana_url)}: version {str(health.get('version', '?'))[:40]}, "
            f"database {str(health.get('database', '?'))[:40]}")
        folder, warning = gp.check_access(client, args.folder_uid, args.parent_folder_uid)
        say(f"access   credentials accepted; folder {args.folder_uid}: "
            + ("may save" if folder is not None else "to create" + (f" below {args.parent_folder_uid}"
                                                                     if args.parent_folder_uid else "")))
        if warning:
            say(f"warning  {warning}")
        if args.check:
            return PUSH_EXIT["ok"]
        plan = gp.make_plan(client, local, args.folder_uid, folder_title, force=args.force, prune=args.prune,
                            parent_uid=args.parent_folder_uid, folder=folder, checked=True)
    except GrafanaError as exc:
        return fail(str(exc), "failed")
    say(f"folder   {plan.folder_uid} ({plan.folder_title}): {'exists' if plan.folder_exists else 'to create'}")
    refusing = any(c.action == gp.REFUSED for c in plan.changes)
    full = args.diff == "full"
    for c in plan.changes:
        if not (args.dry_run or refusing) and c.action in (gp.CREATE, gp.UPDATE, gp.DELETE):
            continue  # printed as progress when applied
        reason = c.reason
        if c.action == gp.DELETE:
            reason = f"{c.reason}; {gp.summary(c.remote, c.meta)}"
        say(f"{c.action:8} {c.uid} ({c.title})" + (f": {reason}" if reason else ""))
        show = args.dry_run or c.action == gp.REFUSED
        if show and c.action in (gp.UPDATE, gp.REFUSED) and c.remote is not None and c.local is not None:
            text = gp.diff(c.remote, c.local, c.uid, context=1_000_000) if full else c.diff
            say("".join("    " + x for x in text.splitlines(keepends=True)).rstrip("\n"))
        elif show and c.action == gp.DELETE and full and c.diff:
            say("".join("    " + x for x in c.diff.splitlines(keepends=True)).rstrip("\n"))
    counts = {a: len(plan.by_action(a)) for a in (gp.CREATE, gp.UPDATE, gp.UNCHANGED, gp.REFUSED, gp.DELETE)}
    summary = ", ".join(f"{n} {a}" for a, n in counts.items())
    if counts[gp.REFUSED]:
        say(f"plan: {summary}")
        return fail(f"{counts[gp.REFUSED]} dashboard(s) refused, nothing written; review the diff above and use "
                    "--force to overwrite", "refused")
    if args.dry_run:
        say(f"plan: {summary} (dry run: nothing written)")
        return PUSH_EXIT["changes"] if args.exit_code and plan.pending else PUSH_EXIT["ok"]
    if not plan.pending:
        say(f"done: {summary}: Grafana already matches build/")
        return PUSH_EXIT["ok"]
    try:
        report = gp.apply(client, plan, message, progress=say)
    except GrafanaError as exc:  # the folder could not be created: nothing else was written
        return fail(str(exc), "failed")
    if report.failed:
        restored = ", ".join(report.rolled_back) or "nothing to restore"
        say(f"rolled back: {restored}")
        for err in report.rollback_errors:
            print(secret(f"ROLLBACK FAILED: {err}"), file=sys.stderr)
        return fail(f"push failed at {report.failed.uid}: {report.error}; dashboards changed in this run were "
                    "restored" + (" except those listed above" if report.rollback_errors else ""), "failed")
    say(f"done: {summary}")
    return PUSH_EXIT["ok"]


def _push_fail(message: str, code: str = "usage") -> int:
    print(f"gitea-monitoring push: {message}", file=sys.stderr)
    return PUSH_EXIT[code]


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
    p.add_argument("--config", metavar="FILE", help="YAML file overriding the defaults of monitoring/model/config.py")
    p.add_argument("--out", metavar="DIR", default="build", help="output directory (default: build)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "test", help="prove a build before deploying it: lint, promtool check and every promtool test",
        description="Build the config into a temporary directory (or take --dir), lint it, run `promtool check "
        "rules` and every generated promtool test (each alert fires on inputs above its threshold and stays "
        "silent under it, computed from this config), plus the hand-written tests of tests/rules/ in a "
        "checkout. Exit 0 when all pass, 1 when any fails.")
    p.add_argument("--config", metavar="FILE", help="YAML file overriding the defaults (the one you deploy)")
    p.add_argument("--dir", metavar="DIR", help="test this existing build instead of building (same --config)")
    p.add_argument("--jobs", type=int, default=2, help="promtool processes at a time (default: %(default)s)")
    p.add_argument("--no-handwritten", action="store_true", help="only the generated tests")
    p.set_defaults(func=_cmd_test)

    p = sub.add_parser("docs", help="regenerate docs/runbooks.md and the alert and dashboard tables of docs/",
                       description="Regenerate the committed runbooks and the generated tables of "
                       "docs/alerts-and-dashboards.md from the definitions "
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
        "(unreadable file, invalid YAML or JSON, unknown check id, bad catalog), or with --strict a file with\n"
        "nothing checkable (without --strict such a file is only noted).\n"
        "Deliberate exceptions: annotation `lint_disable: check-a,check-b` on a rule; tag\n"
        "`lint-disable:check-id` on a dashboard; --disable for the whole run. --list-checks lists every check.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: build)")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                   help="output format (default: text); sarif is SARIF 2.1.0 for code scanning in CI")
    p.add_argument("--strict", action="store_true", help="exit 2 when a file has nothing checkable (no rules, "
                   "dashboards, monitors or scrape configs)")
    p.add_argument("--severities", metavar="LIST", help="accepted alert severities, comma-separated (default: "
                   "critical,warning,info,none)")
    p.add_argument("--level", action="append", default=[], metavar="CHECK=LEVEL",
                   help="set a check's level to error or warning; repeat or separate with commas")
    p.add_argument("--disable", action="append", default=[], metavar="CHECK",
                   help="skip a check id; repeat or separate with commas")
    p.add_argument("--catalog", default="builtin", metavar="builtin|FILE",
                   help="metrics to check against: the built-in provider/exporter catalog (default), or a "
                   "/metrics text dump or YAML {metrics: [{name, type, labels, values}]} of your own")
    p.add_argument("--metrics", action="append", default=[], metavar="FILE|URL",
                   help="a metrics sample (a scrape of your exporter, or its URL): its # TYPE lines type metrics the "
                   "catalog does not know; repeatable")
    p.add_argument("--prometheus", metavar="URL", help="a Prometheus whose /api/v1/metadata types metrics the catalog "
                   "and --metrics do not know (read-only GET; 30s and 32 MiB at most)")
    p.add_argument("--scrape-interval", metavar="DURATION", help="for the range checks: short-range-window (default: "
                   "the config's, 30s) and, when given, range-below-two-scrapes for every selector")
    p.add_argument("--dashboard-schema", metavar="FILE", help="Grafana dashboard JSON schema (default: "
                   "$SPECS_DIR or ../shared/specs grafana-dashboard.schema.json when present, else the project's own "
                   "description of the dashboard model)")
    p.add_argument("--verbose", action="store_true", help="also list the documents that were not checked")
    p.add_argument("--list-checks", action="store_true", help="list the checks with their level and why, and exit")
    p.add_argument("--explain", metavar="CHECK", help="print a check's documentation (what, why, bad/good), and exit")
    p.set_defaults(func=_cmd_lint)

    p = sub.add_parser(
        "push", help="push the built dashboards to Grafana over its HTTP API (plan, diff, rollback)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Push build/grafana/dashboards to a Grafana folder. Compares each dashboard with the one in "
        "Grafana (ignoring id, version and other server-side fields), skips equal ones, never overwrites a "
        "dashboard it does not own or one edited in Grafana since the last push (unless --force), and restores "
        "what it changed if a write fails midway.",
        epilog="Credentials: GRAFANA_TOKEN or --token-file (service account token, sent as Bearer), or\n"
        "GRAFANA_USER and GRAFANA_PASSWORD (basic auth). They never appear in the output.\n"
        "Exit codes: 0 done (or dry run without --exit-code), 1 Grafana error or failed write (rolled back),\n"
        "2 changes pending (--dry-run --exit-code), 3 dashboards refused (nothing written),\n"
        "4 bad usage or input (no URL, no credentials, empty --token-file, unreadable dashboards, plain http).")
    p.add_argument("--dir", default="build/grafana/dashboards", help="dashboards to push (default: %(default)s)")
    p.add_argument("--grafana-url", default=os.environ.get("GRAFANA_URL"), help="Grafana base URL (GRAFANA_URL)")
    p.add_argument("--token-file", metavar="FILE", help="file holding a service account token (else GRAFANA_TOKEN)")
    p.add_argument("--ca-file", metavar="FILE", help="CA bundle to verify Grafana's certificate")
    p.add_argument("--org-id", type=int, help="sent as X-Grafana-Org-Id")
    p.add_argument("--folder-uid", default="gitea-provider", help="target folder uid, created when missing "
                   "(default: %(default)s)")
    p.add_argument("--folder-title", help="title for a new folder (default: grafana_folder from the config)")
    p.add_argument("--parent-folder-uid", default="", metavar="UID", help="create the folder below this existing "
                   "folder (nested folders, Grafana 11+)")
    p.add_argument("--config", metavar="FILE", help="config file (for the folder title)")
    p.add_argument("--dry-run", action="store_true", help="print the plan with unified diffs; change nothing")
    p.add_argument("--diff", choices=("unified", "full"), default="unified", help="with --dry-run or a refusal: "
                   "unified diffs with 2 lines of context and one line per dashboard to delete (default), or the "
                   "whole JSON of each")
    p.add_argument("--check", action="store_true", help="only check the credentials and the permission to write "
                   "the folder, then exit (0 when both are fine)")
    p.add_argument("--allow-http", action="store_true", help="allow sending credentials over plain http to a host "
                   "other than loopback (refused otherwise)")
    p.add_argument("--exit-code", action="store_true", help="with --dry-run: exit 2 when there are changes (drift "
                   "check in CI)")
    p.add_argument("--prune", action="store_true", help="delete dashboards we own in the folder that are no longer "
                   "defined")
    p.add_argument("--force", action="store_true", help="overwrite dashboards we do not own or that were edited in "
                   "Grafana")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP call (default: %(default)s)")
    p.add_argument("--retries", type=int, default=3, help="retries on 5xx and connection errors, with exponential "
                   "backoff and jitter (default: %(default)s)")
    p.set_defaults(func=_cmd_push)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MonitoringError as exc:
        print(f"gitea-monitoring: error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 1)


if __name__ == "__main__":
    sys.exit(main())
