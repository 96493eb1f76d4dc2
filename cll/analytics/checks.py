"""System checks of the analytics app: the offline data sets of the access log.

- analytics.E001: ``CLL_GEOIP_COUNTRY_DB`` or ``CLL_GEOIP_ASN_DB`` names a file that cannot be
  opened or is not a MaxMind DB: the task worker (``manage.py`` runs the checks first), migrate
  and the development server stop with a message naming the variable, rather than the log
  recording "unknown" for every visitor until someone notices;
- analytics.W001: the file is a MaxMind DB of another kind (the two variables swapped?).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import AppConfig
from django.core import checks

from cll.analytics import geoip
from cll.lib.env import ConfigError


@checks.register()
def geoip_databases(
    app_configs: Iterable[AppConfig] | None = None, **kwargs
) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for database in geoip.DATABASES:
        path = geoip.configured_path(database)
        if not path:
            continue
        try:
            reader = geoip.open_reader(database, path)
        except ConfigError as exc:
            messages.append(
                checks.Error(
                    str(exc),
                    hint="Download the .mmdb file (DB-IP Lite or GeoLite2, see README), or "
                    f"unset {database.variable} to record the network and country as unknown.",
                    obj=f"settings.{database.setting}",
                    id="analytics.E001",
                )
            )
            continue
        try:
            problem = geoip.kind_problem(database, reader)
        finally:
            reader.close()
        if problem is not None:
            messages.append(
                checks.Warning(problem, obj=f"settings.{database.setting}", id="analytics.W001")
            )
    return messages
