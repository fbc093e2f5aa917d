"""Contact import from CSV or XLSX in RapidPro's column format, as a background job.

Columns (headers case-insensitive): `URN:<scheme>` (repeatable), `Name`, `Language`,
`Contact UUID` / `UUID` (update that contact), `Status`, `Field:<key or name>`, `Group:<name>`
(true/yes/1 adds the contact to the group, false/no/0 takes it out). A value `--` clears.
RapidPro's export-only columns (`Created On`, `Last Seen On`, `ID`) are ignored.

Two passes over the file, streamed row by row so 100,000 rows fit in little memory:
1. validate every row (URNs normalised with phonenumbers, field values against their types,
   duplicates across rows) without writing anything; any error fails the import whole and the
   errors list names the spreadsheet rows (header = row 1);
2. write in one transaction, chunk by chunk with bulk inserts/updates: a crash half-way
   leaves nothing behind. Existing contacts are matched by UUID, else by any of their URNs.
Progress lives in Redis while the job runs (the transaction hides row counts from readers).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from channels_app import queue, urns
from channels_app.models import Contact, ContactField, ContactGroup, ContactImport, ContactURN, Workspace
from channels_app.services import contact_bulk
from channels_app.services import fields as field_service
from channels_app.services.contact_query import workspace_country
from channels_app.services.smart_groups import contacts_changed

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 500_000
MAX_ERRORS = 100
CHUNK = 2000
CLEAR = "--"
IGNORED_HEADERS = {"created on", "last seen on", "id", "contact id"}
TRUE_VALUES = {"true", "yes", "y", "1", "x"}
FALSE_VALUES = {"false", "no", "n", "0"}
_TEL_IDENTITY = re.compile(r"tel:\+?[0-9]{3,15}")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]{0,31}$")
KNOWN_SCHEMES = {
    "tel", "whatsapp", "telegram", "facebook", "ext", "mailto", "twitter", "twitterid", "viber",
    "line", "discord", "instagram", "jiochat", "wechat", "fcm", "freshchat", "rocketchat", "slack",
    "vk", "webchat", "email",
}  # fmt: skip


class ImportError_(ValueError):
    """The file can't be imported at all (its header or format); the message names the problem."""


@dataclass
class Column:
    index: int
    header: str
    kind: str  # urn name language uuid status field group ignore
    scheme: str = ""
    key: str = ""  # field key or group name


@dataclass
class Header:
    columns: list[Column]
    new_fields: dict[str, str] = field(default_factory=dict)  # key -> name (fields to create)

    def __post_init__(self) -> None:
        # looked up for every cell of every row: grouped once
        self._by_kind: dict[str, list[Column]] = {}
        for c in self.columns:
            self._by_kind.setdefault(c.kind, []).append(c)

    def of(self, kind: str) -> list[Column]:
        return self._by_kind.get(kind, [])


@dataclass
class Row:
    number: int  # spreadsheet row (header = 1)
    identities: list[str]
    uuid: str | None
    name: str | None  # None: not given (leave as is); "" clears
    language: str | None
    status: str | None
    fields: dict[str, str | None]  # None clears
    groups: dict[str, bool]  # group name -> member?


# ------------------------------------------------------------------------------ reading files


def _cell(value: Any) -> str:
    """A cell as text: XLSX numbers without a spurious `.0`, dates in ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _is_xlsx(filename: str, content: bytes) -> bool:
    return filename.lower().endswith(".xlsx") or content[:4] == b"PK\x03\x04"


def read_rows(*, filename: str, content: bytes) -> Generator[list[str], None, None]:
    """Every row of the file's first sheet as text cells, header first, streamed."""
    if _is_xlsx(filename, content):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ImportError_(
                f"the file is not a readable XLSX workbook ({exc.__class__.__name__})"
            ) from None
        try:
            sheet = book.worksheets[0]
            for values in sheet.iter_rows(values_only=True):
                yield [_cell(v) for v in values]
        finally:
            book.close()
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    try:
        sample = text[:4096]
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    for values in csv.reader(io.StringIO(text), dialect):
        yield [v.strip() for v in values]


def estimate_rows(*, filename: str, content: bytes) -> int:
    """Rows below the header, roughly (for progress): newlines, or the sheet's dimension."""
    if _is_xlsx(filename, content):
        return 0
    return max(0, content.count(b"\n") - 1)


# ------------------------------------------------------------------------------ the header


