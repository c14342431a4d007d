from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from baton import clock
from baton.core.errors import InvalidInput
from baton.org.models import ApiToken, AuditLog, OrgSettings, Role, RoleAssignment, Team, User, valid_timezone


def audit_record(
    actor: User | None,
    action: str,
    obj_type: str,
    obj_id,
    data: dict | None = None,
    at: datetime | None = None,
) -> None:
    AuditLog.objects.create(
        at=at or clock.now(),
        actor=actor,
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        data=data or {},
    )


def team_create(
    name: str, kind: str, *, region: str = "", timezone: str = "UTC", parent: Team | None = None
) -> Team:
    if kind not in Team.Kind.values:
        raise InvalidInput(f"unknown team kind {kind!r}; expected one of {', '.join(Team.Kind.values)}")
    if not valid_timezone(timezone):
        raise InvalidInput(f"unknown time zone {timezone!r}")
    return Team.objects.create(name=name, kind=kind, region=region, timezone=timezone, parent=parent)


@transaction.atomic
def user_create(
    username: str,
    password: str | None,
    *,
    roles: Iterable[str] = (),
    team: Team | None = None,
    manager: User | None = None,
    display_name: str = "",
    email: str = "",
    check_password: bool = True,
) -> User:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise InvalidInput(f"unknown role(s) {', '.join(unknown)}; expected one of {', '.join(Role.values)}")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(f"user {username!r} already exists")
    user = User(username=username, display_name=display_name, team=team, manager=manager, email=email)
    if password:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput("; ".join(exc.messages))
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_superuser = user.is_staff = Role.OPS_ADMIN in roles
    user.save()
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=r) for r in roles])
    return user


def token_create(user: User, name: str = "cli", ttl_days: int | None = None) -> str:
    """Create an API token and return its secret (shown once; only the digest is kept)."""
    secret = ApiToken.make_secret()
    now = clock.now()
    ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:10],
        digest=ApiToken.hash(secret),
        created_at=now,
        expires_at=now + timedelta(days=ttl_days) if ttl_days else None,
    )
    audit_record(user, "token.create", "user", user.pk, {"name": name, "prefix": secret[:10]})
    return secret


def token_authenticate(secret: str) -> User | None:
    if not secret or not secret.startswith("bt_"):
        return None
    # The digest is unique: no ORDER BY … LIMIT (``first()``), which costs more to build than the query.
    found = list(
        ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(secret), revoked_at=None)
    )
    token = found[0] if found else None
    if token is None or not token.user.is_active:
        return None
    now = clock.now()
    if token.expires_at and token.expires_at <= now:
        return None
    # Touch last_used at most once a minute: a write per request would serialise SQLite.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(user: User, prefix: str) -> int:
    return ApiToken.objects.filter(user=user, prefix=prefix, revoked_at=None).update(revoked_at=clock.now())


def settings_get() -> OrgSettings:
    return OrgSettings.get()
