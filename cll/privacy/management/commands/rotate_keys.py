"""Re-wrap the data keys still wrapped by an old master key with the active one."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cll.core import encryption as crypto


class Command(BaseCommand):
    help = (
        "Re-wrap every live data key still wrapped by a master key other than the active one "
        "(the first entry of CLL_KEYRING) with the active key. Stored values are not touched. "
        "Runs in batches, each its own transaction: if interrupted, run it again and it carries "
        "on. Run it after putting a new key first in CLL_KEYRING and restarting every process "
        "(until then, old processes may still wrap new keys with the old master key); remove the "
        "old key from CLL_KEYRING only once this command reports that nothing uses it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=500,
            help="Data keys re-wrapped per transaction (default: 500).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only report how many data keys each old master key still wraps.",
        )

    def handle(self, *args, batch_size: int, dry_run: bool, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        keyring = settings.ENCRYPTION_KEYRING
        pending = crypto.data_keys_to_rewrap()
        total = sum(pending.values())
        missing = sorted(set(pending) - set(keyring.keys))
        self.stdout.write(f"Active master key: {keyring.active_id!r}.")
        for master_key_id, count in pending.items():
            note = "" if master_key_id in keyring.keys else " (not in CLL_KEYRING!)"
            self.stdout.write(f"  {count} data key(s) wrapped by {master_key_id!r}{note}")
        if dry_run:
            self.stdout.write(f"Dry run: would re-wrap {total} data key(s); nothing changed.")
            if missing:
                self.stderr.write(self._missing_message(missing))
            return
        if not total:
            self.stdout.write(self.style.SUCCESS("Nothing to do: every data key is up to date."))
            self._report_removable(keyring)
            return

        rewrapped = 0
        failed: list[tuple[object, str]] = []
        after = None
        batch_number = 0
        while True:
            batch = crypto.data_keys_rewrap_batch(after=after, batch_size=batch_size)
            if batch.last_id is None:
                break
            batch_number += 1
            after = batch.last_id
            rewrapped += batch.rewrapped
            failed.extend(batch.failed)
            self.stdout.write(
                f"Batch {batch_number}: re-wrapped {batch.rewrapped}, "
                f"{rewrapped + len(failed)}/{total} done."
            )

        self.stdout.write(
            self.style.SUCCESS(f"Re-wrapped {rewrapped} data key(s) with {keyring.active_id!r}.")
        )
        if failed:
            for key_id, reason in failed[:20]:
                self.stderr.write(f"  {key_id}: {reason}")
            raise CommandError(
                f"{len(failed)} data key(s) could not be unwrapped and were left as they were. "
                + (self._missing_message(missing) if missing else "")
            )
        self._report_removable(keyring)

    def _missing_message(self, missing: list[str]) -> str:
        names = ", ".join(repr(name) for name in missing)
        return (
            f"Master key(s) {names} still wrap data keys but are not in CLL_KEYRING: those "
            "people's data cannot be read until the keys are put back."
        )

    def _report_removable(self, keyring) -> None:
        still_used = crypto.data_keys_to_rewrap()
        for master_key_id in keyring.keys:
            if master_key_id != keyring.active_id and master_key_id not in still_used:
                self.stdout.write(
                    f"No live data key uses {master_key_id!r} any more: it can be removed "
                    "from CLL_KEYRING."
                )
