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
        /// Transfer-Encoding other than chunked in a response.
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
        /// An unparsable request line.
        RequestLineInvalid => "request_line_invalid",
        /// A request line without a protocol (HTTP/0.9).
        RequestLineMissingProtocol => "request_line_missing_protocol",
        /// Whitespace before the method.
        RequestLineLeadingWhitespace => "request_line_leading_whitespace",
        /// A status line whose protocol is not HTTP/x.y.
        ResponseInvalidProtocol => "response_invalid_protocol",
        /// A status line whose code is not three digits.
        ResponseInvalidStatus => "response_invalid_status",
        /// More request headers than the limit.
        RequestTooManyHeaders => "request_too_many_headers",
        /// More response headers than the limit.
        ResponseTooManyHeaders => "response_too_many_headers",
        /// The path holds `%` escapes after decoding.
        DoubleEncodedUri => "double_encoded_uri",
        /// Chunked response to an HTTP/1.0 request.
        ResponseChunkedOldProto => "response_chunked_old_proto",
        /// Decompression output past the bomb limit and ratio.
        CompressionBomb => "compression_bomb",
        /// A response body that does not decompress.
        GzipDecompressionFailed => "gzip_decompression_failed",
        /// A chunk length with an extension (`;`) in a request.
        RequestChunkExtension => "request_chunk_extension",
        /// A request header repeated.
        RequestHeaderRepetition => "request_header_repetition",
        /// A response header repeated.
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
    }
}
