"""The reference organisation of spec §1, built through the real org services."""

from dataclasses import dataclass, field

from baton.demo.names import REGION_ZH, REGIONS, STAFF
from baton.org.models import OrgSettings, Role, Team, User
from baton.org.services import team_create, user_create

DEMO_PASSWORD = "baton-demo-2026"  # noqa: S105 - the published password of the demo users
TZ = "Asia/Shanghai"
ORG_NAME = "Relay Cloud 接力云"


@dataclass
class Org:
    vp: User
    sales_directors: dict[str, User]
    aes: dict[str, list[User]]
    sdr_director: User
    sdr_inbound: list[User]
    sdr_outbound: list[User]
    bdrs: list[User]
    ams: list[User]
    marketers: list[User]
    admin: User
    teams: dict[str, Team] = field(default_factory=dict)

    @property
    def all_aes(self) -> list[User]:
        return [ae for region in REGIONS for ae in self.aes[region]]

    @property
    def users(self) -> list[User]:
        return [
            self.vp, *self.sales_directors.values(), *self.all_aes, self.sdr_director, *self.sdr_inbound,
            *self.sdr_outbound, *self.bdrs, *self.ams, *self.marketers, self.admin,
        ]  # fmt: skip


def build_org(password: str = DEMO_PASSWORD) -> Org:
    """Create the teams, the 42 people and the organisation settings. Expects an empty organisation.

    Hashing a password is deliberately slow (Argon2), so it is done once, by ``user_create`` for the
    first user; everybody else gets the same hash, which verifies the same shared demo password.
    """
    settings = OrgSettings.get()
    settings.name, settings.timezone, settings.currency = ORG_NAME, TZ, "CNY"
    settings.default_phone_region = "CN"
    settings.save()

    hashed: list[str] = []

    def person(
        username: str, display: str, roles, team: Team, manager: User | None, domain="relaycloud.cn"
    ) -> User:
        user = user_create(
            username, None if hashed else password, roles=roles, team=team, manager=manager,
            display_name=display, email=f"{username}@{domain}",
        )  # fmt: skip
        if not hashed:
            hashed.append(user.password)
        else:
            User.objects.filter(pk=user.pk).update(password=hashed[0])
            user.password = hashed[0]
        return user

    teams: dict[str, Team] = {}
    lead = teams["leadership"] = team_create("Leadership 管理层", Team.Kind.LEADERSHIP, timezone=TZ)
    (vp_name, vp_display), = STAFF["vp"]  # fmt: skip
    # The ops admin comes first: it is the one whose password is hashed for real.
    teams["ops"] = team_create("Sales Ops 销售运营", Team.Kind.OPS, timezone=TZ, parent=lead)
    (admin_name, admin_display), = STAFF["ops"]  # fmt: skip
    admin = person(admin_name, admin_display, [Role.OPS_ADMIN], teams["ops"], None)
    vp = person(vp_name, vp_display, [Role.SALES_VP], lead, None)
    User.objects.filter(pk=admin.pk).update(manager=vp)
    admin.manager = vp

    directors: dict[str, User] = {}
    aes: dict[str, list[User]] = {}
    for region in REGIONS:
        team = teams[f"sales:{region}"] = team_create(
            f"Sales {region} {REGION_ZH[region]}", Team.Kind.SALES, region=region, timezone=TZ, parent=lead
        )
        d_name, d_display = STAFF["directors"][region]
        directors[region] = person(d_name, d_display, [Role.SALES_DIRECTOR], team, vp)
        aes[region] = [person(u, n, [Role.AE], team, directors[region]) for u, n in STAFF["aes"][region]]

    (sd_name, sd_display), = STAFF["sdr_director"]  # fmt: skip
    sdr_director = person(sd_name, sd_display, [Role.SDR_DIRECTOR], lead, vp)
    teams["sdr_inbound"] = team_create(
        "SDR Inbound 入站 SDR", Team.Kind.SDR_INBOUND, timezone=TZ, parent=lead
    )
    teams["sdr_outbound"] = team_create(
        "SDR Outbound 出站 SDR", Team.Kind.SDR_OUTBOUND, timezone=TZ, parent=lead
    )
    teams["bdr"] = team_create("BDR & Partners 渠道拓展", Team.Kind.SDR_OUTBOUND, timezone=TZ, parent=lead)
    sdr_in = [
        person(u, n, [Role.SDR_INBOUND], teams["sdr_inbound"], sdr_director) for u, n in STAFF["sdr_inbound"]
    ]
    sdr_out = [
        person(u, n, [Role.SDR_OUTBOUND], teams["sdr_outbound"], sdr_director)
        for u, n in STAFF["sdr_outbound"]
    ]
    bdrs = [person(u, n, [Role.BDR], teams["bdr"], sdr_director) for u, n in STAFF["bdr"]]

    teams["am"] = team_create(
        "Account Management 客户成功", Team.Kind.ACCOUNT_MANAGEMENT, timezone=TZ, parent=lead
    )
    ams = [person(u, n, [Role.AM], teams["am"], vp) for u, n in STAFF["am"]]
    teams["marketing"] = team_create("Marketing 市场部", Team.Kind.MARKETING, timezone=TZ, parent=lead)
    marketers = [person(u, n, [Role.MARKETER], teams["marketing"], vp) for u, n in STAFF["marketing"]]

    return Org(
        vp=vp, sales_directors=directors, aes=aes, sdr_director=sdr_director, sdr_inbound=sdr_in,
        sdr_outbound=sdr_out, bdrs=bdrs, ams=ams, marketers=marketers, admin=admin, teams=teams,
    )  # fmt: skip
