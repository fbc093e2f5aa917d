import uuid

from django.db import models

from channels_app.models.workspace import Workspace


class MessageTemplate(models.Model):
    """A named message text per workspace, in several languages, with declared variables.

    `translations` maps a language code to the text (flow expression syntax, e.g. `@name`);
    `variables` maps each variable name to its default (null: the caller must give it).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="message_templates")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=128, blank=True, default="")
    base_language = models.CharField(max_length=8)
    translations = models.JSONField(default=dict)
    variables = models.JSONField(default=dict, blank=True)
    created_on = models.DateTimeField(auto_now_add=True)
    modified_on = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "code"], name="unique_template_code")]

    def __str__(self) -> str:
        return self.code
