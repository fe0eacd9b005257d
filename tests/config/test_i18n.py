"""The admin speaks Chinese by default and English after the language switch."""

import pytest


@pytest.mark.django_db
def test_admin_login_is_chinese_by_default_even_for_english_browsers(client):
    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="zh-hans"' in html
    assert "用户名" in html  # "Username"
    assert "Kefu 客服门户" in html


@pytest.mark.django_db
def test_language_switch_turns_the_admin_english(client):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/admin/login/"}
    )
    assert response.status_code == 302
    html = client.get("/admin/login/").content.decode()
    assert 'lang="en"' in html
    assert "Username" in html
    assert "Kefu customer-service portal" in html


@pytest.mark.django_db
def test_model_labels_are_translated(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "客户" in html and "员工" in html and "班组" in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_dates_and_times_have_one_format_in_both_languages(language):
    import datetime as dt

    from django.utils import formats, timezone, translation

    at = timezone.make_aware(dt.datetime(2026, 12, 2, 9, 30))
    with translation.override(language):
        assert formats.date_format(timezone.localtime(at), "DATETIME_FORMAT") == (
            "2026-12-02 09:30"
        )
        assert formats.date_format(at.date(), "DATE_FORMAT") == "2026-12-02"
        # input stays as Django's locale has it: both spellings are read
        assert "%Y-%m-%d" in formats.get_format("DATE_INPUT_FORMATS")


@pytest.mark.django_db
def test_a_read_only_time_on_an_admin_page_uses_that_format(admin_client):
    from django.utils import timezone

    from tests.factories.crm import RevisitFactory

    revisit = RevisitFactory(due_at=timezone.now())
    page = admin_client.get(f"/admin/crm/revisit/{revisit.pk}/change/")
    created = timezone.localtime(revisit.created_at).strftime("%Y-%m-%d %H:%M")
    html = page.content.decode()
    field = html[html.index("field-created_at") :]
    shown = field[field.index('class="readonly">') + 17 : field.index("</div>")]
    assert shown == created
