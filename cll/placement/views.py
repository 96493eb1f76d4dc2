"""Public pages of the placement test: choose a language, answer stage after stage, read the
estimated level with sessions to match, and (signed in) save it to one's profile.

Thin: the questions come from selectors (without their answers), scoring and saving are
services. Works without an account: the progress is kept in the session only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cll.core.pagecache import public_page
from cll.courses.models import Language, Level
from cll.placement import selectors, services
from cll.placement.forms import LevelSaveForm, StageForm
from cll.placement.levels import DESCRIPTORS
from cll.placement.questions import BANKS, LEVELS


def _language(code: str) -> Language:
    try:
        return selectors.placement_language_get_for(code=code)
    except Language.DoesNotExist:
        raise Http404("No placement test in this language.") from None


@require_safe
@public_page
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "placement/home.html",
        {"languages": selectors.placement_language_list_for(), "stages": len(LEVELS)},
    )


def _posted_stage(request: HttpRequest, stages: int) -> int | None:
    try:
        number = int(request.POST.get("stage", ""))
    except ValueError:
        return None
    return number if 0 <= number < stages else None


@never_cache
@require_http_methods(["GET", "POST"])
def stage(request: HttpRequest, language: str) -> HttpResponse:
    """The next stage of the test (GET), or the answers to it (POST)."""
    taught = _language(language)
    progress = selectors.progress_get_for(store=request.session, language=language)
    stages = len(BANKS[language].stages)
    if request.method == "POST":
        expected = 0 if progress.finished else progress.stage
        if _posted_stage(request, stages) != expected:
            messages.info(
                request,
                _("Those answers were for another page of the test: here is where it stands."),
            )
            return redirect("placement:stage", language=language)
        public = selectors.stage_get_for(language=language, number=expected)
        form = StageForm(request.POST, stage=public)
        if form.is_valid():
            try:
                progress = services.placement_answer(
                    store=request.session,
                    language=language,
                    stage=expected,
                    answers=form.answers(),
                )
            except services.StaleStage:
                return redirect("placement:stage", language=language)
            if progress.finished:
                return redirect("placement:result", language=language)
            return redirect("placement:stage", language=language)
    else:
        if progress.finished:
            return redirect("placement:result", language=language)
        public = selectors.stage_get_for(language=language, number=progress.stage)
        form = StageForm(initial={"stage": progress.stage}, stage=public)
    return render(
        request,
        "placement/stage.html",
        {
            "language": taught,
            "stage": public,
            "form": form,
            # Each question with its bound field (its submitted value and its error).
            "items": [(question, form[question.name]) for question in public.questions],
            "stages": stages,
            "pass_mark": selectors.PASS_MARK,
        },
    )


def _result_page(
    request: HttpRequest, taught: Language, progress: selectors.Progress, save_form: LevelSaveForm
) -> HttpResponse:
    level = progress.level
    catalogue = (
        f"{reverse('courses:session_list')}?{urlencode({'language': taught.code, 'level': level})}"
    )
    return render(
        request,
        "placement/result.html",
        {
            "language": taught,
            "progress": progress,
            "level": level,
            "level_name": Level(level).label,
            "descriptor": DESCRIPTORS[level],
            "stage_scores": [
                {
                    "level": stage.level,
                    "score": score,
                    "total": len(stage.questions),
                    "passed": score >= selectors.PASS_MARK,
                }
                for stage, score in zip(BANKS[taught.code].stages, progress.scores, strict=False)
            ],
            "sessions": selectors.recommended_session_list_for(language=taught.code, level=level),
            "catalogue_url": catalogue,
            "save_form": save_form,
            "login_url": f"{reverse('account_login')}?{urlencode({'next': request.path})}",
        },
    )


@never_cache
@require_safe
def result(request: HttpRequest, language: str) -> HttpResponse:
    taught = _language(language)
    progress = selectors.progress_get_for(store=request.session, language=language)
    if not progress.finished:
        return redirect("placement:stage", language=language)
    return _result_page(request, taught, progress, LevelSaveForm())


@login_required
@require_POST
def level_save(request: HttpRequest, language: str) -> HttpResponse:
    """Save the estimated level to the signed-in learner's profile, only when they tick the
    box. The level is the one their session's test estimated, never a value from the form."""
    taught = _language(language)
    progress = selectors.progress_get_for(store=request.session, language=language)
    if not progress.finished:
        messages.info(request, _("Finish the test first: your level is estimated at the end."))
        return redirect("placement:stage", language=language)
    form = LevelSaveForm(request.POST)
    if not form.is_valid():
        return _result_page(request, taught, progress, form)
    try:
        changed = services.placement_level_save(user=request.user, level=progress.level)
    except services.NoProfile:
        messages.error(
            request,
            _("Your account has no learner profile to save a level to."),
        )
        return redirect("placement:result", language=language)
    if changed:
        messages.success(
            request,
            _("Your level (%(level)s) has been saved to your profile.") % {"level": progress.level},
        )
    else:
        messages.info(
            request,
            _("Your profile already gives %(level)s as your level.") % {"level": progress.level},
        )
    return redirect("placement:result", language=language)


@require_POST
def restart(request: HttpRequest, language: str) -> HttpResponse:
    _language(language)
    services.placement_restart(store=request.session)
    return redirect("placement:stage", language=language)
