"""Shared harness for the compat tier: a real berth-control on 127.0.0.1 with
a temporary data dir, driven by Debian's /usr/bin/aws (v2) and python3-boto3.

Every scenario script takes the berth-control binary as its first argument
and exits 0 (pass), 1 (fail) or 77 (skip: the aws CLI or boto3 is missing).
Only loopback is used; proxies are cleared; the CLI gets a private HOME and
no config files, so nothing on the machine leaks in.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

AWS = "/usr/bin/aws"
REGION = "us-east-1"
ACCOUNT = "000000000000"
KEY_ID = "AKIDBERTHCOMPAT"
SECRET = "berth/compat+secret"
TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
SKIP = 77


def require_tools():
    """Exit 77 naming what is missing."""
    if not os.access(AWS, os.X_OK):
        print(f"SKIP: {AWS} (Debian's awscli) is not installed")
        sys.exit(SKIP)
    try:
        import boto3  # noqa: F401
        import botocore  # noqa: F401
    except ImportError as e:
        print(f"SKIP: python3-boto3 is not installed for {sys.executable}: {e}")
        sys.exit(SKIP)


def arn(name):
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{name}"


class Berth:
    """One berth-control process."""

    def __init__(self, binary, data_dir, credentials=None, extra=()):
        self.binary = binary
        self.data_dir = data_dir
        self.credentials = credentials
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.log_path = None
        self.starts = 0

    def start(self, expect_ready=True, timeout=10.0):
        self.starts += 1
        self.log_path = os.path.join(os.path.dirname(self.data_dir),
                                     f"berth-control.{self.starts}.log")
        args = [self.binary, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir,
                "--region", REGION, "--account", ACCOUNT] + self.extra
        if self.credentials:
            args += ["--credentials", self.credentials]
        self.log = open(self.log_path, "w")
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not expect_ready:
            self.proc.wait(timeout=timeout)
            return self.proc.returncode
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"ready on 127\.0\.0\.1:(\d+)", self.log_text())
            if m:
                self.port = int(m.group(1))
                return 0
            if self.proc.poll() is not None:
                raise AssertionError(f"berth-control exited with {self.proc.returncode}:\n"
                                     + self.log_text())
            time.sleep(0.01)
        raise AssertionError("berth-control did not log 'ready' in time:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self, sig=signal.SIGTERM, timeout=15.0):
        """Signals our own child by its PID; returns its exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=timeout)
        self.log.close()
        return self.proc.returncode

    def metrics(self):
        import urllib.request
        with _no_proxy_opener().open(self.endpoint + "/metrics", timeout=10) as r:
            return r.read().decode()

    def metric(self, name, labels):
        pattern = re.escape(name + "{" + labels + "}") + r" (\d+)"
        m = re.search(pattern, self.metrics())
        return int(m.group(1)) if m else 0


def _no_proxy_opener():
    import urllib.request
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Scenario:
    """A temp dir, the environment for the CLI, and clean-up of our child."""

    def __init__(self, binary):
        if not os.access(binary, os.X_OK):
            print(f"FAIL: berth-control binary {binary} is not executable")
            sys.exit(1)
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="berth-compat-")
        home = os.path.join(self.tmp, "home")
        os.makedirs(home)
        env = {k: v for k, v in os.environ.items()
               if not k.lower().endswith("_proxy") and not k.startswith("AWS_")}
        env.update({
            "HOME": home,
            "AWS_ACCESS_KEY_ID": KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": os.path.join(home, "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "no-credentials"),
            "AWS_PAGER": "",
            "NO_PROXY": "127.0.0.1",
            "no_proxy": "127.0.0.1",
        })
        self.env = env
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        for k in [k for k in os.environ if k.lower().endswith("_proxy")]:
            del os.environ[k]
        os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1"
        self.servers = []

    def berth(self, name="berth", credentials=None, extra=()):
        data_dir = os.path.join(self.tmp, name, "data")
        os.makedirs(os.path.dirname(data_dir), exist_ok=True)
        b = Berth(self.binary, data_dir, credentials, extra)
        self.servers.append(b)
        return b

    def credentials_file(self, lines):
        path = os.path.join(self.tmp, "credentials")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def aws(self, berth, *args, env=None, check=True):
        """Runs /usr/bin/aws ecs ARGS; returns (exit code, parsed stdout or text, stderr)."""
        cmd = [AWS, "--endpoint-url", berth.endpoint, "--output", "json", "ecs"] + list(args)
        run_env = dict(self.env)
        run_env.update(env or {})
        p = subprocess.run(cmd, env=run_env, capture_output=True, text=True, timeout=120)
        out = p.stdout
        if p.returncode == 0 and out.strip():
            out = json.loads(out)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {p.returncode}: {p.stderr}")
        return p.returncode, out, p.stderr.strip()

    def client(self, berth, key=KEY_ID, secret=SECRET, **config):
        import boto3
        from botocore.config import Config
        session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                        region_name=REGION)
        return session.client("ecs", endpoint_url=berth.endpoint,
                              config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                            **config))

    def raw(self, berth, target, body, content_type="application/x-amz-json-1.1",
            method="POST", path="/", sign=True, key=KEY_ID, secret=SECRET):
        """Sends a request botocore signs but does not shape: (status, headers, body)."""
        import urllib.error
        import urllib.request
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        headers = {"Content-Type": content_type}
        if target is not None:
            headers["X-Amz-Target"] = target
        data = body.encode() if isinstance(body, str) else body
        request = AWSRequest(method=method, url=berth.endpoint + path, data=data,
                             headers=headers)
        if sign:
            SigV4Auth(Credentials(key, secret), "ecs", REGION).add_auth(request)
        req = urllib.request.Request(berth.endpoint + path, data=data if method != "GET" else None,
                                     method=method, headers=dict(request.headers.items()))
        try:
            with _no_proxy_opener().open(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode()

    def cleanup(self):
        for b in self.servers:
            try:
                b.stop(signal.SIGKILL)
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


def run(main):
    """Runs main(scenario) with argv[1] as the binary; prints the outcome."""
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} BERTH_CONTROL_BINARY")
        sys.exit(2)
    require_tools()
    scenario = Scenario(sys.argv[1])
    try:
        main(scenario)
    except BaseException as e:  # noqa: BLE001 - any failure still stops our children
        if not isinstance(e, Exception):  # KeyboardInterrupt, SystemExit
            scenario.cleanup()
            raise
        traceback.print_exc()
        for b in scenario.servers:
            if b.log_path and os.path.exists(b.log_path):
                print(f"--- {b.log_path} (last 40 lines)")
                print("\n".join(b.log_text().splitlines()[-40:]))
        print("FAIL")
        scenario.cleanup()
        sys.exit(1)
    scenario.cleanup()
    print("PASS")
    sys.exit(0)


