"""Ordering pipelines upstream first, and the one error a cycle gets: no store involved."""

import pytest

from pachlite.errors import InvalidArgument
from pachlite.pps.dag import CycleError, upstream_first


def test_each_pipeline_comes_after_the_pipelines_it_reads() -> None:
    inputs = {"report": {"model", "data"}, "model": {"prep"}, "prep": {"raw"}}
    assert upstream_first(inputs) == ["prep", "model", "report"]


def test_repos_that_are_not_pipelines_impose_no_order() -> None:
    assert upstream_first({"b": {"raw"}, "a": {"raw", "other"}}) == ["b", "a"]
    assert upstream_first({}) == []


def test_the_order_is_stable_round_by_round() -> None:
    # Everything ready in a round is placed in the mapping's order before the next round.
    inputs = {"c": {"a"}, "a": set(), "d": {"c"}, "b": set()}
    assert upstream_first(inputs) == ["a", "b", "c", "d"]


def test_a_cycle_is_an_error_that_names_it() -> None:
    with pytest.raises(CycleError, match=r"the pipelines form a cycle: a -> b -> a") as caught:
        upstream_first({"a": {"b"}, "b": {"a"}})
    assert caught.value.cycle == ["a", "b", "a"]
    assert isinstance(caught.value, InvalidArgument) and caught.value.hint == "break the cycle"


def test_a_pipeline_reading_its_own_output_is_a_cycle() -> None:
    with pytest.raises(CycleError, match=r"cycle: p -> p"):
        upstream_first({"p": {"p", "data"}})


def test_the_cycle_named_is_a_real_one_even_behind_a_pipeline_that_only_waits_on_it() -> None:
    inputs = {"waits": {"x"}, "x": {"y"}, "y": {"z"}, "z": {"x"}, "free": {"raw"}}
    with pytest.raises(CycleError) as caught:
        upstream_first(inputs)
    assert caught.value.cycle == ["x", "y", "z", "x"]
    assert str(caught.value).startswith("the pipelines form a cycle: x -> y -> z -> x")


def test_no_cycle_is_ever_broken_by_picking_a_pipeline() -> None:
    # Before, two of the orderings placed the first pending pipeline and carried on.
    for inputs in ({"a": {"a"}}, {"a": {"b"}, "b": {"c"}, "c": {"a"}}, {"ok": set(), "q": {"q"}}):
        with pytest.raises(CycleError):
            upstream_first(inputs)
