"""Hypothesis drives every public form and JSON endpoint with malformed input.

10,000 inputs in all (FUZZ_EXAMPLES below). For every one: no 5xx, and when the answer is a
refusal (4xx), not a single rating or complaint row more than before. Accepted inputs (a
valid level and key slipped through) must have stored exactly what a valid request stores.
Runs derandomized, so a run is repeatable and CI does not find new cases by chance.
"""

import itertools
import json
import re
from collections.abc import Callable
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kiosk.device_api import exit_serializer
from kiosk.extensions import db
from kiosk.models import Complaint, Device, Rating
from kiosk.models._types import utcnow
from kiosk.services import devices, invitations
from kiosk.services.submission import valid_key
from tests.conftest import Auth
from tests.device_helpers import COOKIE, make_device
from tests.helpers import give_rating, hidden_fields

FUZZ_EXAMPLES = {
    "phone_rating": 2000,
    "complaint": 1500,
    "login": 1000,
    "pairing": 1000,
    "invitation": 1000,
    "unpair": 200,
    "api_rating": 1500,
    "api_complaint": 1000,
    "api_unlock": 300,
    "api_board": 300,
    "api_stations": 200,
}
assert sum(FUZZ_EXAMPLES.values()) == 10_000

# Every public endpoint that takes input (a POST outside the signed-in staff and district areas,
# or the JSON API), with the fuzz test that drives it. A new one fails
# test_every_public_input_is_fuzzed until added.
FUZZED = {
    "public.submit_rating": "phone_rating",
    "public.submit_complaint": "complaint",
    "auth.login": "login",
    "kiosk.pair": "pairing",
    "kiosk.submit_invite": "invitation",
    "kiosk.unpair": "unpair",
    "device_api.create_rating": "api_rating",
    "device_api.create_complaint": "api_complaint",
    "device_api.unlock_device": "api_unlock",
    "api.board_standings": "api_board",
    "api.station_ranking": "api_stations",
}
NOT_FUZZED = {
    # No field but the CSRF token: tests/views/test_auth.py checks it is refused without one.
    "auth.logout",
}


def fuzz_settings(name: str) -> settings:
    return settings(
        max_examples=FUZZ_EXAMPLES[name],
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Quiet request lines, and no sign-in lockout: the fuzzer must reach the form code itself.
    return {
        **app_config,
        "LOG_REQUESTS": False,
        "LOGIN_FAILURE_LIMIT": 10**9,
        "LOGIN_ADDRESS_ACCOUNT_LIMIT": 10**9,
        "LOGIN_ADDRESS_FAILURE_LIMIT": 10**9,
    }


def test_every_public_input_is_fuzzed(app):
    takes_input = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith(("/staff", "/district"))
        and ("POST" in (rule.methods or ()) or rule.rule.startswith("/api/"))
    }
    assert takes_input == set(FUZZED) | NOT_FUZZED
    assert sorted(FUZZED.values()) == sorted(FUZZ_EXAMPLES)


# --- strategies ------------------------------------------------------------------------------

ODD_STRINGS = [
    *("", " ", "0", "6", "-1", "1e3", "5.0", "٥", "５", "NaN", "null", "true", "[]", "{}"),
    *("9" * 40, "-" + "9" * 40, "<script>", "' OR 1=1 --", "../../etc/passwd", "%00"),
    *("2026-02-30T25:61:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-12:00"),
]

huge = st.builds(
    lambda ch, n: ch * n, st.sampled_from(["a", "中", "😀", "\x00", "5"]), st.integers(0, 60_000)
)
weird_text = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    huge,
    st.sampled_from(ODD_STRINGS),
    st.integers(-(10**20), 10**20).map(str),
)
form_value = st.one_of(weird_text, st.lists(weird_text, max_size=4))


