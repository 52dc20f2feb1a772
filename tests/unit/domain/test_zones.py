"""Zones: the zone-tree check (cycles named), presence and anti-passback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.domain import zones
from gatepost.domain.errors import InvalidZone, ZoneCycle
from gatepost.domain.zones import (
    AntiPassback,
    AntiPassbackMode,
    AntiPassbackVerdict,
    Presence,
    Zone,
    anti_passback_verdict,
    check_zone_tree,
    tree_order,
    zone_ancestors,
)
from gatepost.errors import ValidationFailed

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SITE = [Zone("site"), Zone("floor-1", "site"), Zone("server-room", "floor-1"), Zone("yard")]


def test_all_is_sorted_and_complete() -> None:
    assert zones.__all__ == sorted(zones.__all__)
    assert all(hasattr(zones, name) for name in zones.__all__)


def test_a_tree_is_accepted() -> None:
    check_zone_tree(SITE)
    check_zone_tree([])
    assert zone_ancestors("server-room", SITE) == ("floor-1", "site")
    assert zone_ancestors("yard", SITE) == ()


@pytest.mark.parametrize(
    ("tree", "zone_id", "path"),
    [
        ([Zone("a", "a")], "a", ("a", "a")),
        ([Zone("a", "b"), Zone("b", "a")], "a", ("a", "b", "a")),
        ([Zone("top"), Zone("x", "y"), Zone("y", "z"), Zone("z", "x")], "x", ("x", "y", "z", "x")),
        # a zone hanging below a cycle is not on it: the cycle's first zone is named
        ([Zone("tail", "p"), Zone("p", "q"), Zone("q", "p")], "p", ("p", "q", "p")),
    ],
)
def test_a_cycle_is_refused_naming_the_zone(
    tree: list[Zone], zone_id: str, path: tuple[str, ...]
) -> None:
    with pytest.raises(ZoneCycle) as caught:
        check_zone_tree(tree)
    assert caught.value.zone_id == zone_id
    assert caught.value.path == path
    assert caught.value.field == "parent_id"
    assert zone_id in caught.value.message
    assert isinstance(caught.value, ValidationFailed)


def test_an_unknown_parent_or_a_duplicate_is_refused() -> None:
    with pytest.raises(InvalidZone) as caught:
        check_zone_tree([Zone("a", "ghost")])
    assert caught.value.zone_id == "a"
    assert caught.value.field == "parent_id"
    assert not isinstance(caught.value, ZoneCycle)
    with pytest.raises(InvalidZone) as duplicate:
        check_zone_tree([Zone("a"), Zone("a")])
    assert duplicate.value.field == "id"


@given(st.lists(st.integers(min_value=0, max_value=7) | st.none(), min_size=1, max_size=8))
def test_check_zone_tree_refuses_exactly_the_cycles(parents: list[int | None]) -> None:
    count = len(parents)
    tree = [Zone(f"z{i}", None if p is None else f"z{p % count}") for i, p in enumerate(parents)]
    parent_of = {z.id: z.parent_id for z in tree}

    def on_cycle(start: str) -> bool:
        current = parent_of[start]
        for _ in range(count):
            if current is None:
                return False
            if current == start:
                return True
            current = parent_of[current]
        return False

    cyclic = [z.id for z in tree if on_cycle(z.id)]
    if cyclic:
        with pytest.raises(ZoneCycle) as caught:
            check_zone_tree(tree)
        assert caught.value.zone_id in cyclic
    else:
        check_zone_tree(tree)


HARD = AntiPassback(AntiPassbackMode.HARD)
SOFT = AntiPassback(AntiPassbackMode.SOFT)
HARD_RESET = AntiPassback(AntiPassbackMode.HARD, reset_after=timedelta(hours=12))
IN_LOBBY = Presence("lobby", NOW - timedelta(hours=1))
IN_LOBBY_LONG_AGO = Presence("lobby", NOW - timedelta(hours=13))
OUTSIDE = Presence(None, NOW - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("rule", "presence", "into", "verdict"),
    [
        (AntiPassback(), IN_LOBBY, "lobby", AntiPassbackVerdict.CLEAR),
        (HARD, None, "lobby", AntiPassbackVerdict.CLEAR),  # unknown presence
        (HARD, IN_LOBBY, "lobby", AntiPassbackVerdict.HARD_VIOLATION),
        (SOFT, IN_LOBBY, "lobby", AntiPassbackVerdict.SOFT_VIOLATION),
        (HARD, IN_LOBBY, None, AntiPassbackVerdict.CLEAR),  # leaving is fine
        (HARD, OUTSIDE, None, AntiPassbackVerdict.HARD_VIOLATION),  # leaving twice
        (HARD, OUTSIDE, "lobby", AntiPassbackVerdict.CLEAR),
        (HARD_RESET, IN_LOBBY, "lobby", AntiPassbackVerdict.HARD_VIOLATION),
        (HARD_RESET, IN_LOBBY_LONG_AGO, "lobby", AntiPassbackVerdict.CLEAR),  # timed reset
    ],
)
def test_anti_passback(
    rule: AntiPassback, presence: Presence | None, into: str | None, verdict: AntiPassbackVerdict
) -> None:
    assert anti_passback_verdict(rule, presence, into_zone=into, at=NOW) is verdict


def test_nonsense_rules_and_presences_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        AntiPassback(AntiPassbackMode.HARD, reset_after=timedelta(0))
    with pytest.raises(ValueError, match="aware"):
        Presence("lobby", datetime(2026, 3, 2, 9, 0))  # naive on purpose


@given(
    st.sampled_from(AntiPassbackMode),
    st.sampled_from(["lobby", "office", None]),
    st.sampled_from(["lobby", "office", None]),
    st.integers(min_value=0, max_value=48 * 60),
)
def test_anti_passback_only_refuses_re_entry_within_the_reset(
    mode: AntiPassbackMode, placed: str | None, into: str | None, minutes_ago: int
) -> None:
    rule = AntiPassback(mode, reset_after=timedelta(hours=24))
    presence = Presence(placed, NOW - timedelta(minutes=minutes_ago))
    verdict = anti_passback_verdict(rule, presence, into_zone=into, at=NOW)
    violated = mode is not AntiPassbackMode.NONE and placed == into and minutes_ago < 24 * 60
    assert (verdict is not AntiPassbackVerdict.CLEAR) == violated


def test_tree_order_puts_each_zone_before_the_zones_inside_it() -> None:
    zones = [
        Zone("z1", None, "Yard"),
        Zone("z2", "z3", "Archive"),
        Zone("z3", None, "Lobby"),
        Zone("z4", "z2", "Vault"),
        Zone("z5", "gone", "Orphan"),
    ]
    assert [(z.name, depth) for z, depth in tree_order(zones)] == [
        ("Lobby", 0),
        ("Archive", 1),
        ("Vault", 2),
        ("Orphan", 0),
        ("Yard", 0),
    ]
    looped = [Zone("a", "b", "A"), Zone("b", "a", "B")]
    assert [z.id for z, _ in tree_order(looped)] == ["a", "b"]  # never lost
