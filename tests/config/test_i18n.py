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
