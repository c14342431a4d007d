import pytest
from api_client import Api

from baton.org.services import team_create, token_create, user_create


@pytest.fixture
def org(db):
    inbound = team_create("Inbound", "sdr_inbound", timezone="Asia/Shanghai")
    east = team_create("East", "sales", region="East", timezone="Asia/Shanghai")
    west = team_create("West", "sales", region="West", timezone="Asia/Shanghai")
    director = user_create("dir_east", "pw-for-tests-1", roles=["sales_director"], team=east)
    people = {
        "admin": user_create("admin", "pw-for-tests-1", roles=["ops_admin"]),
        "director": director,
        "sdr1": user_create("sdr1", "pw-for-tests-1", roles=["sdr_inbound"], team=inbound),
        "sdr2": user_create("sdr2", "pw-for-tests-1", roles=["sdr_inbound"], team=inbound),
        "ae1": user_create("ae1", "pw-for-tests-1", roles=["ae"], team=east, manager=director),
        "ae2": user_create("ae2", "pw-for-tests-1", roles=["ae"], team=east, manager=director),
        "ae_w": user_create("ae_w", "pw-for-tests-1", roles=["ae"], team=west),
    }
    return people


@pytest.fixture
def api_as(org):
    def make(username: str | None) -> Api:
        return Api(token_create(org[username]) if username else None)

    return make


@pytest.fixture
def lead_payload():
    return dict(LEAD)


LEAD = {
    "name": "王伟",
    "email": "Wang.Wei@Example-Corp.cn",
    "phone": "138 0013 8000",
    "company": "示例科技有限公司",
    "title": "技术总监",
    "industry": "software",
    "company_size": 300,
    "source": "trial_signup",
    "region": "East",
}
