"""Ids too large for the database's integer columns are "not found", on SQLite and PostgreSQL.

PostgreSQL refuses 2**31 in a comparison with an integer column ("integer out of range"),
SQLite refuses 2**63 before the query runs: either was a 500 until the routes stopped them.
"""

import pytest

HUGE_IDS = (2**31, 2**63, 10**20)


@pytest.mark.parametrize(
    "url",
    ["/staff/complaints/{id}", "/staff/people/{id}/edit", "/staff/windows/{id}/qr.svg"],
)
def test_an_oversized_id_in_a_url_is_a_404(backend, client, sign_in, url):
    sign_in("admin")
    for huge in HUGE_IDS:
        response = client.get(url.format(id=huge))
        assert response.status_code == 404, f"{url.format(id=huge)}: {response.status_code}"


def test_an_oversized_id_in_a_query_string_is_refused(backend, client, sign_in):
    sign_in("admin")
    for huge in HUGE_IDS:
        assert client.get("/staff/dashboard", query_string={"window": huge}).status_code == 404
        assert client.get("/staff/ratings/", query_string={"staff": huge}).status_code == 400
