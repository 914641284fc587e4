#!/usr/bin/python3
"""Writes SigV4 fixtures signed by botocore (the aws CLI's and boto3's signer).

Each testdata/botocore_*.json holds a request exactly as it reaches
berth-control (method, target, headers including Host, body) with the
Authorization header botocore computed, plus the credentials, region and
clock it used. sigv4_test.cc verifies every one. Regenerate with
  /usr/bin/python3 tests/unit/control/auth/make_botocore_fixtures.py
(Debian's python3-boto3); the files are checked in so the unit tier needs no
Python.
"""
import datetime
import json
import os
import sys
import types
from unittest import mock

import boto3
import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata")
NOW = datetime.datetime(2023, 1, 2, 3, 4, 5)
AMZ_NOW = NOW.strftime("%Y%m%dT%H%M%SZ")
KEY, SECRET = "AKIDBERTHEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYBERTHKEY"
ENDPOINT = "http://127.0.0.1:8080"


class _Raw:
    def __init__(self, body):
        self._body = body

    def stream(self, **_):
        yield self._body


class _FixedDateTime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return NOW


class _Clocks:
    """Fixes utcnow() for botocore's Python signer and, where awscrt is
    installed (as here: boto3 then signs with it), its CRT signer."""

    def __init__(self):
        fake = types.SimpleNamespace(datetime=_FixedDateTime, timezone=datetime.timezone)
        self._patches = [mock.patch("botocore.auth.datetime", fake)]
        try:
            import botocore.crt.auth  # noqa: F401
            self._patches.append(mock.patch("botocore.crt.auth.datetime", fake))
        except ImportError:
            pass

    def start(self):
        for p in self._patches:
            p.start()

    def stop(self):
        for p in self._patches:
            p.stop()


def _fixed_clock():
    clock = _Clocks()
    clock.start()
    return clock


def _write(name, description, method, url, headers, body, token=None):
    split = botocore.compat.urlsplit(url)
    target = split.path + ("?" + split.query if split.query else "")
    names = {k.lower() for k in headers}
    wire = [[k, v] for k, v in headers.items()]
    if "host" not in names:
        wire.insert(0, ["Host", split.netloc])
    fixture = {
        "description": description,
        "botocore": botocore.__version__,
        "access_key_id": KEY,
        "secret_access_key": SECRET,
        "session_token": token,
        "region": "us-east-1",
        "service": "ecs",
        "now": AMZ_NOW,
        "method": method,
        "target": target,
        "headers": wire,
        "body": body.decode() if isinstance(body, bytes) else (body or ""),
        "authorization": headers["Authorization"],
    }
    with open(os.path.join(OUT, f"botocore_{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1, sort_keys=True)
        f.write("\n")


def _boto3_call(name, description, operation, params, token=None):
    captured = {}

    def before_send(request, **_):
        captured["request"] = request
        return AWSResponse(request.url, 200, {}, _Raw(b"{}"))

    session = boto3.session.Session(aws_access_key_id=KEY, aws_secret_access_key=SECRET,
                                    aws_session_token=token, region_name="us-east-1")
    client = session.client("ecs", endpoint_url=ENDPOINT)
    client.meta.events.register("before-send.ecs.*", before_send)
    getattr(client, operation)(**params)
    r = captured["request"]
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in r.headers.items()}
    _write(name, description, r.method, r.url, headers, r.body, token)


def _signed(name, description, method, url, headers, body):
    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    SigV4Auth(Credentials(KEY, SECRET), "ecs", "us-east-1").add_auth(request)
    _write(name, description, method, url, dict(request.headers.items()), body)


def main():
    clock = _fixed_clock()
    try:
        _boto3_call("create_cluster", "boto3 CreateCluster with tags and settings",
                    "create_cluster",
                    {"clusterName": "demo", "tags": [{"key": "team", "value": "a b"}],
                     "settings": [{"name": "containerInsights", "value": "enabled"}]})
        _boto3_call("list_clusters", "boto3 ListClusters with maxResults", "list_clusters",
                    {"maxResults": 5})
        _boto3_call("session_token", "boto3 DescribeClusters signed with a session token",
                    "describe_clusters", {"clusters": ["demo"]}, token="FQoGZXIvYXdzEXAMPLE")
        _signed("path_and_query", "a path with dot segments, '//' and escapes, and a query "
                "with repeated and unsorted parameters", "GET",
                ENDPOINT + "/a/./b//c/../d%20e/~f?b=2&a=1&a=0&c=%2F&empty=",
                {"X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters"}, b"")
        _signed("header_spaces", "header values with runs of spaces and a repeated header",
                "POST", ENDPOINT + "/",
                {"Content-Type": "application/x-amz-json-1.1",
                 "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.ListClusters",
                 "X-Berth-Note": "  several   spaces\there  "},
                b"{}")
    finally:
        clock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
