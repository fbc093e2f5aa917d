"""Migrating one legacy flow definition (`action_sets`/`rule_sets`, export version 11.x) to spec 13.0.0.

Action sets become nodes with actions and one exit; rule sets become nodes with a router (and
the action a webhook/subflow/airtime rule set implied). Rule uuids become exit uuids so that
existing path data still lines up. Every template goes through the expression migrator; what
cannot be carried over exactly is collected in `Migration.warnings` instead of failing.
"""

from __future__ import annotations

import json
import re
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .expressions import DEFAULT, Options, migrate_template

LEGACY_SPEC = "13.0.0"

FLOW_TYPES = {"": "messaging", "F": "messaging", "M": "messaging", "V": "voice", "S": "messaging_offline"}

TEST_TYPES = {
    "between": "has_number_between",
    "contains": "has_all_words",
    "contains_any": "has_any_word",
    "contains_only_phrase": "has_only_phrase",
    "contains_phrase": "has_phrase",
    "date": "has_date",
    "date_after": "has_date_gt",
    "date_before": "has_date_lt",
    "date_equal": "has_date_eq",
    "district": "has_district",
    "has_email": "has_email",
    "eq": "has_number_eq",
    "gt": "has_number_gt",
    "gte": "has_number_gte",
    "in_group": "has_group",
    "lt": "has_number_lt",
    "lte": "has_number_lte",
    "not_empty": "has_text",
    "number": "has_number",
    "phone": "has_phone",
    "regex": "has_pattern",
    "starts": "has_beginning",
    "state": "has_state",
    "ward": "has_ward",
}

URN_SCHEMES = {
    "discord", "ext", "facebook", "fcm", "freshchat", "instagram", "jiochat", "line", "mailto",
    "rocketchat", "slack", "tel", "telegram", "twitter", "twitterid", "viber", "vk", "webchat",
    "wechat", "whatsapp",
}  # fmt: skip

WAIT_TYPES = {
    "wait_message", "wait_audio", "wait_video", "wait_photo", "wait_gps", "wait_recording",
    "wait_digit", "wait_digits",
}  # fmt: skip

# the body legacy webhooks posted, rebuilt from the current context
LEGACY_WEBHOOK_BODY = """@(json(object(
  "contact", object("uuid", contact.uuid, "name", contact.name, "urn", contact.urn),
  "flow", run.flow,
  "path", run.path,
  "results", foreach_value(results, extract_object, "category", "category_localized", "created_on", "input", "name", "node_uuid", "value"),
  "run", object("uuid", run.uuid, "created_on", run.created_on),
  "input", if(
    input,
    object(
      "attachments", foreach(input.attachments, attachment_parts),
      "channel", input.channel,
      "created_on", input.created_on,
      "text", input.text,
      "type", input.type,
      "urn", if(
        input.urn,
        object(
          "display", default(format_urn(input.urn), ""),
          "path", urn_parts(input.urn).path,
          "scheme", urn_parts(input.urn).scheme
        ),
        null
      ),
      "uuid", input.uuid
    ),
    null
  ),
  "channel", default(input.channel, null)
)))"""  # noqa: E501

_RELATIVE_DATE = re.compile(r"@\(date\.today\s+(\+|\-)\s+(\-?\d+)\)")


class LegacyError(ValueError):
    """The definition can't be migrated at all (not a legacy flow, or a structural problem)."""


def is_legacy_definition(data: Any) -> bool:
    return isinstance(data, dict) and any(k in data for k in ("action_sets", "rule_sets", "flow_type"))


def snakify(text: str) -> str:
    return re.sub(r"[^\w]+", "_", text.strip()).lower()


def _uuid4() -> str:
    return str(uuidlib.uuid4())


