//! The pure core, natively: body bytes, header format, reply parsing and classification, and
//! every refusal of bad input.

use serde_json::Value;
use ttpay_wasm::core::base_url::BaseUrl;
use ttpay_wasm::core::options::{self, Input, RawClientOptions, CLIENT_OPTIONS};
use ttpay_wasm::core::reply::classify;
use ttpay_wasm::core::verify::same_data;
use ttpay_wasm::core::wire::{self, CloseOrderBody};
use ttpay_wasm::core::{sign, Call, ClientConfig, Error, ErrorKind, Interrupted, Next};

const SECRET: &str = "12345678901234567890123456789012";

fn body(app_id: &str, mch_id: &str, transaction_id: Option<&str>) -> String {
    CloseOrderBody {
        app_id,
        mch_id,
        transaction_id,
    }
    .to_json()
}

fn parse(text: &str) -> Result<Value, String> {
    wire::parse(text.as_bytes()).map(|(_, v)| v)
}

fn raw() -> RawClientOptions {
    RawClientOptions {
        app_id: Input::Str("app-1".into()),
        app_secret: Input::Str(SECRET.into()),
        mch_id: Input::Str("42".into()),
        ..Default::default()
    }
}

fn config() -> ClientConfig {
    raw().validate().unwrap()
}

fn refused(r: RawClientOptions) -> Error {
    let err = r.validate().unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidArgument);
    assert!(
        !err.message.contains(SECRET),
        "secret leaked: {}",
        err.message
    );
    err
}

// ---- body and headers ----

#[test]
fn body_is_compact_json_in_documented_order() {
    assert_eq!(
        body("a", "m", Some("t")),
        r#"{"app_id":"a","mch_id":"m","transaction_id":"t"}"#
    );
}

