"""manage.py newsletter_mailbox --maildir PATH | --mbox PATH"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cll.core.mailbox import NotAMailbox, mailbox_arguments, mailbox_drain
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
        mailbox_arguments(parser)

    def handle(self, *, maildir: Path | None, mbox: Path | None, **options):
        counts: Counter[str] = Counter()

        def apply(raw: bytes) -> tuple[str, str | None]:
            result = bounces.mail_message_apply(raw=raw)
            if not result.recognised:
                # Left in the inbox for a person to read.
                return "unrecognised", None
            counts.update(result.outcomes)
            return "recognised", PROCESSED

        try:
            counts.update(mailbox_drain(handle=apply, maildir=maildir, mbox=mbox))
        except NotAMailbox as error:
            raise CommandError(str(error)) from None
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
