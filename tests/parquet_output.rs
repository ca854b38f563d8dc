//! `vxtap replay --output-format both --hive-partitions`: Parquet objects in
//! AWS's schema, checked by independent readers (pyarrow and DuckDB, through
//! `tests/parquet/check_parquet.py`; `.ci/run` installs them) against AWS's
//! Parquet sample and against the text objects of the same run.

use std::path::Path;
use std::process::Command;

const FORMAT: &str = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${flow-direction} ${traffic-path} ${vni} ${community-id}";

#[test]
fn parquet_in_aws_schema_read_by_pyarrow_and_duckdb() {
    let dir = tempfile::tempdir().unwrap();
    let st = Command::new(env!("CARGO_BIN_EXE_vxtap"))
        .args([
            "replay",
            "tests/data/pcaps/mirror/mirror-multisession.pcap",
            "--config",
            "deploy/vxtap.toml",
            "--output-format",
            "both",
            "--hive-partitions",
            "--quiet",
            "--log-format",
            FORMAT,
            "--out",
        ])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(st.success());
    let hive = dir
        .path()
        .join("AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2023/month=11/day=14");
    assert!(
        hive.is_dir(),
        "no Hive partition directory {}",
        hive.display()
    );
    let out = Command::new("python3")
        .arg("tests/parquet/check_parquet.py")
        .arg(dir.path())
        .arg(Path::new("tests/data/flowlogs/s3-example"))
        .output()
        .expect("python3 (with pyarrow and duckdb: pip install pyarrow duckdb, as .ci/run does)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("check_parquet: ok"), "{text}");
}
