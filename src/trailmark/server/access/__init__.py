"""Access: one request guard that every route passes (see :mod:`.guard`), the declared
route -> permission table (:mod:`.permissions`) and resource locators (:mod:`.resources`,
:mod:`.mlflow_resources`, merged in :mod:`.route_resources`); with accounts, who calls
(:mod:`.authenticate`), what they may do (:mod:`.policy`), the audit events
(:mod:`.audit_trail`) and sign-in throttling (:mod:`.rate_limit`); and the cross-site check
just inside the guard (:mod:`.cross_site`, with :mod:`.body_types`)."""

from trailmark.server.access.cross_site import CrossSiteCheck
from trailmark.server.access.guard import Policy, RequestGuard, admit_everyone
from trailmark.server.access.permissions import ROUTE_PERMISSIONS, Permission

__all__ = [
    "ROUTE_PERMISSIONS",
    "CrossSiteCheck",
    "Permission",
    "Policy",
    "RequestGuard",
    "admit_everyone",
]
