#!/usr/bin/env python3
"""A fake EC2 instance metadata service (IMDSv2) and ECS container credentials endpoint on loopback, for the
credential-chain tests. Prints its port on stdout, then serves until killed.

IMDSv2: PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds) -> token; the credential paths
need X-aws-ec2-metadata-token. Container: GET /ecs/creds needs Authorization: container-auth."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "imds-session-token-123"


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.answer(200, TOKEN)
        return self.answer(400, "bad token request")

    def do_GET(self):
        if self.path.startswith("/latest/"):
            if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                return self.answer(401, "")
            if self.path == "/latest/meta-data/iam/security-credentials/":
                return self.answer(200, "test-role\n")
            if self.path == "/latest/meta-data/iam/security-credentials/test-role":
                return self.answer(200, json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDSKEY",
                                                    "SecretAccessKey": "imds-secret-value", "Token": "imds-token-value",
                                                    "Expiration": "2099-01-01T00:00:00Z"}), "application/json")
        if self.path == "/ecs/creds":
            if self.headers.get("Authorization") != "container-auth":
                return self.answer(401, "")
            return self.answer(200, json.dumps({"AccessKeyId": "ASIAECSKEY", "SecretAccessKey": "ecs-secret-value",
                                                "Token": "ecs-token-value", "Expiration": "2099-01-01T00:00:00Z"}),
                               "application/json")
        return self.answer(404, "")


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
