"""The JSON calls the bench scripts make to a crud-api (one keep-alive connection).

    from crud_client import Client
    api = Client("http://127.0.0.1:8001")
    token = api.call("POST", "/api/v1/auth/signup", {...})["tokens"]["access_token"]
"""
import http.client
import json
import urllib.parse


class Client:
    def __init__(self, base, timeout=None):
        url = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)

    def call(self, method, path, body=None, token=None):
        """The parsed answer; any status of 300 or more fails the script."""
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = "Bearer " + token
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        res = self.conn.getresponse()
        data = res.read()
        assert res.status < 300, (method, path, res.status, data)
        return json.loads(data) if data else None
