//! HTTP app-layer events, named as Suricata's `http-events.rules`
//! (`app-layer-event:http.<name>`), raised where libhtp raises them.

app_events! {
    /// An HTTP anomaly.
    HttpEvent {
        /// A response came with no request left to answer.
        UnableToMatchResponseToRequest => "unable_to_match_response_to_request",
        /// A request header line without a colon.
        RequestFieldMissingColon => "request_field_missing_colon",
        /// A response header line without a colon.
        ResponseFieldMissingColon => "response_field_missing_colon",
        /// A request chunk length that is not hex or overflows.
        InvalidRequestChunkLen => "invalid_request_chunk_len",
        /// A response chunk length that is not hex or overflows.
        InvalidResponseChunkLen => "invalid_response_chunk_len",
        /// Transfer-Encoding other than chunked in a request.
        InvalidTransferEncodingValueInRequest => "invalid_transfer_encoding_value_in_request",
        /// Never raised: libhtp 0.5.50 no longer logs "Invalid T-E value in
        /// response" (Suricata 7.0.10 raises nothing for
        /// `Transfer-Encoding: gzip` in a response).
        InvalidTransferEncodingValueInResponse => "invalid_transfer_encoding_value_in_response",
        /// A request Content-Length that is not a number.
        InvalidContentLengthFieldInRequest => "invalid_content_length_field_in_request",
        /// A response Content-Length that is not a number.
        InvalidContentLengthFieldInResponse => "invalid_content_length_field_in_response",
        /// Two different Content-Length values in a request.
        DuplicateContentLengthFieldInRequest => "duplicate_content_length_field_in_request",
        /// Two different Content-Length values in a response.
        DuplicateContentLengthFieldInResponse => "duplicate_content_length_field_in_response",
        /// A second 100 Continue for one request.
        Continue100AlreadySeen => "100_continue_already_seen",
        /// A request header name with invalid characters or trailing space.
        RequestHeaderInvalid => "request_header_invalid",
        /// A response header name with invalid characters or trailing space.
        ResponseHeaderInvalid => "response_header_invalid",
        /// HTTP/1.1 request without Host.
        MissingHostHeader => "missing_host_header",
        /// The URI's host and the Host header differ.
        HostHeaderAmbiguous => "host_header_ambiguous",
        /// A folded request header line with nothing to continue.
        InvalidRequestFieldFolding => "invalid_request_field_folding",
        /// A folded response header line with nothing to continue.
        InvalidResponseFieldFolding => "invalid_response_field_folding",
        /// A request line or header over the field limit.
        RequestFieldTooLong => "request_field_too_long",
        /// A response line or header over the field limit.
        ResponseFieldTooLong => "response_field_too_long",
        /// Not raised: Suricata 7.0.10 sets it for an HTTP/0.9 request with
        /// an unknown method and an invalid or unknown protocol, a state no
        /// tested request line reaches with libhtp 0.5.50 (measured with
        /// `FOO / BAR`, `FOO /`, `FOO`, `T / HTTP`, `OPTIONSHTTP/1.1`,
        /// alone and pipelined: no alert).
        RequestLineInvalid => "request_line_invalid",
        /// Never raised: libhtp 0.5.50 logs "Request line: missing
        /// protocol" with a code Suricata 7.0.10 maps to no event (measured:
        /// `GET /` alone and followed by header lines raise none).
        RequestLineMissingProtocol => "request_line_missing_protocol",
        /// Whitespace before the method.
        RequestLineLeadingWhitespace => "request_line_leading_whitespace",
        /// A status line (starting with `http`, any case) whose protocol is
        /// not exactly `HTTP/0.9`, `HTTP/1.0` or `HTTP/1.1`.
        ResponseInvalidProtocol => "response_invalid_protocol",
        /// A status line whose code is not three digits.
        ResponseInvalidStatus => "response_invalid_status",
        /// More request headers than the limit.
        RequestTooManyHeaders => "request_too_many_headers",
        /// More response headers than the limit.
        ResponseTooManyHeaders => "response_too_many_headers",
        /// The path holds `%` escapes after decoding.
        DoubleEncodedUri => "double_encoded_uri",
        /// A chunked response whose status line says HTTP/0.9, HTTP/1.0
        /// or an invalid protocol.
        ResponseChunkedOldProto => "response_chunked_old_proto",
        /// Decompression output past the bomb limit and ratio.
        CompressionBomb => "compression_bomb",
        /// A response body that does not decompress.
        GzipDecompressionFailed => "gzip_decompression_failed",
        /// A chunk length with an extension (`;`) in a request.
        RequestChunkExtension => "request_chunk_extension",
        /// Suricata's "Excessive request header repetitions": libhtp 0.5.50
        /// (Suricata 7.0.10's) no longer logs that message, so it is never
        /// raised, by Suricata or vxtap (a repeated header is joined with
        /// `, ` and counted nowhere else).
        RequestHeaderRepetition => "request_header_repetition",
        /// As `request_header_repetition`, for responses: never raised.
        ResponseHeaderRepetition => "response_header_repetition",
        /// The port of the URI authority or Host is not a number.
        InvalidAuthorityPort => "invalid_authority_port",
        /// The URI's host is not a valid host name.
        RequestUriHostInvalid => "request_uri_host_invalid",
        /// The Host header is not a valid host name.
        RequestHeaderHostInvalid => "request_header_host_invalid",
        /// More encodings than the layer limit.
        TooManyEncodingLayers => "too_many_encoding_layers",
        /// Content-Encoding that cannot be decoded.
        AbnormalCeHeader => "abnormal_ce_header",
        /// Whitespace other than SP between method and target.
        MethodDelimNonCompliant => "method_delim_non_compliant",
        /// Whitespace other than SP inside or ending the target.
        UriDelimNonCompliant => "uri_delim_non_compliant",
        /// A line after a finished request, in the same data, that does not
        /// start with a known method: libhtp takes it as more body.
        RequestBodyUnexpected => "request_body_unexpected",
        /// A response Transfer-Encoding holding "chunked" but not exactly
        /// that.
        ResponseAbnormalTransferEncoding => "response_abnormal_transfer_encoding",
        /// An `Authorization` header whose scheme is not Basic, Digest or
        /// Bearer (any case; empty included): libhtp's
        /// `HTP_AUTH_UNRECOGNIZED`, which Suricata turns into this event
        /// (`HTPErrorCheckTxRequestFlags`). A malformed Basic or Digest
        /// value is `HTP_AUTH_INVALID`, no event; `Proxy-Authorization` is
        /// not read.
        RequestAuthUnrecognized => "request_auth_unrecognized",
    }
}