#[test]
fn body_leaves_transaction_id_out_when_absent() {
    assert_eq!(body("a", "m", None), r#"{"app_id":"a","mch_id":"m"}"#);
}

#[test]
fn body_escapes_quotes_backslashes_and_keeps_unicode() {
    let b = body("a", "m", Some("x\"y\\z/é€😀"));
    assert_eq!(
        b,
        "{\"app_id\":\"a\",\"mch_id\":\"m\",\"transaction_id\":\"x\\\"y\\\\z/é€😀\"}"
    );
    let v = parse(&b).unwrap();
    assert_eq!(
        v.get("transaction_id").and_then(Value::as_str),
        Some("x\"y\\z/é€😀")
    );
}

#[test]
fn authorization_has_one_space_commas_without_spaces_and_fixed_order() {
    let a = sign::authorization("A", "M", "N", "T", "S+/=");
    assert_eq!(
        a,
        "TTPAY-AES-256-ECB app_id=A,mch_id=M,nonce_str=N,timestamp=T,signature=S+/="
    );
}

#[test]
fn nonce_is_32_upper_case_hex_digits() {
    let n = sign::nonce_from_bytes(&[
        0x00, 0x01, 0xab, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0,
        0xcd,
    ]);
    assert_eq!(n, "0001ABFF102030405060708090A0B0CD");
}

#[test]
fn each_attempt_is_signed_with_its_own_clock_and_nonce_over_the_same_body() {
    let c = config();
    let call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    let a = call.sign(&c, 1_767_225_600_000.0, &[1; 16]);
    let b = call.sign(&c, 1_767_225_600_001.0, &[2; 16]);
    assert_eq!(a.body, b.body);
    assert_ne!(a.headers()[0].1, b.headers()[0].1);
    assert!(a.headers()[0].1.contains("timestamp=1767225600000,"));
    assert!(b.headers()[0]
        .1
        .contains("nonce_str=02020202020202020202020202020202,"));
    let names: Vec<&str> = a.headers().iter().map(|h| h.0).collect();
    assert_eq!(
        names,
        ["Authorization", "Content-Type", "app_id", "User-Agent"]
    );
    assert_eq!(a.headers()[1].1, "application/json");
    assert_eq!(a.headers()[2].1, "app-1");
    assert_eq!(
        a.headers()[3].1,
        format!("ttpay-wasm/{}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn seconds_unit_signs_a_ten_digit_timestamp() {
    let c = RawClientOptions {
        timestamp_unit: Input::Str("s".into()),
        ..raw()
    }
    .validate()
    .unwrap();
    let call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    assert!(call.sign(&c, 1_767_225_600_999.0, &[0; 16]).headers()[0]
        .1
        .contains("timestamp=1767225600,"));
}

#[test]
fn per_call_mch_id_goes_into_body_and_header_alike() {
    let c = config();
    let call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Str("77".into())).unwrap();
    assert_eq!(
        call.body,
        r#"{"app_id":"app-1","mch_id":"77","transaction_id":"tx"}"#
    );
    assert!(call.sign(&c, 1.0, &[0; 16]).headers()[0]
        .1
        .contains("mch_id=77,"));
}

#[test]
fn base_url_with_a_prefix_is_part_of_the_signed_path() {
    let c = RawClientOptions {
        base_url: Input::Str("https://Proxy.example:8443/ttpay/".into()),
        ..raw()
    }
    .validate()
    .unwrap();
    let call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    assert_eq!(
        call.url,
        "https://proxy.example:8443/ttpay/v1/transaction/close"
    );
    assert_eq!(call.path, "/ttpay/v1/transaction/close");
}

// ---- reply parsing and classification ----

#[test]
fn documented_reply_with_trailing_comma_is_a_success() {
    let r = classify(200, "{\"code\": 0, \"msg\": \"成功\", \"request_id\": \"f23ade4a-e5ca-48f4-a4bb-59114ac360ba\",}".as_bytes()).unwrap();
    assert_eq!(r.msg, "成功");
    assert_eq!(r.request_id, "f23ade4a-e5ca-48f4-a4bb-59114ac360ba");
    assert_eq!(r.http_status, 200);
}

#[test]
fn unknown_members_are_ignored() {
    let r = classify(
        200,
        br#"{"code":0,"msg":"ok","request_id":"r","data":{"x":[1,2,{"y":null}]},"extra":true}"#,
    )
    .unwrap();
    assert_eq!(r.msg, "ok");
}

#[test]
fn missing_msg_and_request_id_become_empty_strings() {
    let r = classify(200, br#"{"code":0}"#).unwrap();
    assert_eq!((r.msg.as_str(), r.request_id.as_str()), ("", ""));
}

#[test]
fn missing_or_non_integer_code_is_an_invalid_response() {
    for body in [
        &br#"{"msg":"ok"}"#[..],
        br#"{"code":"0"}"#,
        br#"{"code":0.5}"#,
        br#"[0]"#,
        b"0",
    ] {
        let e = classify(200, body).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::InvalidResponse,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert!(
            e.retryable,
            "closing is idempotent: a garbled reply is worth asking again"
        );
        assert_eq!(e.http_status, Some(200));
    }
}

#[test]
fn non_json_and_invalid_utf8_are_invalid_responses() {
    for body in [
        &b"<html>oops</html>"[..],
        b"",
        b"{\"code\":0",
        b"{\"code\":0,,}",
        b"\xff\xfe",
        b"{\"code\":0} x",
    ] {
        let e = classify(200, body).unwrap_err();
        assert_eq!(
            e.kind,
            ErrorKind::InvalidResponse,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn business_codes_are_api_errors_with_code_msg_and_request_id() {
    let e = classify(
        200,
        br#"{"code":12002,"msg":"order does not exist","request_id":"rq"}"#,
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Api);
    assert_eq!(e.code, Some(12002));
    assert_eq!(e.msg.as_deref(), Some("order does not exist"));
    assert_eq!(e.request_id.as_deref(), Some("rq"));
    assert!(!e.retryable);
    assert!(e.message.contains("12002") && e.message.contains("order does not exist"));
}

#[test]
fn retryable_business_codes_follow_the_protocol_table() {
    for (code, retry) in [
        (11000, true),
        (11001, true),
        (20004, true),
        (104, true),
        (103, false),
        (20005, false),
        (99999, false),
    ] {
        let e = classify(200, format!(r#"{{"code":{code},"msg":"m"}}"#).as_bytes()).unwrap_err();
        assert_eq!(
            (e.kind, e.code, e.retryable),
            (ErrorKind::Api, Some(code), retry),
            "code {code}"
        );
    }
}

#[test]
fn http_statuses_outside_2xx_are_http_errors_5xx_and_429_retryable() {
    for (status, retry) in [
        (500, true),
        (502, true),
        (503, true),
        (429, true),
        (400, false),
        (404, false),
        (301, false),
        (0, false),
    ] {
        let e = classify(status, b"<html>bad gateway</html>").unwrap_err();
        assert_eq!(
            (e.kind, e.http_status, e.retryable),
            (ErrorKind::Http, Some(status), retry),
            "{status}"
        );
    }
}

#[test]
fn http_error_keeps_ttpays_fields_when_the_body_has_them() {
    let e = classify(503, br#"{"code":11000,"msg":"busy","request_id":"r1"}"#).unwrap_err();
    assert_eq!(
        (e.kind, e.code, e.request_id.as_deref()),
        (ErrorKind::Http, Some(11000), Some("r1"))
    );
}

#[test]
fn hostile_nesting_is_refused_without_overflowing_the_stack() {
    let deep = "[".repeat(100_000);
    assert_eq!(
        classify(200, deep.as_bytes()).unwrap_err().kind,
        ErrorKind::InvalidResponse
    );
    let deep_obj = "{\"a\":".repeat(50_000);
    assert_eq!(
        classify(200, deep_obj.as_bytes()).unwrap_err().kind,
        ErrorKind::InvalidResponse
    );
}

#[test]
fn same_data_ignores_member_order_and_number_spelling_but_not_values() {
    let a = parse(r#"{"a":1,"b":[1,{"c":2}]}"#).unwrap();
    let b = parse(r#"{"b":[1.0,{"c":2}],"a":1}"#).unwrap();
    let c = parse(r#"{"b":[1,{"c":3}],"a":1}"#).unwrap();
    assert!(same_data(&a, &b) && !same_data(&a, &c));
}

// ---- transport outcomes ----

/// One attempt that ends without a reply, with retries off.
fn interrupted(why: Interrupted) -> Error {
    let c = config();
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    call.policy.max_retries = 0;
    call.begin_attempt(0.0).unwrap();
    match call.handle_interrupted(&c, 1.0, 0.5, why) {
        Next::Done(Err(e)) => e,
        other => panic!("expected a final error, got {other:?}"),
    }
}

#[test]
fn interrupted_attempts_map_to_network_timeout_aborted_and_too_large() {
    let n = interrupted(Interrupted::Network("fetch failed (ECONNREFUSED)".into()));
    assert_eq!(
        (n.kind, n.retryable, n.attempts),
        (ErrorKind::Network, true, 1)
    );
    assert!(n.message.contains("ECONNREFUSED"));
    assert!(n
        .message
        .contains("https://api.ttpay.io/v1/transaction/close"));
    let t = interrupted(Interrupted::Timeout);
    assert_eq!((t.kind, t.retryable), (ErrorKind::Timeout, true));
    assert!(t.message.contains("timeoutMs (10000 ms)"));
    let a = interrupted(Interrupted::Aborted);
    assert_eq!((a.kind, a.retryable), (ErrorKind::Aborted, false));
    let l = interrupted(Interrupted::TooLarge);
    assert_eq!(l.kind, ErrorKind::InvalidResponse);
    assert!(l.message.contains("maxResponseBytes (1048576 bytes)"));
}

#[test]
fn error_kind_strings_are_the_documented_eight() {
    let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "invalid_argument",
            "network",
            "timeout",
            "aborted",
            "http",
            "api",
            "invalid_response",
            "signature"
        ]
    );
}

// ---- bad input ----

#[test]
fn app_secret_must_be_exactly_32_utf8_bytes() {
    for (secret, why) in [
        (
            Input::Str("1234567890123456789012345678901".into()),
            "got 31",
        ),
        (
            Input::Str("123456789012345678901234567890123".into()),
            "got 33",
        ),
        (
            Input::Str("ééééééééééééééééééééééééééééééé".into()),
            "got 62",
        ), // 31 chars, 62 bytes
        (Input::Missing, "is required"),
        (Input::Num(1.0), "must be a string"),
    ] {
        let e = refused(RawClientOptions {
            app_secret: secret.clone(),
            ..raw()
        });
        assert!(
            e.message.starts_with("appSecret: ") && e.message.contains(why),
            "{}",
            e.message
        );
        if let Input::Str(s) = secret {
            assert!(!e.message.contains(&s));
        }
    }
}

#[test]
fn app_id_and_mch_id_must_be_non_empty_strings_safe_for_a_header() {
    let long = "a".repeat(129);
    for (value, why) in [
        (Input::Missing, "is required"),
        (Input::Str(String::new()), "must not be empty"),
        (Input::Other("null"), "must be a string (got null)"),
        (Input::Str("a\r\nX-Evil: 1".into()), "control characters"),
        (Input::Str(long), "at most 128 characters"),
        (Input::Str("a b".into()), "printable ASCII"),
        (
            Input::Str("a,mch_id=9".into()),
            "without spaces, commas or `=`",
        ),
        (Input::Str("a=b".into()), "without spaces, commas or `=`"),
        (Input::Str("é".into()), "printable ASCII"),
    ] {
        let e = refused(RawClientOptions {
            app_id: value.clone(),
            ..raw()
        });
        assert!(
            e.message.starts_with("appId: ") && e.message.contains(why),
            "{}",
            e.message
        );
        let e = refused(RawClientOptions {
            mch_id: value,
            ..raw()
        });
        assert!(
            e.message.starts_with("mchId: ") && e.message.contains(why),
            "{}",
            e.message
        );
    }
    assert!(options::header_id("appId", &Input::Str("a".repeat(128))).is_ok());
    // appId is text; mchId also takes the number env-driven config makes of its digits.
    assert!(refused(RawClientOptions {
        app_id: Input::Num(5.0),
        ..raw()
    })
    .message
    .contains("must be a string (got number)"));
    for (n, digits) in [
        (0.0, "0"),
        (100001.0, "100001"),
        (9_007_199_254_740_991.0, "9007199254740991"),
    ] {
        let c = RawClientOptions {
            mch_id: Input::Num(n),
            ..raw()
        }
        .validate()
        .unwrap();
        assert_eq!(c.mch_id, digits);
    }
    for bad in [-1.0, 1.5, 9_007_199_254_740_992.0, f64::NAN, f64::INFINITY] {
        let e = refused(RawClientOptions {
            mch_id: Input::Num(bad),
            ..raw()
        });
        assert!(
            e.message
                .starts_with("mchId: must be a string, or a whole number"),
            "{bad}: {}",
            e.message
        );
    }
}

#[test]
fn transaction_id_is_required_and_must_be_a_clean_non_empty_string() {
    let c = config();
    for (value, why) in [
        (
            Input::Missing,
            "is required (close has no other order identifier",
        ),
        (Input::Str(String::new()), "must not be empty"),
        (Input::Str("x\u{0}".into()), "control characters"),
        (Input::Str("é".repeat(129)), "at most 128 characters"),
        (Input::Other("null"), "must be a string"),
    ] {
        let e = Call::close_order(&c, &value, &Input::Missing).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(
            e.message.starts_with("transactionId: ") && e.message.contains(why),
            "{}",
            e.message
        );
    }
    assert!(Call::close_order(&c, &Input::Str("é".repeat(128)), &Input::Missing).is_ok());
}

#[test]
fn base_url_must_be_https_or_loopback_http() {
    for ok in [
        "https://api.ttpay.io",
        "https://api.tokenpay.me/",
        "http://127.0.0.1:8787",
        "http://localhost:3000",
        "http://[::1]:9",
        "HTTPS://x.example/p/a/t/h",
    ] {
        assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
    }
    for (bad, why) in [
        ("http://api.ttpay.io", "must use https"),
        ("http://10.0.0.1", "must use https"),
        ("http://127.0.0.1.evil.example", "must use https"),
        ("ftp://x", "absolute https"),
        ("api.ttpay.io", "absolute https"),
        ("https://", "must name a host"),
        ("https://user:pw@x.example", "user information"),
        ("https://x.example/?q=1", "query"),
        ("https://x.example:99999", "invalid port"),
        ("https://x.example:", "invalid port"),
        ("https://x y.example", "must name a host"),
        ("https://x.example/a b", "not allowed in a URL path"),
    ] {
        let e = BaseUrl::parse(bad).unwrap_err();
        assert!(
            e.message.starts_with("baseUrl: ") && e.message.contains(why),
            "{bad}: {}",
            e.message
        );
    }
}

#[test]
fn timeout_ms_must_be_a_positive_finite_number() {
    for bad in [
        Input::Num(0.0),
        Input::Num(-1.0),
        Input::Num(f64::NAN),
        Input::Num(f64::INFINITY),
        Input::Num(3e9),
        Input::Str("100".into()),
    ] {
        let e = refused(RawClientOptions {
            timeout_ms: bad,
            ..raw()
        });
        assert!(e.message.starts_with("timeoutMs: "), "{}", e.message);
    }
    let c = RawClientOptions {
        timeout_ms: Input::Num(0.5),
        ..raw()
    }
    .validate()
    .unwrap();
    assert_eq!(c.policy.timeout_ms, 1);
    assert_eq!(config().policy.timeout_ms, 10_000);
}

#[test]
fn user_agent_and_timestamp_unit_are_checked() {
    let e = refused(RawClientOptions {
        user_agent: Input::Str("a\nb".into()),
        ..raw()
    });
    assert!(e.message.starts_with("userAgent: "));
    let e = refused(RawClientOptions {
        timestamp_unit: Input::Str("ns".into()),
        ..raw()
    });
    assert_eq!(e.message, "timestampUnit: must be 'ms' or 's'");
}

#[test]
fn unknown_option_names_are_refused_with_a_suggestion() {
    let e = options::check_names(&["appId", "appSecert"], CLIENT_OPTIONS).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(
        e.message
            .starts_with("appSecert: unknown option (did you mean `appSecret`?)"),
        "{}",
        e.message
    );
    let e = options::check_names(&["timeout"], CLIENT_OPTIONS).unwrap_err();
    assert!(
        e.message.starts_with("timeout: unknown option"),
        "{}",
        e.message
    );
    assert!(options::check_names(&["appId", "fetch"], CLIENT_OPTIONS).is_ok());
}

#[test]
fn the_config_debug_output_never_shows_the_secret() {
    let shown = format!("{:?}", config());
    assert!(
        !shown.contains(SECRET) && shown.contains("<redacted>"),
        "{shown}"
    );
}

#[test]
fn the_packages_code_names_cover_the_codes_table_exactly() {
    // pkg/src/error.js exports TTPayCode as `NAME: number,` lines; the numbers must be this table's.
    let js = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/pkg/src/error.js"))
        .expect("pkg/src/error.js");
    let block = js
        .split("export const TTPayCode = Object.freeze({")
        .nth(1)
        .and_then(|rest| rest.split("});").next())
        .expect("a TTPayCode object");
    let mut numbers: Vec<i64> = block
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').split_once(": "))
        .map(|(name, n)| {
            assert!(
                name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{name}"
            );
            n.parse().unwrap()
        })
        .collect();
    numbers.sort_unstable();
    let mut table: Vec<i64> = ttpay_wasm::core::codes::CODES
        .iter()
        .map(|c| c.code)
        .collect();
    table.sort_unstable();
    assert_eq!(numbers, table);
}
