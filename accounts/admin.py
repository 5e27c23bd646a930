from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import UploadedFile
from django.db import models
from django.utils.translation import gettext_lazy as _

from .forms import delete_files_on_commit, replace_avatar
from .images import process_avatar
from .models import AccessLog, Role, User


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    """Staff can replace or clear a user's avatar: uploads get the same checks and
    re-encoding as on the profile page, and the thumbnail follows."""

    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.processed_avatar = None
        self.old_files = [
            (f.storage, f.name)
            for f in (self.instance.avatar, self.instance.avatar_thumbnail)
            if f
        ]

    def clean_avatar(self):
        value = self.cleaned_data.get("avatar")
        if isinstance(value, UploadedFile):
            self.processed_avatar = process_avatar(value)
        return value

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.processed_avatar is not None:
            replace_avatar(user, self.processed_avatar)
        elif not user.avatar:
            user.avatar_thumbnail = ""
        if "avatar" in self.changed_data:
            delete_files_on_commit(self.old_files)
        if commit:
            user.save()
            self.save_m2m()
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    ordering = ("email",)
    # Plain multiple choice, not Django's two-box picker (its tooltips fail
    # axe-core's aria-prohibited-attr); groups as checkboxes.
    filter_horizontal = ()
    formfield_overrides = {
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
    }
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "full_name", "phone")
    readonly_fields = ("last_login", "date_joined", "erased_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {"fields": ("full_name", "phone", "date_of_birth", "timezone", "avatar")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups")},
        ),
        (
            _("Important dates"),
            {"fields": ("last_login", "date_joined", "erased_at")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "password1", "password2"),
            },
        ),
    )

    # Who may reach the admin and what they may do there: only a superuser changes
    # it, or anyone who may edit users could make themselves a superuser.
    PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, *self.PRIVILEGE_FIELDS)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            obj.groups.add(Group.objects.get_or_create(name=Role.PATIENT)[0])


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Who at the clinic looked at which patient's records: superusers only, and
    read-only for them too (a log nobody can edit)."""

    list_display = ("at", "actor", "action", "patient", "record", "record_id")
    list_filter = ("action", "record")
    search_fields = ("actor__email", "patient__email", "patient__full_name")
    date_hierarchy = "at"
    list_select_related = ("actor", "patient")
    readonly_fields = (
        "at",
        "actor",
        "action",
        "patient",
        "record",
        "record_id",
        "path",
    )

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
