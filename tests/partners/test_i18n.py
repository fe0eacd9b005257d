"""Labels of the partners app are translated into Chinese."""

import pytest
from django.utils import translation

from config.api.scopes import Scope
from partners.models import ApiKey, WebhookDelivery, WebhookEndpoint


def test_model_and_choice_labels_are_chinese():
    with translation.override("zh-hans"):
        assert str(ApiKey._meta.verbose_name) == "API 密钥"
        assert str(WebhookEndpoint._meta.verbose_name) == "回调地址"
        assert str(WebhookDelivery.Status.DELIVERED.label) == "已送达"
        assert str(Scope.COMPLAINTS_WRITE.label) == "提交投诉"
        assert str(ApiKey._meta.get_field("revoked_at").verbose_name) == "吊销时间"


@pytest.mark.django_db
def test_api_messages_follow_the_language(client):
    chinese = client.get("/api/v1/complaints/", HTTP_AUTHORIZATION="Api-Key kefu_x_y")
    client.cookies["django_language"] = "en"
    english = client.get("/api/v1/complaints/", HTTP_AUTHORIZATION="Api-Key kefu_x_y")

    assert chinese.json()["code"] == english.json()["code"] == "authentication_failed"
    assert chinese.json()["message"] == "API 密钥无效、已过期或已吊销。"
    assert english.json()["message"] == "Invalid, expired or revoked API key."