@dataclass
class Migration:
    base_language: str
    new_uuid: Callable[[], str]
    base_media_url: str
    localization: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    # ------------------------------------------------------------------ templates & translations

    def tpl(self, text: Any, options: Options = DEFAULT, where: str = "") -> str:
        if text is None:
            return ""
        if not isinstance(text, str):
            text = str(text)
        migrated, problems = migrate_template(text, options)
        for p in problems:
            self.warnings.append(f"{where + ': ' if where else ''}expression {p} was kept as written")
        return migrated

    def translate(self, item_uuid: str, prop: str, texts: dict[str, Any], where: str) -> str:
        """The base-language text; other languages go into the localization section."""
        base = ""
        for lang, text in texts.items():
            migrated = self.tpl(text, where=where)
            if lang == self.base_language:
                base = migrated
            elif lang != "base":
                self.localization.setdefault(lang, {}).setdefault(item_uuid, {})[prop] = [migrated]
        return base

    def translate_multi(
        self, item_uuid: str, prop: str, texts: dict[str, list[Any]], where: str
    ) -> list[str]:
        base: list[str] = []
        for lang, items in texts.items():
            migrated = [self.tpl(t, where=where) for t in items]
            if lang != self.base_language:
                self.localization.setdefault(lang, {}).setdefault(item_uuid, {})[prop] = migrated
            else:
                base = migrated
        return base


def translations(value: Any) -> dict[str, Any]:
    """Legacy translatable text: a {lang: text} map, or a plain string meaning the base text."""
    if value is None:
        return {}
    if isinstance(value, str):
        return {"base": value}
    if isinstance(value, dict):
        return {str(k): ("" if v is None else v) for k, v in value.items()}
    raise LegacyError(f"expected a text or translations, not {json.dumps(value)[:80]}")


def base_text(value: Any, lang: str) -> str:
    t = translations(value)
    return str(t[lang] if lang in t else t.get("base", ""))


def _group_ref(g: Any, m: Migration) -> dict[str, Any]:
    if isinstance(g, str):
        name = m.tpl(g) if g.startswith("@") else g
        return {"name_match": name}
    if not isinstance(g, dict):
        raise LegacyError(f"bad group reference {json.dumps(g)[:80]}")
    if g.get("uuid"):
        return {"uuid": g["uuid"], "name": g.get("name") or ""}
    return {"name_match": g.get("name") or ""}


def _label_ref(lb: Any, m: Migration) -> dict[str, Any]:
    if isinstance(lb, str):
        name = m.tpl(lb) if lb.startswith("@") else lb
        return {"name_match": name}
    if not isinstance(lb, dict):
        raise LegacyError(f"bad label reference {json.dumps(lb)[:80]}")
    if lb.get("uuid"):
        return {"uuid": lb["uuid"], "name": lb.get("name") or ""}
    return {"name_match": lb.get("name") or ""}


def _flow_ref(f: Any) -> dict[str, Any]:
    f = f or {}
    return {"uuid": f.get("uuid") or "", "name": f.get("name") or ""}


def _contact_refs(contacts: Any) -> list[dict[str, Any]]:
    return [{"uuid": c.get("uuid") or "", "name": c.get("name") or ""} for c in contacts or []]


def url_join(base: str, relative: str) -> str:
    if relative.startswith(("http://", "https://")):
        return relative
    return base.rstrip("/") + "/" + relative.lstrip("/")


# ----------------------------------------------------------------------------------- actions


