"""The audit log page: admins read it, filter it, page through it; no one can change it."""

import re
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

import kiosk
from kiosk.extensions import db
from kiosk.labels import AUDIT_ACTION_LABELS, AUDIT_TARGET_LABELS, COMPLAINT_ACTION_LABELS
from kiosk.models import AuditEntry
from kiosk.services import complaints
from kiosk.services.audit import PAGE_SIZE
from kiosk.services.rating_review import REVIEW_DECISIONS


def add_entries(hall, actor, count, action="roster.update", at=datetime(2026, 11, 20, 2, 0)):  # type: ignore[no-untyped-def]
    for n in range(count):
        db.session.add(
            AuditEntry(
                hall_id=hall.id,
                actor_id=actor.id,
                action=action,
                target_type="duty",
                target_id=n + 1,
                reason=f"原因{n}",
                detail={"n": n},
                created_at=at + timedelta(minutes=n),
            )
        )
    db.session.commit()


def test_admin_reads_entries_newest_first(client, sign_in, hall):
    admin = sign_in("admin")
    add_entries(hall, admin, 3)
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "修改排班" in page and "排班 #3" in page and admin.username in page
    assert page.index("原因2") < page.index("原因1") < page.index("原因0")
    # 02:02 UTC is 10:02 in the hall.
    assert "2026-11-20 10:02:00" in page


def test_filter_by_action_and_local_date(client, sign_in, hall):
    admin = sign_in("admin")
    add_entries(hall, admin, 2, action="window.create", at=datetime(2026, 11, 18, 17, 0))
    add_entries(hall, admin, 3, action="roster.update", at=datetime(2026, 11, 20, 2, 0))
    only_windows = client.get("/staff/audit?action=window.create").get_data(as_text=True)
    assert "共 2 条" in only_windows and 'title="roster.update"' not in only_windows
    assert '<option value="window.create" selected>添加窗口</option>' in only_windows
    # 2026-11-18 17:00 UTC is already 01:00 on 11-19 in the hall.
    on_19th = client.get("/staff/audit?from=2026-11-19&to=2026-11-19").get_data(as_text=True)
    assert "共 2 条" in on_19th
    assert "共 3 条" in client.get("/staff/audit?from=2026-11-20").get_data(as_text=True)
    assert "共 0 条" in client.get("/staff/audit?to=2026-11-18").get_data(as_text=True)


def test_pages_hold_a_fixed_number_of_entries(client, sign_in, hall):
    admin = sign_in("admin")
    add_entries(hall, admin, PAGE_SIZE + 5)
    first = client.get("/staff/audit").get_data(as_text=True)
    second = client.get("/staff/audit?page=2").get_data(as_text=True)
    assert first.count('title="roster.update"') == PAGE_SIZE
    assert second.count('title="roster.update"') == 5
    assert "下一页" in first and "上一页" in second
    assert client.get("/staff/audit?page=99").status_code == 200


def test_bad_filters_are_a_400(client, sign_in):
    sign_in("admin")
    assert client.get("/staff/audit?from=yesterday").status_code == 400
    assert client.get("/staff/audit?page=-1").status_code == 400


def test_other_halls_entries_are_not_shown(client, sign_in, make_hall):
    admin = sign_in("admin")
    add_entries(make_hall(), admin, 1, action="secret.action")
    assert "secret.action" not in client.get("/staff/audit").get_data(as_text=True)


def test_only_admins_read_the_log(client, sign_in):
    sign_in("supervisor")
    assert client.get("/staff/audit").status_code == 403


def test_no_route_can_change_an_entry(app, client, sign_in, hall):
    admin = sign_in("admin")
    add_entries(hall, admin, 1)
    entry_id = db.session.scalar(select(AuditEntry.id))
    audit_rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert audit_rules, "the audit page is routed"
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
    for method in ("post", "put", "patch", "delete"):
        for url in ("/staff/audit", f"/staff/audit/{entry_id}"):
            assert getattr(client, method)(url).status_code in (400, 404, 405), (method, url)
    db.session.expire_all()
    assert db.session.scalar(select(db.func.count(AuditEntry.id))) == 1


def test_entries_read_as_words_and_a_complaint_links_to_its_page(client, sign_in, make_complaint):
    admin = sign_in("admin")
    complaint = make_complaint(datetime(2026, 11, 20, 2, 0))
    complaints.verify(
        complaint, admin, valid=True, reason="属实", severity="minor", now=complaint.created_at
    )
    db.session.commit()
    page = client.get("/staff/audit").get_data(as_text=True)
    assert 'title="complaint.verified">核实</td>' in page
    assert f'<a href="/staff/complaints/{complaint.id}">投诉 #{complaint.id}</a>' in page
    assert "<code>complaint.verified</code>" not in page


PACKAGE = Path(kiosk.__file__).parent
# An action written as a literal: audit.record("x.y", …), _log("x.y", …), _log("x.y" if … else "x.z"
WRITTEN = re.compile(
    r'(?:audit\.record|_log)\(\s*"([a-z_]+\.[a-z_]+)"(?:\s+if\s+\w+\s+else\s+"([a-z_]+\.[a-z_]+)")?'
)


def test_every_action_and_target_the_app_writes_has_a_label():
    source = "\n".join(path.read_text() for path in PACKAGE.rglob("*.py"))
    literals = {name for pair in WRITTEN.findall(source) for name in pair if name}
    assert {"evaluation.finalise", "user.deactivate", "device.code"} <= literals  # the scan works
    families = {f"complaint.{code}" for code in COMPLAINT_ACTION_LABELS}
    families |= {f"rating.{decision}" for decision in REVIEW_DECISIONS}
    families |= {"adjustment.bonus", "adjustment.deduction"}
    assert sorted((literals | families) - set(AUDIT_ACTION_LABELS)) == []
    targets = set(re.findall(r'target_type="([a-z_]+)"', source))
    assert targets and sorted(targets - set(AUDIT_TARGET_LABELS)) == []
