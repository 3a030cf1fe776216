"""The directive page draws the newest HISTORY_ON_PAGE entries of its history (a cascade of thousands of
nodes has thousands), says how many older ones it leaves out, and reads only the newest rows (page by
page) plus the few the page derives its notes from."""
from datetime import timedelta

from core.dbtypes import utcnow
from directives import page_history, services, views
from tests.conftest import login


def test_the_page_draws_the_newest_entries_and_counts_the_rest(app, client, factory, monkeypatch):
    agencies = [factory.agency(f"S{i}", f"Sở số {i}") for i in range(4)]
    leader = factory.user("leader", username="chutich")
    officers = [factory.user("officer", ag, username=f"cb{i}") for i, ag in enumerate(agencies)]
    deadline = (utcnow() + timedelta(days=9)).isoformat()
    d = services.issue_directive(leader, {"title": "Lịch sử dài", "deadline": deadline,
                                          "lead_agency_id": agencies[0].id,
                                          "support_agency_ids": [a.id for a in agencies[1:]]})
    for officer, a in zip(officers, sorted(d.assignments, key=lambda a: a.agency_id), strict=True):
        services.acknowledge(officer, a)
        services.report_progress(officer, a, {"progress": 30, "note": f"Báo cáo của {officer.username}"})
    login(client, leader)
    whole = client.get(f"/directives/{d.id}").get_data(as_text=True)
    assert whole.count('class="timeline-item') == 9  # the issue (one entry), 4 acknowledgements, 4 reports
    assert 'id="history-not-shown"' not in whole
    monkeypatch.setattr(views, "HISTORY_ON_PAGE", 3)
    page = client.get(f"/directives/{d.id}").get_data(as_text=True)
    assert page.count('class="timeline-item') == 3
    assert "Báo cáo của cb3" in page and "Báo cáo của cb0" not in page  # the newest are drawn
    assert 'id="history-not-shown"' in page
    note = page[page.index('id="history-not-shown"'):]
    assert "6 mục cũ hơn không hiện ở đây" in note[:note.index("</p>")]

    # read a few rows at a time: the same entries, whole (the issue's four rows are one entry)
    monkeypatch.setattr(page_history, "CHUNK", 2)
    monkeypatch.setattr(views, "HISTORY_ON_PAGE", 9)
    chunked = client.get(f"/directives/{d.id}").get_data(as_text=True)
    assert chunked.count('class="timeline-item') == 9 and 'id="history-not-shown"' not in chunked
    issue_entry = chunked[chunked.rindex('class="timeline-item'):]
    assert all(f"Sở số {i}" in issue_entry for i in range(4))
