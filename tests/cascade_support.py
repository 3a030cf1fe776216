"""A small province for the cascade's tests: the provincial office, a department, two districts with
their communes, leaders at each level and officers, each with an API token.

    VPUB (provincial office): chutich (leader)
    SYT (department): syt1
    HDS (district): hdsct (leader), hds1
        XDH (commune): xdhct (leader), xdh1, xdh2
        XDT (commune): xdt1, xdt2
    HTH (district): hthct (leader), hth1
        XTP (commune): xtp1
"""
from datetime import timedelta

from core.dbtypes import utcnow
from directives import cascade, services
from tests.conftest import bearer

AGENCIES = [
    # code, name, kind, parent code
    ("VPUB", "Văn phòng UBND tỉnh", "provincial_office", None),
    ("SYT", "Sở Y tế", "department", None),
    ("HDS", "UBND huyện Đông Sơn", "district", None),
    ("XDH", "UBND xã Đông Hưng", "commune", "HDS"),
    ("XDT", "UBND xã Đông Thịnh", "commune", "HDS"),
    ("HTH", "UBND huyện Tây Hòa", "district", None),
    ("XTP", "UBND xã Tây Phú", "commune", "HTH"),
]

USERS = [
    # username, role, agency code
    ("chutich", "leader", "VPUB"),
    ("syt1", "officer", "SYT"),
    ("hdsct", "leader", "HDS"),
    ("hds1", "officer", "HDS"),
    ("xdhct", "leader", "XDH"),
    ("xdh1", "officer", "XDH"),
    ("xdh2", "officer", "XDH"),
    ("xdt1", "officer", "XDT"),
    ("xdt2", "officer", "XDT"),
    ("hthct", "leader", "HTH"),
    ("hth1", "officer", "HTH"),
    ("xtp1", "officer", "XTP"),
]


class Province:
    def __init__(self, factory):
        self.ag = {}
        for code, name, kind, parent in AGENCIES:
            self.ag[code] = factory.agency(code, name, parent=self.ag.get(parent), kind=kind)
        self.u = {name: factory.user(role, self.ag[code], username=name) for name, role, code in USERS}
        self.tokens = {name: factory.token(user) for name, user in self.u.items()}

    def h(self, username):
        """The API headers of ``username``."""
        return bearer(self.tokens[username])

    def issue(self, lead="HDS", support=(), days=10, by="chutich", title="Rà soát nhà ở hộ nghèo"):
        """A directive issued by ``by`` (the province by default) to ``lead`` and ``support``."""
        return services.issue_directive(self.u[by], {
            "title": title, "body": "Báo cáo kết quả.", "deadline": deadline(days),
            "lead_agency_id": self.ag[lead].id, "support_agency_ids": [self.ag[c].id for c in support]})

    def root(self, directive, code="HDS"):
        return next(a for a in directive.assignments if a.parent_id is None and a.agency.code == code)

    def pass_on(self, by, assignment, agencies=(), users=(), days=5, note=""):
        """The children (by agency code or username) ``by`` passed ``assignment`` on to."""
        children = cascade.pass_on(self.u[by], assignment, {
            "agency_ids": [self.ag[c].id for c in agencies], "user_ids": [self.u[n].id for n in users],
            "deadline": deadline(days), "note": note})
        return {c.assignee.username if c.assignee_id else c.agency.code: c for c in children}

    def cascade(self, days=(10, 6, 4)):
        """Province → HDS → XDH and XDT → xdh1 personally. Returns (directive, {name: assignment})."""
        d = self.issue(days=days[0])
        nodes = {"HDS": self.root(d)}
        nodes.update(self.pass_on("hdsct", nodes["HDS"], ("XDH", "XDT"), days=days[1]))
        nodes.update(self.pass_on("xdhct", nodes["XDH"], users=("xdh1",), days=days[2]))
        return d, nodes


def deadline(days):
    return (utcnow() + timedelta(days=days)).replace(microsecond=0).isoformat()
