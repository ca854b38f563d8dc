-- vxtap correlate in SQL: the same categories as `vxtap correlate`, for
-- months of logs from many interfaces, run by Athena (Trino) over the tables
-- of tables.sql. Also runs unchanged on DuckDB (tests/athena/run_duckdb.py
-- checks that it gives the counts `vxtap correlate` gives).
--
-- Result: one row per (category, interface_id, reason) with its record count.
--   matched              AWS records with an overlapping vxtap record
--   logged_not_mirrored  AWS records without (reason as in docs/correlate.md;
--                        the mirror-filter reason needs the config's rules and
--                        is reported here as 'mirror-filter-or-unknown')
--   mirrored_not_logged  vxtap records without an overlapping AWS record
--   rejected             AWS REJECT records (in any category)
-- Overlap: same interface, protocol, addresses and ports, and
--   a.start <= o.end + tolerance AND o.start <= a.end + tolerance.
-- Narrow both tables by partition (year/month/day) in the WHERE clauses of
-- `aws` and `obs` to bound what Athena scans.
WITH params AS (
  SELECT 60 AS tol                                         -- --tolerance, seconds
),
aws AS (
  SELECT interface_id, protocol, srcaddr, dstaddr,
         coalesce(srcport, 0) AS srcport, coalesce(dstport, 0) AS dstport,
         -- milliseconds, as flowlogs_reader has seen, normalised to seconds
         CASE WHEN start > 99999999999 THEN CAST(floor(start / 1000.0) AS BIGINT) ELSE start END AS start_s,
         CASE WHEN "end" > 99999999999 THEN CAST(floor("end" / 1000.0) AS BIGINT) ELSE "end" END AS end_s,
         action, coalesce(log_status, 'OK') AS log_status
  FROM vpc_flow_logs
  WHERE interface_id IS NOT NULL
),
aws_ok AS (
  SELECT * FROM aws
  WHERE log_status = 'OK' AND protocol IS NOT NULL AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
    AND start_s IS NOT NULL AND end_s IS NOT NULL
),
aws_win AS (
  SELECT * FROM aws WHERE log_status IN ('NODATA', 'SKIPDATA')
),
obs AS (
  SELECT interface_id, protocol, srcaddr, dstaddr,
         coalesce(srcport, 0) AS srcport, coalesce(dstport, 0) AS dstport,
         start AS start_s, "end" AS end_s
  FROM vxtap_flow_logs
  WHERE interface_id IS NOT NULL AND coalesce(log_status, 'OK') = 'OK'
),
-- Traffic AWS leaves out (src/correlate/services.rs).
aws_marked AS (
  SELECT a.*,
    EXISTS (SELECT 1 FROM obs o, params p
            WHERE o.interface_id = a.interface_id AND o.protocol = a.protocol
              AND o.srcaddr = a.srcaddr AND o.dstaddr = a.dstaddr
              AND o.srcport = a.srcport AND o.dstport = a.dstport
              AND a.start_s <= o.end_s + p.tol AND o.start_s <= a.end_s + p.tol) AS matched,
    EXISTS (SELECT 1 FROM obs o WHERE o.interface_id = a.interface_id) AS iface_mirrored,
    ((a.protocol = 17 AND ((a.srcport = 68 AND a.dstport = 67) OR (a.srcport = 67 AND a.dstport = 68)
                        OR (a.srcport = 546 AND a.dstport = 547) OR (a.srcport = 547 AND a.dstport = 546)))
     OR a.srcaddr IN ('169.254.169.254', '169.254.169.123', '169.254.169.250', '169.254.169.251', 'fd00:ec2::254', 'fd00:ec2::123')
     OR a.dstaddr IN ('169.254.169.254', '169.254.169.123', '169.254.169.250', '169.254.169.251', 'fd00:ec2::254', 'fd00:ec2::123')
    ) AS never_mirrored
  FROM aws_ok a
),
obs_marked AS (
  SELECT o.*,
    EXISTS (SELECT 1 FROM aws_ok a, params p
            WHERE o.interface_id = a.interface_id AND o.protocol = a.protocol
              AND o.srcaddr = a.srcaddr AND o.dstaddr = a.dstaddr
              AND o.srcport = a.srcport AND o.dstport = a.dstport
              AND a.start_s <= o.end_s + p.tol AND o.start_s <= a.end_s + p.tol) AS matched,
    EXISTS (SELECT 1 FROM aws a WHERE a.interface_id = o.interface_id) AS iface_logged,
    EXISTS (SELECT 1 FROM aws_ok a WHERE a.interface_id = o.interface_id
              AND coalesce(a.action, '') <> 'REJECT') AS iface_accepts_logged,
    EXISTS (SELECT 1 FROM aws_win w, params p
            WHERE w.interface_id = o.interface_id AND w.log_status = 'NODATA'
              AND w.start_s <= o.end_s + p.tol AND o.start_s <= w.end_s + p.tol) AS in_nodata,
    EXISTS (SELECT 1 FROM aws_win w, params p
            WHERE w.interface_id = o.interface_id AND w.log_status = 'SKIPDATA'
              AND w.start_s <= o.end_s + p.tol AND o.start_s <= w.end_s + p.tol) AS in_skipdata,
    ((o.protocol = 17 AND ((o.srcport = 68 AND o.dstport = 67) OR (o.srcport = 67 AND o.dstport = 68)
                        OR (o.srcport = 546 AND o.dstport = 547) OR (o.srcport = 547 AND o.dstport = 546)))
     OR o.srcaddr IN ('169.254.169.254', '169.254.169.123', '169.254.169.250', '169.254.169.251', '169.254.169.253', 'fd00:ec2::254', 'fd00:ec2::123', 'fd00:ec2::253')
     OR o.dstaddr IN ('169.254.169.254', '169.254.169.123', '169.254.169.250', '169.254.169.251', '169.254.169.253', 'fd00:ec2::254', 'fd00:ec2::123', 'fd00:ec2::253')
    ) AS never_logged
  FROM obs o
),
categorised AS (
  SELECT 'matched' AS category, interface_id, '' AS reason FROM aws_marked WHERE matched
  UNION ALL
  SELECT 'logged_not_mirrored', interface_id,
         CASE WHEN NOT iface_mirrored THEN 'interface-not-mirrored'
              WHEN action = 'REJECT' THEN 'reject'
              WHEN never_mirrored THEN 'not-mirrored-by-aws'
              ELSE 'mirror-filter-or-unknown' END
  FROM aws_marked WHERE NOT matched
  UNION ALL
  SELECT 'mirrored_not_logged', interface_id,
         CASE WHEN NOT iface_logged THEN 'no-flow-log-for-interface'
              WHEN in_nodata THEN 'aws-nodata-window'
              WHEN in_skipdata THEN 'aws-skipdata-window'
              WHEN never_logged THEN 'not-logged-by-aws'
              WHEN NOT iface_accepts_logged THEN 'flow-log-rejects-only'
              ELSE 'unknown' END
  FROM obs_marked WHERE NOT matched
  UNION ALL
  SELECT 'rejected', interface_id, '' FROM aws_ok WHERE action = 'REJECT'
)
SELECT category, interface_id, reason, count(*) AS records
FROM categorised
GROUP BY category, interface_id, reason
ORDER BY category, interface_id, reason;
