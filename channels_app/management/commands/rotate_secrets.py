"""Re-encrypt every stored secret with the first FLOWGATE_SECRET_KEYS key; prints counts as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from channels_app.crypto import SecretDecryptionError, SecretKeyError
from channels_app.services.secret_rotation import rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt stored secrets (channel configs, webhook signing secrets) with the first key of "
        "FLOWGATE_SECRET_KEYS; keep the old keys after it until this has run. Plaintext ones get encrypted."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = rotate_all()
        except (SecretDecryptionError, SecretKeyError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps({"rotated": counts.as_dict()}))
