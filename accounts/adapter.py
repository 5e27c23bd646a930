from allauth.account.adapter import DefaultAccountAdapter
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
        session through sign-up and email confirmation), else the default. An
        explicit `next` still wins (allauth asks here only without one)."""
        return web.pop_after_login(request) or super().get_login_redirect_url(request)

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
