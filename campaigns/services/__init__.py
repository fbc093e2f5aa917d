"""Campaign services. Contact services announce every change of fields or groups through
`channels_app.services.smart_groups.contacts_changed`; the campaigns app listens there (see
`CampaignsConfig.ready`) and reschedules with `contact_changed`, the one place campaigns hear
about it. Contact code never imports campaigns: it sits below them."""

from campaigns.services.scheduling import contact_changed

__all__ = ["contact_changed"]