def parse_header(*, workspace: Workspace, cells: list[str]) -> Header:
    columns: list[Column] = []
    existing = {f.key: f for f in ContactField.objects.filter(workspace=workspace)}
    by_name = {f.name.lower(): f for f in existing.values()}
    new_fields: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(cells):
        header = " ".join(raw.split())
        lower = header.lower()
        prefix, sep, rest = header.partition(":")
        prefix, rest = prefix.strip().lower(), rest.strip()
        if not header:
            continue  # spreadsheets often carry empty trailing columns
        if sep and prefix == "urn":
            scheme = rest.lower()
            if not _SCHEME.match(scheme) or scheme not in KNOWN_SCHEMES:
                raise ImportError_(f"column {header!r}: unknown URN scheme {rest!r}")
            columns.append(Column(index, header, "urn", scheme=scheme))
            continue
        if sep and prefix == "field":
            found = existing.get(rest.lower()) or by_name.get(rest.lower())
            if found is not None:
                key = found.key
            else:
                key = field_service._key_from_name(rest) if not field_service.KEY.match(rest) else rest
                if not rest or not field_service.KEY.match(key) or key in field_service.RESERVED_KEYS:
                    raise ImportError_(f"column {header!r}: {rest!r} is not a valid field key or is reserved")
                new_fields[key] = rest
            kind_key = ("field", key)
            if kind_key in seen:
                raise ImportError_(f"column {header!r}: the field {key!r} has two columns")
            seen.add(kind_key)
            columns.append(Column(index, header, "field", key=key))
            continue
        if sep and prefix == "group":
            if not rest:
                raise ImportError_(f"column {header!r}: give the group's name after 'Group:'")
            columns.append(Column(index, header, "group", key=rest))
            continue
        kind = {
            "name": "name",
            "language": "language",
            "contact uuid": "uuid",
            "uuid": "uuid",
            "status": "status",
        }.get(lower)
        if kind is None:
            if lower in IGNORED_HEADERS:
                columns.append(Column(index, header, "ignore"))
                continue
            raise ImportError_(
                f"column {header!r} is not one of RapidPro's: URN:<scheme>, Name, Language, UUID, "
                "Status, Field:<key>, Group:<name>"
            )
        if (kind, "") in seen:
            raise ImportError_(f"column {header!r} appears twice")
        seen.add((kind, ""))
        columns.append(Column(index, header, kind))
    if not any(c.kind in ("urn", "uuid") for c in columns):
        raise ImportError_("the file needs at least one URN column (e.g. URN:Tel) or a Contact UUID column")
    return Header(columns, new_fields)


# ------------------------------------------------------------------------------ rows


class _RowError(ValueError):
    pass


def _normalize(scheme: str, value: str, country: str, memo: dict[tuple[str, str], str]) -> str:
    """phonenumbers parsing is the costliest part of a row: each value is parsed once, the
    validation pass's results serve the write pass."""
    key = (scheme, value)
    found = memo.get(key)
    if found is None:
        found = urns.normalize(f"{scheme}:{value}", country)
        if scheme == "tel" and not _TEL_IDENTITY.fullmatch(found):
            # the URN parser keeps alphanumeric senders, but a person's number has digits only
            raise urns.InvalidURN(f"{value!r} is not a phone number")
        memo[key] = found
    return found


