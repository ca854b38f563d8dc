-- Athena tables for AWS's VPC Flow Logs and vxtap's records, both delivered
-- to S3 as Parquet with Hive-compatible prefixes (AWS: "Hive-compatible S3
-- prefixes" + Parquet at flow-log creation; vxtap: replay/serve
-- --output-format parquet --hive-partitions, then copied to S3):
--   s3://BUCKET/PREFIX/AWSLogs/aws-account-id=…/aws-service=vpcflowlogs/aws-region=…/year=…/month=…/day=…/
-- Column names and types are AWS's Parquet schema (../shared/flowlogs/FORMAT.md):
-- INT32 → int, INT64 → bigint, UTF8 → string; Parquet columns are matched by
-- name, so a column a flow log's format lacks reads as NULL.
-- Partition projection: no crawler, no MSCK REPAIR; replace BUCKET, PREFIX,
-- the account ids and regions, and the year range.
-- (AWS's plain layout AWSLogs/{account}/vpcflowlogs/{region}/{yyyy}/{mm}/{dd}/
-- works the same with storage.location.template
-- 's3://BUCKET/PREFIX/AWSLogs/${aws_account_id}/vpcflowlogs/${aws_region}/${year}/${month}/${day}'.)

CREATE EXTERNAL TABLE IF NOT EXISTS vpc_flow_logs (
  `version` int,
  `account_id` string,
  `interface_id` string,
  `srcaddr` string,
  `dstaddr` string,
  `srcport` int,
  `dstport` int,
  `protocol` int,
  `packets` bigint,
  `bytes` bigint,
  `start` bigint,
  `end` bigint,
  `action` string,
  `log_status` string,
  `vpc_id` string,
  `subnet_id` string,
  `instance_id` string,
  `tcp_flags` int,
  `type` string,
  `pkt_srcaddr` string,
  `pkt_dstaddr` string,
  `region` string,
  `az_id` string,
  `sublocation_type` string,
  `sublocation_id` string,
  `pkt_src_aws_service` string,
  `pkt_dst_aws_service` string,
  `flow_direction` string,
  `traffic_path` int,
  `ecs_cluster_arn` string,
  `ecs_cluster_name` string,
  `ecs_container_instance_arn` string,
  `ecs_container_instance_id` string,
  `ecs_container_id` string,
  `ecs_second_container_id` string,
  `ecs_service_name` string,
  `ecs_task_definition_arn` string,
  `ecs_task_arn` string,
  `ecs_task_id` string,
  `reject_reason` string
)
PARTITIONED BY (
  `aws_account_id` string,
  `aws_region` string,
  `year` string,
  `month` string,
  `day` string
)
STORED AS PARQUET
LOCATION 's3://BUCKET/PREFIX/AWSLogs/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.aws_account_id.type' = 'enum',
  'projection.aws_account_id.values' = '123456789012',
  'projection.aws_region.type' = 'enum',
  'projection.aws_region.values' = 'us-east-1',
  'projection.year.type' = 'integer',
  'projection.year.range' = '2023,2035',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'projection.day.type' = 'integer',
  'projection.day.range' = '1,31',
  'projection.day.digits' = '2',
  'storage.location.template' = 's3://BUCKET/PREFIX/AWSLogs/aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/aws-region=${aws_region}/year=${year}/month=${month}/day=${day}'
);

-- vxtap's records: the same columns (vxtap writes the fields of its
-- --log-format; include interface-id so the join keys on interfaces), plus
-- vxtap's own fields when the format names them.
CREATE EXTERNAL TABLE IF NOT EXISTS vxtap_flow_logs (
  `version` int,
  `account_id` string,
  `interface_id` string,
  `srcaddr` string,
  `dstaddr` string,
  `srcport` int,
  `dstport` int,
  `protocol` int,
  `packets` bigint,
  `bytes` bigint,
  `start` bigint,
  `end` bigint,
  `action` string,
  `log_status` string,
  `vpc_id` string,
  `subnet_id` string,
  `instance_id` string,
  `tcp_flags` int,
  `type` string,
  `pkt_srcaddr` string,
  `pkt_dstaddr` string,
  `region` string,
  `az_id` string,
  `sublocation_type` string,
  `sublocation_id` string,
  `pkt_src_aws_service` string,
  `pkt_dst_aws_service` string,
  `flow_direction` string,
  `traffic_path` int,
  `reject_reason` string,
  `vni` int,
  `mirror_srcaddr` string,
  `community_id` string,
  `tunnel` string,
  `gwlb_endpoint_id` string,
  `gwlb_attachment_id` string,
  `gwlb_flow_cookie` string,
  `window` bigint,
  `first` string,
  `last` string
)
PARTITIONED BY (
  `aws_account_id` string,
  `aws_region` string,
  `year` string,
  `month` string,
  `day` string
)
STORED AS PARQUET
LOCATION 's3://BUCKET/VXTAP-PREFIX/AWSLogs/'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.aws_account_id.type' = 'enum',
  'projection.aws_account_id.values' = '123456789012',
  'projection.aws_region.type' = 'enum',
  'projection.aws_region.values' = 'us-east-1',
  'projection.year.type' = 'integer',
  'projection.year.range' = '2023,2035',
  'projection.month.type' = 'integer',
  'projection.month.range' = '1,12',
  'projection.month.digits' = '2',
  'projection.day.type' = 'integer',
  'projection.day.range' = '1,31',
  'projection.day.digits' = '2',
  'storage.location.template' = 's3://BUCKET/VXTAP-PREFIX/AWSLogs/aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/aws-region=${aws_region}/year=${year}/month=${month}/day=${day}'
);
