"""JSON API test client with a bearer token."""

import json as jsonlib

from django.test import Client


class Api:
    """A test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def _headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self._headers())

    def post(self, path, json=None, raw=None, headers=None):
        body = raw if raw is not None else jsonlib.dumps(json if json is not None else {})
        return self.client.post(
            f"/api/v1{path}", body, content_type="application/json", headers=self._headers(headers)
        )

    def put(self, path, json):
        return self.client.put(
            f"/api/v1{path}", jsonlib.dumps(json), content_type="application/json", headers=self._headers()
        )

    def patch(self, path, json):
        return self.client.patch(
            f"/api/v1{path}", jsonlib.dumps(json), content_type="application/json", headers=self._headers()
        )

    def delete(self, path):
        return self.client.delete(f"/api/v1{path}", headers=self._headers())
