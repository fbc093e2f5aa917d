"""What a search box query means, resolved through indexes instead of a substring scan.

A number-looking query ("0788 123 123", "+250788123123") is an exact match of the normalised
`tel:` URN (through the unique (workspace, identity) index), tried with every country of the
workspace's channels; only when no URN matches exactly does it fall back to a substring of the
URNs. A contact's name or URN is a case-insensitive substring (`icontains`): on PostgreSQL the
trigram GIN indexes of migration 0008 answer it (`upper(col) gin_trgm_ops` fits Django's
`UPPER(col) LIKE UPPER(%s)`); on the embedded SQLite it is a plain scan, which is fine at that
size. A message's text is matched by words instead (services.message_words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from channels_app import urns
from channels_app.models import Channel, Contact, ContactURN

# Beyond this many matching contacts the query is common: their ids go to the database as a
# subquery (a scan newest-first finds a page fast) instead of a literal list (an index lookup).
MAX_CONTACT_IDS = 1000
_NUMBER_SEPARATORS = re.compile(r"[\s\-().]")
_NUMBER = re.compile(r"\+?[0-9]{5,15}")


def number_identities(*, workspace_id: int, query: str) -> list[str] | None:
    """The tel identities a number-looking query can mean; None when it is not a number."""
    cleaned = _NUMBER_SEPARATORS.sub("", query.strip())
    if not _NUMBER.fullmatch(cleaned):
        return None
    countries = set(
        Channel.objects.filter(workspace_id=workspace_id)
        .exclude(country="")
        .values_list("country", flat=True)
    )
    found = {f"tel:{cleaned}"}
    if not cleaned.startswith("+"):
        found.add(f"tel:+{cleaned}")
    for country in sorted(countries) + [""]:
        try:
            found.add(urns.normalize(f"tel:{cleaned}", country))
        except urns.InvalidURN:
            continue
    return sorted(found)


@dataclass(frozen=True)
class ContactMatch:
    # the contacts' ids when few (list[int]), else a subquery of them (a values("id") QuerySet)
    contacts: Any
    # a number-looking query: the tel identities it can mean (None: not a number)
    identities: list[str] | None = None
    # whether one of them is a contact's URN (else `contacts` holds URNs containing the number)
    exact: bool = False


def _few(values: QuerySet[Any, int]) -> list[int] | None:
    ids = list(values[: MAX_CONTACT_IDS + 1])
    return None if len(ids) > MAX_CONTACT_IDS else ids


def match_contacts(*, workspace_id: int, query: str) -> ContactMatch:
    """Contacts the query names: by number (exact, else a URN substring), by name or by a URN
    substring. A short list of ids when few match (each part through its own index), else a
    subquery (the query is common: a newest-first scan finds a page quickly)."""
    query = query.strip()
    urn_rows = ContactURN.objects.filter(workspace_id=workspace_id, contact__isnull=False)
    identities = number_identities(workspace_id=workspace_id, query=query)
    if identities is not None:
        exact = dict(urn_rows.filter(identity__in=identities).values_list("identity", "contact_id"))
        if exact:
            return ContactMatch(sorted(set(exact.values())), identities, exact=True)
        query = _NUMBER_SEPARATORS.sub("", query)
    by_urn_rows = urn_rows.filter(identity__icontains=query)
    by_name_rows = Contact.objects.filter(workspace_id=workspace_id, name__icontains=query)
    by_urn = _few(by_urn_rows.values_list("contact_id", flat=True))
    by_name = [] if identities is not None else _few(by_name_rows.values_list("id", flat=True))
    if by_urn is None or by_name is None:
        condition = Q(id__in=by_urn_rows.values("contact_id"))
        if identities is None:
            condition |= Q(name__icontains=query)
        subquery = Contact.objects.filter(workspace_id=workspace_id).filter(condition).values("id")
        return ContactMatch(subquery, identities)
    return ContactMatch(sorted(set(by_urn) | set(by_name)), identities)
