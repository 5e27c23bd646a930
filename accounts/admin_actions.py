"""The page an admin action that needs a reason shows first."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse


def ask_for_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    action: str,
    form,
    items: list[tuple[int, str]],
    title: str,
    intro: str,
    submit: str,
    keep: str,
) -> TemplateResponse:
    """Render admin/action_with_reason.html: `items` are (pk, label) of the selected
    rows; submitting posts `action` again with the reason and `apply=1`."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        "action": action,
        "form": form,
        "items": items,
        "title": title,
        "intro": intro,
        "submit": submit,
        "keep": keep,
    }
    return TemplateResponse(request, "admin/action_with_reason.html", context)
