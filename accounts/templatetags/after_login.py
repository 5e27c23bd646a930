"""What the log-in and sign-up pages remind a visitor they came for."""

from django import template

from accounts import web

register = template.Library()


@register.simple_tag(takes_context=True)
def after_login_label(context) -> str:
    """The label `web.remember_after_login` kept ("Book Dr Ada Lee, …"), or ""."""
    request = context.get("request")
    if request is None or request.user.is_authenticated:
        return ""
    kept = web.after_login(request)
    return kept["label"] if kept else ""
