"""The inbox (站内消息): every logged-in user's notifications, and their e-mail preference.

A notification belongs to its recipient alone: anyone else's is a 404, like a missing one.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns import inbox

PAGE_SIZE = 30


class PreferenceForm(forms.Form):
    email_digest = forms.BooleanField(
        label=gettext_lazy("Send me a daily e-mail digest of new notifications"), required=False
    )
    language = forms.ChoiceField(label=gettext_lazy("E-mail language"), choices=settings.LANGUAGES)


@login_required
def inbox_list(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; ``?show=unread`` for the unread ones only."""
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(
        inbox.notifications_for(user=request.user, unread_only=unread_only), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    for notification in page:
        notification.text = inbox.render(notification)
        notification.icon = inbox.icon(notification)
    preference = inbox.preference_for(user=request.user)
    return render(
        request,
        "campaigns/inbox.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_total": inbox.unread_count(user=request.user),
            "preference": preference,
            "has_email": bool(request.user.email),
        },
    )


@login_required
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    notification = inbox.access_notification(user=request.user, pk=pk)
    inbox.mark_read(user=request.user, notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    ):
        return redirect(notification.url)
    return redirect("campaigns:inbox")


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Mark one notification (``pk``) or all of them read."""
    notification = inbox.access_notification(user=request.user, pk=pk) if pk else None
    count = inbox.mark_read(user=request.user, notification=notification)
    if notification is None and count:
        messages.success(request, _("All notifications marked as read."))
    if request.htmx and notification is not None:
        notification.refresh_from_db()
        notification.text = inbox.render(notification)
        notification.icon = inbox.icon(notification)
        return render(request, "campaigns/inbox_item.html", {"notification": notification})
    return redirect("campaigns:inbox")


@login_required
def inbox_settings(request: HttpRequest) -> HttpResponse:
    preference = inbox.preference_for(user=request.user)
    form = PreferenceForm(
        request.POST or None,
        initial={"email_digest": preference.email_digest, "language": preference.language},
    )
    if request.method == "POST" and form.is_valid():
        inbox.set_preference(
            user=request.user,
            email_digest=form.cleaned_data["email_digest"],
            language=form.cleaned_data["language"],
        )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("campaigns:inbox")
    return render(
        request,
        "campaigns/inbox_settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
