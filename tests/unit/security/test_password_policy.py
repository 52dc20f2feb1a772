"""The one password rule (security/password_policy.py; SECURITY.md 16, NIST SP 800-63B-4)."""

from __future__ import annotations

import gzip
import random
import string
from importlib.resources import files

import pytest

from gatepost.security.password_policy import (
    MAX_PASSWORD_LENGTH,
    WeakPassword,
    WeakPasswordReason,
    check_password_policy,
    common_passwords,
)

ACME = ("Acme Security Ltd", "acme")
GOOD = [
    "Tangerine-Lighthouse-47",
    "Orchard-Quartz-Ribbon-93",
    "correct horse battery staple",
    "Xq7#mP2$vL9!",
    "violet canal bicycle anthem",
]


def _reason(password: str, *, username: str = "", organisation: tuple[str, ...] = ()) -> str:
    with pytest.raises(WeakPassword) as refused:
        check_password_policy(password, username=username, organisation=organisation)
    assert refused.value.field == "password"
    assert refused.value.message.startswith("password ")
    return refused.value.reason


# -- the reviewer's four examples -----------------------------------------------------


@pytest.mark.parametrize("password", ["123456789012", "iloveyou1234", "Password1234!"])
def test_reviewer_examples_are_refused(password: str) -> None:
    assert _reason(password, username="alice-admin", organisation=ACME)


def test_username_followed_by_12_is_refused() -> None:
    assert (
        _reason("alice-admin12", username="alice-admin", organisation=ACME)
        == WeakPasswordReason.CONTAINS_USERNAME
    )


# -- accepted -------------------------------------------------------------------------


@pytest.mark.parametrize("password", GOOD)
def test_good_passphrase_is_accepted(password: str) -> None:
    check_password_policy(password, username="alice-admin", organisation=ACME)


def test_random_passwords_are_accepted() -> None:
    """Generated passwords (as the demo and benchmarks make them) always pass (fixed
    seed: a random string may, once in a great while, contain "acme")."""
    rng = random.Random(2026)
    alphabet = string.ascii_letters + string.digits + "-_"
    for _ in range(500):
        password = "".join(rng.choice(alphabet) for _ in range(24))
        check_password_policy(password, username="alice-admin", organisation=ACME)


def test_long_password_up_to_the_limit_is_accepted() -> None:
    words = "-".join(GOOD)
    password = (words * (MAX_PASSWORD_LENGTH // len(words) + 1))[: MAX_PASSWORD_LENGTH - 1] + "Z"
    check_password_policy(password)


# -- length ---------------------------------------------------------------------------


def test_length_limits() -> None:
    assert _reason("Xq7#mP2$vL9") == WeakPasswordReason.TOO_SHORT
    assert _reason("Qz7!" + "x" * MAX_PASSWORD_LENGTH) == WeakPasswordReason.TOO_LONG
    with pytest.raises(WeakPassword, match="at least 16 characters"):
        check_password_policy("Tangerine-Light", min_length=16)


# -- context words --------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["alice-admin", "ALICE-ADMIN!!", "my alice-admin pass", "4l1c3-4dm1n-2025"]
)
def test_password_containing_the_username_is_refused(password: str) -> None:
    reason = _reason(password + "-Zebra-Tulip", username="alice-admin")
    assert reason == WeakPasswordReason.CONTAINS_USERNAME


@pytest.mark.parametrize("password", ["AcmeSecurityLtd!", "Acme-2024-rocks-hard", "Security2024!"])
def test_password_from_the_organisation_name_is_refused(password: str) -> None:
    assert _reason(password, organisation=ACME) == WeakPasswordReason.CONTAINS_ORGANISATION


@pytest.mark.parametrize(
    ("passphrase", "username"),
    [
        ("start violet cobalt drum", "art"),  # "art" inside "start"
        ("bad minty salmon river", "admin"),  # "admin" only across "bad minty"
        ("wild ian orchid kettle", "ia"),  # a name too short to judge
    ],
)
def test_a_name_spelled_across_words_or_too_short_is_not_refused(
    passphrase: str, username: str
) -> None:
    check_password_policy(passphrase, username=username)


@pytest.mark.parametrize(
    ("password", "username"),
    [
        ("my alice secret pass 7", "alice"),
        ("aliceadmin is great 77", "alice-admin"),
        ("xxalice-admin99-plover", "alice-admin"),
        ("Art2024!!!!!!", "art"),
    ],
)
def test_a_name_inside_a_word_or_run_together_is_refused(password: str, username: str) -> None:
    assert _reason(password, username=username) == WeakPasswordReason.CONTAINS_USERNAME


def test_a_word_of_the_username_inside_a_passphrase_is_accepted() -> None:
    """Only a word of the name with digits and symbols around it is refused, not any
    passphrase that happens to share a word with it."""
    check_password_policy("Guard-tower lantern 7 Ivy", username="guard.zhou")
    assert _reason("Guard2024!!!!", username="guard.zhou") == WeakPasswordReason.CONTAINS_USERNAME


# -- repetitive and sequential --------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["aaaaaaaaaaaa", "abcabcabcabc", "abcdabcdabcd", "Ab1!Ab1!Ab1!", "zzzzzzzzzzzy"]
)
def test_repetitive_password_is_refused(password: str) -> None:
    assert _reason(password) == WeakPasswordReason.REPETITIVE


@pytest.mark.parametrize(
    "password",
    [
        "123456789012",
        "abcdefghijkl",
        "qwertyuiopas",
        "zyxwvutsrqpo",
        "0987654321qwe",
        "asdfghjkl;'!",
        "1234567890abcdefg",
    ],
)
def test_sequential_password_is_refused(password: str) -> None:
    assert _reason(password) == WeakPasswordReason.SEQUENTIAL


# -- common and breached --------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "password1234",
        "1qaz2wsx3edc",
        "iloveyou1234",
        "Password1234!",
        "P@ssw0rd2024!",
        "!!Sunshine2024",
        "monkey82736451",
        "M0nk3y!2024!!",
        "Superman!!!!!",
    ],
)
def test_common_password_with_decorations_is_refused(password: str) -> None:
    assert _reason(password) == WeakPasswordReason.COMMON


def test_common_list_is_the_shipped_100k_list_loaded_once() -> None:
    first = common_passwords()
    assert first is common_passwords()  # one frozenset per process
    assert isinstance(first, frozenset)
    assert {"123456", "password", "iloveyou", "qwertyuiop"} <= first
    raw = (files("gatepost.security") / "data" / "common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    assert len(lines) == 100_000
    assert len(first) > 95_000  # case-folded duplicates removed


# -- the zxcvbn floor -----------------------------------------------------------------


def test_guessable_password_that_passes_the_other_checks_is_refused() -> None:
    """zxcvbn stays a floor: common names and words run together pass the list, not it."""
    assert _reason("michaeljordan") == WeakPasswordReason.GUESSABLE
    assert _reason("bicyclehorse") == WeakPasswordReason.GUESSABLE


# -- the field named ------------------------------------------------------------------


def test_change_names_the_new_password_field() -> None:
    with pytest.raises(WeakPassword) as refused:
        check_password_policy("iloveyou1234", field="new_password")
    assert refused.value.field == "new_password"
    assert refused.value.message.startswith("new password ")
    assert refused.value.code == "weak_password"
