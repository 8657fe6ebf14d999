"""Fixtures of the service tests: a district with its stations and accounts, and its rounds."""

import pytest

from kiosk.extensions import db
from kiosk.services import station_rounds


@pytest.fixture
def world(ctx, hall, make_hall, make_district, make_user):  # type: ignore[no-untyped-def]
    """District fuxing holds xingfu (the hall) and anle; heping holds xinhe."""
    own = make_district(slug="fuxing", name="复兴街道")
    other = make_district(slug="heping", name="和平街道")
    hall.district = own
    anle = make_hall(slug="anle", name="安乐社区便民服务站", district=own)
    xinhe = make_hall(slug="xinhe", name="新河社区便民服务站", district=other)
    db.session.commit()
    return {
        "own": own,
        "other": other,
        "xingfu": hall,
        "anle": anle,
        "xinhe": xinhe,
        "admin": make_user("jd-admin", "district_admin", district=own),
        "assessor": make_user("jd-assessor", "district_assessor", district=own),
        "assessor2": make_user("jd-assessor2", "district_assessor", district=own),
        "rep": make_user("jd-rep", "resident_rep", district=own),
        "clerk": make_user("xf-clerk", "staff", hall=hall),
        "foreign_rep": make_user("hp-rep", "resident_rep", district=other),
        "foreign_clerk": make_user("xh-clerk", "staff", hall=xinhe),
    }


def _open(world, **fields):  # type: ignore[no-untyped-def]
    values = {
        "title": "2026年第四季度考核",
        "kind": "quarter",
        "period": "2026Q4",
        "spot_check_on": None,
        "scheme": "2019",
        "hall_ids": [world["xingfu"].id, world["anle"].id],
        "actor": world["admin"],
        **fields,
    }
    round_ = station_rounds.open_round(world["own"], **values)
    db.session.commit()
    return round_
