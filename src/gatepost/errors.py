"""The root of gatepost's error hierarchy.

Every error the project raises on purpose derives from :class:`GatepostError`.
Errors carry structured fields rather than formatted text, and HTTP status codes
are assigned in exactly one place (``gatepost.api.errors``).

A message is a constant English sentence, so the admin UI can translate it (the
catalogue extracts the first argument of ``ValidationFailed``, ``Conflict``,
``SetupError`` and ``AuthenticationFailed``). A message that needs values is a
constant template with ``%(name)s`` placeholders and the values in ``params``::

    ValidationFailed("name must have at most %(max)s characters", field="name",
                     params={"max": 120})

``message`` is the English text with the values filled in (what the API answers);
``template`` and ``params`` are what the UI translates and then fills in
(``gatepost.web.forms.sentence``); a value that is itself words to translate (a field's
name) is a :class:`Term`. Only ``GatepostError`` and ``ValidationFailed`` (and
the subclasses that keep their constructor) take ``params``. The hierarchy::

    GatepostError
    ├── ConfigError                  settings that are unsafe or inconsistent
    ├── ValidationFailed             input that breaks a rule (field, reason)
    │   ├── InvalidIdentityNumber    domain.identities
    │   ├── InvalidSchedule          domain.schedules (field e.g. intervals.mon.1)
    │   ├── InvalidZone              domain.zones (unknown parent; ZoneCycle: a cycle)
    │   ├── WeakPassword             security.password_policy (reason)
    │   └── BadImage                 vision.images (type, size, pixels)
    ├── NotFound                     no such object *in this tenant*
    ├── Conflict                     duplicate or state clash (e.g. username taken)
    ├── AuthenticationFailed         bad or missing credentials (uniform message)
    │   ├── Unauthenticated          no credential that authenticates: the one answer
    │   └── Throttled                too many attempts (retry_after seconds)
    ├── PermissionDenied             authenticated but not allowed
    ├── MethodNotAllowed             a method the path does not serve (allowed methods)
    ├── SetupError                   first-run setup refused (token, already done)
    ├── CryptoError                  sealed data cannot be opened, key missing
    │   └── KeyShredded              the tenant's keys were destroyed
    ├── IntegrityError               audit chain broken
    ├── ModelFormatError             vision.dlib_net: damaged or unsupported model file
    ├── FontMissing                  vision.synthetic_plates: the CJK font is not installed
    └── ServiceUnavailable           database / object store unreachable
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "AuthenticationFailed",
    "ConfigError",
    "Conflict",
    "CryptoError",
    "GatepostError",
    "IntegrityError",
    "KeyShredded",
    "MethodNotAllowed",
    "NotFound",
    "PermissionDenied",
    "ServiceUnavailable",
    "SetupError",
    "Term",
    "Throttled",
    "Unauthenticated",
    "ValidationFailed",
]


class Term(str):
    """A message parameter that is itself a constant English phrase (e.g. a field's
    name): the UI translates it before filling it in; any other parameter is shown as
    it is."""

    __slots__ = ()


class GatepostError(Exception):
    """Base class of every deliberate gatepost error."""

    code = "error"

    def __init__(self, message: str, *, params: Mapping[str, object] | None = None) -> None:
        text = message % dict(params) if params else message
        super().__init__(text)
        self.message = text
        self.template = message
        self.params: Mapping[str, object] = dict(params or {})


class ConfigError(GatepostError):
    code = "config_error"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class ValidationFailed(GatepostError):
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message, params=params)
        self.field = field


class NotFound(GatepostError):
    code = "not_found"

    def __init__(self, resource: str) -> None:
        super().__init__(f"{resource} not found")
        self.resource = resource


class Conflict(GatepostError):
    code = "conflict"


class AuthenticationFailed(GatepostError):
    code = "unauthenticated"

    def __init__(self, message: str = "authentication required") -> None:
        super().__init__(message)


class Unauthenticated(AuthenticationFailed):
    """A request without a credential that authenticates, whatever was wrong with it.

    Missing, malformed, unknown, revoked or expired; a bearer token, session cookie,
    API key or device token: all get this one error with its one fixed message, so the
    answer tells a caller nothing about the credential it tried (HTTP: always the same
    401, see ``gatepost.api.errors.unauthenticated_response``).
    """

    MESSAGE = "authentication required"

    def __init__(self) -> None:
        super().__init__(self.MESSAGE)


class Throttled(AuthenticationFailed):
    code = "throttled"

    def __init__(self, *, retry_after: int) -> None:
        super().__init__("too many attempts; try again later")
        self.retry_after = retry_after


class PermissionDenied(GatepostError):
    code = "forbidden"

    def __init__(self, permission: str) -> None:
        super().__init__("you are not allowed to do this")
        self.permission = permission


class MethodNotAllowed(GatepostError):
    """The path exists but does not serve this method; ``allowed`` are those it serves."""

    code = "method_not_allowed"

    def __init__(self, allowed: frozenset[str]) -> None:
        super().__init__("this path does not serve that method")
        self.allowed = allowed


class SetupError(GatepostError):
    code = "setup_refused"


class CryptoError(GatepostError):
    code = "crypto_error"


class KeyShredded(CryptoError):
    code = "key_shredded"


class IntegrityError(GatepostError):
    code = "integrity_error"


class ServiceUnavailable(GatepostError):
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