def form_data(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Forms with the real field names (each maybe missing or odd) plus extra fields."""
    known = st.fixed_dictionaries(
        {}, optional={k: st.one_of(v, form_value) for k, v in fields.items()}
    )
    extra = st.dictionaries(st.text(min_size=1, max_size=20), form_value, max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, extra)


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    weird_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
iso_time = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    weird_text,
    json_scalar,
)


def json_body(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    known = st.fixed_dictionaries(
        {}, optional={k: st.one_of(v, json_value) for k, v in fields.items()}
    )
    extra = st.dictionaries(st.text(max_size=12), json_value, max_size=3)
    objects = st.builds(lambda a, b: {**b, **a}, known, extra)
    return st.one_of(objects, objects, objects, json_value)


def mutated(
    valid: dict[str, Any], fields: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid body with one to three fields replaced by odd values or left out.

    Gets the fuzzer past the first checks, deep into the code (tap times, invitations).
    """
    names = sorted(fields)

    def apply(changes: dict[str, Any], dropped: list[str]) -> dict[str, Any]:
        body = {**valid, **changes}
        return {k: v for k, v in body.items() if k not in dropped}

    changes = st.dictionaries(
        st.sampled_from(names),
        st.one_of(*(fields[n] for n in names), json_value),
        min_size=1,
        max_size=3,
    )
    return st.builds(apply, changes, st.lists(st.sampled_from(names), max_size=1))


raw_body = st.one_of(
    st.binary(max_size=200),
    st.integers(1, 6000).map(lambda n: "[" * n + "]" * n),
    st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.just('{"level": 5, "key": "abcdefgh12",}'),
    st.just("\xff\xfe{}"),
)


# --- the checks ------------------------------------------------------------------------------


def rows() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(Rating.id))) or 0,
        db.session.scalar(select(func.count(Complaint.id))) or 0,
    )


class Tally:
    """Counts inputs and answers for one endpoint, and checks each answer."""

    def __init__(self, name: str) -> None:
        self.name, self.sent, self.accepted, self.refused = name, 0, 0, 0
        self.statuses: dict[int, int] = {}

    def check(self, send: Callable[[], Any], accepted: tuple[int, ...]) -> Any:
        before = rows()
        response = send()
        self.sent += 1
        status = response.status_code
        self.statuses[status] = self.statuses.get(status, 0) + 1
        assert status < 500, f"{self.name}: {status}\n{response.get_data(as_text=True)[:2000]}"
        after = rows()
        if status in accepted:
            self.accepted += 1
        else:
            self.refused += 1
            assert after == before, f"{self.name}: refused ({status}) yet wrote {before}→{after}"
        return response

    def report(self) -> None:
        print(
            f"\nfuzz {self.name}: {self.sent} inputs, {self.accepted} accepted, "
            f"{self.refused} refused, 0 5xx; by status {dict(sorted(self.statuses.items()))}"
        )
        assert self.sent == FUZZ_EXAMPLES[self.name]


def _valid_ratings_only() -> None:
    for rating in db.session.scalars(select(Rating)):
        assert 1 <= rating.level <= 5 and valid_key(rating.idempotency_key)


@pytest.fixture
def csrf(client) -> str:  # type: ignore[no-untyped-def]
    return hidden_fields(client.get("/auth/login").get_data(as_text=True))["csrf_token"]


def _with_csrf(data: dict[str, Any], csrf: str, choice: int) -> dict[str, Any]:
    # Mostly a valid token, so the fuzzer gets past CSRF into the form code.
    if choice == 0:
        return {k: v for k, v in data.items() if k != "csrf_token"}
    if choice == 1:
        return data
    return {**data, "csrf_token": csrf}


KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
csrf_choice = st.sampled_from([2, 0, 1, 2, 2, 2, 2, 2, 2, 2])
level = st.one_of(st.integers(-3, 8).map(str), weird_text)
key = st.one_of(st.text(alphabet=KEY_ALPHABET, min_size=8, max_size=64), weird_text)


# --- public forms ----------------------------------------------------------------------------


def test_fuzz_phone_rating_form(client, csrf, window):
    tally = Tally("phone_rating")

    @fuzz_settings("phone_rating")
    @given(form_data({"level": level, "key": key}), csrf_choice)
    def run(data: dict[str, Any], choice: int) -> None:
        body = _with_csrf(data, csrf, choice)
        tally.check(lambda: client.post(f"/r/{window.qr_token}", data=body), (303,))

    run()
    _valid_ratings_only()
    tally.report()


