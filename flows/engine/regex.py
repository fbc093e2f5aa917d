"""Flow authors' regular expressions (has_pattern, regex_match) run on sender-controlled text:
the linear-time RE2 engine shared with connector patterns (see infra.safe_regex)."""

from infra.safe_regex import compile_pattern, error

__all__ = ["compile_pattern", "error"]
