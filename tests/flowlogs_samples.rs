//! Every sample, the S3 example objects (text and Parquet) and the CloudWatch
//! files parse to exactly `expected/*.jsonl` (one test per file).

mod flowlogs_common;

use flowlogs_common::{assert_lines, data, expected, manifest_format, read_json};

fn check_sample(file: &str) {
    let format = manifest_format(file);
    let got = read_json(&data().join("samples").join(file), format.as_deref());
    assert!(got.errors.is_empty(), "{file}: {:?}", got.errors);
    assert_lines(&got.json, &expected(&format!("{file}.jsonl")), file);
}

macro_rules! samples {
    ($($name:ident => $file:literal,)*) => { $( #[test] fn $name() { check_sample($file); } )* };
}

samples! {
    sample_awsdocs_default_v2 => "awsdocs-default-v2.log",
    sample_awsdocs_nat_gateway_custom => "awsdocs-nat-gateway-custom.log",
    sample_awsdocs_service_path_direction_v5 => "awsdocs-service-path-direction-v5.log",
    sample_awsdocs_tcp_flag_sequence_v3 => "awsdocs-tcp-flag-sequence-v3.log",
    sample_beats_module_accept_reject_traffic_gz => "beats-module-accept-reject-traffic.log.gz",
    sample_beats_processor_v5_all_fields => "beats-processor-v5-all-fields.log",
    sample_beats_processor_v7_ecs => "beats-processor-v7-ecs.log",
    sample_integrations_ecs_v7_headerless => "integrations-ecs-v7-headerless.log",
    sample_integrations_extra_samples_headerless => "integrations-extra-samples-headerless.log",
    sample_integrations_tgw_headerless => "integrations-tgw-headerless.log",
    sample_integrations_v8_reject_reason_headerless => "integrations-v8-reject-reason-headerless.log",
    sample_obsrvbl_tgw_v6_file => "obsrvbl-tgw-v6-file.log",
    sample_obsrvbl_v2_records => "obsrvbl-v2-records.log",
    sample_obsrvbl_v3_file => "obsrvbl-v3-file.log",
    sample_otel_tgw_v6 => "otel-tgw-v6.log",
    sample_otel_v2_nodata => "otel-v2-nodata.log",
}

#[test]
fn every_sample_has_a_test() {
    let mut files: Vec<String> = std::fs::read_dir(data().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "MANIFEST.json")
        .collect();
    files.sort();
    let this = include_str!("flowlogs_samples.rs");
    for f in &files {
        assert!(
            this.contains(&format!("=> \"{f}\"")),
            "no test for samples/{f}"
        );
    }
    assert_eq!(files.len(), 16);
}

const S3_DIR: &str = "s3-example/AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/11/22";

fn check_s3(object: &str) {
    let got = read_json(&data().join(S3_DIR).join(object), None);
    assert!(got.errors.is_empty(), "{object}: {:?}", got.errors);
    assert_lines(
        &got.json,
        &expected(&format!("s3-example/{object}.jsonl")),
        object,
    );
}

#[test]
fn s3_default_format_1200() {
    check_s3(
        "123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20261122T1200Z_5d41402a.log.gz",
    );
}

#[test]
fn s3_default_format_1205() {
    check_s3(
        "123456789012_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20261122T1205Z_7c6a180b.log.gz",
    );
}

#[test]
fn s3_v5_custom_format() {
    check_s3(
        "123456789012_vpcflowlogs_us-east-1_fl-0f9e8d7c6b5a43210_20261122T1200Z_e4da3b7f.log.gz",
    );
}

#[test]
fn s3_parquet() {
    check_s3(
        "123456789012_vpcflowlogs_us-east-1_fl-0c0ffee0123456789_20261122T1200Z_a87ff679.log.parquet",
    );
}

#[test]
fn s3_key_fields_come_from_the_path() {
    let path = data().join(S3_DIR).join("123456789012_vpcflowlogs_us-east-1_fl-0c0ffee0123456789_20261122T1200Z_a87ff679.log.parquet");
    let mut reader = vxtap::flowlogs::FileReader::open(&path, &Default::default());
    let rec = reader.next_record().unwrap().unwrap();
    let src = rec.source();
    assert_eq!(src.account_id.as_deref(), Some("123456789012"));
    assert_eq!(src.region.as_deref(), Some("us-east-1"));
    assert_eq!(src.date.as_deref(), Some("2026-11-22"));
    assert_eq!(src.flow_log_id.as_deref(), Some("fl-0c0ffee0123456789"));
    assert_eq!(src.window.as_deref(), Some("20261122T1200Z"));
}

#[test]
fn cloudwatch_log_stream() {
    let got = read_json(
        &data().join("cloudwatch/log-stream-eni-1235b8ca123456789.log"),
        None,
    );
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    assert_lines(
        &got.json,
        &expected("cloudwatch-log-stream-eni-1235b8ca123456789.jsonl"),
        "log stream",
    );
}

#[test]
fn cloudwatch_export_text() {
    let got = read_json(
        &data().join("cloudwatch/export-eni-1235b8ca123456789.txt"),
        None,
    );
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    assert_lines(
        &got.json,
        &expected("cloudwatch-log-stream-eni-1235b8ca123456789.jsonl"),
        "export text",
    );
}

#[test]
fn cloudwatch_export_object() {
    let path = data().join("cloudwatch/export/vpc-flow-logs-export/0c4b7a52-3e1f-4c8e-9d2a-6f5b1e7a9c30/eni-1235b8ca123456789/000000.gz");
    let got = read_json(&path, None);
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    assert_lines(
        &got.json,
        &expected("cloudwatch-log-stream-eni-1235b8ca123456789.jsonl"),
        "export object",
    );
    let mut reader = vxtap::flowlogs::FileReader::open(&path, &Default::default());
    let rec = reader.next_record().unwrap().unwrap();
    assert_eq!(
        rec.source().log_stream.as_deref(),
        Some("eni-1235b8ca123456789")
    );
    assert_eq!(rec.prefix(), Some("2026-11-22T11:59:00.000Z"));
}

#[test]
fn cloudwatch_subscription_default_format() {
    // Its two messages are the first two records of the AWS default-format example.
    let got = read_json(
        &data().join("cloudwatch/otel-subscription-default.json"),
        None,
    );
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    assert_lines(
        &got.json,
        &expected("awsdocs-default-v2.log.jsonl")[..2],
        "subscription",
    );
}

#[test]
fn cloudwatch_subscription_custom_format() {
    let format = "${version} ${interface-id} ${srcaddr} ${dstaddr}";
    let got = read_json(
        &data().join("cloudwatch/otel-subscription-custom-format.json"),
        Some(format),
    );
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    // The same flows as the first two AWS doc records, projected on the four fields.
    let want: Vec<String> = expected("awsdocs-default-v2.log.jsonl")[..2]
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{{\"version\":{},\"interface-id\":{},\"srcaddr\":{},\"dstaddr\":{}}}",
                v["version"], v["interface-id"], v["srcaddr"], v["dstaddr"]
            )
        })
        .collect();
    assert_lines(&got.json, &want, "subscription custom");
}

#[test]
fn parquet_and_gzip_text_of_the_same_flow_log_agree() {
    let text = read_json(&data().join(S3_DIR).join("123456789012_vpcflowlogs_us-east-1_fl-0f9e8d7c6b5a43210_20261122T1200Z_e4da3b7f.log.gz"), None);
    let parquet = read_json(&data().join(S3_DIR).join("123456789012_vpcflowlogs_us-east-1_fl-0c0ffee0123456789_20261122T1200Z_a87ff679.log.parquet"), None);
    assert_eq!(text.json, parquet.json);
    assert!(!text.json.is_empty());
}

#[test]
fn typed_accessors_match_the_expected_values() {
    let got = expected("awsdocs-default-v2.log.jsonl");
    let mut reader = vxtap::flowlogs::FileReader::open(
        &data().join("samples/awsdocs-default-v2.log"),
        &Default::default(),
    );
    let mut i = 0;
    while let Some(rec) = reader.next_record() {
        let rec = rec.unwrap();
        let want: serde_json::Value = serde_json::from_str(&got[i]).unwrap();
        let s = |a: Option<std::net::IpAddr>| a.map(|a| a.to_string());
        assert_eq!(s(rec.srcaddr()).as_deref(), want["srcaddr"].as_str());
        assert_eq!(s(rec.dstaddr()).as_deref(), want["dstaddr"].as_str());
        assert_eq!(rec.srcport().map(u64::from), want["srcport"].as_u64());
        assert_eq!(rec.protocol().map(u64::from), want["protocol"].as_u64());
        assert_eq!(rec.bytes(), want["bytes"].as_u64());
        assert_eq!(rec.start(), want["start"].as_u64());
        assert_eq!(rec.interface_id(), want["interface-id"].as_str());
        let action = rec.action().map(|a| format!("{a:?}").to_uppercase());
        assert_eq!(action.as_deref(), want["action"].as_str());
        i += 1;
    }
    assert_eq!(i, got.len());
}
