"""Read a recording of the real provider (tests/recordings/<scenario>/recording.json; format in
tests/recordings/README.md): per scrape, the value of every kept series, and the phases."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
SERIES = re.compile(r'^(\w+)\{(.*)\}$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_series(key: str) -> tuple[str, dict[str, str]]:
    m = SERIES.match(key)
    if not m:
        raise ValueError(f"not a series key: {key!r}")
    return m.group(1), dict(LABEL.findall(m.group(2)))


def series_key(name: str, labels: dict[str, str]) -> str:
    return name + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def unrle(text: str) -> list[float | None]:
    out: list[float | None] = []
    for token in text.split():
        value, _, count = token.partition("*")
        out += [None if value == "_" else float(value)] * int(count or 1)
    return out


@dataclass
class Phase:
    name: str
    start: float  # seconds since the first scrape
    end: float

    def indexes(self, times: list[float]) -> list[int]:
        """Scrapes inside the phase (its first scrape at or after its start)."""
        return [i for i, t in enumerate(times) if self.start <= t < self.end]


@dataclass
class Recording:
    name: str
    meta: dict
    times: list[float]
    series: dict[str, list[float | None]]
    conditions: list[list]
    alerts: list[list] | None = None  # [t, alertname, state] on a live Prometheus; None: recorded without one

    @classmethod
    def load(cls, path: Path) -> Recording:
        raw = json.loads(path.read_text())
        times = raw["t"]
        series = {k: unrle(v) for k, v in raw["series"].items()}
        for k, v in series.items():
            if len(v) != len(times):
                raise ValueError(f"{path}: series {k} has {len(v)} samples for {len(times)} scrapes")
        # Buckets left out because they equal the next lower bucket in every scrape (lossless compaction).
        for hist, bounds in raw["buckets"].items():
            name, labels = parse_series(hist)
            prev = None
            for le in bounds:
                key = series_key(name, {**labels, "le": le})
                if key in series:
                    prev = series[key]
                elif prev is not None:
                    series[key] = list(prev)
        return cls(path.parent.name, raw["meta"], times, series, raw["conditions"], raw.get("alerts"))

    @property
    def phases(self) -> list[Phase]:
        marks = self.meta["phases"]
        ends = [m["at"] for m in marks[1:]] + [self.times[-1] + 1]
        return [Phase(m["phase"], m["at"], end) for m, end in zip(marks, ends, strict=True)]

    def phase(self, name: str) -> Phase:
        return next(p for p in self.phases if p.name == name)

    def select(self, metric: str, **labels: str) -> dict[str, list[float | None]]:
        out = {}
        for k, v in self.series.items():
            name, ls = parse_series(k)
            if name == metric and all(ls.get(a) == b for a, b in labels.items()):
                out[k] = v
        return out

    def increase(self, metric: str, phase: Phase, **labels: str) -> float:
        """Sum over matching series of the counter's increase between the phase's first and last scrape."""
        idx = phase.indexes(self.times)
        total = 0.0
        for values in self.select(metric, **labels).values():
            got = [values[i] for i in idx if values[i] is not None]
            if len(got) >= 2:
                total += got[-1] - got[0]
        return total

    def per_scrape(self, metric: str, phase: Phase, **labels: str) -> list[float]:
        """Summed increase of a counter from each scrape of the phase to the next."""
        idx = phase.indexes(self.times)
        matching = list(self.select(metric, **labels).values())
        out = []
        for a, b in zip(idx, idx[1:], strict=False):
            out.append(sum((v[b] or 0) - (v[a] or 0) for v in matching if v[a] is not None))
        return out


def available() -> dict[str, Path]:
    """scenario -> recording.json of every committed recording."""
    return {p.parent.name: p for p in sorted(RECORDINGS.glob("*/recording.json"))}
