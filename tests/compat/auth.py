#!/usr/bin/python3
"""SigV4 with --credentials: the aws CLI and boto3 sign with the configured
key and are let in; a wrong secret, an unknown key, a skewed clock or no
signature are refused with the AWS error types."""
import berth_compat as bc


def main(s):
    creds = s.credentials_file(["# compat", f"{bc.KEY_ID} {bc.SECRET}", "OTHERKEY other"])
    b = s.berth(credentials=creds)
    b.start()
    bc.expect_in("auth SigV4 with --credentials", b.log_text(), "ready line names the mode")

    _, out, _ = s.aws(b, "create-cluster", "--cluster-name", "signed")
    bc.expect_eq(out["cluster"]["clusterName"], "signed", "CLI signed with the right secret")
    s.client(b, "OTHERKEY", "other").list_clusters()

    rc, _, err = s.aws(b, "list-clusters", check=False,
                       env={"AWS_SECRET_ACCESS_KEY": "wrong"})
    bc.expect_eq(rc, 254, "exit code with a wrong secret")
    bc.expect_in("An error occurred (InvalidSignatureException) when calling the ListClusters "
                 "operation: The request signature we calculated does not match the signature "
                 "you provided.", err, "CLI message")
    rc, _, err = s.aws(b, "list-clusters", check=False, env={"AWS_ACCESS_KEY_ID": "NOBODY"})
    bc.expect_in("(UnrecognizedClientException)", err, "unknown key")
    bc.expect_in("The security token included in the request is invalid.", err, "unknown key")
    rc, _, err = s.aws(b, "list-clusters", "--no-sign-request", check=False)
    bc.expect_in("(MissingAuthenticationTokenException)", err, "unsigned request")
    rc, _, err = s.aws(b, "list-clusters", check=False,
                       env={"AWS_SESSION_TOKEN": "temporary"})
    bc.expect_in("(UnrecognizedClientException)", err, "session token")
    rc, _, err = s.aws(b, "list-clusters", check=False, env={"AWS_DEFAULT_REGION": "eu-west-1"})
    bc.expect_in("Credential should be scoped to a valid region, not 'eu-west-1'.", err,
                 "wrong region")

    bc.expect_client_error(lambda: s.client(b, secret="nope").list_clusters(),
                           "InvalidSignatureException")
    bc.expect_client_error(lambda: s.client(b, key="NOBODY").list_clusters(),
                           "UnrecognizedClientException",
                           "The security token included in the request is invalid.")

    # A clock 10 minutes behind: botocore's signature is too old.
    import json
    import datetime
    from unittest import mock
    import types
    import botocore.auth

    class Skewed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return datetime.datetime.utcnow() - datetime.timedelta(minutes=10)

    fake = types.SimpleNamespace(datetime=Skewed, timezone=datetime.timezone)
    with mock.patch.object(botocore.auth, "datetime", fake):
        status, _, body = s.raw(b, bc.TARGET_PREFIX + "ListClusters", "{}")
    bc.expect_eq(status, 400, "skewed status")
    bc.expect_eq(json.loads(body)["__type"], "InvalidSignatureException", "skewed type")
    bc.expect_in("Signature expired", json.loads(body)["message"], "skewed message")
    bc.expect_eq(b.stop(), 0, "exit status")


if __name__ == "__main__":
    bc.run(main)
