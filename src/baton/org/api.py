from ninja import Router, Schema

from baton.org.selectors import user_roles_display

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    roles: list[str]
    role_labels: list[str]
    team: str | None
    timezone: str


@router.get("/me", response=MeOut, summary="Who the token or session belongs to")
def me(request):
    u = request.auth
    return {
        "id": u.pk,
        "username": u.username,
        "name": u.label,
        "roles": sorted(u.role_set()),
        "role_labels": user_roles_display(u),
        "team": u.team.name if u.team_id else None,
        "timezone": u.effective_timezone,
    }
