//! No input makes the reader panic or hang: arbitrary bytes, arbitrary
//! gzip'd bytes, and near-valid records with mutated bytes, through the
//! whole text reader and through the line parser with arbitrary schemas;
//! the lenient mode repairs what it reads and keeps every strict record.

use std::path::PathBuf;
use std::sync::Arc;

use proptest::prelude::*;
use vxtap::flowlogs::parse::{check_line, parse_record};
use vxtap::flowlogs::text::TextReader;
use vxtap::flowlogs::{ReadOptions, Schema};

const HEADER: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";
const RECORD: &str = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 2001:db8::1 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK";

fn drain(bytes: &[u8], format: Option<&str>) -> (usize, usize) {
    drain_with(bytes, format, false)
}

fn drain_with(bytes: &[u8], format: Option<&str>, lenient: bool) -> (usize, usize) {
    let options = ReadOptions {
        format: format
            .and_then(|f| Schema::from_format_string(f, false).ok())
            .map(Arc::new),
        strict: false,
        lenient,
    };
    let mut reader = TextReader::new(Arc::from(PathBuf::from("p")), bytes, false, &options);
    let (mut ok, mut bad) = (0, 0);
    let mut steps = 0;
    while let Some(item) = reader.next_record() {
        match item {
            Ok(rec) => {
                if lenient {
                    let t = rec.text();
                    assert!(
                        !t.contains(['\t', '\r']) && !t.contains("  ") && t.trim() == t,
                        "not repaired: {t:?}"
                    );
                }
                // Every accessor on every record.
                let _ = (
                    rec.srcaddr(),
                    rec.dstport(),
                    rec.start(),
                    rec.action(),
                    rec.log_status(),
                    rec.flow_direction(),
                );
                for i in 0..rec.len() {
                    let _ = (rec.text_at(i), rec.value_at(i));
                }
                let mut out = Vec::new();
                vxtap::flowlogs::JsonWriter::new(true).write(&rec, &mut out);
                serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
                ok += 1;
            }
            Err(_) => bad += 1,
        }
        steps += 1;
        assert!(steps <= bytes.len() + 2, "more results than lines");
    }
    (ok, bad)
}

fn mutate(base: &str, edits: &[(usize, u8)]) -> Vec<u8> {
    let mut b = base.as_bytes().to_vec();
    for &(pos, byte) in edits {
        if !b.is_empty() {
            let i = pos % b.len();
            b[i] = byte;
        }
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        drain(&bytes, None);
        drain(&bytes, Some("${srcaddr} ${bytes} ${action}"));
        let _ = check_line(&bytes, 1);
    }

    #[test]
    fn lenient_reading_never_panics_and_keeps_every_strict_record(
        pieces in proptest::collection::vec(prop_oneof![
            Just(RECORD.to_string()),
            Just(HEADER.to_string()),
            Just(RECORD.replace(' ', "\t")),
            Just(RECORD.replace(' ', "  ")),
            Just(format!(" {RECORD} ")),
            Just(String::new()),
            Just(" \t".to_string()),
            Just("\u{feff}".to_string()),
            "[ -~\t\r]{0,40}",
        ], 0..8),
        ends in proptest::collection::vec(prop_oneof![Just("\n"), Just("\r\n"), Just("\r\r\n")], 8),
    ) {
        let text: String = pieces.iter().zip(&ends).map(|(p, e)| format!("{p}{e}")).collect();
        let (strict, _) = drain_with(text.as_bytes(), None, false);
        let (lenient, _) = drain_with(text.as_bytes(), None, true);
        prop_assert!(lenient >= strict, "{lenient} < {strict} for {text:?}");
    }

    #[test]
    fn mutated_records_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6), header in any::<bool>()) {
        let text = if header { format!("{HEADER}\n{RECORD}\n{RECORD}") } else { format!("{RECORD}\n{RECORD}") };
        let bytes = mutate(&text, &edits);
        let (ok, bad) = drain(&bytes, None);
        if edits.is_empty() {
            prop_assert_eq!((ok, bad), (2, 0));
        }
    }

    #[test]
    fn gzip_of_anything_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), cut in any::<usize>()) {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&bytes).unwrap();
        let gz = e.finish().unwrap();
        let gz = &gz[..cut % (gz.len() + 1)];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        std::fs::write(&path, gz).unwrap();
        let mut reader = vxtap::flowlogs::FileReader::open(&path, &ReadOptions::default());
        let mut n = 0;
        while reader.next_record().is_some() {
            n += 1;
            prop_assert!(n < 1000);
        }
    }

    #[test]
    fn any_line_against_any_schema(
        names in proptest::collection::vec(proptest::sample::select(vec!["version", "srcaddr", "dstport", "protocol", "start", "action", "type", "new-field", "tgw-id"]), 1..6),
        line in "[ -~]{0,80}",
    ) {
        if let Ok(schema) = Schema::from_names(&names, false) {
            let mut slots = Vec::new();
            if parse_record(&schema, &line, 1, &mut slots).is_ok() {
                prop_assert_eq!(slots.len(), schema.len());
            }
        }
    }
}
