from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from campaigns.views import home

admin.site.site_header = admin.site.site_title = _("Strive for Excellence administration")

urlpatterns = [
    path("", home.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("", include("campaigns.urls")),
    path("pledges/", include("pledges.urls")),
    path("p/", include("pledges.public_urls")),
    path("reports/", include("reports.urls")),
    path("assessments/", include("assessments.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "campaigns.views.errors.page_not_found"
