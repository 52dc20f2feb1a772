"""Open-set decision rules: thresholds, FPIR and the second-factor limit."""

from __future__ import annotations

import math

import pytest

from gatepost.domain.faces import (
    OpenSetPolicy,
    Outcome,
    decide,
    expected_fpir,
    face_only_limit,
    threshold_for_fmr,
    verification_errors,
)

POLICY = OpenSetPolicy(threshold=0.55, target_fmr=1e-4, max_fpir=0.05)


def test_fpir_grows_with_the_gallery_like_n_times_fmr() -> None:
    assert expected_fpir(0, 1e-4) == 0.0
    assert expected_fpir(1, 1e-4) == pytest.approx(1e-4)
    assert expected_fpir(100, 1e-4) == pytest.approx(100 * 1e-4, rel=0.01)
    assert expected_fpir(10**6, 1e-4) == pytest.approx(1.0, abs=1e-9)


def test_face_only_limit_is_the_largest_gallery_within_the_fpir_limit() -> None:
    limit = face_only_limit(POLICY)
    assert expected_fpir(limit, POLICY.target_fmr) <= POLICY.max_fpir
    assert expected_fpir(limit + 1, POLICY.target_fmr) > POLICY.max_fpir
    assert 500 <= limit <= 520


def test_decisions() -> None:
    assert decide(None, gallery_size=0, policy=POLICY).outcome is Outcome.NO_MATCH
    assert decide(0.7, gallery_size=10, policy=POLICY).outcome is Outcome.NO_MATCH
    assert decide(0.3, gallery_size=10, policy=POLICY).outcome is Outcome.MATCH
    at_limit = decide(0.55, gallery_size=10, policy=POLICY)
    assert at_limit.outcome is Outcome.MATCH  # the threshold itself is accepted
    big = decide(0.3, gallery_size=10_000, policy=POLICY)
    assert big.outcome is Outcome.SECOND_FACTOR
    assert "card" in big.reason
    assert big.fpir > POLICY.max_fpir
    # A stranger is refused whatever the gallery size: no second factor is offered.
    assert decide(0.9, gallery_size=10_000, policy=POLICY).outcome is Outcome.NO_MATCH


@pytest.mark.parametrize(
    "bad", [{"threshold": 0.0}, {"target_fmr": 0.0}, {"target_fmr": 1.0}, {"max_fpir": 2.0}]
)
def test_policy_refuses_nonsense(bad: dict[str, float]) -> None:
    values = {"threshold": 0.5, "target_fmr": 1e-3, "max_fpir": 0.05, **bad}
    with pytest.raises(ValueError):
        OpenSetPolicy(**values)


def test_threshold_for_fmr_counts_impostor_pairs() -> None:
    impostors = [0.6 + i / 1000 for i in range(1000)]  # 0.600 ... 0.999
    threshold = threshold_for_fmr(impostors, 0.01)
    _, fmr = verification_errors([], impostors, threshold)
    assert fmr <= 0.01
    assert threshold == pytest.approx(0.61, abs=1e-9)
    # Below 1/n the data cannot resolve the rate: just under the closest impostor.
    tiny = threshold_for_fmr(impostors, 1e-6)
    assert tiny < 0.6 and math.isclose(tiny, 0.6, abs_tol=1e-12)
    with pytest.raises(ValueError):
        threshold_for_fmr([], 0.01)


def test_verification_errors() -> None:
    fnmr, fmr = verification_errors([0.2, 0.4, 0.7], [0.5, 0.8, 0.9, 1.0], threshold=0.6)
    assert fnmr == pytest.approx(1 / 3)
    assert fmr == pytest.approx(1 / 4)
