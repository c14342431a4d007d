"""Home, sign-in and the language switch. The pages of each area live in that app's views.py."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from baton.web.shortcuts import is_ae, is_manager, is_sdr


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the page their role starts from."""
    user = request.user
    if user.is_admin or is_manager(user):
        return redirect("web:dashboard")
    if is_sdr(user):
        return redirect("web:queue")
    if is_ae(user):
        return redirect("web:inbox")
    return redirect("web:dashboard")


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (session-less cookie), and the choice kept on the signed-in user."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    languages = {code for code, _name in settings.LANGUAGES}
    if user.is_authenticated and language in languages and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response