def test_fuzz_complaint_form(client, csrf, window):
    rating = give_rating(window, 1, "fuzz-bad-rating", channel="qr", now=utcnow()).rating
    good = give_rating(window, 5, "fuzz-good-rating", channel="qr", now=utcnow()).rating
    db.session.commit()
    tally = Tally("complaint")
    fields = {
        "reasons": st.lists(st.sampled_from(["attitude", "other", "x", ""]), max_size=8),
        "text": weird_text,
        "phone": st.one_of(st.just("13812345678"), weird_text),
    }

    @fuzz_settings("complaint")
    @given(form_data(fields), csrf_choice, st.sampled_from(["bad", "good", "unknown"]))
    def run(data: dict[str, Any], choice: int, target: str) -> None:
        key = {"bad": rating.idempotency_key, "good": good.idempotency_key}.get(target, "nope1234")
        body = _with_csrf(data, csrf, choice)
        tally.check(lambda: client.post(f"/r/{window.qr_token}/thanks/{key}", data=body), (303,))

    run()
    complaints = list(db.session.scalars(select(Complaint)))
    assert len(complaints) <= 1 and all(len(c.text) <= 500 for c in complaints)
    tally.report()


def test_fuzz_login_form(client, csrf, make_user):
    make_user("zhang", "supervisor")
    tally = Tally("login")

    @fuzz_settings("login")
    @given(form_data({"username": weird_text, "password": weird_text}), csrf_choice)
    def run(data: dict[str, Any], choice: int) -> None:
        body = _with_csrf(data, csrf, choice)
        tally.check(lambda: client.post("/auth/login", data=body), (302,))

    run()
    assert tally.accepted == 0  # nothing guessed the password
    tally.report()


def test_fuzz_kiosk_pairing_form(client, csrf, hall):
    tally = Tally("pairing")
    code_like = st.text(alphabet="ABCDEFGHJKMNPQRSTUVWXYZ23456789- ", min_size=10, max_size=16)

    @fuzz_settings("pairing")
    @given(form_data({"code": st.one_of(code_like, weird_text)}), csrf_choice, st.booleans())
    def run(data: dict[str, Any], choice: int, as_pad: bool) -> None:
        body = _with_csrf(data, csrf, choice)
        url = "/kiosk/pair?kind=pad" if as_pad else "/kiosk/pair"
        tally.check(lambda: client.post(url, data=body), (303,))

    run()
    assert tally.accepted == 0
    tally.report()


def test_fuzz_invitation_form(client, csrf, window, staff):
    invitations.sign_in(staff, window, now=utcnow() - timedelta(minutes=1))
    invitation = invitations.mint_invitation(staff, now=utcnow())
    db.session.commit()
    tally = Tally("invitation")

    @fuzz_settings("invitation")
    @given(form_data({"level": level, "key": key}), csrf_choice)
    def run(data: dict[str, Any], choice: int) -> None:
        body = _with_csrf(data, csrf, choice)
        tally.check(lambda: client.post(f"/i/{invitation.token}", data=body), (303,))

    run()
    assert tally.accepted <= 1
    assert db.session.scalar(select(func.count(Rating.id))) <= 1
    tally.report()


def test_fuzz_unpair_form(client, csrf, hall):
    device, credential = make_device(hall, "kiosk")
    other, _ = make_device(hall, "kiosk")
    client.set_cookie(COOKIE, credential)
    tally = Tally("unpair")
    signed = exit_serializer().dumps
    ticket = st.one_of(
        st.just(signed(other.id)),  # another device's ticket
        st.just(signed(device.id) + "x"),
        st.just(signed(str(device.id))),
        st.builds(signed, json_value),
        weird_text,
    )

    @fuzz_settings("unpair")
    @given(form_data({"ticket": ticket}), csrf_choice)
    def run(data: dict[str, Any], choice: int) -> None:
        body = _with_csrf(data, csrf, choice)
        tally.check(lambda: client.post("/kiosk/unpair", data=body), (303,))

    run()
    assert tally.accepted == 0
    db.session.expire_all()
    assert db.session.get(Device, device.id).is_paired  # no malformed form unpaired it
    tally.report()


# --- JSON endpoints --------------------------------------------------------------------------


def _post_json(client, url: str, body: Any, raw: bytes | str | None, credential: str):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {credential}", "Content-Type": "application/json"}
    data = raw if raw is not None else json.dumps(body, allow_nan=True)
    return client.post(url, data=data, headers=headers)


