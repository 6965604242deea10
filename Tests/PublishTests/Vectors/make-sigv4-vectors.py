#!/usr/bin/env python3
"""Generates sigv4-vectors.json: SigV4 (S3 flavour) test vectors computed by botocore's S3SigV4Auth.

Each case gives the request as smoothpack's signer receives it (method, endpoint, raw object key, query
parameters, extra headers, body or UNSIGNED-PAYLOAD, credentials, region, a fixed time) and botocore's results:
canonical request, string to sign, signature, Authorization header. The URL botocore signs is built the way
botocore's S3 serializer builds it (key percent-encoded with '/' and '~' left as they are), so the Swift side
must encode keys exactly like AWS does.

Run: python3 Tests/PublishTests/Vectors/make-sigv4-vectors.py > Tests/PublishTests/Vectors/sigv4-vectors.json
"""
import hashlib
import json
import sys
from urllib.parse import quote

import botocore
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ACCESS = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="

CASES = [
    dict(name="put simple key, hashed payload", method="PUT", endpoint="https://examplebucket.s3.amazonaws.com",
         key="test.txt", query=[], headers=[["Content-Type", "text/plain"]], body="Welcome to Amazon S3."),
    dict(name="get empty body, path style with port", method="GET", endpoint="http://127.0.0.1:8333",
         bucket="smoothpack-test", key="movie/abc123/movie.ism", query=[], headers=[], body=""),
    dict(name="key with spaces", method="PUT", endpoint="http://localhost:9000", bucket="b",
         key="my folder/a file name.ismv", query=[], headers=[], body="x"),
    dict(name="key with = + ( ) and other reserved", method="PUT", endpoint="https://b.s3.eu-west-1.amazonaws.com",
         key="a=b+c/(1)/d&e,f;g:h@i$j!k*l'm[n]o", query=[], headers=[], body="payload", region="eu-west-1"),
    dict(name="unicode key", method="PUT", endpoint="https://b.s3.us-west-2.amazonaws.com",
         key="vidéo/日本語/ñ ü.ismv", query=[], headers=[], body="ü", region="us-west-2"),
    dict(name="tilde percent and slashes kept", method="HEAD", endpoint="https://b.s3.amazonaws.com",
         key="~user/100%/a//b/./c/../d", query=[], headers=[["x-amz-checksum-mode", "ENABLED"]], body=""),
    dict(name="unsigned payload over https", method="PUT", endpoint="https://b.s3.amazonaws.com",
         key="movie/v1/video_1.ismv", query=[], headers=[["Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="],
         ["x-amz-checksum-sha256", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]], body=None),
    dict(name="upload part query", method="PUT", endpoint="https://b.s3.amazonaws.com",
         key="movie/v1/big file.ismv", query=[["partNumber", "7"], ["uploadId", "VXBsb2FkIElE+/=abc"]],
         headers=[], body="part bytes"),
    dict(name="create multipart upload (empty value)", method="POST", endpoint="https://b.s3.amazonaws.com",
         key="movie/v1/big.ismv", query=[["uploads", ""]], headers=[["Content-Type", "video/mp4"],
         ["Cache-Control", "public, max-age=31536000, immutable"]], body=""),
    dict(name="list objects v2 params", method="GET", endpoint="https://b.s3.amazonaws.com", key="",
         query=[["list-type", "2"], ["prefix", "movie/v 1/"], ["continuation-token", "1/a+b=c"],
         ["max-keys", "1000"], ["delimiter", "/"]], headers=[], body=""),
    dict(name="list multipart uploads", method="GET", endpoint="https://b.s3.amazonaws.com", key="",
         query=[["uploads", ""], ["prefix", "ü/"], ["key-marker", "k (1)"], ["upload-id-marker", "x~y"]],
         headers=[], body=""),
    dict(name="list parts", method="GET", endpoint="https://b.s3.amazonaws.com", key="movie/v1/big.ismv",
         query=[["uploadId", "abc/def=="], ["part-number-marker", "3"], ["max-parts", "1000"]], headers=[], body=""),
    dict(name="header value whitespace trimmed, session token", method="PUT", endpoint="https://b.s3.amazonaws.com",
         key="policy/clientaccesspolicy.xml", query=[],
         headers=[["Cache-Control", "  public,   max-age=60  "], ["If-None-Match", "*"], ["X-Custom-Mixed", "A  b\tc"]],
         body="<xml/>", token=True),
    dict(name="complete multipart upload", method="POST", endpoint="http://127.0.0.1:8333", bucket="smoothpack-test",
         key="a b/c.ismv", query=[["uploadId", "2~x y"]], headers=[["Content-Type", "application/xml"]],
         body="<CompleteMultipartUpload></CompleteMultipartUpload>"),
    dict(name="delete abort upload", method="DELETE", endpoint="https://b.s3.ap-southeast-2.amazonaws.com",
         key="x", query=[["uploadId", "u"]], headers=[], body="", region="ap-southeast-2"),
    dict(name="other date", method="GET", endpoint="https://b.s3.amazonaws.com", key="a", query=[],
         headers=[], body="", timestamp="20241231T235959Z"),
]


def sign(case):
    region = case.get("region", "us-east-1")
    timestamp = case.get("timestamp", "20130524T000000Z")
    bucket = case.get("bucket")
    path = "/" + (quote(bucket, safe="") + "/" if bucket else "") + quote(case["key"], safe="/~")
    url = case["endpoint"] + path
    creds = Credentials(ACCESS, SECRET, TOKEN if case.get("token") else None)
    body = case["body"]
    signing_enabled = body is not None
    req = AWSRequest(method=case["method"], url=url, headers=dict(case["headers"]),
                     params=[tuple(p) for p in case["query"]] or None, data=(body or "").encode("utf-8"))
    req.context["client_config"] = Config(s3={"payload_signing_enabled": signing_enabled})
    req.context["timestamp"] = timestamp
    auth = S3SigV4Auth(creds, "s3", region)
    auth._modify_request_before_signing(req)
    canonical = auth.canonical_request(req)
    sts = auth.string_to_sign(req, canonical)
    signature = auth.signature(sts, req)
    auth._inject_signature_to_request(req, signature)
    out = dict(case)
    out.update(region=region, timestamp=timestamp, bucket=bucket, accessKeyID=ACCESS, secretAccessKey=SECRET,
               sessionToken=TOKEN if case.get("token") else None,
               payloadHash=req.headers["X-Amz-Content-SHA256"],
               canonicalRequest=canonical, stringToSign=sts, signature=signature,
               authorization=req.headers["Authorization"])
    out.pop("token", None)
    if body is None:
        out["body"] = ""
    out["unsignedPayload"] = not signing_enabled
    return out


def main():
    vectors = dict(generator="botocore " + botocore.__version__ + " S3SigV4Auth",
                   cases=[sign(c) for c in CASES])
    json.dump(vectors, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
