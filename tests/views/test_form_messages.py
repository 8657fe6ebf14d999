"""Form messages follow the resident's language (catalogues are cached per process)."""

from tests.helpers import rating_form


def test_a_mistyped_level_is_explained_in_the_residents_language(app, window):
    answers = {}
    for lang in ("zh_CN", "en", "zh_CN"):
        client = app.test_client()
        client.set_cookie("lang", lang)
        response = client.post(
            f"/r/{window.qr_token}", data={**rating_form(client, window.qr_token), "level": "x"}
        )
        assert response.status_code == 400
        answers.setdefault(lang, []).append(response.get_data(as_text=True))
    assert all("请选择一个评价" in page for page in answers["zh_CN"])
    assert "Please choose a rating" in answers["en"][0]
    assert "请选择一个评价" not in answers["en"][0]
