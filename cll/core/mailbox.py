"""Reading a mailbox the platform receives mail in (Maildir or mbox), one message at a time.

Platform code for the commands that read inbound mail (``helpdesk_mailbox``; the newsletter's
bounce mailbox reads the same way). The caller's ``handle(raw)`` decides what a message is and
returns ``(outcome, folder)``: the outcome is counted, and the message is moved to ``folder``
(Maildir: the ``.<folder>`` Maildir++ subfolder; mbox: the file ``PATH.<folder>``), or left in
the inbox when ``folder`` is None (for a person to read).

Crash safety: a message is copied to its folder before it is removed from the inbox, so a crash
in between leaves it in both and the next run handles it again. Handlers must therefore be
idempotent (the helpdesk recognises an e-mail it already threaded by its Message-ID).
"""

from __future__ import annotations

import mailbox
from collections import Counter
from collections.abc import Callable
from pathlib import Path

Handler = Callable[[bytes], tuple[str, str | None]]


class NotAMailbox(ValueError):
    """The path given is not a Maildir (cur/ and new/) or not an mbox file."""


def mailbox_arguments(parser) -> None:
    """The ``--maildir PATH | --mbox PATH`` options of a mailbox-reading command."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--maildir", type=Path, help="A Maildir (Maildir++ folders).")
    source.add_argument("--mbox", type=Path, help="An mbox file.")


def maildir_open(path: Path) -> mailbox.Maildir:
    if not (path / "cur").is_dir() or not (path / "new").is_dir():
        raise NotAMailbox(f"{path} is not a Maildir.")
    return mailbox.Maildir(path, factory=None, create=False)


def mailbox_drain(
    *, handle: Handler, maildir: Path | None = None, mbox: Path | None = None
) -> Counter[str]:
    """Run ``handle`` on every message of the Maildir ``maildir`` or the mbox file ``mbox`` and
    move each where it says; returns the outcomes counted."""
    counts: Counter[str] = Counter()
    if (maildir is None) == (mbox is None):
        raise ValueError("Give a Maildir or an mbox file.")
    if maildir is not None:
        inbox = maildir_open(maildir)
        folders: dict[str, mailbox.Mailbox] = {}

        def folder_for(name: str) -> mailbox.Mailbox:
            if name not in folders:
                folders[name] = inbox.add_folder(name)
            return folders[name]

        _drain(inbox, folder_for, handle, counts)
        return counts
    if not mbox.is_file():
        raise NotAMailbox(f"{mbox} is not a file.")
    inbox = mailbox.mbox(mbox, create=False)
    opened: dict[str, mailbox.mbox] = {}

    def mbox_for(name: str) -> mailbox.Mailbox:
        if name not in opened:
            folder = mailbox.mbox(mbox.with_name(f"{mbox.name}.{name}"), create=True)
            folder.lock()
            opened[name] = folder
        return opened[name]

    inbox.lock()
    try:
        _drain(inbox, mbox_for, handle, counts)
    finally:
        for folder in opened.values():
            folder.unlock()
            folder.close()
        inbox.unlock()
        inbox.close()
    return counts


def _drain(
    inbox: mailbox.Mailbox,
    folder_for: Callable[[str], mailbox.Mailbox],
    handle: Handler,
    counts: Counter[str],
) -> None:
    for key in list(inbox.keys()):
        outcome, folder = handle(inbox.get_bytes(key))
        counts[outcome] += 1
        if folder is None:
            continue
        target = folder_for(folder)
        # Copied before it is removed (see the module docstring).
        target.add(inbox.get_message(key))
        target.flush()
        inbox.remove(key)
        inbox.flush()
