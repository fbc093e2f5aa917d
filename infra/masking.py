import logging
import re

# key=value, "key": "value" and Authorization headers whose key names a secret.
_SECRET_PAIR = re.compile(
    r"""(?P<key>["']?(?:password|passwd|secret|token|api_key|apikey|auth_token|authorization|send_authorization)["']?\s*[:=]\s*["']?)(?P<value>[^"'\s,&}]+)""",
    re.IGNORECASE,
)


# The password of credentials written into a URL: scheme://user:password@host.
_URL_PASSWORD = re.compile(r"(?P<key>://[^/\s:@]*:)(?P<value>[^@/\s]+)(?=@)")


def mask_secrets(text: str) -> str:
    text = _URL_PASSWORD.sub(lambda m: m.group("key") + "********", text)
    return _SECRET_PAIR.sub(lambda m: m.group("key") + "********", text)


class MaskSecretsFilter(logging.Filter):
    """Masks secret-looking values in every log line, whatever logged them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not kill logging
            return True
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