def migrate_action(a: dict[str, Any], m: Migration) -> dict[str, Any]:
    kind = a.get("type")
    uid = a.get("uuid") or m.new_uuid()
    where = f"action {uid} ({kind})"
    lang = m.base_language

    def with_opt(d: dict[str, Any], **opt: Any) -> dict[str, Any]:
        d.update({k: v for k, v in opt.items() if v})
        return d

    if kind == "add_label":
        return {
            "uuid": uid,
            "type": "add_input_labels",
            "labels": [_label_ref(lb, m) for lb in a.get("labels") or []],
        }
    if kind == "email":
        msg = a.get("msg")
        if isinstance(msg, dict):  # only ever a plain text, but be lenient
            msg = base_text(msg, lang)
        return {
            "uuid": uid,
            "type": "send_email",
            "addresses": [m.tpl(e, where=where) for e in a.get("emails") or []],
            "subject": m.tpl(a.get("subject") or "", where=where),
            "body": m.tpl(msg or "", where=where),
        }
    if kind == "lang":
        return {"uuid": uid, "type": "set_contact_language", "language": a.get("lang") or ""}
    if kind == "channel":
        return {
            "uuid": uid,
            "type": "set_contact_channel",
            "channel": {"uuid": a.get("channel") or "", "name": a.get("name") or ""},
        }
    if kind == "flow":
        return {"uuid": uid, "type": "enter_flow", "flow": _flow_ref(a.get("flow")), "terminal": True}
    if kind == "trigger-flow":
        create = False
        variables: list[str] = []
        for v in a.get("variables") or []:
            vid = v.get("id") if isinstance(v, dict) else v
            if vid == "@new_contact":
                create = True
            else:
                variables.append(m.tpl(vid or "", where=where))
        return with_opt(
            {"uuid": uid, "type": "start_session", "flow": _flow_ref(a.get("flow"))},
            contacts=_contact_refs(a.get("contacts")),
            groups=[_group_ref(g, m) for g in a.get("groups") or []],
            legacy_vars=variables,
            create_contact=create,
        )
    if kind in ("reply", "send"):
        msg = translations(a.get("msg"))
        media = translations(a.get("media"))
        quick_replies: dict[str, list[Any]] = {}
        qr_items = a.get("quick_replies") or []
        for i, item in enumerate(qr_items):
            for qlang, text in translations(item).items():
                quick_replies.setdefault(qlang, [""] * len(qr_items))[i] = text
        for mlang, attachment in list(media.items()):
            parts = str(attachment).split(":", 1)
            mtype, url = (parts[0], parts[1]) if len(parts) == 2 else ("image", parts[0])
            if "@" not in url:  # an upload, not an expression: make it absolute
                media[mlang] = f"{mtype}:{url_join(m.base_media_url, url)}"
        text = m.translate(uid, "text", msg, where)
        attachment = m.translate(uid, "attachments", media, where)
        qrs = m.translate_multi(uid, "quick_replies", quick_replies, where)
        attachments = [attachment] if attachment else []
        if kind == "reply":
            return with_opt(
                {"uuid": uid, "type": "send_msg", "text": text},
                attachments=attachments,
                quick_replies=qrs,
                all_urns=bool(a.get("send_all")),
            )
        return with_opt(
            {"uuid": uid, "type": "send_broadcast", "text": text},
            attachments=attachments,
            quick_replies=qrs,
            contacts=_contact_refs(a.get("contacts")),
            groups=[_group_ref(g, m) for g in a.get("groups") or []],
            legacy_vars=[
                m.tpl(v.get("id") if isinstance(v, dict) else v, where=where)
                for v in a.get("variables") or []
            ],
        )
    if kind == "add_group":
        return {
            "uuid": uid,
            "type": "add_contact_groups",
            "groups": [_group_ref(g, m) for g in a.get("groups") or []],
        }
    if kind == "del_group":
        groups = [_group_ref(g, m) for g in a.get("groups") or []]
        return with_opt({"uuid": uid, "type": "remove_contact_groups"}, groups=groups, all_groups=not groups)
    if kind == "save":
        value = m.tpl(a.get("value") or "", where=where)
        fld = a.get("field") or ""
        if fld in ("name", "first_name"):
            if fld == "first_name":  # only the first name: keep the rest of the current name
                value = value.strip() + " @(word_slice(contact.name, 1, -1))"
            return {"uuid": uid, "type": "set_contact_name", "name": value}
        if fld in URN_SCHEMES:
            return {"uuid": uid, "type": "add_contact_urn", "scheme": fld, "path": value}
        if fld == "tel_e164":
            return {"uuid": uid, "type": "add_contact_urn", "scheme": "tel", "path": value}
        return {
            "uuid": uid,
            "type": "set_contact_field",
            "field": {"key": fld, "name": a.get("label") or ""},
            "value": value,
        }
    if kind == "say":
        msg = translations(a.get("msg"))
        recording = translations(a.get("recording"))
        for rlang, url in list(recording.items()):
            if url:
                recording[rlang] = url_join(m.base_media_url, str(url))
        text = m.translate(uid, "text", msg, where)
        audio = m.translate(uid, "audio_url", recording, where)
        return with_opt({"uuid": uid, "type": "say_msg", "text": text}, audio_url=audio)
    if kind == "play":
        return {"uuid": uid, "type": "play_audio", "audio_url": m.tpl(a.get("url") or "", where=where)}
    raise LegacyError(f"unable to migrate legacy action type: {kind}")


# ----------------------------------------------------------------------------------- rules


