"""The calibration's simulation of the early exit follows the answerer's own rule (qa.answer)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from index import Settings
from qa.answer import Answerer, Reading


@pytest.fixture(scope="module")
def calibrate():
    path = Path(__file__).parent.parent / "bench" / "calibrate_reader.py"
    spec = importlib.util.spec_from_file_location("calibrate_reader", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["calibrate_reader"] = module
    spec.loader.exec_module(module)
    return module


class _Article:
    id = "a"
    text = "26億元 3.5億元 15.7畝"


def _readings(head: list[list]) -> list[Reading]:
    """Readings over one article whose spans are the given texts."""
    article = _Article()
    out = []
    for context, margin, _, text in head:
        start = article.text.index(text)
        out.append(Reading(article, start, start + len(text), margin, context))  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize("head", [
    [[0, 9.0, 1.0, "26億元"], [1, 8.0, 0.0, "3.5億元"]],  # a rival within the lead: read on
    [[0, 9.0, 1.0, "26億元"], [1, 8.0, 0.0, "26億元"]],  # the same answer twice: no rival
    [[0, 9.0, 1.0, "26億元"], [1, -5.0, 0.0, "3.5億元"]],  # the other would not be answered
    [[0, 9.0, 1.0, "26億元"], [1, 2.0, 0.0, "3.5億元"]],  # a rival, far enough behind
    [[0, -3.0, 1.0, "26億元"]],  # not sure enough
    [[0, 9.0, 1.0, "26億元"], [0, 8.5, 0.0, "15.7畝"]],  # another window of the same passage
])
def test_the_simulated_early_exit_is_the_answerers(calibrate, head: list[list], tmp_path) -> None:
    settings = Settings(home=tmp_path, reader_threshold=-1.1, reader_early_exit=0.0,
                        reader_early_exit_lead=5.0)
    answerer = Answerer(settings)
    assert calibrate.stops_early(head, 0.0, 5.0, -1.1) == answerer._sure(_readings(head))


def test_the_cases_above_decide_both_ways(calibrate) -> None:
    assert not calibrate.stops_early([[0, 9.0, 1.0, "26億元"], [1, 8.0, 0.0, "3.5億元"]], 0.0, 5.0, -1.1)
    assert calibrate.stops_early([[0, 9.0, 1.0, "26億元"], [1, 8.0, 0.0, "26億元"]], 0.0, 5.0, -1.1)
    assert calibrate.stops_early([[0, 9.0, 1.0, "26億元"], [1, 2.0, 0.0, "3.5億元"]], 0.0, 5.0, -1.1)
    assert not calibrate.stops_early([[0, -3.0, 1.0, "26億元"]], 0.0, 5.0, -1.1)
