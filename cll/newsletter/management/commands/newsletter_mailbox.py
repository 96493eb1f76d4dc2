"""manage.py newsletter_mailbox --maildir PATH | --mbox PATH"""

from __future__ import annotations

import mailbox
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cll.newsletter import bounces

PROCESSED = "processed"


class Command(BaseCommand):
    help = (
        "Read the newsletter's bounce and unsubscribe mailbox: bounce reports (RFC 3464, "
        "status 5.x.x = permanent), spam complaints (ARF) and unsubscribe requests sent to "
        "the List-Unsubscribe address (subject 'unsubscribe-<key>'). A permanent bounce or a "
        "complaint suppresses the address for every list; an unsubscribe request takes the "
        "subscriber off every list; a soft bounce is only counted. Each message applied is "
        "moved to the 'processed' folder (Maildir: the '.processed' subfolder; mbox: the file "
        "PATH.processed); other messages stay for a person to read. Running it again is "
        "harmless."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", type=Path, help="A Maildir (Maildir++ folders).")
        source.add_argument("--mbox", type=Path, help="An mbox file.")

    def handle(self, *, maildir: Path | None, mbox: Path | None, **options):
        counts: Counter[str] = Counter()
        if maildir is not None:
            if not (maildir / "cur").is_dir() or not (maildir / "new").is_dir():
                raise CommandError(f"{maildir} is not a Maildir.")
            inbox = mailbox.Maildir(maildir, factory=None, create=False)
            processed = inbox.add_folder(PROCESSED)
            self._run(inbox, processed, counts)
        else:
            if not mbox.is_file():
                raise CommandError(f"{mbox} is not a file.")
            inbox = mailbox.mbox(mbox, create=False)
            processed = mailbox.mbox(mbox.with_name(f"{mbox.name}.{PROCESSED}"), create=True)
            inbox.lock()
            processed.lock()
            try:
                self._run(inbox, processed, counts)
            finally:
                processed.unlock()
                processed.close()
                inbox.unlock()
                inbox.close()
        self.stdout.write(
            "suppressed={suppressed} unsubscribed={unsubscribed} soft={soft} ignored={ignored} "
            "unrecognised={unrecognised}".format(
                **{
                    name: counts[name]
                    for name in (
                        bounces.SUPPRESSED,
                        bounces.UNSUBSCRIBED,
                        bounces.SOFT,
                        bounces.IGNORED,
                        "unrecognised",
                    )
                }
            )
        )

    def _run(self, inbox: mailbox.Mailbox, processed: mailbox.Mailbox, counts: Counter) -> None:
        for key in list(inbox.keys()):
            raw = inbox.get_bytes(key)
            result = bounces.mail_message_apply(raw=raw)
            if not result.recognised:
                counts["unrecognised"] += 1
                continue
            counts.update(result.outcomes)
            # Copied before it is removed: a crash in between leaves it in both, and the next
            # run applies it again, which changes nothing.
            processed.add(inbox.get_message(key))
            processed.flush()
            inbox.remove(key)
            inbox.flush()
