"""manage.py helpdesk_mailbox --maildir PATH | --mbox PATH"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cll.core.mailbox import NotAMailbox, mailbox_arguments, mailbox_drain
from cll.helpdesk import inbound


def _handle(raw: bytes) -> tuple[str, str | None]:
    result = inbound.mail_ticket_apply(raw=raw)
    return result.outcome, result.folder


class Command(BaseCommand):
    help = (
        "Read the helpdesk's inbound mailbox (the address of CLL_HELPDESK_REPLY_ADDRESS): each "
        "answer from a person is threaded into their ticket, found by the support+<key> "
        "recipient or the [CLL-XXXXXXXX] reference in the subject, and only when the sender is "
        "the ticket's address. Text only (quoted history and signature cut, HTML turned into "
        "text); attachments scanned. An answer to a closed ticket opens a new one. Threaded "
        "mail moves to the 'processed' folder, mail that matches no ticket (or comes from "
        "another address, or is automatic) to the 'ignored' folder (Maildir: '.processed' and "
        "'.ignored' subfolders; mbox: PATH.processed and PATH.ignored). Running it again is "
        "harmless: a mail already threaded (same Message-ID) is not added twice."
    )

    def add_arguments(self, parser):
        mailbox_arguments(parser)

    def handle(self, *, maildir: Path | None, mbox: Path | None, **options):
        try:
            counts = mailbox_drain(handle=_handle, maildir=maildir, mbox=mbox)
        except NotAMailbox as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            " ".join(
                f"{name}={counts[name]}"
                for name in (
                    inbound.ADDED,
                    inbound.REOPENED_AS_NEW,
                    inbound.DUPLICATE,
                    inbound.IGNORED,
                )
            )
        )
