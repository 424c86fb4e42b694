"""Build examples/sample-trail/ from the public CloudTrail datasets in ../shared/data/cloudtrail.

Records are copied unchanged and grouped into trail log files ({"Records": [...]}) under the S3
delivery layout, one file per account, region and hour, as CloudTrail would write them. Real trail
log files are copied byte for byte. Sources and licences: examples/sample-trail/SOURCES.md.

    python examples/build_sample.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from collections import defaultdict
from pathlib import Path

SETS = ("aws_docs_examples", "stratus_red_team")
REAL_FILES = (
    "s3_delivery/cloud-snitch",
    "invictus_aws_dataset/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1205Z_zs3JGxETHr59VpkX.json",
    "invictus_aws_dataset/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1215Z_MifI13MOmOjRfXzJ.json",
)


def main() -> None:
    """Write the sample trail."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", default=str(Path(__file__).parents[2] / "shared"))
    args = parser.parse_args()
    data = Path(args.shared) / "data" / "cloudtrail"
    out = Path(__file__).parent / "sample-trail"
    shutil.rmtree(out / "AWSLogs", ignore_errors=True)

    groups: dict[tuple[str, str, str], list[dict[str, object]]] = defaultdict(list)
    for name in SETS:
        for line in (data / name / "records.jsonl").read_text().splitlines():
            record = json.loads(line)
            account = record.get("recipientAccountId") or record["userIdentity"].get("accountId")
            hour = record["eventTime"][:13].replace("-", "").replace("T", "T")
            groups[(account, record["awsRegion"], hour)].append(record)
    for (account, region, hour), records in sorted(groups.items()):
        day = f"{hour[:4]}/{hour[4:6]}/{hour[6:8]}"
        body = json.dumps({"Records": records}, separators=(",", ":"))
        unique = hashlib.sha256(body.encode()).hexdigest()[:16]
        name = f"{account}_CloudTrail_{region}_{hour}00Z_{unique}.json"
        target = out / "AWSLogs" / account / "CloudTrail" / region / day / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body + "\n")

    for real in REAL_FILES:
        source = data / real
        if source.is_dir():
            shutil.copytree(source / "AWSLogs", out / "AWSLogs", dirs_exist_ok=True)
        else:
            account, _, region, stamp = source.name.split("_")[:4]
            day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
            target = out / "AWSLogs" / account / "CloudTrail" / region / day / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


if __name__ == "__main__":
    main()
