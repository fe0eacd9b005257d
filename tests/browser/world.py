"""The small world the browser tests work in (factories, not seed_demo): one
department, one team and the demo's user names, one per role."""

from __future__ import annotations

from dataclasses import dataclass

from tests.factories import DepartmentFactory, TeamFactory, UserFactory
from tests.factories.crm import CustomerFactory

ROLES = {
    "agent01": "agent",
    "agent09": "agent",
    "handler01": "complaint_handler",
    "supervisor01": "supervisor",
    "relations01": "relations_specialist",
    "trainer01": "trainer",
    "qa01": "qa_inspector",
    "manager01": "manager",
}


@dataclass
class World:
    dept: object
    team: object
    users: dict
    customer: object

    def __getattr__(self, name):
        try:
            return self.users[name]
        except KeyError:
            raise AttributeError(name) from None


def make_world() -> World:
    dept = DepartmentFactory(code="east", name="华东客服中心")
    team = TeamFactory(code="east-1", name="华东一组", department=dept)
    names = {
        "agent01": "王晓燕",
        "agent09": "陈志强",
        "handler01": "刘建国",
        "supervisor01": "赵丽华",
        "relations01": "孙美玲",
        "trainer01": "周文静",
        "qa01": "吴海峰",
        "manager01": "郑国庆",
    }
    users = {
        username: UserFactory(
            username=username, name=names[username], team=team, roles=[role]
        )
        for username, role in ROLES.items()
    }
    team.supervisor = users["supervisor01"]
    team.save(update_fields=["supervisor"])
    customer = CustomerFactory(name="李秀英", department=dept, phone="+8613812345678")
    return World(dept=dept, team=team, users=users, customer=customer)
