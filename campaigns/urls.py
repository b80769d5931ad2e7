from django.urls import path

from campaigns.views import inbox, members, organizations, setup

app_name = "campaigns"

urlpatterns = [
    # Inbox (站内消息)
    path("inbox/", inbox.inbox_list, name="inbox"),
    path("inbox/settings/", inbox.inbox_settings, name="inbox_settings"),
    path("inbox/read/", inbox.inbox_mark_read, name="inbox_mark_all_read"),
    path("inbox/<int:pk>/", inbox.inbox_open, name="inbox_open"),
    path("inbox/<int:pk>/read/", inbox.inbox_mark_read, name="inbox_mark_read"),
    # Organisation tree
    path("orgs/", organizations.organization_tree, name="organization_tree"),
    path("orgs/new/", organizations.organization_create, name="organization_create"),
    path("orgs/<slug:code>/", organizations.organization_detail, name="organization_detail"),
    path(
        "orgs/<slug:code>/children/",
        organizations.organization_children,
        name="organization_children",
    ),
    path("orgs/<slug:code>/edit/", organizations.organization_edit, name="organization_edit"),
    path(
        "orgs/<slug:code>/roles/", organizations.organization_role_add, name="organization_role_add"
    ),
    path(
        "orgs/<slug:code>/roles/<int:pk>/remove/",
        organizations.organization_role_remove,
        name="organization_role_remove",
    ),
    # Members
    path("members/", members.member_list, name="member_list"),
    path("members/new/", members.member_create, name="member_create"),
    # Any active organisation (public fields only) for the outflow-organisation picker
    path("members/org-lookup/", members.member_org_lookup, name="member_org_lookup"),
    path("members/<int:pk>/", members.member_detail, name="member_detail"),
    path("members/<int:pk>/edit/", members.member_edit, name="member_edit"),
    path("members/<int:pk>/deactivate/", members.member_deactivate, name="member_deactivate"),
    path("members/<int:pk>/reactivate/", members.member_reactivate, name="member_reactivate"),
    path("members/<int:pk>/transfer/", members.member_transfer, name="member_transfer"),
    # Campaign set-up (office)
    path("campaigns/", setup.campaign_list, name="campaign_list"),
    path("campaigns/new/", setup.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", setup.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", setup.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/phases/", setup.campaign_phases, name="campaign_phases"),
    path("campaigns/<int:pk>/leadership/", setup.campaign_leadership, name="campaign_leadership"),
    path(
        "campaigns/<int:pk>/contact-points/",
        setup.contact_point_list,
        name="contact_point_list",
    ),
    path(
        "campaigns/<int:pk>/contact-points/new/",
        setup.contact_point_create,
        name="contact_point_create",
    ),
    path(
        "campaigns/<int:pk>/contact-points/<int:item>/edit/",
        setup.contact_point_edit,
        name="contact_point_edit",
    ),
    path(
        "campaigns/<int:pk>/contact-points/<int:item>/delete/",
        setup.contact_point_delete,
        name="contact_point_delete",
    ),
    path(
        "campaigns/<int:pk>/inspection-groups/",
        setup.inspection_group_list,
        name="inspection_group_list",
    ),
    path(
        "campaigns/<int:pk>/inspection-groups/new/",
        setup.inspection_group_create,
        name="inspection_group_create",
    ),
    path(
        "campaigns/<int:pk>/inspection-groups/<int:item>/edit/",
        setup.inspection_group_edit,
        name="inspection_group_edit",
    ),
    path(
        "campaigns/<int:pk>/inspection-groups/<int:item>/delete/",
        setup.inspection_group_delete,
        name="inspection_group_delete",
    ),
    # Organisation picker used by forms (htmx search)
    path("orgs-search/", organizations.organization_search, name="organization_search"),
]