def test_fuzz_device_rating_api(client, hall, window, make_window, staff):
    other = make_window(number=9)
    _kiosk, kiosk_credential = make_device(hall, "kiosk")
    _pad, pad_credential = make_device(hall, "pad", window)
    invitations.sign_in(staff, window, now=utcnow() - timedelta(minutes=1))
    invited = [invitations.mint_invitation(staff, now=utcnow()).token for _ in range(3)]
    db.session.commit()
    tally = Tally("api_rating")
    fields = {
        "level": st.one_of(st.integers(-2, 7), st.sampled_from(["5", 5.0, True])),
        "key": key,
        "window_id": st.one_of(st.sampled_from([window.id, other.id, 0, -1, 10**30]), weird_text),
        "tapped_at": iso_time,
        "sent_at": iso_time,
        "invitation": st.one_of(st.sampled_from(invited), weird_text),
    }
    keys = itertools.count()

    def fresh(body: dict[str, Any]) -> dict[str, Any]:
        # A valid body needs a key not used before; a mutated "key" replaces this one.
        return {"key": f"fuzz-valid-{next(keys):06d}", **body}

    as_kiosk = mutated({"level": 4, "window_id": window.id}, fields).map(fresh)
    as_pad = mutated({"level": 2, "invitation": invited[0]}, fields).map(fresh)
    requests = st.one_of(
        st.tuples(st.sampled_from([kiosk_credential, pad_credential]), json_body(fields)),
        st.tuples(st.just(kiosk_credential), as_kiosk),
        st.tuples(st.just(pad_credential), as_pad),
    )

    @fuzz_settings("api_rating")
    @given(requests, st.one_of(st.none(), st.none(), st.none(), raw_body))
    def run(request: tuple[str, Any], raw: Any) -> None:
        credential, body = request
        tally.check(
            lambda: _post_json(client, "/api/v1/ratings", body, raw, credential), (200, 201)
        )

    run()
    _valid_ratings_only()
    tally.report()


def test_fuzz_device_complaint_api(client, hall, window):
    _kiosk, credential = make_device(hall, "kiosk")
    body = {"key": "fuzz-device-bad-1", "level": 1, "window_id": window.id}
    assert _post_json(client, "/api/v1/ratings", body, None, credential).status_code == 201
    tally = Tally("api_complaint")
    fields = {
        "reasons": st.one_of(
            st.lists(st.sampled_from(["attitude", "other", "x"]), max_size=5), json_value
        ),
        "text": st.one_of(weird_text, json_value),
        "phone": st.one_of(st.just("13812345678"), weird_text, json_value),
    }

    @fuzz_settings("api_complaint")
    @given(
        json_body(fields),
        st.one_of(st.none(), st.none(), raw_body),
        st.sampled_from(["fuzz-device-bad-1", "nope", "x" * 80]),
    )
    def run(data: Any, raw: Any, rating_key: str) -> None:
        url = f"/api/v1/ratings/{rating_key}/complaint"
        tally.check(lambda: _post_json(client, url, data, raw, credential), (200, 201))

    run()
    assert db.session.scalar(select(func.count(Complaint.id))) <= 1
    tally.report()


def test_fuzz_device_unlock_api(client, hall, window):
    device, credential = make_device(hall, "pad", window)
    devices.set_exit_pin(device, "2468")
    db.session.commit()
    tally = Tally("api_unlock")
    pin = st.one_of(st.text(alphabet="0123456789", max_size=10), weird_text)
    bodies = st.one_of(json_body({"pin": pin}), st.fixed_dictionaries({"pin": pin}))

    @fuzz_settings("api_unlock")
    @given(bodies, st.one_of(st.none(), st.none(), st.none(), raw_body))
    def run(data: Any, raw: Any) -> None:
        # Unlock the PIN pad before each input, so that none of them meets a locked pad.
        device.pin_failures, device.pin_locked_until = 0, None
        db.session.commit()
        response = tally.check(
            lambda: _post_json(client, "/api/v1/device/unlock", data, raw, credential), (200,)
        )
        assert response.is_json and ("error" in response.json or "next" in response.json)

    run()
    assert tally.accepted == 0  # nothing guessed the PIN
    tally.report()


