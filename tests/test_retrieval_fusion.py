"""Fusion functions: min-max weighted and RRF, pure."""

import pytest

from retrieval.fusion import minmax, minmax_fuse, rrf_fuse


def test_minmax_scales_and_handles_ties():
    assert minmax({"a": 2.0, "b": 4.0, "c": 3.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert minmax({"a": 7.0, "b": 7.0}) == {"a": 1.0, "b": 1.0}
    assert minmax({}) == {}


def test_alpha_extremes_reproduce_single_components():
    bm25 = {"a": 9.0, "b": 3.0, "c": 1.0}
    dense = {"a": 0.2, "b": 0.9, "c": 0.5}
    assert list(minmax_fuse(0.0)(bm25, dense)) == ["a", "b", "c"]
    assert list(minmax_fuse(1.0)(bm25, dense)) == ["b", "c", "a"]


def test_weighted_mix_and_missing_component():
    fused = minmax_fuse(0.5)({"a": 10.0, "b": 5.0}, {"a": 0.8, "c": 0.9})
    assert fused == {"a": 0.5, "c": 0.5, "b": 0.0}
    fused = minmax_fuse(0.3)({"a": 10.0, "b": 0.0}, {"a": 0.0, "b": 1.0})
    assert fused["a"] == pytest.approx(0.7) and fused["b"] == pytest.approx(0.3)


def test_rrf_rewards_agreement():
    fused = rrf_fuse(60)({"a": 3.0, "b": 2.0, "c": 1.0}, {"b": 0.9, "c": 0.8, "a": 0.1})
    assert list(fused)[0] == "b"
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_alpha_out_of_range(bad):
    with pytest.raises(ValueError):
        minmax_fuse(bad)
    with pytest.raises(ValueError):
        rrf_fuse(0)


def test_empty_inputs():
    assert minmax_fuse(0.5)({}, {}) == {}
    assert rrf_fuse(60)({}, {}) == {}
