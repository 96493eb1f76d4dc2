"""Background jobs of the live chat.

- ``conversations_end_idle_due``, every five minutes from the scheduler (``manage.py
  crontask``): conversations nobody wrote in for ``CHAT_IDLE_MINUTES`` (30 by default) are
  ended, their transcripts sent as at any end, and their open sockets told.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from crontask import cron
from django.tasks import task

from cll.chat import services
from cll.chat.models import STAFF_GROUP, conversation_group


def _tell_ended(public_ids: list) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    for public_id in public_ids:
        async_to_sync(layer.group_send)(
            conversation_group(public_id),
            {"type": "chat.ended", "conversation": str(public_id)},
        )
    async_to_sync(layer.group_send)(STAFF_GROUP, {"type": "chat.queue"})


@cron("*/5 * * * *")
@task
def conversations_end_idle_due() -> int:
    """End the conversations idle for too long; returns how many ended."""
    ended = services.conversations_end_idle()
    if ended:
        _tell_ended([conversation.public_id for conversation in ended])
    return len(ended)