def expect_eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


def expect_in(needle, haystack, what=""):
    if needle not in haystack:
        raise AssertionError(f"{what}: {needle!r} not in {haystack!r}")


def expect_client_error(fn, code, message=None, status=400):
    from botocore.exceptions import ClientError
    try:
        fn()
    except ClientError as e:
        expect_eq(e.response["Error"]["Code"], code, "error code")
        expect_eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, "HTTP status")
        if message is not None:
            expect_eq(e.response["Error"]["Message"], message, "error message")
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


class SignedConnection:
    """A keep-alive HTTP connection to one berth-control whose requests are
    SigV4-signed (service ecs) like botocore's: for calls botocore has no shape
    for (POST /agent/v1/poll) and for load tests that want one socket per
    thread. `endpoint` is a callable so a restarted server (new port) is
    followed. Not thread-safe: one per thread."""

    def __init__(self, endpoint, key=KEY_ID, secret=SECRET, timeout=10.0):
        self.endpoint = endpoint if callable(endpoint) else (lambda: endpoint)
        self.key = key
        self.secret = secret
        self.timeout = timeout
        self.conn = None
        self.conn_endpoint = None

    def abort(self):
        """Ends a request blocked in another thread (shutdown wakes its recv)."""
        import socket
        conn = self.conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - closing a broken socket
                pass
        self.conn = None

    def post(self, path, body, target=None, timeout=None,
             content_type="application/x-amz-json-1.1"):
        """Returns (status, parsed JSON or text); raises OSError/HTTPException
        when the connection fails (the caller decides whether to retry)."""
        import http.client
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        endpoint = self.endpoint()
        if self.conn is None or self.conn_endpoint != endpoint:
            self.close()
            host, port = endpoint.split("//", 1)[1].rsplit(":", 1)
            self.conn = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
            self.conn_endpoint = endpoint
        self.conn.timeout = timeout or self.timeout
        if self.conn.sock is not None:
            self.conn.sock.settimeout(self.conn.timeout)
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        headers = {"Content-Type": content_type}
        if target is not None:
            headers["X-Amz-Target"] = TARGET_PREFIX + target
        request = AWSRequest(method="POST", url=endpoint + path, data=data, headers=headers)
        SigV4Auth(Credentials(self.key, self.secret), "ecs", REGION).add_auth(request)
        try:
            self.conn.request("POST", path, body=data, headers=dict(request.headers.items()))
            r = self.conn.getresponse()
            text = r.read().decode()
        except Exception:
            self.close()
            raise
        try:
            return r.status, json.loads(text)
        except ValueError:
            return r.status, text

    def call(self, operation, body, timeout=None):
        """An ECS JSON 1.1 call on POST /: (status, parsed body)."""
        return self.post("/", body, target=operation, timeout=timeout)


def wait_for(condition, timeout=20.0, what="condition", interval=0.02):
    """Polls condition() until it returns a true value (returned); raises
    AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = condition()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)
