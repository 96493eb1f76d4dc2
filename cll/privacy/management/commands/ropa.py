from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from cll.privacy.ropa import ropa_csv, ropa_document


class Command(BaseCommand):
    help = (
        "Print the record of processing activities (GDPR Art. 30(1)) generated from the data "
        "map: controller, purposes, categories of people and data, recipients, transfers outside "
        "the EEA, erasure time limits and security measures, as CSV or JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format", dest="output_format", choices=("csv", "json"), default="json"
        )
        parser.add_argument(
            "--language", default="en", help="Language of the texts (fr, en, nl); default en."
        )

    def handle(self, *args, output_format: str, language: str, **options) -> None:
        with translation.override(language):
            document = ropa_document()
        if output_format == "csv":
            self.stdout.write(ropa_csv(document), ending="")
        else:
            self.stdout.write(json.dumps(document, indent=2, ensure_ascii=False))
