"""How roles are named on the pages, and which ones a viewer may offer in a role select.

One table for every page that shows a role (users, API keys, invitations, the privacy
page): the labels are message ids, translated where they are shown.
"""

from __future__ import annotations

from gatepost.security.permissions import Role, grantable_roles
from gatepost.security.policy import Principal
from gatepost.web.i18n import N_

__all__ = ["ROLE_LABELS", "role_choices"]

ROLE_LABELS: dict[str, str] = {
    Role.ADMIN.value: N_("Administrator"),
    Role.OPERATOR.value: N_("Operator"),
    Role.GUARD.value: N_("Guard"),
    Role.HR.value: N_("HR officer"),
    Role.AUDITOR.value: N_("Auditor"),
}
"""How a role is named on the pages (message ids, translated where shown)."""

_ROLE_ORDER = (Role.ADMIN, Role.OPERATOR, Role.GUARD, Role.HR, Role.AUDITOR)


def role_choices(principal: Principal) -> list[str]:
    """The roles the viewer may grant, most powerful first (for role selects)."""
    allowed = grantable_roles(principal.role)
    return [role.value for role in _ROLE_ORDER if role in allowed]
