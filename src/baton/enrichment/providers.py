"""The provider interface and the registry that picks the configured one.

A provider looks companies up in batches: ``lookup_many(keys)`` answers each ``CompanyKey`` (domain,
normalised name) with ``CompanyFacts`` or None (no such company). A key left out of the answer means
"not known yet": an asynchronous provider (a web service that answers later) is asked again by the
sweep until it answers or the timeout passes. An exception fails the whole batch.

Configuration, read on every call so tests and the settings page see changes at once:

- Django setting ``BATON_ENRICHMENT = {"provider": "directory", "directory": "/path/companies.csv"}``,
- otherwise the environment: ``BATON_ENRICHMENT_PROVIDER`` (e.g. ``directory``) and
  ``BATON_ENRICHMENT_DIRECTORY`` (a CSV or XLSX company directory).

No provider configured means no enrichment (captures go straight to scoring and routing). Other
providers register a factory with ``register("name", factory)``; the factory gets the configuration.
"""

import os
import threading
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from django.conf import settings

from baton.core import normalize
from baton.core.enrichment import CompanyFacts, CompanyKey
from baton.core.errors import Conflict

__all__ = ["CompanyKey", "Provider", "ProviderUnavailable", "active_provider", "configuration", "register"]


@runtime_checkable
class Provider(Protocol):
    name: str

    def lookup_many(self, keys: list[CompanyKey]) -> dict[CompanyKey, CompanyFacts | None]: ...


class ProviderUnavailable(Conflict):
    """No provider is configured, or its configuration is wrong. The message says what to set."""

    code = "enrichment_unavailable"


Factory = Callable[[dict], Provider]
_factories: dict[str, Factory] = {}
_instances: dict[tuple, Provider] = {}
_lock = threading.Lock()


def register(name: str, factory: Factory) -> None:
    """Make a provider available under ``name`` (the value of BATON_ENRICHMENT_PROVIDER)."""
    with _lock:
        _factories[name] = factory
        for key in [k for k in _instances if k[0] == name]:
            del _instances[key]


def names() -> list[str]:
    return sorted(_factories)


def configuration() -> dict:
    conf = getattr(settings, "BATON_ENRICHMENT", None)
    if conf is None:
        conf = {
            "provider": os.environ.get("BATON_ENRICHMENT_PROVIDER", ""),
            "directory": os.environ.get("BATON_ENRICHMENT_DIRECTORY", ""),
        }
    return {k: (v.strip() if isinstance(v, str) else v) for k, v in conf.items()}


def configured_name() -> str:
    return configuration().get("provider") or ""


def active_provider() -> Provider | None:
    """The configured provider (one instance per configuration and process), or None if none is set.

    Raises ProviderUnavailable when the configuration names an unknown provider or lacks a setting.
    """
    conf = configuration()
    name = conf.get("provider") or ""
    if not name:
        return None
    key = (name, *sorted((k, str(v)) for k, v in conf.items()))
    provider = _instances.get(key)
    if provider is not None:
        return provider
    factory = _factories.get(name)
    if factory is None:
        raise ProviderUnavailable(
            f"unknown enrichment provider {name!r} (BATON_ENRICHMENT_PROVIDER); "
            f"available: {', '.join(names()) or 'none'}"
        )
    with _lock:
        provider = _instances.get(key)
        if provider is None:
            provider = factory(conf)
            _instances[key] = provider
    return provider


def reset() -> None:
    """Forget the provider instances (tests; a changed configuration makes new ones anyway)."""
    with _lock:
        _instances.clear()


# --- keys ----------------------------------------------------------------------------------------


def email_domain(email: str) -> str:
    """The company domain of an e-mail address, or "" for free-mail and malformed addresses."""
    domain = email.rpartition("@")[2].strip().lower() if "@" in email else ""
    return "" if domain in normalize.FREE_MAIL_DOMAINS else domain


def company_key(
    *, website_domain: str = "", account_domain: str = "", email: str = "", company: str = ""
) -> CompanyKey:
    """The key a lead's company is looked up by: its website, its account's domain or its e-mail's
    company domain; and its company name, normalised (``normalize.company_key``)."""
    domain = website_domain or account_domain or email_domain(email or "")
    domain = normalize.domain_from_website(domain) if domain else ""
    return domain, (normalize.company_key(company) if company and company.strip() else "")


def parent_domains(domain: str) -> Iterable[str]:
    """shop.acme.com → shop.acme.com, acme.com (never a bare top-level label)."""
    while domain.count(".") >= 1:
        yield domain
        domain = domain.partition(".")[2]


def _directory(conf: dict) -> Provider:
    from baton.enrichment.directory import DirectoryProvider

    return DirectoryProvider.from_configuration(conf)


register("directory", _directory)
