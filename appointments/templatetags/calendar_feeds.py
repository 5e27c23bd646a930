"""The calendar subscription card of the profile page (the accounts app's page,
which knows nothing of appointments: the card comes in through this tag)."""

from django import template

from .. import feeds

register = template.Library()


@register.inclusion_tag("appointments/_calendar_feed.html", takes_context=True)
def calendar_feed_card(context) -> dict:
    user = context["request"].user
    return {"feed_urls": feeds.urls(feeds.feed_of(user))}
