"""Account writes that reach beyond one form's save."""

from django.db import transaction

from .forms import delete_files_on_commit, replace_avatar
from .models import User


@transaction.atomic
def remove_avatar(*, user: User) -> bool:
    """Clear `user`'s profile picture and thumbnail; the files are deleted once
    the transaction commits. Returns False when there was no picture to remove."""
    if not (user.avatar or user.avatar_thumbnail):
        return False
    old_files = replace_avatar(user, None)
    user.save(update_fields=["avatar", "avatar_thumbnail"])
    delete_files_on_commit(old_files)
    return True