def test_fuzz_board_api_parameters(client, hall):
    tally = Tally("api_board")
    params = st.dictionaries(
        st.one_of(st.sampled_from(["hall", "period", "view", "month"]), st.text(max_size=8)),
        st.one_of(st.sampled_from([hall.slug, "today", "month", "quarter", "year"]), weird_text),
        max_size=4,
    )

    @fuzz_settings("api_board")
    @given(params)
    def run(query: dict[str, str]) -> None:
        tally.check(lambda: client.get("/api/v1/board", query_string=query), (200,))

    run()
    tally.report()


# --- the staff area: ids too large, dates out of range, exports cut off ---------------------
# Not hypothesis: a fixed table of the values that broke things (issue 23), sent to every staff
# URL, every query parameter a staff page reads and every field of every form a staff page shows.

HUGE_IDS = [str(2**31), str(2**63), "9" * 20, "9" * 5000]
ODD_DATES = [
    *("0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01", "0000-01-01", "10000-01-01"),
    *("2026-02-30", "-2026-01-01", "0001-01-01T00:00", "9999-12-31T23:59", "2026-01-01T25:00"),
]
# Query parameters staff pages read from links rather than from a form on the page.
ID_PARAMETERS = ("window", "staff", "level", "page", "rating", "period")
DAY_PARAMETERS = ("day", "start", "end", "from", "to", "month")
PATH_VALUES = {
    "period_code": "2026-11",
    "kind": "supervisor",
    "fmt": "csv",
    "action": "verify",
    "slug": "fuxing",  # a district: its rounds' URLs carry ids too
}
_INT_PART = re.compile(r"<int:(?P<name>[^<>]+)>")
_ANY_PART = re.compile(r"<(?:[^:<>]+:)?(?P<name>[^<>]+)>")


def _fill_rule(rule: str, ids: dict[str, Any], huge: str | None = None) -> str:
    """Return rule's URL: real ids (or huge in each <int:...> part), the rest from PATH_VALUES."""
    if huge is not None:
        rule = _INT_PART.sub(huge, rule)
    return _ANY_PART.sub(lambda m: str({**PATH_VALUES, **ids}[m.group("name")]), rule)


