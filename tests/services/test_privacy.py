"""Phone numbers in residents' free text: found in every usual form, masked, hidden, erased."""

import pytest

from kiosk.services.privacy import (
    ERASED,
    erase_phone_numbers,
    has_phone_number,
    hide_phone_numbers,
    mask_phone_numbers,
)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("请打13812345678联系我", "请打138****5678联系我"),
        ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
        ("138-1234-5678", "138****5678"),
        ("+86 13812345678", "138****5678"),
        ("8613812345678", "138****5678"),
        ("手机１３８１２３４５６７８", "手机138****5678"),  # a phone keyboard's full-width digits
        ("座机010-12345678", "座机010****5678"),
        ("0755-1234567找王科长", "075****4567找王科长"),
        ("(010)12345678", "010****5678"),
        ("两个号码：13912345678、0755 12345678", "两个号码：139****5678、075*****5678"),
    ],
)
def test_phone_numbers_in_text_are_found_and_masked_like_the_call_back_number(text, masked):
    assert has_phone_number(text)
    assert mask_phone_numbers(text) == masked
    assert not any(ch.isdecimal() for ch in hide_phone_numbers(text))  # no digit of it left
    assert not has_phone_number(erase_phone_numbers(text))
    assert ERASED in erase_phone_numbers(text)


@pytest.mark.parametrize(
    "text",
    [
        "等了很久没人理",
        "2026-11-20 上午10点办的",
        "办件编号 20261120000123456",  # a longer run of digits is not a phone number
        "等了 45 分钟，排到 123 号",
        "1381234567",  # ten digits
        "12812345678",  # no mobile number starts 12
        "",
    ],
)
def test_other_text_is_left_alone(text):
    assert not has_phone_number(text)
    assert mask_phone_numbers(text) == hide_phone_numbers(text) == erase_phone_numbers(text) == text


def test_the_clerks_view_keeps_no_digit_of_the_number():
    assert hide_phone_numbers("请打138 1234 5678联系我") == "请打***********联系我"
    assert erase_phone_numbers("请打138 1234 5678联系我") == "请打[已删除]联系我"
