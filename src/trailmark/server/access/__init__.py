"""Access: one request guard that every route passes (see :mod:`.guard`), the declared
route -> permission table (:mod:`.permissions`), and the policy seam accounts will fill."""

from trailmark.server.access.guard import Policy, RequestGuard, admit_everyone
from trailmark.server.access.permissions import ROUTE_PERMISSIONS, Permission

__all__ = ["ROUTE_PERMISSIONS", "Permission", "Policy", "RequestGuard", "admit_everyone"]
