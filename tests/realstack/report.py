"""Print the table of docs/real-stack.md: per recorded scenario and phase, which alerts fired on the recorder's live
Prometheus (record --with-prometheus) and in the promtool replay of the current build.

    .venv/bin/python -m tests.realstack.report
"""

from __future__ import annotations

import dataclasses

from gitea_provider_monitoring.check.promtool import toolsets
from gitea_provider_monitoring.model.config import Config
from tests.realstack.recording import Recording, available
from tests.realstack.replay import fired_per_phase


def recorded_config(recording: Recording) -> Config:
    """The default config with leader election as the recorded provider's args had it (off by default)."""
    args = recording.meta.get("provider_args", [])
    on = any(a in ("--leader-election", "-l", "--leader-election=true") for a in args)
    base = Config()
    return dataclasses.replace(base, provider=dataclasses.replace(base.provider, leader_election=on))


def live(recording: Recording, start: float, end: float) -> list[str] | None:
    """Alerts that were firing on the live Prometheus at some point of [start, end); None without one."""
    if recording.alerts is None:
        return None
    before: dict[str, str] = {}
    for t, name, state in recording.alerts:
        if t < start:
            before[name] = state
    fired = {n for n, state in before.items() if state == "firing"}
    fired |= {n for t, n, state in recording.alerts if start <= t < end and state == "firing"}
    return sorted(fired)


def table() -> str:
    promtool = toolsets("prometheus")[-1].tool
    lines = ["| scenario | phase | minutes | live Prometheus (eval 1m): fired | promtool replay: fired / firing at the end |",
             "|---|---|---|---|---|"]
    for name, path in available().items():
        r = Recording.load(path)
        replay = fired_per_phase(r, recorded_config(r), promtool)
        for p in r.phases:
            got = replay.get(p.name)
            rep = f"{', '.join(got.during) or 'nothing'} / {', '.join(got.at_end) or 'nothing'}" if got else "(too short)"
            on_live = live(r, p.start, p.end)
            fired_live = "(recorded without Prometheus)" if on_live is None else ", ".join(on_live) or "nothing"
            lines.append(f"| {name} | {p.name} | {(p.end - p.start) / 60:.1f} | {fired_live} | {rep} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
