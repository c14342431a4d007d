"""Logging filter that keeps secrets out of logs."""

import logging
import re

_PATTERNS = [
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I), r"\1[redacted]"),
    (
        re.compile(r"(password|token|secret|api_key)(['\"]?\s*[:=]\s*['\"]?)[^'\"\s,&]+", re.I),
        r"\1\2[redacted]",
    ),
    (re.compile(r"(postgres(?:ql)?://[^:/\s]+:)[^@\s]+@", re.I), r"\1[redacted]@"),
]


def redact(text: str) -> str:
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
