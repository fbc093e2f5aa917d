"""Forms for the everyday screens: they turn query strings and posts into service arguments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from channels_app.models import Channel, Label, MsgStatus, Workspace
from channels_app.services.message_search import MessageFilter
from flows.models import Flow, Trigger


class _ChannelChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _channels(workspace: Workspace) -> Any:
    # inactive channels stay filterable: their messages are still in the log
    return Channel.objects.filter(workspace=workspace).order_by("-is_active", "name", "id")


class ChannelFilterForm(forms.Form):
    channel = _ChannelChoice(queryset=Channel.objects.none(), required=False, to_field_name="uuid",
                             empty_label="All channels")  # fmt: skip

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = _channels(workspace)  # type: ignore[attr-defined]


class MessageFilterForm(ChannelFilterForm):
    direction = forms.ChoiceField(
        choices=[("", "All directions"), ("in", "Incoming"), ("out", "Outgoing")], required=False
    )
    status = forms.ChoiceField(choices=[("", "All statuses"), *MsgStatus.choices], required=False)
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(required=False, max_length=200, label="Search",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "words, a number or a name"}))  # fmt: skip
    label = _ChannelChoice(queryset=Label.objects.none(), required=False, to_field_name="uuid",
                           empty_label="Any label")  # fmt: skip
    folder = forms.ChoiceField(
        choices=[("", "Inbox and archived"), ("visible", "Inbox"), ("archived", "Archived")],
        required=False, label="Folder",
    )  # fmt: skip
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, workspace=workspace, **kwargs)
        self.fields["label"].queryset = Label.objects.filter(workspace=workspace).order_by("name")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "the end date is before the start date")
        return data

    def to_filter(self) -> MessageFilter:
        """Only valid fields filter: a bad date shows an error but does not empty the log."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return MessageFilter(
            channel=data.get("channel"),
            direction=data.get("direction") or "",
            status=data.get("status") or "",
            since=data.get("since"),
            until=data.get("until"),
            query=data.get("q") or "",
            before_id=data.get("before"),
            label=data.get("label"),
            visibility=data.get("folder") or "",
        )


class TestMessageForm(forms.Form):
    to = forms.CharField(
        max_length=255, label="To", widget=forms.TextInput(attrs={"placeholder": "+250788123123"})
    )
    text = forms.CharField(max_length=1600, widget=forms.Textarea(attrs={"rows": 2}),
                           initial="Test message from Flowgate")  # fmt: skip

    def clean_to(self) -> str:
        to = str(self.cleaned_data["to"]).strip()
        # A bare value is read as a phone number; the URN parser keeps letters (short codes), but a
        # test message to "john" is a typo, not a short code.
        if ":" not in to and not any(ch.isdigit() for ch in to):
            raise forms.ValidationError(
                "enter a phone number such as +250788123123 or a URN such as tel:+250788123123"
            )
        return to


WEEKDAYS = [("0", "Mon"), ("1", "Tue"), ("2", "Wed"), ("3", "Thu"), ("4", "Fri"), ("5", "Sat"), ("6", "Sun")]
TRIGGER_TYPES = [
    (Trigger.Type.KEYWORD, "Keyword: a message starting with (or being only) a word"),
    (Trigger.Type.CATCH_ALL, "Catch-all: any message no other trigger or flow handles"),
    (Trigger.Type.SCHEDULE, "Scheduled: start the flow at a time, once or repeating"),
]


class TriggerForm(ChannelFilterForm):
    trigger_type = forms.ChoiceField(choices=TRIGGER_TYPES, label="Type", widget=forms.RadioSelect,
                                     initial=Trigger.Type.KEYWORD)  # fmt: skip
    flow = forms.ModelChoiceField(queryset=Flow.objects.none(), to_field_name="uuid", empty_label=None)
    keywords = forms.CharField(required=False, max_length=200,
                               help_text="one or more single words, separated by spaces or commas")  # fmt: skip
    match_type = forms.ChoiceField(
        choices=[(Trigger.Match.STARTS, "Message starts with the keyword"),
                 (Trigger.Match.ONLY, "Message is only the keyword")],
        initial=Trigger.Match.STARTS, label="Match", required=False,
    )  # fmt: skip
    start_on = forms.DateTimeField(required=False, label="Start at",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"])  # fmt: skip
    # not required: the page disables the fields of the other trigger types, and browsers don't post those
    repeat = forms.ChoiceField(choices=Trigger.Repeat.choices, initial=Trigger.Repeat.NEVER, required=False)
    weekdays = forms.MultipleChoiceField(choices=WEEKDAYS, required=False, widget=forms.CheckboxSelectMultiple,
                                         help_text="for weekly repeats; none means the start day")  # fmt: skip

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, workspace=workspace, **kwargs)
        flow_field, channel_field = self.fields["flow"], self.fields["channel"]
        assert isinstance(flow_field, forms.ModelChoiceField) and isinstance(
            channel_field, forms.ModelChoiceField
        )
        flow_field.queryset = Flow.objects.filter(workspace=workspace, archived=False).order_by("name")
        # a trigger can only point at a channel that still works
        channel_field.queryset = Channel.objects.filter(workspace=workspace, is_active=True).order_by("name")
        channel_field.empty_label = "Any channel"
        self.fields["channel"].help_text = "for keyword and catch-all triggers"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("trigger_type")
        if kind == Trigger.Type.SCHEDULE and not data.get("start_on"):
            self.add_error("start_on", "a scheduled trigger needs a start time")
        if kind == Trigger.Type.KEYWORD and not (data.get("keywords") or "").strip():
            self.add_error("keywords", "give at least one keyword")
        return data

    def keyword_list(self) -> list[str]:
        return [w for w in (self.cleaned_data.get("keywords") or "").replace(",", " ").split() if w]

    def start_on_aware(self) -> dt.datetime | None:
        value = self.cleaned_data.get("start_on")
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value  # type: ignore[no-any-return]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=64, label="Name", help_text="what will use this key, e.g. the CRM sync")
