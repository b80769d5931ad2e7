from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from campaigns import scope


def staff_required(view: Callable) -> Callable:
    """Logged in and holding at least one role (or a superuser); otherwise 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not scope.is_staff_user(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def office_required(view: Callable) -> Callable:
    """The campaign office (or a superuser) only; others get 403."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not scope.is_office(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