def _test_data(rule: dict[str, Any]) -> dict[str, Any]:
    test = rule.get("test")
    if not isinstance(test, dict) or not test.get("type"):
        raise LegacyError(f"rule {rule.get('uuid')} has no test type")
    return test


def _number_text(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        raise LegacyError(f"expected string or number, not {json.dumps(v)}")
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return str(v)


def migrate_case(
    rule: dict[str, Any], category_uuid: str, m: Migration
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    test = _test_data(rule)
    kind = test["type"]
    new_type = TEST_TYPES.get(kind, "")
    case_uuid = m.new_uuid()
    where = f"rule {rule.get('uuid')}"
    ui: dict[str, Any] | None = None
    args: list[str]
    if kind in ("date", "has_email", "not_empty", "number", "phone", "state"):
        args = []
    elif kind in ("eq", "gt", "gte", "lt", "lte"):
        args = [m.tpl(_number_text(test.get("test")), where=where)]
    elif kind == "between":
        args = [
            m.tpl(_number_text(test.get("min")), where=where),
            m.tpl(_number_text(test.get("max")), where=where),
        ]
    elif kind in ("contains", "contains_any", "contains_phrase", "contains_only_phrase", "regex", "starts"):
        texts = translations(test.get("test"))
        base = str(texts[m.base_language] if m.base_language in texts else texts.get("base", ""))
        if kind != "regex":  # every test argument is a template, except regexes
            base = m.tpl(base, where=where)
        args = [base]
        # only the other languages: the base text is done above (migrating it again here would
        # warn twice, and warn about a regex that was never meant to be a template)
        others = {lang: text for lang, text in texts.items() if lang not in (m.base_language, "base")}
        m.translate(case_uuid, "arguments", others, where)
    elif kind in ("date_equal", "date_after", "date_before"):
        raw = str(test.get("test") or "")
        args = [m.tpl(raw, Options(raw_dates=True), where=where)]
        delta = 0
        found = _RELATIVE_DATE.search(raw)
        if found:
            delta = int(found.group(2)) * (-1 if found.group(1) == "-" else 1)
        ui = {"arguments": [str(delta)]}
    elif kind == "in_group":
        g = test.get("test") or {}
        if isinstance(g, str):
            args = ["", m.tpl(g) if g.startswith("@") else g]
        else:
            args = [g.get("uuid") or "", g.get("name") or ""]
    elif kind == "subflow":
        new_type = "has_only_text"
        args = [str(test.get("exit_type") or "")]
    elif kind == "webhook_status":
        new_type = "has_only_text"
        args = ["Success" if test.get("status") == "success" else "Failure"]
    elif kind == "airtime_status":
        new_type = "has_category"
        if test.get("exit_status") != "success":
            return None, None  # failure is just the default category
        args = ["Success"]
    elif kind == "district":
        args = [m.tpl(str(test.get("test") or ""), where=where)]
    elif kind == "ward":
        args = [
            m.tpl(str(test.get("district") or ""), where=where),
            m.tpl(str(test.get("state") or ""), where=where),
        ]
    else:
        raise LegacyError(f"migration of '{kind}' tests not supported")
    case: dict[str, Any] = {"uuid": case_uuid, "type": new_type, "category_uuid": category_uuid}
    if args:
        case["arguments"] = args
    return case, ui


@dataclass
class _Rules:
    cases: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    exits: list[dict[str, Any]]
    default_category: str
    timeout_category: str
    case_ui: dict[str, Any]


def migrate_rules(rs: dict[str, Any], valid: set[str], m: Migration) -> _Rules:
    rules = rs.get("rules") or []
    categories: list[dict[str, Any]] = []
    exits: list[dict[str, Any]] = []
    by_rule: dict[int, dict[str, Any]] = {}
    by_name: dict[str, dict[str, Any]] = {}
    for i, rule in enumerate(rules):
        cat_texts = translations(rule.get("category"))
        name = str(cat_texts[m.base_language] if m.base_language in cat_texts else cat_texts.get("base", ""))
        category = None
        if _test_data(rule)["type"] != "true":  # rules sharing a category name share its category
            category = by_name.get(name)
        if category is None:
            ex: dict[str, Any] = {"uuid": rule.get("uuid") or m.new_uuid()}
            if rule.get("destination") in valid:
                ex["destination_uuid"] = rule["destination"]
            exits.append(ex)
            category = {"uuid": m.new_uuid()}
            if name:
                category["name"] = name
            category["exit_uuid"] = ex["uuid"]
            categories.append(category)
        by_rule[i] = category
        by_name[name] = category
        m.translate(category["uuid"], "name", cat_texts, f"rule {rule.get('uuid')}")

    cases: list[dict[str, Any]] = []
    case_ui: dict[str, Any] = {}
    default = timeout = ""
    for i, rule in enumerate(rules):
        category = by_rule[i]
        kind = _test_data(rule)["type"]
        if kind == "true":
            default = category["uuid"]
            continue
        if kind == "timeout":
            timeout = category["uuid"]
            continue
        if kind in ("webhook_status", "airtime_status"):
            default = category["uuid"]  # the last (failure) rule is the default
        case, ui = migrate_case(rule, category["uuid"], m)
        if case is not None:
            cases.append(case)
            if ui is not None:
                case_ui[case["uuid"]] = ui
    return _Rules(cases, categories, exits, default, timeout, case_ui)


def _switch(wait: dict[str, Any] | None, result_name: str, r: _Rules, operand: str) -> dict[str, Any]:
    router: dict[str, Any] = {"type": "switch"}
    if wait is not None:
        router["wait"] = wait
    if result_name:
        router["result_name"] = result_name
    router.update(
        categories=r.categories,
        operand=operand,
        cases=r.cases,
        default_category_uuid=r.default_category,
    )
    return router


def _wait_hint(kind: str, finished_key: Any) -> tuple[dict[str, Any] | None, str]:
    hints: dict[str, dict[str, Any]] = {
        "wait_audio": {"type": "audio"},
        "wait_video": {"type": "video"},
        "wait_photo": {"type": "image"},
        "wait_gps": {"type": "location"},
        "wait_recording": {"type": "audio"},
    }
    if kind in hints:
        return hints[kind], "@input"
    if kind == "wait_digit":
        return {"type": "digits", "count": 1}, "@input.text"
    if kind == "wait_digits":
        return {"type": "digits", "terminated_by": finished_key or ""}, "@input.text"
    return None, "@input"


def migrate_ruleset(
    rs: dict[str, Any], valid: set[str], m: Migration
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A rule set as a node, with its editor type and editor config."""
    rules = migrate_rules(rs, valid, m)
    ui_config: dict[str, Any] = {}
    if rules.case_ui:
        ui_config["cases"] = rules.case_ui
    result_name = rs.get("label") or ""
    config = rs.get("config") or {}
    if not isinstance(config, dict):
        raise LegacyError(f"rule set {rs.get('uuid')} has a config that isn't an object")
    kind = rs.get("ruleset_type") or "wait_message"
    raw_operand = rs.get("operand") or ""
    where = f"rule set {rs.get('uuid')}"
    actions: list[dict[str, Any]] = []
    key = snakify(result_name)

    if kind == "subflow":
        if not config.get("flow"):
            raise LegacyError("subflow ruleset has no flow in its config")
        actions = [{"uuid": m.new_uuid(), "type": "enter_flow", "flow": _flow_ref(config["flow"])}]
        router = _switch(None, result_name, rules, "@child.status")
        ui_type = "split_by_subflow"
    elif kind == "webhook":
        url = m.tpl(config.get("webhook") or "", Options(url_encode=True), where=where)
        method = str(config.get("webhook_action") or "").upper() or "POST"
        headers: dict[str, str] = {}
        body = ""
        if method == "POST":
            headers["Content-Type"] = "application/json"
            body = LEGACY_WEBHOOK_BODY
        for h in config.get("webhook_headers") or []:
            if h.get("name"):  # empty headers are editor leftovers
                headers[h["name"]] = m.tpl(h.get("value") or "", where=where)
        action: dict[str, Any] = {"uuid": m.new_uuid(), "type": "call_webhook", "method": method, "url": url}
        if headers:
            action["headers"] = headers
        if body:
            action["body"] = body
        if result_name:
            action["result_name"] = result_name
        actions = [action]
        router = _switch(None, "", rules, f"@results.{key}.category")
        ui_type = "split_by_webhook"
    elif kind == "resthook":
        action = {"uuid": m.new_uuid(), "type": "call_resthook", "resthook": config.get("resthook") or ""}
        if result_name:
            action["result_name"] = result_name
        actions = [action]
        router = _switch(None, "", rules, f"@results.{key}.category")
        ui_type = "split_by_resthook"
    elif kind == "form_field":
        operand = m.tpl(raw_operand, where=where).removeprefix("@")
        index = int(config.get("field_index") or 0)
        delimiter = str(config.get("field_delimiter") or "")
        router = _switch(None, result_name, rules, f'@(field({operand}, {index}, "{delimiter}"))')
        if "." in raw_operand:
            ui_config.update(operand={"id": raw_operand.rsplit(".", 1)[1]}, delimiter=delimiter, index=index)
        ui_type = "split_by_run_result_delimited"
    elif kind == "group":
        router = _switch(None, result_name, rules, "@contact.groups")
        ui_type = "split_by_groups"
    elif kind in WAIT_TYPES:
        seconds = 0
        for rule in rs.get("rules") or []:
            if _test_data(rule)["type"] == "timeout":
                seconds = 60 * int(rule["test"].get("minutes") or 0)
                break
        hint, operand = _wait_hint(kind, rs.get("finished_key"))
        wait: dict[str, Any] = {"type": "msg"}
        if seconds > 0 and rules.timeout_category:
            wait["timeout"] = {"seconds": seconds, "category_uuid": rules.timeout_category}
        if hint is not None:
            wait["hint"] = hint
        router = _switch(wait, result_name, rules, operand)
        ui_type = "wait_for_response"
    elif kind in ("flow_field", "contact_field", "expression"):
        ui_type = "split_by_expression"
        field_key = raw_operand.rsplit(".", 1)[1] if "." in raw_operand else None
        if kind == "flow_field":
            ui_type = "split_by_run_result"
            if field_key is not None:
                ui_config["operand"] = {"id": field_key}
        elif kind == "contact_field":
            ui_type = "split_by_contact_field"
            if field_key == "name":
                ui_config["operand"] = {"type": "property", "id": "name", "name": "Name"}
            elif field_key == "groups":
                ui_type = "split_by_expression"
            elif field_key in URN_SCHEMES:
                ui_config["operand"] = {"type": "scheme", "id": field_key}
            elif field_key is not None:
                ui_config["operand"] = {"type": "field", "id": field_key}
        # an expression operand that errors evaluates to its own text, as it did in legacy flows
        operand = m.tpl(raw_operand, Options(default_to_self=kind == "expression"), where=where) or "@input"
        router = _switch(None, result_name, rules, operand)
    elif kind == "random":
        router = {"type": "random"}
        if result_name:
            router["result_name"] = result_name
        router["categories"] = rules.categories
        ui_type = "split_by_random"
    elif kind == "airtime":
        amounts: dict[str, Any] = {}
        for country in config.values():
            if not isinstance(country, dict):
                continue
            code = country.get("currency_code") or ""
            try:
                amount = Decimal(str(country.get("amount")))
            except (InvalidOperation, ValueError):
                raise LegacyError(f"airtime amount {country.get('amount')!r} is not a number") from None
            if code in amounts and amounts[code] != amount:
                raise LegacyError("unable to migrate airtime ruleset with different amounts in same currency")
            amounts[code] = amount
        action = {
            "uuid": m.new_uuid(),
            "type": "transfer_airtime",
            "amounts": {k: _decimal_json(v) for k, v in amounts.items()},
        }
        if result_name:
            action["result_name"] = result_name
        actions = [action]
        router = _switch(None, "", rules, f"@results.{key}")
        ui_type = "split_by_airtime"
    else:
        raise LegacyError(f"unrecognized ruleset type: {kind}")

    node: dict[str, Any] = {"uuid": rs["uuid"]}
    if actions:
        node["actions"] = actions
    node["router"] = router
    node["exits"] = rules.exits
    return node, ui_type, ui_config


def _decimal_json(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


# ----------------------------------------------------------------------------------- flows


def migrate_definition(
    data: dict[str, Any],
    *,
    base_media_url: str = "",
    new_uuid: Callable[[], str] = _uuid4,
) -> tuple[dict[str, Any], list[str]]:
    """A legacy definition as a spec 13.0.0 definition, plus warnings about inexact migration."""
    if not isinstance(data, dict):
        raise LegacyError("a legacy flow definition must be an object")
    try:
        return _migrate(data, base_media_url, new_uuid)
    except (KeyError, TypeError, AttributeError, ValueError, IndexError, RecursionError) as e:
        if isinstance(e, LegacyError):
            raise
        raise LegacyError(f"the legacy definition is not readable: {e!r}"[:300]) from None


def _migrate(
    data: dict[str, Any], base_media_url: str, new_uuid: Callable[[], str]
) -> tuple[dict[str, Any], list[str]]:
    lang = data.get("base_language") or ""
    metadata = data.get("metadata") or {}
    m = Migration(base_language=lang, new_uuid=new_uuid, base_media_url=base_media_url)
    action_sets = data.get("action_sets") or []
    rule_sets = data.get("rule_sets") or []
    for item in [*action_sets, *rule_sets]:
        if not isinstance(item, dict) or not item.get("uuid"):
            raise LegacyError("every action set and rule set needs a uuid")
    valid = {n["uuid"] for n in [*action_sets, *rule_sets]}

    nodes: list[dict[str, Any]] = []
    ui_nodes: dict[str, Any] = {}
    for aset in action_sets:
        actions = []
        for a in aset.get("actions") or []:
            try:
                actions.append(migrate_action(a, m))
            except LegacyError as e:
                raise LegacyError(f"error migrating action[type={a.get('type')}]: {e}") from None
        ex: dict[str, Any] = {"uuid": aset.get("exit_uuid") or new_uuid()}
        if aset.get("destination") in valid:
            ex["destination_uuid"] = aset["destination"]
        node: dict[str, Any] = {"uuid": aset["uuid"]}
        if actions:
            node["actions"] = actions
        node["exits"] = [ex]
        nodes.append(node)
        ui_nodes[aset["uuid"]] = {
            "type": "execute_actions",
            "position": {"left": int(aset.get("x") or 0), "top": int(aset.get("y") or 0)},
        }
    for rs in rule_sets:
        try:
            rs_node, ui_type, ui_config = migrate_ruleset(rs, valid, m)
        except LegacyError as e:
            raise LegacyError(f"error migrating rule_set[uuid={rs.get('uuid')}]: {e}") from None
        nodes.append(rs_node)
        ui: dict[str, Any] = {
            "type": ui_type,
            "position": {"left": int(rs.get("x") or 0), "top": int(rs.get("y") or 0)},
        }
        if ui_config:
            ui["config"] = ui_config
        ui_nodes[rs["uuid"]] = ui

    # the entry node first, then the rest top to bottom as the editor showed them
    entry = data.get("entry")
    first = [n for n in nodes if n["uuid"] == entry][:1]
    rest = [n for n in nodes if not first or n is not first[0]]
    rest.sort(key=lambda n: ui_nodes[n["uuid"]]["position"]["top"])

    stickies: dict[str, Any] = {}
    for note in metadata.get("notes") or []:
        stickies[new_uuid()] = {
            "position": {"left": int(float(note.get("x") or 0)), "top": int(float(note.get("y") or 0))},
            "title": note.get("title") or "",
            "body": note.get("body") or "",
            "color": "yellow",
        }

    flow_uuid = metadata.get("uuid") or data.get("uuid") or new_uuid()
    name = metadata.get("name") or data.get("name") or ""
    flow_type = data.get("flow_type") or ""
    if flow_type not in FLOW_TYPES:
        m.warnings.append(f"unknown legacy flow type {flow_type!r}, migrated as messaging")
    migrated = {
        "uuid": flow_uuid,
        "name": name,
        "spec_version": LEGACY_SPEC,
        "language": lang,
        "type": FLOW_TYPES.get(flow_type, "messaging"),
        "revision": int(metadata.get("revision") or 0),
        "expire_after_minutes": int(metadata.get("expires") or 0),
        "localization": m.localization,
        "nodes": first + rest,
        "_ui": {"nodes": ui_nodes, "stickies": stickies},
    }
    return migrated, m.warnings
