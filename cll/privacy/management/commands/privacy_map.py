from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cll.privacy import datamap

COLUMNS = (
    "field",
    "category",
    "purposes",
    "basis",
    "retention",
    "erasure",
    "readers",
    "recipients",
    "encrypted",
)


def data_map_document() -> dict[str, Any]:
    """The whole data map as plain data: purposes, retention rules and every model's fields."""
    return {
        "purposes": [
            {"key": p.key, "description": str(p.description)}
            for p in sorted(datamap.PURPOSES.values(), key=lambda p: p.key)
        ],
        "retention": [
            {"key": r.key, "description": str(r.description), "days": r.days}
            for r in sorted(datamap.RETENTION.values(), key=lambda r: r.key)
        ],
        "models": [
            {
                "model": entry.label,
                "subject": entry.subject,
                "description": str(entry.description),
                "third_party": entry.third_party,
                "fields": [
                    {
                        "field": name,
                        "personal": rule.personal,
                        "category": str(rule.category),
                        "purposes": list(rule.purposes),
                        "basis": str(rule.basis),
                        "retention": rule.retention,
                        "erasure": str(rule.erasure),
                        "readers": list(rule.readers),
                        "recipients": list(rule.recipients),
                        "encrypted": rule.encrypted,
                    }
                    for name, rule in sorted(entry.fields.items())
                ],
            }
            for entry in datamap.entries()
        ],
    }


def _cell(column: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if column == "readers" and set(datamap.Role.STAFF_ROLES) <= set(value):
            # Keeps the table readable: seven role names in a row say less than this.
            value = [r for r in value if r not in datamap.Role.STAFF_ROLES] + ["all staff"]
        return ", ".join(value) or "-"
    return str(value)


class Command(BaseCommand):
    help = (
        "Print the data map: for every model and field, its category, purposes, legal basis, "
        "retention, erasure action, readers, recipients and whether it is encrypted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            dest="output_format",
            choices=("table", "json"),
            default="table",
            help="A readable table (default) or JSON for other tools.",
        )

    def handle(self, *args, output_format: str, **options) -> None:
        document = data_map_document()
        if output_format == "json":
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
            return
        for model in document["models"]:
            flags = " (third-party)" if model["third_party"] else ""
            self.stdout.write(
                self.style.MIGRATE_HEADING(f"{model['model']}{flags}")
                + f"  subject: {model['subject'] or '-'}  {model['description']}"
            )
            rows = [COLUMNS] + [
                tuple(_cell(column, field[column]) for column in COLUMNS)
                for field in model["fields"]
            ]
            widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
            for row in rows:
                line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                self.stdout.write("  " + line.rstrip())
            self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Purposes"))
        for item in document["purposes"]:
            self.stdout.write(f"  {item['key']}: {item['description']}")
        self.stdout.write(self.style.MIGRATE_HEADING("Retention rules"))
        for item in document["retention"]:
            days = f" ({item['days']} days)" if item["days"] is not None else ""
            self.stdout.write(f"  {item['key']}{days}: {item['description']}")
