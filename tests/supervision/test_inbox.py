"""The inbox: one's own notifications only, read/unread, links, e-mail preference, the
navigation bar's unread count."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy

from campaigns import inbox
from campaigns.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db

TEST_KIND = inbox.register("test_pledge_due", gettext_lazy("Pledge due soon: %(title)s"))


def notify(user, key: str, title: str = "修缮村口便民桥", url: str = "/pledges/") -> int:
    return inbox.deliver(
        [
            inbox.Notice(
                recipient_id=user.pk, kind=TEST_KIND, key=key, params={"title": title}, url=url
            )
        ]
    )


def test_delivery_is_once_per_recipient_and_occasion(world):
    secretary = world.users["secretary_a"]
    assert notify(secretary, "pledge:1:due:7") == 1
    assert notify(secretary, "pledge:1:due:7") == 0  # the same occasion again: nothing new
    assert notify(secretary, "pledge:1:due:1") == 1  # another occasion
    assert notify(world.users["secretary_b"], "pledge:1:due:7") == 1  # another recipient
    assert Notification.objects.filter(recipient=secretary).count() == 2


def test_inbox_lists_only_ones_own_notifications(world, client_as):
    notify(world.users["secretary_a"], "a", title="甲村修路")
    notify(world.users["secretary_b"], "b", title="乙村清淤")
    response = client_as("secretary_a", language="en").get(reverse("campaigns:inbox"))
    assert response.status_code == 200
    assert "Pledge due soon: 甲村修路" in response.text
    assert "乙村清淤" not in response.text


def test_navigation_bar_shows_the_unread_count(world, client_as):
    for n in range(3):
        notify(world.users["secretary_a"], f"k{n}")
    response = client_as("secretary_a", language="en").get(reverse("home"))
    assert response.context["inbox_unread"] == 3
    assert '3<span class="visually-hidden"> unread notifications' in response.text


def test_opening_a_notification_marks_it_read_and_follows_its_link(world, client_as):
    notify(world.users["secretary_a"], "open-me", url="/pledges/")
    notification = Notification.objects.get(key="open-me")
    response = client_as("secretary_a").get(reverse("campaigns:inbox_open", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/pledges/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_a_404_and_stays_unread(world, client_as):
    notify(world.users["secretary_a"], "private")
    notification = Notification.objects.get(key="private")
    client = client_as("secretary_b")
    assert client.get(reverse("campaigns:inbox_open", args=[notification.pk])).status_code == 404
    url = reverse("campaigns:inbox_mark_read", args=[notification.pk])
    assert client.post(url).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_link_to_another_site_is_not_followed(world, client_as):
    notify(world.users["secretary_a"], "evil", url="https://example.com/phish")
    notification = Notification.objects.get(key="evil")
    response = client_as("secretary_a").get(reverse("campaigns:inbox_open", args=[notification.pk]))
    assert response["Location"] == reverse("campaigns:inbox")


def test_mark_one_read_with_htmx_and_mark_all_read(world, client_as):
    for key in ("one", "two", "three"):
        notify(world.users["secretary_a"], key)
    notify(world.users["secretary_b"], "theirs")
    client = client_as("secretary_a", language="en")
    one = Notification.objects.get(key="one")
    response = client.post(
        reverse("campaigns:inbox_mark_read", args=[one.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Mark as read" not in response.text  # the swapped-in item is read now
    assert inbox.unread_count(user=world.users["secretary_a"]) == 2

    client.post(reverse("campaigns:inbox_mark_all_read"))
    assert inbox.unread_count(user=world.users["secretary_a"]) == 0
    # Someone else's stay unread.
    assert inbox.unread_count(user=world.users["secretary_b"]) == 1


def test_unread_filter(world, client_as):
    notify(world.users["secretary_a"], "read-one", title="已读的承诺")
    notify(world.users["secretary_a"], "unread-one", title="未读的承诺")
    inbox.mark_read(
        user=world.users["secretary_a"], notification=Notification.objects.get(key="read-one")
    )
    response = client_as("secretary_a").get(reverse("campaigns:inbox") + "?show=unread")
    assert "未读的承诺" in response.text
    assert "已读的承诺" not in response.text


def test_inbox_is_in_chinese_by_default(world, client_as):
    response = client_as("secretary_a").get(reverse("campaigns:inbox"))
    assert "站内消息" in response.text


def test_switching_the_email_digest_off(world, client_as):
    client = client_as("secretary_a")
    response = client.post(
        reverse("campaigns:inbox_settings"),
        {"language": "en"},  # checkbox unticked
    )
    assert response.status_code == 302
    preference = NotificationPreference.objects.get(user=world.users["secretary_a"])
    assert preference.email_digest is False
    assert preference.language == "en"


def test_anonymous_is_sent_to_login(world, client_as):
    response = client_as("anonymous").get(reverse("campaigns:inbox"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/reports/monthly/?month=99999999999999999999-1",
        "/reports/bulletins/?month=99999999999999999999-1",
        "/reports/exports/new/monthly/?month=99999999999999999999-1",
    ],
)
def test_absurd_months_are_not_a_server_error(world, client_as, url):
    assert client_as("secretary_a").get(url).status_code in (200, 404)
