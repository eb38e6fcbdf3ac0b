"""A model that times out or whose worker dies still has its zoo description in its row (group, family, natural
input, published accuracy): the census table, the explorer's filters and a rerun's file show what it is, not a
blank line."""

from __future__ import annotations

import os
import signal
import time

import pytest


def nap(name: str, options: dict | None = None) -> dict:
    """A model that never finishes (a top-level function: the worker imports it by reference)."""
    time.sleep(3600)
    return {}


def die(name: str, options: dict | None = None) -> dict:
    """A model that kills its worker every time."""
    os.kill(os.getpid(), signal.SIGKILL)
    return {}


def _expected_description() -> dict:
    from torchvision.models import get_model_weights

    published = get_model_weights("resnet18").DEFAULT.meta["_metrics"]["ImageNet-1K"]
    return {"group": "torchvision", "family": "resnet", "input": "3×224×224", "acc1": published["acc@1"],
            "acc5": published["acc@5"]}


@pytest.mark.parametrize(("task", "status"), [(nap, "timeout"), (die, "crashed")])
def test_the_local_pool_describes_a_model_that_did_not_finish(task, status):
    from cnnscope.studies.census.pool import run_local

    finished = [e.row for e in run_local(["resnet18"], task, workers=1, timeout=3) if hasattr(e, "row")]
    assert len(finished) == 1 and finished[0]["status"] == status
    assert {k: finished[0][k] for k in _expected_description()} == _expected_description()
    assert finished[0]["params"] is None  # nothing measured


def test_a_name_outside_the_zoo_is_still_a_plain_failed_row():
    from cnnscope.studies.census.pool import run_local

    finished = [e.row for e in run_local(["no_such_net"], nap, workers=1, timeout=2) if hasattr(e, "row")]
    assert finished[0]["status"] == "timeout" and finished[0]["group"] == "" and finished[0]["input"] == ""
