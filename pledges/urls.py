"""Staff pages of the pledge cycle (login required; members with a login use them too)."""

from django.urls import path  # noqa: F401  (sections below)

from pledges.views import authoring, printing, public, review  # noqa: F401

app_name = "pledges"

urlpatterns = [
    # -----------------------------------------------------------------------------------------
    # Authoring and fulfilment (定诺, 践诺)
    # -----------------------------------------------------------------------------------------
    path("", authoring.pledge_list, name="pledge_list"),
    path("new/", authoring.pledge_create, name="pledge_create"),
    path("<int:pk>/", authoring.pledge_detail, name="pledge_detail"),
    path("<int:pk>/edit/", authoring.pledge_edit, name="pledge_edit"),
    path("<int:pk>/submit/", authoring.pledge_submit, name="pledge_submit"),
    path("<int:pk>/resubmit/", authoring.pledge_resubmit, name="pledge_resubmit"),
    path("<int:pk>/recall/", authoring.pledge_recall, name="pledge_recall"),
    path("<int:pk>/withdraw/", authoring.pledge_withdraw, name="pledge_withdraw"),
    path("<int:pk>/journal/new/", authoring.entry_add, name="entry_add"),
    path("<int:pk>/fulfilled/", authoring.pledge_mark_fulfilled, name="pledge_mark_fulfilled"),
    path("<int:pk>/self-report/", authoring.self_report, name="self_report"),
    path("<int:pk>/adjust/", authoring.adjustment_request, name="adjustment_request"),
    path("attachments/<int:pk>/", authoring.attachment, name="attachment"),
    path("branch/<slug:code>/", authoring.branch_pledges, name="branch_pledges"),
    path("branch/<slug:code>/quick-add/", authoring.branch_quick_add, name="branch_quick_add"),
    path(
        "branch/<slug:code>/submit-drafts/",
        authoring.branch_submit_drafts,
        name="branch_submit_drafts",
    ),
    # -----------------------------------------------------------------------------------------
    # Review, publication and evaluation (审诺, 亮诺, 评诺)
    # -----------------------------------------------------------------------------------------
    path("review/", review.review_queue, name="review_queue"),
    path("review/approve/", review.review_bulk_approve, name="review_bulk_approve"),
    path("review/<int:pk>/", review.review_pledge, name="review_pledge"),
    path("review/<int:pk>/publish/", review.review_publish, name="review_publish"),
    path("review/publish/<slug:code>/", review.review_publish_org, name="review_publish_org"),
    path("review/adjustments/<int:pk>/", review.review_adjustment, name="review_adjustment"),
    path("evaluation/", review.review_evaluation_list, name="review_evaluation_list"),
    path("evaluation/<int:pk>/", review.review_evaluate, name="review_evaluate"),
    path("evaluation/appraisal/<slug:code>/", review.review_appraisal, name="review_appraisal"),
    # -----------------------------------------------------------------------------------------
    # Printing (pledge cards, desk signs, boards as PDF)
    # -----------------------------------------------------------------------------------------
    path(
        "print/members/<int:member_id>/card.pdf",
        printing.print_member_card,
        name="print_member_card",
    ),
    path(
        "print/members/<int:member_id>/sign.pdf", printing.print_desk_sign, name="print_desk_sign"
    ),
    path(
        "print/orgs/<slug:code>/cards.pdf", printing.print_branch_cards, name="print_branch_cards"
    ),
    path("print/orgs/<slug:code>/board.pdf", printing.print_board, name="print_board"),
    # -----------------------------------------------------------------------------------------
    # Moderation of public feedback (the branch committee)
    # -----------------------------------------------------------------------------------------
    path("feedback/", public.feedback_moderation, name="feedback_moderation"),
    path("feedback/<int:pk>/decide/", public.feedback_decide, name="feedback_decide"),
]
