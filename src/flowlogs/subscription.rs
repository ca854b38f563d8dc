//! CloudWatch Logs subscription-filter payloads (what Lambda, Kinesis and
//! Firehose receive, once gunzipped): one or more concatenated JSON objects
//! `{"messageType":"DATA_MESSAGE","logGroup",…,"logEvents":[{"message"}]}`.
//! Each event's `message` is one header-less record.

use std::sync::Arc;

use serde::Deserialize;

use super::error::{ErrorKind, LineError};
use super::layout::SourceInfo;

/// Largest payload file read into memory (CloudWatch payloads are ≤ 1 MiB;
/// Firehose objects hold a few of them).
pub const MAX_PAYLOAD_BYTES: usize = 64 * 1024 * 1024;

/// One log event: a record line and where it came from.
#[derive(Debug)]
pub struct Event {
    /// The record text.
    pub message: String,
    /// File fields plus the payload's log group and stream.
    pub source: Arc<SourceInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    message_type: Option<String>,
    owner: Option<String>,
    log_group: Option<String>,
    log_stream: Option<String>,
    #[serde(default)]
    log_events: Vec<LogEvent>,
}

#[derive(Deserialize)]
struct LogEvent {
    message: String,
}

/// The events of every payload in `bytes`, and the error that stopped
/// reading, if any (events before it are kept).
pub fn parse_payloads(bytes: &[u8], file: &SourceInfo) -> (Vec<Event>, Option<LineError>) {
    let mut events = Vec::new();
    let stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Payload>();
    for (n, payload) in stream.enumerate() {
        let payload = match payload {
            Ok(p) => p,
            Err(e) => {
                let detail = format!(
                    "payload {}: not a CloudWatch Logs subscription payload: {e}",
                    n + 1
                );
                return (
                    events,
                    Some(LineError::new(ErrorKind::BadJson, None, detail)),
                );
            }
        };
        if payload.message_type.as_deref() == Some("CONTROL_MESSAGE") {
            continue;
        }
        let source = Arc::new(SourceInfo {
            account_id: payload.owner.or_else(|| file.account_id.clone()),
            log_group: payload.log_group,
            log_stream: payload.log_stream.or_else(|| file.log_stream.clone()),
            ..file.clone()
        });
        events.extend(payload.log_events.into_iter().map(|e| Event {
            message: e.message,
            source: Arc::clone(&source),
        }));
    }
    (events, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenated_payloads_and_control_messages() {
        let text = br#"{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"x"}]}
{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","logEvents":[{"id":"a","timestamp":1,"message":"m1"},{"message":"m2"}]}{"logEvents":[{"message":"m3"}]}"#;
        let (events, err) = parse_payloads(text, &SourceInfo::default());
        assert!(err.is_none());
        let msgs: Vec<_> = events.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(msgs, ["m1", "m2", "m3"]);
        assert_eq!(events[0].source.log_stream.as_deref(), Some("s"));
        assert_eq!(events[0].source.account_id.as_deref(), Some("1"));
    }

    #[test]
    fn broken_json_keeps_earlier_events() {
        let (events, err) = parse_payloads(
            br#"{"logEvents":[{"message":"m1"}]} {"logEvents":[{"mess"#,
            &SourceInfo::default(),
        );
        assert_eq!(events.len(), 1);
        assert_eq!(err.map(|e| e.kind), Some(ErrorKind::BadJson));
    }
}
