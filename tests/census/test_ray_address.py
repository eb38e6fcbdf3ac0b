"""A --ray ADDRESS that Ray cannot use is one line (a UsageError that names it), not an internal error."""

from __future__ import annotations

import pytest

from cnnscope.errors import UsageError


def test_an_address_ray_cannot_parse_is_one_line():
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        pytest.skip("a Ray is already running in this process: the census uses it and ignores the address")
    from cnnscope.studies.census.ray_engine import run_ray

    with pytest.raises(UsageError, match=r"^cannot use the Ray cluster at 'bogus': Invalid address format: bogus$"):
        list(run_ray(["lenet5"], address="bogus"))
    assert not ray.is_initialized()
