"""flask qr export DIR: one PNG and one SVG per active window, pointing at PUBLIC_URL."""

import zxingcpp
from PIL import Image

from kiosk.extensions import db


def test_export_writes_a_png_and_svg_per_window_that_decode_to_its_url(
    app, runner, make_window, tmp_path
):
    app.config["PUBLIC_URL"] = "https://pingan.example.cn/"
    windows = [make_window(number=1), make_window(number=2), make_window(number=12)]
    retired = make_window(number=9, active=False)
    out = tmp_path / "codes"

    result = runner.invoke(args=["qr", "export", str(out)])

    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in out.iterdir())
    assert names == sorted(f"window-{w.number}.{kind}" for w in windows for kind in ("png", "svg"))
    assert f"window-{retired.number}.png" not in names
    for window in windows:
        db.session.refresh(window)
        url = f"https://pingan.example.cn/r/{window.qr_token}"
        decoded = [
            code.text
            for code in zxingcpp.read_barcodes(Image.open(out / f"window-{window.number}.png"))
        ]
        assert decoded == [url]
        svg = (out / f"window-{window.number}.svg").read_text()
        assert "<svg" in svg and "<path" in svg


def test_export_without_windows_explains_itself(ctx, runner, tmp_path):
    result = runner.invoke(args=["qr", "export", str(tmp_path / "codes")])
    assert result.exit_code != 0
    assert "no windows" in result.output


def test_with_several_halls_the_hall_is_chosen_and_only_its_windows_written(
    runner, make_window, make_hall, tmp_path
):
    ours = make_window(number=1)
    other = make_hall(slug="other")
    db.session.add(type(ours)(hall=other, number=1, name="综合窗口"))
    db.session.commit()
    refused = runner.invoke(args=["qr", "export", str(tmp_path / "all")])
    assert refused.exit_code == 1 and "--hall" in refused.output
    chosen = runner.invoke(args=["qr", "export", str(tmp_path / "codes"), "--hall", "other"])
    assert chosen.exit_code == 0, chosen.output
    assert sorted(p.name for p in (tmp_path / "codes").iterdir()) == [
        "window-1.png",
        "window-1.svg",
    ]
    assert "files for 1 windows" in chosen.output
