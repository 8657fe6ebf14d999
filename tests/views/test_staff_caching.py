"""Nothing behind the staff sign-in is ever cached: every staff response says no-store."""

import pytest

from tests.views.test_role_matrix import ROLES, fill, staff_get_rules
from tests.views.test_role_matrix import ids as ids  # the fixture

EXPORTS = [
    ("/staff/ratings/export.csv", "text/csv"),
    ("/staff/ratings/export.csv?start=2026-01-01&end=2026-12-31", "text/csv"),
    ("/staff/evaluation/2026-11/export.csv", "text/csv"),
    (
        "/staff/evaluation/2026-11/export.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("/staff/evaluation/2026-11/import/template.csv", "text/csv"),
]


@pytest.mark.parametrize("role", ROLES)
def test_every_staff_get_route_says_no_store(app, client, auth, ids, make_user, staff, role):
    if role != "anonymous":
        user = make_user(f"cache-{role}", role, staff=staff if role == "staff" else None)
        assert auth.login_as(user).status_code == 302
    wrong = []
    for rule in staff_get_rules(app):
        url = fill(rule, ids)
        response = client.get(url)
        if response.headers.get("Cache-Control") != "no-store":
            wrong.append(f"{url} ({response.status_code}): {response.headers.get('Cache-Control')}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("url", "mimetype"), EXPORTS)
def test_exports_say_no_store(client, sign_in, ids, url, mimetype):
    sign_in("supervisor")
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == mimetype
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data()  # the whole body was sent


def test_a_refused_staff_request_says_no_store_too(client, sign_in, ids):
    sign_in("staff")
    response = client.get("/staff/ratings/export.csv")
    assert response.status_code == 403
    assert response.headers["Cache-Control"] == "no-store"
