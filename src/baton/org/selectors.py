from django.db.models import QuerySet

from baton.org.models import MANAGER_ROLES, Role, User


def subtree_user_ids(user: User) -> set[int]:
    """The user and everyone reporting to them, directly or not (one query per level)."""
    seen = {user.pk}
    frontier = [user.pk]
    while frontier:
        frontier = [
            pk
            for pk in User.objects.filter(manager_id__in=frontier).values_list("pk", flat=True)
            if pk not in seen
        ]
        seen.update(frontier)
    return seen


def is_manager(user: User) -> bool:
    return user.has_role(*MANAGER_ROLES)


def users_with_role(role: str) -> QuerySet[User]:
    return User.objects.filter(roles__role=role, is_active=True).distinct()


def user_roles_display(user: User) -> list[str]:
    labels = dict(Role.choices)
    return [str(labels[r]) for r in sorted(user.role_set())]
