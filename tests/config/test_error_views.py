"""Unrouted URLs: JSON errors under /api/, HTML elsewhere."""

import pytest


@pytest.mark.django_db
def test_unrouted_api_path_gets_a_json_404(client):
    response = client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_unrouted_page_gets_html_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
