"""Validate a parsed connector tree; every error carries line:column.

Runs before the model is built, on the lxml tree, because that is where positions live.
Checks: root and kind, unknown elements/attributes, template syntax and unknown filters,
``$config.$fields.X`` naming no declared field, unknown ``@variables``, a status value in two
groups (or two call-status branches), bad enumerations and missing required parts.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from infra import safe_regex

from .errors import ConnectorError
from .locator import Locator
from .model import (
    ERROR_MEANINGS,
    FIELD_TYPES,
    KIND_BY_ROOT,
    METHODS,
    RESPONSE_FORMATS,
    SEND_RESPONSE_FORMATS,
    SIGNATURE_ALGORITHMS,
    SIGNATURE_ENCODINGS,
    SIGNATURE_PAYLOADS,
    SMS_RESPONSE_FORMATS,
    Pos,
)
from .model import STATUS_RANGE as RANGE
from .payload import SELECTOR, path_segments
from .schema import (
    ANY_MAPPING,
    ATTR_HINTS,
    PARAM_TYPES,
    PHONE_ONLY,
    SCHEMA,
    SMS_ONLY,
    SMS_ONLY_PROVIDER,
    TEMPLATE_ATTRS,
    TEMPLATE_TEXT,
)
from .values import TemplateError, compile_template, known_charset, variables_for

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

GROUP_ATTRS = {
    "processing": "Processing",
    "delivered": "Delivered",
    "failed": "Failed",
    "retry": "Retry",
    "ignore": "Ignore",
}
STATUS_GROUPS = ("Processing", "Delivered", "Failed", "Retry", "Ignore")


def elements(el: etree._Element) -> list[etree._Element]:
    """Child elements, skipping comments and processing instructions."""
    return [c for c in el if isinstance(c.tag, str)]


class Validator:
    def __init__(self, root: etree._Element, locator: Locator):
        self.root = root
        self.loc = locator
        self.errors: list[ConnectorError] = []
        self.kind = KIND_BY_ROOT.get(root.get("for", ""), "")
        self.variables = variables_for(self.kind)
        self.field_names = {f.get("name") for f in root.iterfind("config/fields/field") if f.get("name")}
        self.in_token = False

    def error(self, pos: Pos, message: str) -> None:
        self.errors.append(ConnectorError(pos.line, pos.column, message))

    def run(self) -> list[ConnectorError]:
        root = self.root
        if root.tag != "connector":
            self.error(self.loc.element(root), f"the root element must be <connector>, not <{root.tag}>")
            return self.errors
        if not self.kind:
            where = self.loc.attribute(root, "for") if root.get("for") is not None else self.loc.element(root)
            self.error(where, 'connector needs for="SMSNotifier" or for="PhoneCalls"')
        self.walk(root, "connector")
        self.check_required()
        return sorted(set(self.errors))

    # --- structure --------------------------------------------------------------------------

    def walk(self, el: etree._Element, node_type: str) -> None:
        if node_type == "token":  # templates inside the token request may not read @token
            self.in_token = True
            try:
                self._walk(el, node_type)
            finally:
                self.in_token = False
            return
        self._walk(el, node_type)

    def _walk(self, el: etree._Element, node_type: str) -> None:
        attrs, children = SCHEMA[node_type]
        for name in el.attrib:
            if name not in attrs:
                hint = f" (did you mean '{ATTR_HINTS[name]}'?)" if name in ATTR_HINTS else ""
                allowed = ", ".join(sorted(attrs)) or "none"
                self.error(
                    self.loc.attribute(el, name),
                    f"unknown attribute '{name}' on <{el.tag}>{hint}; allowed: {allowed}",
                )
        check = getattr(self, "check_" + node_type, None)
        if check:
            check(el)
        for attr in TEMPLATE_ATTRS.get(node_type, ()):
            if el.get(attr) is not None:
                self.check_template(el.get(attr) or "", lambda off, a=attr: self.loc.attribute(el, a, off))
        if node_type in TEMPLATE_TEXT and el.tag == "url":
            text = (el.text or "").strip()
            self.check_template(text, lambda off: self.loc.text(el, off))
        for child in elements(el):
            tag = child.tag
            if self.kind == "sms" and tag in PHONE_ONLY and node_type == "connector":
                self.error(
                    self.loc.element(child), f"<{tag}> belongs to PhoneCalls connectors, not SMSNotifier"
                )
                continue
            if self.kind == "phone" and tag in SMS_ONLY_PROVIDER and node_type == "provider":
                self.error(
                    self.loc.element(child), f"<{tag}> belongs to SMSNotifier connectors, not PhoneCalls"
                )
                continue
            if self.kind == "phone" and tag in SMS_ONLY and node_type == "connector":
                self.error(
                    self.loc.element(child), f"<{tag}> belongs to SMSNotifier connectors, not PhoneCalls"
                )
                continue
            if children == ANY_MAPPING:
                self.walk(child, "mapping")
            elif tag in children:
                self.walk(child, children[tag])
            else:
                allowed = ", ".join(f"<{c}>" for c in children) or "no child elements"
                self.error(
                    self.loc.element(child), f"unknown element <{tag}> in <{el.tag}>; expected {allowed}"
                )

    # --- templates --------------------------------------------------------------------------

    def check_template(self, source: str, where) -> None:  # where: offset -> Pos
        try:
            tpl = compile_template(source)
        except TemplateError as exc:
            self.error(where(exc.offset), str(exc))
            return
        for name, off in tpl.refs("field"):
            if name not in self.field_names:
                known = ", ".join(sorted(self.field_names)) or "none declared"
                self.error(where(off), f"$config.$fields.{name} names no declared field (fields: {known})")
        for name, off in tpl.refs("var"):
            if name not in self.variables:
                known = ", ".join("@" + v for v in self.variables)
                self.error(where(off), f"unknown variable @{name} (known: {known})")
            elif name == "token" and self.root.find("provider/token") is None:
                self.error(where(off), "@token needs a <token> request in <provider> to fetch it")
            elif name == "token" and self.in_token:
                self.error(where(off), "the <token> request cannot use @token: it is what fetches it")

    # --- per element checks -----------------------------------------------------------------

    def need(self, el: etree._Element, *attrs: str) -> None:
        for attr in attrs:
            if not (el.get(attr) or "").strip():
                self.error(self.loc.element(el), f"<{el.tag}> needs a '{attr}' attribute")

    def enum(self, el: etree._Element, attr: str, allowed: tuple[str, ...]) -> None:
        value = el.get(attr)
        if value is not None and value.strip().lower() not in allowed:
            self.error(self.loc.attribute(el, attr), f"{attr}='{value}' must be one of {', '.join(allowed)}")

    def check_field(self, el: etree._Element) -> None:
        self.need(el, "name")
        self.enum(el, "type", FIELD_TYPES)
        self.enum(el, "required", ("true", "false", "1", "0", "yes", "no"))
        self.enum(el, "presence", ("mandatory", "optional"))
        name = el.get("name")
        earlier = [f for f in self.root.iterfind("config/fields/field") if f.get("name") == name]
        if name and earlier and earlier[0] is not el:
            self.error(self.loc.attribute(el, "name"), f"field '{name}' is declared twice")
        if (el.get("type") or "").lower() == "picklist" and not el.findall("options/option"):
            self.error(self.loc.element(el), f"picklist field '{name}' needs <options><option>")

    def check_header(self, el: etree._Element) -> None:
        self.need(el, "name", "value")

    def check_parameter(self, el: etree._Element) -> None:
        self.need(el, "name")
        self.enum(el, "type", PARAM_TYPES)
        if el.get("value") is not None and el.findall("parameter"):
            self.error(
                self.loc.attribute(el, "value"), "a parameter with nested parameters cannot have a value"
            )
        if (el.get("type") or "").lower() == "object" and not el.findall("parameter"):
            self.error(self.loc.element(el), 'type="object" needs nested <parameter> elements')
        self.enum(el, "omit_empty", ("true", "false", "1", "0", "yes", "no"))
        charset = el.get("charset")
        if charset is not None:
            if el.findall("parameter"):
                self.error(
                    self.loc.attribute(el, "charset"), "a parameter with nested parameters has no charset"
                )
            elif "@" not in charset and "$" not in charset and not known_charset(charset):
                # a literal charset is checked now; one chosen by a template, when the message is sent
                self.error(self.loc.attribute(el, "charset"), f"charset '{charset}' is not a known charset")

    def _xml_name(self, el: etree._Element) -> None:
        # send_response names become XML element/attribute names: reject what lxml would refuse.
        self.need(el, "name")
        name = el.get("name")
        if name and not _XML_NAME.match(name):
            self.error(self.loc.attribute(el, "name"), f"'{name}' is not a valid XML name")

    check_reply_parameter = check_attr = _xml_name

    def check_basic(self, el: etree._Element) -> None:
        self.need(el, "username")

    def check_bearer(self, el: etree._Element) -> None:
        self.need(el, "token")

    def check_signature(self, el: etree._Element) -> None:
        self.need(el, "header", "key")
        self.enum(el, "algorithm", SIGNATURE_ALGORITHMS)
        self.enum(el, "encoding", SIGNATURE_ENCODINGS)
        self.enum(el, "payload", SIGNATURE_PAYLOADS)
        if el is not self.root.find("signature"):
            self.error(self.loc.element(el), "a connector declares at most one <signature>")
        header = el.get("header") or ""
        if header and not re.match(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", header):
            self.error(self.loc.attribute(el, "header"), f"'{header}' is not a valid HTTP header name")
        key = el.get("key") or ""
        try:
            tpl = compile_template(key)
        except TemplateError:
            return  # reported by check_template with its position
        # The key is checked when a webhook arrives: only config fields exist then, no @variables.
        for name, off in tpl.refs("var"):
            if name not in self.variables:
                continue  # check_template already says it is unknown
            where = self.loc.attribute(el, "key", off)
            self.error(
                where, f"the signature key cannot use @{name}: name a config field ($config.$fields.X)"
            )
        if key.strip() and not tpl.refs("field"):
            self.error(
                self.loc.attribute(el, "key"),
                'the signature key must come from a config field, e.g. key="$config.$fields.AuthToken"',
            )

    def check_request(self, el: etree._Element) -> None:
        self.enum(el, "method", METHODS)

    def _format(self, el: etree._Element) -> None:
        self.enum(el, "format", RESPONSE_FORMATS)

    check_call_response = check_message_receive = _format

    def check_sms_response(self, el: etree._Element) -> None:
        self.enum(el, "format", SMS_RESPONSE_FORMATS)

    def check_send_response(self, el: etree._Element) -> None:
        self.enum(el, "format", SEND_RESPONSE_FORMATS)

    def check_mapping(self, el: etree._Element) -> None:
        parent = el.getparent()
        if parent is not None and (parent.get("format") or "").strip().lower() == "text":
            # a plain-text answer: `use` and `fallback` are regular expressions, run on RE2
            # (linear time: no backreferences or lookaround), so refused here if RE2 refuses them
            for attr in ("use", "fallback"):
                pattern = el.get(attr) or ""
                if pattern == ".":
                    continue  # the whole answer, not a pattern
                try:
                    safe_regex.compile_pattern(pattern)
                except safe_regex.error as exc:
                    self.error(
                        self.loc.attribute(el, attr),
                        f"{attr} is not a regular expression this engine runs (RE2): {safe_regex.describe(exc)}",
                    )
        for attr in ("use", "fallback", "charset"):
            if (
                parent is not None
                and (parent.get("format") or "").strip().lower() == "text"
                and attr != "charset"
            ):
                continue
            for seg in path_segments(el.get(attr) or ""):
                if ("[" in seg or "]" in seg) and not SELECTOR.match(seg):
                    self.error(
                        self.loc.attribute(el, attr),
                        f"path segment '{seg}' is not a selector: use name[key] or name[key=value]",
                    )
        required = el.get("required")
        if required is not None and required.strip().lower() not in ("true", "false", "1", "0", "yes", "no"):
            self.error(self.loc.attribute(el, "required"), f"required '{required}' is not true or false")
        if el.get("use") is None and el.get("default") is None:
            self.error(self.loc.element(el), f"<{el.tag}> needs a 'use' (path) or a 'default' attribute")
        for attr in ("format", "timezone"):
            parent = el.getparent()
            if el.get(attr) is not None and (
                el.tag != "date" or parent is None or parent.tag != "message_receive"
            ):
                self.error(self.loc.attribute(el, attr), f"'{attr}' is only read on <message_receive><date>")
        parent = el.getparent()
        if el.get("prefix") is not None and (parent is None or parent.tag != "message_receive"):
            self.error(self.loc.attribute(el, "prefix"), "'prefix' is only read in <message_receive>")
        date_format = el.get("format")
        if date_format is not None and el.tag == "date" and "%" not in date_format:
            self.error(
                self.loc.attribute(el, "format"), f"format '{date_format}' has no %-directive (strptime)"
            )
        zone = el.get("timezone")
        if zone is not None and el.tag == "date":
            try:
                ZoneInfo(zone.strip())
            except (ZoneInfoNotFoundError, ValueError):
                self.error(self.loc.attribute(el, "timezone"), f"timezone '{zone}' is not an IANA zone name")
        if elements(el):
            self.error(
                self.loc.element(elements(el)[0]), f"<{el.tag}> is a mapping and cannot contain elements"
            )

    def check_status(self, el: etree._Element) -> None:
        groups = [a for a in el.attrib if a in STATUS_GROUPS]
        if len(groups) != 1:
            self.error(
                self.loc.element(el),
                "<status> needs exactly one of Processing=, Delivered=, Failed=, Retry=, Ignore=",
            )

    def check_error_meaning(self, el: etree._Element) -> None:
        wanted = (el.get("codes") or "") + "," + (el.get("contains") or "")
        if not [c for c in wanted.split(",") if c.strip()]:
            self.error(
                self.loc.element(el),
                '<error> needs codes="..." (provider error codes) or contains="..." (phrases of the error text)',
            )
        means = el.get("means")
        if means is None:
            self.error(
                self.loc.element(el), f'<error> needs means="..." (one of {", ".join(ERROR_MEANINGS)})'
            )
        elif means.strip().lower() not in ERROR_MEANINGS:
            self.error(
                self.loc.attribute(el, "means"),
                f"means '{means}' is not one of {', '.join(ERROR_MEANINGS)}",
            )

    def check_errors(self, el: etree._Element) -> None:
        seen: dict[str, str] = {}
        for error in el.iterfind("error"):
            means = (error.get("means") or "").strip().lower()
            for code in (error.get("codes") or "").split(","):
                key = code.strip().lower()
                if key and key in seen and seen[key] != means:
                    self.error(
                        self.loc.attribute(error, "codes"),
                        f"error code '{code.strip()}' means both {seen[key]} and {means}",
                    )
                seen.setdefault(key, means)

    def check_message_send(self, el: etree._Element) -> None:
        split = el.get("split")
        plain = split is not None and "$" not in split and "@" not in split
        if plain and not (split.strip().isdigit() and 0 < int(split) <= 10_000):
            self.error(
                self.loc.attribute(el, "split"), f"split '{split}' is not a number of characters (1-10000)"
            )

    def check_statuses(self, el: etree._Element) -> None:
        unknown = el.get("unknown")
        if unknown is not None and unknown.strip().lower() not in ("ignore", "reject", "retry", "fail"):
            self.error(
                self.loc.attribute(el, "unknown"),
                f"unknown='{unknown}' must be ignore, reject, retry or fail",
            )
        for status in el.iterfind("status"):  # ranges such as Failed="21-999"
            for group in STATUS_GROUPS:
                for value in (status.get(group) or "").split(","):
                    bounds = RANGE.match(value.strip())
                    if bounds and int(bounds["low"]) > int(bounds["high"]):
                        self.error(self.loc.attribute(status, group), f"range '{value.strip()}' is empty")
        seen: dict[str, str] = {}
        for status in el.iterfind("status"):
            for group in STATUS_GROUPS:
                for value in (status.get(group) or "").split(","):
                    key = value.strip().lower()
                    if not key:
                        continue
                    if key in seen and seen[key] != group:
                        self.error(
                            self.loc.attribute(status, group),
                            f"status '{value.strip()}' is in both {seen[key]} and {group}",
                        )
                    seen.setdefault(key, group)

    def check_status_callback(self, el: etree._Element) -> None:
        self.need(el, "use")
        seen: dict[str, int] = {}
        for branch in el.iterfind("status"):
            for value in (branch.get("for") or "").split(","):
                key = value.strip().lower()
                if key in seen:
                    self.error(
                        self.loc.attribute(branch, "for"), f"call status '{value.strip()}' has two branches"
                    )
                seen[key] = 1

    def check_status_branch(self, el: etree._Element) -> None:
        self.need(el, "for")
        if el.find("response") is None:
            self.error(self.loc.element(el), '<status for="..."> needs a <response> mapping')

    def check_token(self, el: etree._Element) -> None:
        ttl = el.get("ttl")
        if ttl is not None and not (ttl.strip().isdigit() and 0 < int(ttl) <= 31_536_000):
            self.error(self.loc.attribute(el, "ttl"), f"ttl '{ttl}' is not a number of seconds (1-31536000)")
        self.require(el, "request", "<request>")
        response = self.require(el, "response", "<response>")
        self.require(response, "access_token", "<access_token use=...>")

    def check_token_response(self, el: etree._Element) -> None:
        self._format(el)

    # --- required parts ---------------------------------------------------------------------

    def require(self, parent: etree._Element | None, path: str, what: str) -> etree._Element | None:
        if parent is None:
            return None
        found = parent.find(path)
        if found is None:
            self.error(self.loc.element(parent), f"<{parent.tag}> is missing {what}")
        return found

    def check_required(self) -> None:
        root = self.root
        provider = self.require(root, "provider", "<provider>")
        url = self.require(provider, "url", "<url>")
        if url is not None and not (url.text or "").strip():
            self.error(self.loc.element(url), "the provider <url> is empty")
        if self.kind == "sms":
            send = self.require(root, "message_send", "<message_send>")
            self.require(send, "request", "<request>")
            self.require(send, "response", "<response>")
            status = root.find("message_status")
            self.require(status, "request", "<request>")
            self.require(status, "response", "<response>")
        elif self.kind == "phone":
            call = self.require(root, "outgoing_call", "<outgoing_call>")
            self.require(call, "request", "<request>")


def validate_tree(root: etree._Element, locator: Locator) -> list[ConnectorError]:
    return Validator(root, locator).run()