def _clean_row(
    number: int,
    cells: list[str],
    header: Header,
    types: dict[str, str],
    country: str,
    memo: dict[tuple[str, str], str],
    trusted: bool = False,
) -> Row:
    """One data row checked and normalised. `trusted`: the row passed this check already (the
    write pass), so field values are taken as they are instead of being parsed again."""

    def cell(col: Column) -> str:
        return cells[col.index].strip() if col.index < len(cells) else ""

    identities: list[str] = []
    for col in header.of("urn"):
        value = cell(col)
        if not value or value == CLEAR:
            continue
        try:
            identity = _normalize(col.scheme, value, country, memo)
        except urns.InvalidURN as exc:
            raise _RowError(f"{col.header}: {exc}") from None
        if identity not in identities:
            identities.append(identity)
    contact_uuid = None
    for col in header.of("uuid"):
        value = cell(col)
        if value:
            try:
                contact_uuid = str(uuid.UUID(value))
            except ValueError:
                raise _RowError(f"{col.header}: {value!r} is not a UUID") from None
    name = language = status = None
    for col in header.of("name"):
        value = cell(col)
        name = "" if value == CLEAR else (" ".join(value.split()) or None)
        if name and len(name) > 128:
            raise _RowError("Name: at most 128 characters")
    for col in header.of("language"):
        value = cell(col).lower()
        language = "" if value == CLEAR else (value or None)
        if language and not re.fullmatch(r"[a-z]{3}", language):
            raise _RowError(f"Language: {value!r} is not an ISO 639-3 code such as eng")
    for col in header.of("status"):
        value = cell(col).lower()
        if value:
            if value not in Contact.Status.values:
                raise _RowError(f"Status: {value!r} is not one of {', '.join(Contact.Status.values)}")
            status = value
    values: dict[str, str | None] = {}
    for col in header.of("field"):
        value = cell(col)
        if not value:
            continue
        if value == CLEAR:
            values[col.key] = None
            continue
        if trusted:
            values[col.key] = value
            continue
        try:
            values[col.key] = field_service._clean_value(value, types.get(col.key, "text"))
        except field_service.FieldError as exc:
            raise _RowError(f"{col.header}: {exc}") from None
    groups: dict[str, bool] = {}
    for col in header.of("group"):
        value = cell(col).lower()
        if value in TRUE_VALUES:
            groups[col.key] = True
        elif value in FALSE_VALUES:
            groups[col.key] = False
        elif value and value != CLEAR:
            raise _RowError(f"{col.header}: write true or false, not {value!r}")
    if not identities and contact_uuid is None:
        raise _RowError("the row has neither a URN nor a contact UUID")
    return Row(number, identities, contact_uuid, name, language, status, values, groups)


def _rows(
    imp: ContactImport,
    header: Header,
    types: dict[str, str],
    country: str,
    memo: dict[tuple[str, str], str],
    trusted: bool = False,
) -> Iterator[Row | _RowError]:
    """Data rows cleaned, or the error of each bad row (with its number in `args[1]`)."""
    number = 0
    for cells in read_rows(filename=imp.filename, content=bytes(imp.content)):
        number += 1
        if number == 1:
            continue
        if not any(cells):
            continue
        try:
            yield _clean_row(number, cells, header, types, country, memo, trusted)
        except _RowError as exc:
            yield _RowError(str(exc), number)


# ------------------------------------------------------------------------------ the service


def _progress_key(imp: ContactImport) -> str:
    return f"flowgate:import:{imp.uuid}:progress"


def _set_progress(imp: ContactImport, percent: int) -> None:
    try:
        queue.connection().set(_progress_key(imp), int(percent), ex=3600)
    except Exception:  # progress is cosmetic: Redis trouble must not fail the import
        logger.warning("import %s: progress not recorded", imp.id)


def live_progress(imp: ContactImport) -> int:
    if imp.status in (ContactImport.Status.VALIDATING, ContactImport.Status.IMPORTING):
        try:
            value = queue.connection().get(_progress_key(imp))
        except Exception:
            value = None
        if value is not None:
            return int(value)
    return int(imp.progress)


