"""Writes of attendance: the teacher marks who came to a lesson of their session.

Rules:

- only the session's teacher marks its lessons (``PermissionDenied`` for anyone else, whatever
  the view checked);
- a lesson is marked from its day on, never before (``AttendanceRefused``): nobody is absent
  from a lesson that has not happened;
- the sheet is the session's active enrolments: every one of them is saved, present when its
  enrolment is in ``present``, absent otherwise; a value naming no active enrolment of the
  session (a tampered form) refuses the whole sheet, nothing saved;
- marking again replaces what was marked (one row per enrolment and lesson,
  ``shop_attendance_once_per_course``);
- one audit entry per learner (``shop.attendance.mark``) in the same transaction, naming the
  lesson and the field, not the value.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cll.accounts.models import User
from cll.core.roles import Role, acting_role
from cll.courses.models import Course
from cll.privacy.services import audit_record
from cll.shop.models import Attendance, Enrolment, EnrolmentStatus


class AttendanceRefused(Exception):
    """The sheet cannot be saved; the message says why, in the person's language."""


def attendance_mark(
    *, teacher: User, course: Course, present: Iterable[uuid.UUID], route: str = ""
) -> int:
    """Save the attendance of every learner enrolled in ``course``'s session: present when
    their enrolment's public id is in ``present``. Returns how many learners were marked."""
    role = acting_role(teacher, Role.TEACHER)
    if not role or course.session.teacher_id != teacher.pk:
        raise PermissionDenied
    if course.date > timezone.localdate():
        raise AttendanceRefused(_("Attendance can be marked from the day of the lesson."))
    present = set(present)
    with transaction.atomic():
        # Locked: two saves of the same sheet at once are applied one after the other.
        enrolments = list(
            Enrolment.objects.select_for_update(of=("self",))
            .filter(session_id=course.session_id, status=EnrolmentStatus.ACTIVE)
            .select_related("learner")
            .order_by("id")
        )
        if present - {enrolment.public_id for enrolment in enrolments}:
            raise AttendanceRefused(
                _("The list of learners changed meanwhile: check the sheet and save it again.")
            )
        for enrolment in enrolments:
            Attendance.objects.update_or_create(
                enrolment=enrolment,
                course=course,
                defaults={"present": enrolment.public_id in present, "marked_by": teacher},
            )
            audit_record(
                actor=teacher,
                role=role,
                subject=enrolment.learner,
                action="shop.attendance.mark",
                target=enrolment,
                fields=("present",),
                route=route,
                detail={"lesson": f"{course.date:%Y%m%d}-{course.starts_at:%H%M}"},
            )
    return len(enrolments)
