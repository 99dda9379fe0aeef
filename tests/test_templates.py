from __future__ import annotations

import pytest

from gitea_provider_monitoring.model.templates import TemplateError, humanize, humanize_duration, humanize_percentage, render


@pytest.mark.parametrize("value, text", [(0.3, "30%"), (0.05, "5%"), (1, "100%"), (0.12345, "12.35%")])
def test_humanize_percentage(value: float, text: str) -> None:
    assert humanize_percentage(value) == text


@pytest.mark.parametrize("value, text", [(29.8, "29.8s"), (90, "1m 30s"), (860400, "9d 23h 0m 0s"),
                                         (0.25, "250ms"), (0, "0s")])
def test_humanize_duration(value: float, text: str) -> None:
    assert humanize_duration(value) == text


@pytest.mark.parametrize("value, text", [(150, "150"), (1500, "1.5k"), (0.002, "2m"), (3, "3")])
def test_humanize(value: float, text: str) -> None:
    assert humanize(value) == text


def test_render_labels_and_value() -> None:
    assert render("{{ $labels.a }} at {{ $value | humanizePercentage }}", {"a": "x"}, 0.5) == "x at 50%"


def test_unknown_label_and_raw_value_are_refused() -> None:
    with pytest.raises(TemplateError, match="not on the alert"):
        render("{{ $labels.missing }}", {}, 1)
    with pytest.raises(TemplateError, match="humanize"):
        render("{{ $value }}", {}, 1)
