"""Network (ISP) and country of an IP address, from MaxMind DB files the operator installs.

The access log records a visitor's network and country, and the privacy policy promises that
they come from an offline data set, never from an online lookup (which would hand every
visitor's address to a third party). We ship no data set: the operator downloads MaxMind DB
(``.mmdb``) files, DB-IP's "IP to Country Lite" and "IP to ASN Lite" (CC BY 4.0, attribution
shown on the dashboard) or MaxMind's GeoLite2-Country and GeoLite2-ASN, and points
``CLL_GEOIP_COUNTRY_DB`` and ``CLL_GEOIP_ASN_DB`` at them. Without them every public address is
"unknown", as before.

Each file is opened once per process, on first use, memory-mapped (the operating system shares
the pages between the processes of a host). ``lookup`` never raises on an address or a record,
whatever their shape; a configured file that cannot be opened raises ``ConfigError`` naming the
variable (the system check ``analytics.E001`` says the same at start-up), so the ingester leaves
its spool file for the next pass instead of recording "unknown" for a day.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

import maxminddb
from django.conf import settings
from maxminddb.errors import InvalidDatabaseError

from cll.lib.env import ConfigError

UNKNOWN = "unknown"
NETWORK_LENGTH = 64


@dataclass(frozen=True)
class Database:
    """One kind of data set: the setting holding its path and the variable the operator sets."""

    setting: str
    variable: str
    # Words of the file's ``database_type`` metadata that say it holds this kind of record
    # (e.g. "DBIP-Country-Lite", "GeoLite2-City", "GeoLite2-ASN"); checked by a warning only.
    kinds: tuple[str, ...]


COUNTRY = Database("GEOIP_COUNTRY_DB", "CLL_GEOIP_COUNTRY_DB", ("country", "city"))
ASN = Database("GEOIP_ASN_DB", "CLL_GEOIP_ASN_DB", ("asn", "isp"))
DATABASES = (COUNTRY, ASN)

# (variable, path) -> reader. Keyed by path too, so a changed setting (tests) opens its file.
_readers: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


def configured_path(database: Database) -> str:
    """The path the setting names, "" when none is configured."""
    value = getattr(settings, database.setting, "") or ""
    return os.fspath(value)


def open_reader(database: Database, path: str) -> Any:
    """A new reader of ``path``; ``ConfigError`` naming the variable when it is not a readable
    MaxMind DB file. The caller closes it (or keeps it for the life of the process)."""
    try:
        return maxminddb.open_database(path, maxminddb.MODE_AUTO)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(f"{database.variable}: {path!r} cannot be opened ({reason}).") from exc
    except (InvalidDatabaseError, ValueError) as exc:
        raise ConfigError(
            f"{database.variable}: {path!r} is not a MaxMind DB (.mmdb) file ({exc})."
        ) from exc


def kind_problem(database: Database, reader: Any) -> str | None:
    """Why the file does not look like a ``database`` data set (say, the two files swapped),
    or None. A warning only: vendors name their types as they like."""
    database_type = str(reader.metadata().database_type)
    if any(kind in database_type.lower() for kind in database.kinds):
        return None
    return (
        f"{database.variable}: the file's database type is {database_type!r}, not a "
        f"{' or '.join(database.kinds)} database; its records may lack what we read."
    )


def _reader(database: Database) -> Any | None:
    path = configured_path(database)
    if not path:
        return None
    key = (database.variable, path)
    reader = _readers.get(key)
    if reader is None:
        with _lock:
            # Another thread may have opened it while this one waited.
            reader = _readers.get(key)
            if reader is None:
                reader = _readers[key] = open_reader(database, path)
    return reader


def _record(reader: Any, ip: str) -> Any:
    try:
        return reader.get(ip)
    except (ValueError, TypeError, InvalidDatabaseError):
        # Not an address, an IPv6 address in an IPv4-only file, or a damaged data section.
        return None


def _text(value: Any) -> str:
    # Operator-supplied data: printable text only (the aggregates' keys are database text,
    # where PostgreSQL refuses NUL), bounded.
    if not isinstance(value, str):
        return ""
    return "".join(char for char in value if char.isprintable()).strip()[:NETWORK_LENGTH].strip()


def _network(record: Any) -> str:
    if not isinstance(record, dict):
        return UNKNOWN
    return _text(record.get("autonomous_system_organization")) or UNKNOWN


def _country(record: Any) -> str:
    if not isinstance(record, dict):
        return UNKNOWN
    country = record.get("country")
    code = country.get("iso_code") if isinstance(country, dict) else None
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return UNKNOWN


def _unmapped(ip: str) -> str:
    # "::ffff:203.0.113.7" (a dual-stack socket's view of an IPv4 client) is the IPv4 address;
    # our test files, unlike the vendors', do not alias ::ffff:0:0/96 to the IPv4 tree.
    if ip[:7].lower() == "::ffff:" and "." in ip:
        return ip[7:]
    return ip


def lookup(ip: str) -> tuple[str, str]:
    """(network, country) of ``ip`` from the configured files: the ASN record's organisation
    (at most 64 characters) and the country record's ISO 3166 code (upper case), each
    "unknown" when no file is configured or it has nothing for the address. Reads local files
    only: never any network access."""
    country_reader = _reader(COUNTRY)
    asn_reader = _reader(ASN)
    if country_reader is None and asn_reader is None:
        return UNKNOWN, UNKNOWN
    ip = _unmapped(ip)
    network = _network(_record(asn_reader, ip)) if asn_reader is not None else UNKNOWN
    country = _country(_record(country_reader, ip)) if country_reader is not None else UNKNOWN
    return network, country


def reset() -> None:
    """Close every reader (tests, after changing the settings). Not while lookups may run in
    another thread: a closed memory map cannot be read."""
    with _lock:
        readers = list(_readers.values())
        _readers.clear()
    for reader in readers:
        reader.close()
