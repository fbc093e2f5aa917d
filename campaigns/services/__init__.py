"""Campaign services. Contact code calls `contact_changed` after it changes a contact's fields
or groups: the one place campaigns hear about it."""

from campaigns.services.scheduling import contact_changed

__all__ = ["contact_changed"]
