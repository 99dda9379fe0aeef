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
