from urllib.parse import urlencode

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import get_next_redirect_url
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from . import web
from .client_ip import client_ip
from .models import Role


class AccountAdapter(DefaultAccountAdapter):
    @transaction.atomic
    def save_user(self, request, user, form, commit=True):
        """Everyone who signs up is a patient."""
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            user.groups.add(Group.objects.get_or_create(name=Role.PATIENT)[0])
        return user

    def get_login_redirect_url(self, request) -> str:
        """Back to the page the visitor was asked to log in for (kept in their
        session through sign-up and email confirmation), else the default (each
        role's start page, clinic.views.landing). An explicit `next` still wins
        (allauth asks here only without one)."""
        return web.pop_after_login(request) or super().get_login_redirect_url(request)

    def render_mail(self, template_prefix, email, context, headers=None):
        """allauth's emails say the clinic's name (CLINIC_NAME), not the host
        they were asked from ("Hello from 127.0.0.1:8000!")."""
        context = {**context, "clinic_name": settings.CLINIC_NAME}
        return super().render_mail(template_prefix, email, context, headers=headers)

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        """The confirmation link carries the `next` the sign-up was given (a
        doctor's time picked before signing up), so confirming leads back there."""
        url = super().get_email_confirmation_url(request, emailconfirmation)
        following = get_next_redirect_url(request) if request is not None else None
        return f"{url}?{urlencode({'next': following})}" if following else url

    def get_client_ip(self, request) -> str:
        """allauth's limits count by the same address as every other limit."""
        return client_ip(request)

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """The "key" of the `login_failed` limit is the account *and* the address
        trying it: a storm of wrong passwords locks that account for that address
        only, so nobody can lock a patient out of their account from elsewhere.
        (allauth 65.21's hook for it: a test pins it.)"""
        key = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{key}@{client_ip(request)}"