class _Forms(HTMLParser):
    """The forms on a page: method, action and the value each field would send."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.forms, self._select = url, [], None
        self._form: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option" and self._select and self._form is not None:
            fields = self._form["fields"]  # the selected option, else the first
            if not fields.get(self._select) or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "form":
            action = a.get("action") or self.url
            self._form = {"method": a.get("method", "get").lower(), "action": action, "fields": {}}
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "file", "image"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].setdefault(a["name"], None)
            else:
                self._form["fields"][a["name"]] = a.get("value", "")
        elif tag in ("select", "textarea"):
            self._select = a["name"] if tag == "select" else None
            self._form["fields"].setdefault(a["name"], "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("select", "textarea"):
            self._select = None


def _forms_on(url: str, html: str) -> list[dict[str, Any]]:
    parser = _Forms(url.split("?")[0])
    parser.feed(html)
    return [f for f in parser.forms if not f["action"].startswith("/auth/")]


def _assert_whole(response: Any, what: str) -> None:
    """No 5xx, and a body that was sent to its end (a CSV export ends with its last line)."""
    body = response.get_data()  # raises if a streamed body broke off
    assert response.status_code < 500, f"{what[:200]}: {response.status_code}\n{body[-3000:]!r}"
    if response.status_code == 200 and response.mimetype == "text/csv":
        assert body.endswith(b"\n"), f"{what[:200]}: CSV cut off: {body[-200:]!r}"


@pytest.fixture
def staff_ids(ctx, hall, window, staff, put_on_duty, make_user, make_complaint):  # type: ignore[no-untyped-def]
    """Real rows for every URL parameter a staff-area route takes (as in test_role_matrix)."""
    from kiosk.services.devices import create_device

    now = utcnow()
    duty = put_on_duty(staff, window, now + timedelta(days=1), now + timedelta(days=1, hours=8))
    device, _code = create_device(hall, "pad", "3号窗口评价器", window, now=now)
    complaint = make_complaint(now - timedelta(hours=2))
    db.session.commit()
    return {
        "window_id": window.id,
        "staff_id": staff.id,
        "duty_id": duty.id,
        "user_id": make_user("someone-else", "supervisor").id,
        "device_id": device.id,
        "complaint_id": complaint.id,
    }


def _staff_get_urls(app: Any, ids: dict[str, Any]) -> list[str]:
    return sorted(
        {
            _fill_rule(rule.rule, ids)
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/staff") and "GET" in (rule.methods or ())
        }
    )


def test_oversized_ids_in_urls_are_404(app, client, sign_in, staff_ids):
    sign_in("admin")
    sent = 0
    for rule in app.url_map.iter_rules():
        if not _INT_PART.search(rule.rule):
            continue
        for huge, method in itertools.product(HUGE_IDS, sorted(rule.methods - {"HEAD", "OPTIONS"})):
            url = _fill_rule(rule.rule, staff_ids, huge)
            response = client.open(url, method=method)
            # Werkzeug checks the method before the converter: where the URL's rule for another
            # method refuses the id too, the answer is 405. Either way no query sees the id.
            assert response.status_code in (404, 405), (
                f"{method} {url[:80]}: {response.status_code}"
            )
            sent += 1
    assert sent > 60  # every staff page and action with an id in its URL


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_odd_ids_and_dates_in_staff_query_strings_are_no_5xx(
    app, client, sign_in, staff_ids, staff, role
):
    sign_in(role, staff=staff if role == "staff" else None)
    queries = [
        *itertools.product(ID_PARAMETERS, HUGE_IDS),
        *itertools.product(DAY_PARAMETERS, [*ODD_DATES, *HUGE_IDS[:1]]),
    ]
    sent = 0
    for url in _staff_get_urls(app, staff_ids):
        if client.get(url).status_code in (302, 403):
            continue  # refused before the view reads a parameter
        for name, value in queries:
            _assert_whole(client.get(url, query_string={name: value}), f"{url}?{name}={value}")
            sent += 1
    assert sent > (1500 if role == "admin" else 300)


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_odd_ids_and_dates_in_every_staff_form_field_are_no_5xx(
    app, client, sign_in, staff_ids, staff, role
):
    user = sign_in(role, staff=staff if role == "staff" else None)
    seen, sent = set(), 0
    for url in _staff_get_urls(app, staff_ids):
        page = client.get(url)
        if page.status_code != 200 or page.mimetype != "text/html":
            continue
        for form in _forms_on(url, page.get_data(as_text=True)):
            for name in sorted(form["fields"]):
                if name == "csrf_token" or (form["action"], name) in seen:
                    continue
                seen.add((form["action"], name))
                for value in [*HUGE_IDS, *ODD_DATES]:
                    fields = {k: v for k, v in form["fields"].items() if v is not None}
                    data = {**fields, name: value}
                    if form["method"] == "post":
                        response = client.post(form["action"], data=data)
                    else:
                        response = client.get(form["action"], query_string=data)
                    _assert_whole(response, f"{form['method']} {form['action']} {name}={value}")
                    sent += 1
                    if response.headers.get("Location", "").startswith("/auth/login"):
                        # The form signed us out (a password change, say): sign in again.
                        assert Auth(client).login_as(user).status_code == 302
    assert sent > (400 if role == "admin" else 20)


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
@pytest.mark.parametrize("name", ["start", "end"])
def test_an_export_refuses_a_date_out_of_range_before_it_starts(client, sign_in, date, name):
    sign_in("supervisor")
    response = client.get("/staff/ratings/export.csv", query_string={name: date})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "2000-01-01" in response.get_data(as_text=True)  # says which dates it takes


def test_fuzz_stations_api_parameters(client, hall, make_district):
    district = make_district(slug="fuxing")
    tally = Tally("api_stations")
    params = st.dictionaries(
        st.one_of(st.sampled_from(["district", "period"]), st.text(max_size=8)),
        st.one_of(st.sampled_from([district.slug, "2026Q4", "2026-11", "2026"]), weird_text),
        max_size=3,
    )

    @fuzz_settings("api_stations")
    @given(params)
    def run(query: dict[str, str]) -> None:
        # No round is finalised: a well-formed query is answered 404, never a 500.
        tally.check(lambda: client.get("/api/v1/stations", query_string=query), (200,))

    run()
    tally.report()
