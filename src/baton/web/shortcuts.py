"""Small helpers shared by the views of every app: roles, HTMX responses, domain errors."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string

from baton.core.errors import NotFound
from baton.org.models import MANAGER_ROLES, SDR_ROLES, Role


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def is_sdr(user) -> bool:
    return user.has_role(*SDR_ROLES)


def is_ae(user) -> bool:
    return user.has_role(Role.AE, Role.AM)


def is_manager(user) -> bool:
    return user.has_role(*MANAGER_ROLES)


def role_required(check: Callable) -> Callable:
    """Login required, then ``check(user)`` (admins always pass); otherwise 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not (request.user.is_admin or check(request.user)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_or_404(fn: Callable, *args, **kwargs):
    """Call a selector that raises NotFound for rows the user may not see; answer 404 for them."""
    try:
        return fn(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message)


def render_partial(request: HttpRequest, template: str, context: dict, *, status: int = 200,
                   retarget: str | None = None, reswap: str | None = None) -> HttpResponse:  # fmt: skip
    """Render an HTMX partial, followed by any pending flash messages as an out-of-band toast."""
    html = render_to_string(template, context, request=request)
    html += render_to_string("web/_toasts.html", {"oob": True}, request=request)
    response = HttpResponse(html, status=status)
    if retarget:
        response["HX-Retarget"] = retarget
        response["HX-Reswap"] = reswap or "outerHTML"
    return response


def redirect_after_post(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: a normal 303 redirect, or an HX-Redirect for HTMX requests."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url, permanent=False)


def flash_error(request: HttpRequest, text: str) -> None:
    messages.error(request, text)
