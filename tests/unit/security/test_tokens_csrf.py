"""Opaque bearer tokens and the CSRF token derived from a session token."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

import pytest

from gatepost.security.csrf import csrf_token_for, csrf_valid
from gatepost.security.tokens import (
    TokenKind,
    hash_token,
    issue_token,
    parse_token,
    tokens_equal,
)

TENANT = "0123456789abcdef0123456789abcdef"
_SHAPE = re.compile(r"^(gps|gpk|gpd|gpt|gpi)_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$")


@pytest.mark.parametrize("kind", list(TokenKind))
def test_issued_token_parses_back_to_its_kind_tenant_and_hash(kind: TokenKind) -> None:
    token = issue_token(kind, TENANT)
    assert _SHAPE.match(token)
    assert token.startswith(f"{kind.value}_{TENANT}_")
    parsed = parse_token(token)
    assert parsed is not None
    assert (parsed.kind, parsed.tenant_id) == (kind, TENANT)
    assert parsed.token_hash == hash_token(token) == hashlib.sha256(token.encode()).digest()
    assert parse_token(token, expect=kind) == parsed


def test_token_secret_carries_256_random_bits() -> None:
    secrets = [issue_token(TokenKind.SESSION, TENANT).split("_", 2)[2] for _ in range(2000)]
    assert len(set(secrets)) == len(secrets)
    assert all(len(s) == 43 for s in secrets)  # 43 x 6 bits = 258 >= 256
    counts = Counter("".join(secrets))
    assert len(counts) == 64  # the whole url-safe alphabet is in use
    expected = len(secrets) * 43 / 64
    assert all(abs(n - expected) < 8 * math.sqrt(expected) for n in counts.values())


@pytest.mark.parametrize("expected", [TokenKind.API_KEY, TokenKind.DEVICE, TokenKind.SETUP])
def test_parse_refuses_a_token_of_another_kind(expected: TokenKind) -> None:
    assert parse_token(issue_token(TokenKind.SESSION, TENANT), expect=expected) is None


GOOD = f"gps_{TENANT}_{'Ab3_-Zq9' * 5}xYz"  # well formed, fixed so test ids are stable


def test_fixed_sample_token_is_well_formed() -> None:
    assert parse_token(GOOD) is not None


def _malformed() -> list[str]:
    good = GOOD
    prefix, tenant, secret = good.split("_", 2)
    return [
        "",
        "gps",
        good[:-1],
        good + "A",
        f"gpx_{tenant}_{secret}",
        f"GPS_{tenant}_{secret}",
        f"{prefix}_{tenant.upper()}_{secret}",
        f"{prefix}_{tenant[:-1]}_{secret}",
        f"{prefix}_{tenant}z_{secret[1:]}",
        f"{prefix}_{tenant}_{secret[:-1]}=",
        f"{prefix}_{tenant}_{secret[:-1]}+",
        f"{prefix}_{tenant}_{secret[:-1]}/",
        f" {good}",
        f"{good} ",
        f"{good}\n",
        f"{good}\x00",
        f"Bearer {good}",
        good.replace("_", "-", 1),
    ]


@pytest.mark.parametrize("token", _malformed(), ids=[str(i) for i in range(len(_malformed()))])
def test_parse_refuses_malformed_tokens(token: str) -> None:
    assert parse_token(token) is None


def test_tokens_equal_compares_hashes() -> None:
    a = hash_token(issue_token(TokenKind.SESSION, TENANT))
    b = hash_token(issue_token(TokenKind.SESSION, TENANT))
    assert tokens_equal(a, a) and not tokens_equal(a, b)


def test_parsed_token_repr_shows_no_secret_or_hash() -> None:
    token = issue_token(TokenKind.DEVICE, TENANT)
    parsed = parse_token(token)
    assert parsed is not None
    shown = repr(parsed)
    assert token.split("_", 2)[2] not in shown
    assert parsed.token_hash.hex() not in shown and repr(parsed.token_hash) not in shown


# -- CSRF ---------------------------------------------------------------------------


def test_csrf_token_is_bound_to_the_session_token() -> None:
    session = issue_token(TokenKind.SESSION, TENANT)
    other = issue_token(TokenKind.SESSION, TENANT)
    csrf = csrf_token_for(session)
    assert csrf == csrf_token_for(session)
    assert csrf != csrf_token_for(other)
    assert csrf_valid(session, csrf)
    assert not csrf_valid(other, csrf)
    assert len(csrf) == 43 and re.fullmatch(r"[A-Za-z0-9_-]+", csrf)


def test_csrf_token_does_not_reveal_the_session_token() -> None:
    session = issue_token(TokenKind.SESSION, TENANT)
    csrf = csrf_token_for(session)
    secret = session.split("_", 2)[2]
    assert secret not in csrf and csrf not in session
    assert csrf != hashlib.sha256(session.encode()).hexdigest()


@pytest.mark.parametrize("presented", [None, "", " ", "x"])
def test_csrf_refuses_missing_or_junk_tokens(presented: str | None) -> None:
    session = issue_token(TokenKind.SESSION, TENANT)
    assert not csrf_valid(session, presented)


def test_csrf_refuses_near_misses() -> None:
    session = issue_token(TokenKind.SESSION, TENANT)
    csrf = csrf_token_for(session)
    for near in (csrf[:-1], csrf + "A", csrf.upper(), csrf + "=", " " + csrf, session):
        assert not csrf_valid(session, near)