def upload(
    *,
    workspace: Workspace,
    filename: str,
    content: bytes,
    user_id: int | None = None,
    field_types: dict[str, str] | None = None,
    groups: list[str] | None = None,
    start: bool = True,
) -> ContactImport:
    """Check the file's header now (a bad one is refused before any job), store the file and
    queue the job; with `start=False` it waits in `preview` for the user to pick field types."""
    if not content:
        raise ImportError_("the file is empty")
    if len(content) > MAX_FILE_BYTES:
        raise ImportError_(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    rows = read_rows(filename=filename, content=content)
    try:
        header_cells = next(rows, None)
        has_row = next((r for r in rows if any(r)), None) is not None
    except (csv.Error, ValueError) as exc:
        raise ImportError_(f"the file can't be read: {exc}") from None
    finally:
        rows.close()
    if header_cells is None:
        raise ImportError_("the file is empty")
    header = parse_header(workspace=workspace, cells=header_cells)
    if not has_row:
        raise ImportError_("the file has a header but no rows")
    group_names = [" ".join(str(g).split()) for g in groups or [] if str(g).strip()]
    imp = ContactImport.objects.create(
        workspace=workspace,
        created_by_id=user_id,
        filename=filename[:255] or "contacts.csv",
        content=content,
        status=ContactImport.Status.PREVIEW,
        field_columns=_field_columns(header, field_types or {}),
        group_names=group_names,
    )
    if start:
        begin(imp=imp, field_types=field_types or {})
    return imp


def _field_columns(header: Header, field_types: dict[str, str]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for col in header.of("field"):
        new = col.key in header.new_fields
        chosen = field_types.get(col.key) or field_types.get(col.header) or "text"
        if chosen not in field_service.VALUE_TYPES:
            raise ImportError_(f"{col.header}: the type is one of {', '.join(field_service.VALUE_TYPES)}")
        columns[col.header] = {
            "key": col.key,
            "name": header.new_fields.get(col.key, col.key),
            "value_type": chosen if new else "",
            "new": new,
        }
    return columns


def begin(*, imp: ContactImport, field_types: dict[str, str]) -> ContactImport:
    """Fix the new fields' types (by key or column header) and queue the job."""
    if imp.status != ContactImport.Status.PREVIEW:
        raise ImportError_("this import has already started")
    for header, spec in imp.field_columns.items():
        if spec["new"]:
            chosen = field_types.get(spec["key"]) or field_types.get(header) or spec["value_type"] or "text"
            if chosen not in field_service.VALUE_TYPES:
                raise ImportError_(f"{header}: the type is one of {', '.join(field_service.VALUE_TYPES)}")
            spec["value_type"] = chosen
    imp.status = ContactImport.Status.PENDING
    imp.save(update_fields=["field_columns", "status"])
    queue.enqueue("default", "channels_app.services.contact_import.run_import", imp.id)
    return imp


def run_import(import_id: int) -> dict[str, Any]:
    """The job: validate the whole file, then write it in one transaction (see module docstring)."""
    imp = ContactImport.objects.select_related("workspace").filter(id=import_id).first()
    if imp is None or imp.status != ContactImport.Status.PENDING:
        return {}
    ContactImport.objects.filter(id=imp.id).update(status=ContactImport.Status.VALIDATING)
    imp.status = ContactImport.Status.VALIDATING
    _set_progress(imp, 0)
    try:
        result = _run(imp)
    except Exception as exc:
        logger.exception("import %s failed", imp.id)
        _finish(imp, errors=[{"row": None, "message": f"the import stopped: {exc}"}], counts={})
        raise
    return result


def _finish(
    imp: ContactImport, *, errors: list[dict[str, Any]], counts: dict[str, int], rows: int = 0
) -> None:
    imp.status = ContactImport.Status.FAILED if errors else ContactImport.Status.COMPLETE
    imp.errors = errors
    imp.counts = {"created": 0, "updated": 0, **counts, "errors": len(errors)}
    imp.progress = 100
    imp.rows = rows
    imp.finished_on = timezone.now()
    imp.save(update_fields=["status", "errors", "counts", "progress", "rows", "finished_on"])
    _set_progress(imp, 100)


def _run(imp: ContactImport) -> dict[str, Any]:
    workspace = imp.workspace
    country = workspace_country(workspace.id)
    content = bytes(imp.content)
    rows_iter = read_rows(filename=imp.filename, content=content)
    header = parse_header(workspace=workspace, cells=next(rows_iter, []))
    rows_iter.close()
    types = dict(ContactField.objects.filter(workspace=workspace).values_list("key", "value_type"))
    for spec in imp.field_columns.values():
        if spec["new"]:
            types[spec["key"]] = spec["value_type"] or "text"
    estimate = max(1, estimate_rows(filename=imp.filename, content=content))

    # pass 1: validate everything, write nothing
    errors: list[dict[str, Any]] = []
    error_count = 0
    seen_urns: dict[str, int] = {}
    seen_uuids: dict[str, int] = {}
    total = 0
    memo: dict[tuple[str, str], str] = {}
    for item in _rows(imp, header, types, country, memo):
        total += 1
        if total > MAX_ROWS:
            errors = [{"row": None, "message": f"a file has at most {MAX_ROWS} rows"}]
            error_count = 1
            break
        problem = None
        if isinstance(item, _RowError):
            problem = (item.args[1], item.args[0])
        else:
            for identity in item.identities:
                if identity in seen_urns:
                    problem = (item.number, f"{identity} is also on row {seen_urns[identity]}")
                    break
                seen_urns[identity] = item.number
            if problem is None and item.uuid:
                if item.uuid in seen_uuids:
                    problem = (
                        item.number,
                        f"contact UUID {item.uuid} is also on row {seen_uuids[item.uuid]}",
                    )
                seen_uuids[item.uuid] = item.number
        if problem is not None:
            error_count += 1
            if len(errors) < MAX_ERRORS:
                errors.append({"row": problem[0], "message": problem[1]})
        if total % CHUNK == 0:
            _set_progress(imp, min(39, 40 * total // estimate))
    del seen_urns
    if not errors and seen_uuids:
        uuids = list(seen_uuids)
        known: set[str] = set()
        for start in range(0, len(uuids), 5000):
            known |= {
                str(u)
                for u in Contact.objects.filter(
                    workspace=workspace, uuid__any=uuids[start : start + 5000]
                ).values_list("uuid", flat=True)
            }
        for missing in [u for u in uuids if u not in known][:MAX_ERRORS]:
            errors.append({"row": seen_uuids[missing], "message": f"no contact has the UUID {missing}"})
            error_count += 1
    del seen_uuids
    if errors:
        if error_count > len(errors):
            errors.append(
                {"row": None, "message": f"... and {error_count - len(errors)} more rows with errors"}
            )
        _finish(imp, errors=errors, counts={}, rows=total)
        return {"errors": error_count}

    # pass 2: write, all in one transaction
    ContactImport.objects.filter(id=imp.id).update(status=ContactImport.Status.IMPORTING)
    imp.status = ContactImport.Status.IMPORTING
    _set_progress(imp, 40)
    try:
        with transaction.atomic():
            counts = _write(imp, header, types, country, total, memo)
    except _RowError as exc:
        _finish(imp, errors=[{"row": exc.args[1], "message": exc.args[0]}], counts={}, rows=total)
        return {"errors": 1}
    _finish(imp, errors=[], counts=counts, rows=total)
    return counts


def _groups_for(imp: ContactImport, header: Header) -> dict[str, ContactGroup]:
    from channels_app.services import groups as group_service

    found: dict[str, ContactGroup] = {}
    for name in [*imp.group_names, *(c.key for c in header.of("group"))]:
        group = ContactGroup.objects.filter(workspace=imp.workspace, name__iexact=name).first()
        if group is None:
            try:
                group = group_service.create_group(workspace=imp.workspace, name=name)
            except group_service.GroupError as exc:
                raise _RowError(f"group {name!r}: {exc}", None) from None
        if group.query:
            raise _RowError(f"group {group.name!r} is a smart group: its members follow its query", None)
        found[name.lower()] = group
    return found


def _write(
    imp: ContactImport,
    header: Header,
    types: dict[str, str],
    country: str,
    total: int,
    memo: dict[tuple[str, str], str],
) -> dict[str, int]:
    workspace = imp.workspace
    for spec in imp.field_columns.values():
        if spec["new"] and not ContactField.objects.filter(workspace=workspace, key=spec["key"]).exists():
            try:
                field_service.create_field(
                    workspace=workspace,
                    key=spec["key"],
                    name=spec["name"],
                    value_type=spec["value_type"] or "text",
                )
            except field_service.FieldError as exc:
                raise _RowError(f"field {spec['key']!r}: {exc}", 1) from None
    groups = _groups_for(imp, header)
    everyone = [groups[n.lower()] for n in imp.group_names]
    counts = {"created": 0, "updated": 0}
    done = 0
    chunk: list[Row] = []
    changed_ids: list[int] = []
    for item in _rows(imp, header, types, country, memo, trusted=True):
        if isinstance(item, _RowError):  # validated above; the file can't have changed
            raise item
        chunk.append(item)
        if len(chunk) >= CHUNK:
            changed_ids += _write_chunk(workspace, chunk, groups, everyone, counts)
            done += len(chunk)
            chunk = []
            _set_progress(imp, 40 + 55 * done // max(1, total))
    if chunk:
        changed_ids += _write_chunk(workspace, chunk, groups, everyone, counts)
    field_keys = {spec["key"] for spec in imp.field_columns.values()}
    contacts_changed(
        workspace_id=workspace.id, contact_ids=changed_ids, field_keys=field_keys, groups_changed=bool(groups)
    )
    return counts


def _write_chunk(
    workspace: Workspace,
    rows: list[Row],
    groups: dict[str, ContactGroup],
    everyone: list[ContactGroup],
    counts: dict[str, int],
) -> list[int]:
    identities = [i for r in rows for i in r.identities]
    urn_rows = {
        identity: (urn_id, contact_id)
        for identity, urn_id, contact_id in ContactURN.objects.filter(
            workspace=workspace, identity__any=identities
        ).values_list("identity", "id", "contact_id")
    }
    by_uuid = {
        str(c.uuid): c
        for c in Contact.objects.filter(workspace=workspace, uuid__any=[r.uuid for r in rows if r.uuid]).only(
            "id", "uuid"
        )
    }
    # which existing contact each row updates: its UUID, else the contact owning one of its URNs
    target: dict[int, int] = {}
    for r in rows:
        owners = {urn_rows[i][1] for i in r.identities if i in urn_rows and urn_rows[i][1] is not None}
        if r.uuid:
            contact_id = by_uuid[r.uuid].id
            if owners - {contact_id}:
                raise _RowError(f"a URN of this row belongs to another contact than {r.uuid}", r.number)
            target[r.number] = contact_id
        elif len(owners) > 1:
            raise _RowError("the row's URNs belong to different contacts", r.number)
        elif owners:
            target[r.number] = owners.pop()
    # only what an update writes: loading every column (three timestamps to parse per contact)
    # was a fifth of the update path
    existing = {
        c.id: c
        for c in Contact.objects.filter(id__any=sorted(set(target.values()))).only(
            "id", "name", "language", "status", "fields"
        )
    }
    updated: list[Contact] = []
    new_rows = [r for r in rows if r.number not in target]
    new_ids = contact_bulk.insert_contacts(
        workspace_id=workspace.id,
        rows=[
            (
                r.name or "",
                r.language or "",
                r.status or Contact.Status.ACTIVE,
                {k: v for k, v in r.fields.items() if v is not None},
            )  # fmt: skip
            for r in new_rows
        ],
    )
    contact_of: dict[int, int] = {r.number: cid for r, cid in zip(new_rows, new_ids, strict=True)}
    for r in rows:
        if r.number not in target:
            continue
        c = existing[target[r.number]]
        contact_of[r.number] = c.id
        if r.name is not None:
            c.name = r.name
        if r.language is not None:
            c.language = r.language
        if r.status is not None:
            c.status = r.status
        merged = dict(c.fields or {})
        for key, value in r.fields.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        c.fields = merged
        updated.append(c)
    contact_bulk.update_contacts(contacts=updated)
    counts["created"] += len(new_ids)
    counts["updated"] += len(updated)

    new_urns: list[tuple[int, str, int]] = []
    reattach: dict[int, int] = {}
    for r in rows:
        cid = contact_of[r.number]
        for priority, identity in enumerate(r.identities):
            if identity in urn_rows:
                urn_id, owner = urn_rows[identity]
                if owner is None:
                    reattach[urn_id] = cid  # a detached URN (its contact was deleted) comes back
                continue
            new_urns.append((cid, identity, 1000 - priority))
    contact_bulk.insert_urns(workspace_id=workspace.id, rows=new_urns)
    for urn_id, cid in reattach.items():
        ContactURN.objects.filter(id=urn_id).update(contact_id=cid)

    add: list[tuple[int, int]] = []
    remove: dict[int, list[int]] = {}
    for r in rows:
        cid = contact_of[r.number]
        for group in everyone:
            add.append((group.id, cid))
        for name, member in r.groups.items():
            group = groups[name.lower()]
            if member:
                add.append((group.id, cid))
            elif r.number in target:
                remove.setdefault(group.id, []).append(cid)
    contact_bulk.add_members(pairs=add)
    through = ContactGroup.contacts.through
    for group_id, ids in remove.items():
        through.objects.filter(contactgroup_id=group_id, contact_id__any=ids).delete()
    return list(contact_of.values())


def import_payload(imp: ContactImport) -> dict[str, Any]:
    return {
        "uuid": str(imp.uuid),
        "status": imp.status,
        "progress": live_progress(imp),
        "filename": imp.filename,
        "rows": imp.rows,
        "counts": {"created": 0, "updated": 0, "errors": 0, **(imp.counts or {})},
        "errors": imp.errors or [],
        "fields": [
            {"column": header, "key": spec["key"], "value_type": spec["value_type"], "new": spec["new"]}
            for header, spec in (imp.field_columns or {}).items()
        ],
        "groups": imp.group_names,
        "created_on": imp.created_on,
        "finished_on": imp.finished_on,
    }
