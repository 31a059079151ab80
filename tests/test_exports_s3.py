"""``EXPORTS_URI=s3://…``: a crawl's files and the master files copied to S3, through Scrapy's own
S3 feed storage (boto3), against a local S3 server (moto's, speaking the S3 protocol on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.crawling import assert_finished, crawl, demo_shop
from testkit.web import free_port

from .db import sqlite_url

BUCKET = "shop-watch"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret"}


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def test_a_crawl_uploads_its_files_and_the_master_files_to_s3(s3_endpoint: str, tmp_path: Path) -> None:
    client = _client(s3_endpoint)
    client.create_bucket(Bucket=BUCKET)
    exports = tmp_path / "exports"
    with demo_shop(8) as shop:
        run = crawl(
            shop.url(),
            sqlite_url(tmp_path),
            exports,
            tmp_path / "items.jsonl",
            env=CREDENTIALS,  # as a user gives them: boto3 reads the environment (-s values are logged)
            EXPORTS_URI=f"s3://{BUCKET}/exports",
            AWS_ENDPOINT_URL=s3_endpoint,
        )
    assert_finished(run)
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="exports/")
    uploaded = {entry["Key"] for entry in listed.get("Contents", [])}
    crawl_dir = f"exports/knitshop/{run.crawl_id}"
    expected = {f"{crawl_dir}/full.csv", f"{crawl_dir}/diff.csv", f"{crawl_dir}/knitshop.xlsx", "exports/master.xlsx"}
    assert expected <= uploaded, sorted(uploaded)
    for key in (f"{crawl_dir}/full.csv", "exports/master.xlsx"):
        local = exports / key.removeprefix("exports/")
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert body == local.read_bytes(), key
    assert "could not upload" not in run.output
    assert CREDENTIALS["AWS_SECRET_ACCESS_KEY"] not in run.output
