//! The call state machine natively: retries and their limits, backoff, Retry-After, deadlines,
//! reply verification (every reply vector), and the token bucket.

use serde_json::Value as J;
use ttpay_wasm::core::limiter::TokenBucket;
use ttpay_wasm::core::options::{Input, RawCallOptions, RawClientOptions};
use ttpay_wasm::core::retry::{self, delay_ms, parse_http_date, parse_retry_after};
use ttpay_wasm::core::secret::AppSecret;
use ttpay_wasm::core::verify::{self, ReplySignature, VerifyMode};
use ttpay_wasm::core::{json, Call, ClientConfig, Error, ErrorKind, Interrupted, Next, Reply};

const SECRET: &str = "12345678901234567890123456789012";

/// Valid options with one change applied.
fn raw_with(patch: impl FnOnce(&mut RawClientOptions)) -> RawClientOptions {
    let mut raw = RawClientOptions {
        app_id: Input::Str("app".into()),
        app_secret: Input::Str(SECRET.into()),
        mch_id: Input::Str("m".into()),
        ..Default::default()
    };
    patch(&mut raw);
    raw
}

fn config_with(patch: impl FnOnce(&mut RawClientOptions)) -> ClientConfig {
    raw_with(patch).validate().unwrap()
}

fn reply(status: u16, body: &str) -> Reply<'_> {
    Reply {
        status,
        body: body.as_bytes(),
        signature: None,
        retry_after: None,
    }
}

/// Drives a call through `replies` (one per attempt), returning each retry delay and the end.
fn drive(
    config: &ClientConfig,
    replies: &[Result<Reply<'_>, Interrupted>],
) -> (Vec<f64>, Result<u32, Error>) {
    let mut call = Call::close_order(config, &Input::Str("tx".into()), &Input::Missing).unwrap();
    let mut now = 1_000_000.0;
    let mut delays = Vec::new();
    for r in replies {
        call.begin_attempt(now).map_err(|e| e.kind).unwrap();
        let next = match r {
            Ok(reply) => call.handle_reply(config, now, 0.0, reply),
            Err(why) => call.handle_interrupted(config, now, 0.0, why.clone()),
        };
        match next {
            Next::Retry { delay_ms, .. } => {
                delays.push(delay_ms);
                now += delay_ms;
            }
            Next::Done(end) => return (delays, end.map(|s| s.attempts)),
        }
    }
    panic!("the call wanted more attempts than the test scripted");
}

const OK: &str = r#"{"code":0,"msg":"ok","request_id":"r"}"#;

#[test]
fn transient_failures_are_retried_until_success() {
    let c = config_with(|_| {});
    let (delays, end) = drive(
        &c,
        &[
            Err(Interrupted::Network("reset".into())),
            Ok(reply(502, "<html>")),
            Ok(reply(200, OK)),
        ],
    );
    assert_eq!(end.unwrap(), 3);
    assert_eq!(
        delays,
        [125.0, 250.0],
        "equal jitter at jitter 0: half of 250 ms, then half of 500 ms"
    );
}

#[test]
fn max_retries_bounds_the_attempts_and_the_last_error_is_reported() {
    let c = config_with(|r| r.max_retries = Input::Num(1.0));
    let (delays, end) = drive(&c, &[Ok(reply(503, "")), Ok(reply(503, ""))]);
    let err = end.unwrap_err();
    assert_eq!(
        (err.kind, err.http_status, err.attempts, delays.len()),
        (ErrorKind::Http, Some(503), 2, 1)
    );
}

#[test]
fn retryable_business_codes_are_retried_and_others_are_not() {
    let c = config_with(|_| {});
    for code in [11000, 11001, 20004] {
        let body = format!(r#"{{"code":{code},"msg":"busy"}}"#);
        let (_, end) = drive(&c, &[Ok(reply(200, &body)), Ok(reply(200, OK))]);
        assert_eq!(end.unwrap(), 2, "code {code}");
    }
    for code in [100, 103, 11003, 12002, 20005] {
        let body = format!(r#"{{"code":{code},"msg":"no"}}"#);
        let (delays, end) = drive(&c, &[Ok(reply(200, &body))]);
        assert_eq!(
            (end.unwrap_err().attempts, delays.len()),
            (1, 0),
            "code {code}"
        );
    }
}

#[test]
fn code_104_is_retried_once_only() {
    let c = config_with(|r| r.max_retries = Input::Num(5.0));
    let expired = r#"{"code":104,"msg":"expired"}"#;
    let (_, end) = drive(&c, &[Ok(reply(200, expired)), Ok(reply(200, OK))]);
    assert_eq!(end.unwrap(), 2);
    let (_, end) = drive(&c, &[Ok(reply(200, expired)), Ok(reply(200, expired))]);
    let err = end.unwrap_err();
    assert_eq!((err.code, err.attempts), (Some(104), 2));
}

#[test]
fn other_4xx_aborts_and_signature_failures_are_not_retried() {
    let c = config_with(|_| {});
    for status in [400, 401, 403, 404, 409] {
        assert_eq!(
            drive(&c, &[Ok(reply(status, ""))]).1.unwrap_err().attempts,
            1,
            "{status}"
        );
    }
    assert_eq!(
        drive(&c, &[Ok(reply(429, "")), Ok(reply(200, OK))])
            .1
            .unwrap(),
        2
    );
    assert_eq!(
        drive(&c, &[Err(Interrupted::Aborted)]).1.unwrap_err().kind,
        ErrorKind::Aborted
    );
}

#[test]
fn every_retry_is_signed_afresh_over_the_same_body() {
    let c = config_with(|_| {});
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    call.begin_attempt(1.0).unwrap();
    let first = call.sign(&c, 1_767_225_600_000.0, &[7; 16]).authorization;
    assert!(matches!(
        call.handle_reply(&c, 2.0, 0.3, &reply(500, "")),
        Next::Retry { .. }
    ));
    call.begin_attempt(400.0).unwrap();
    let second = call.sign(&c, 1_767_225_600_400.0, &[8; 16]);
    assert_ne!(second.authorization, first);
    assert_eq!(
        second.body,
        r#"{"app_id":"app","mch_id":"m","transaction_id":"tx"}"#
    );
    assert_eq!(call.attempts(), 2);
}

#[test]
fn backoff_doubles_up_to_the_cap_with_equal_jitter() {
    assert_eq!(delay_ms(1, 0.0, None), 125.0);
    assert_eq!(delay_ms(1, 1.0, None), 250.0);
    assert_eq!(delay_ms(3, 1.0, None), 1000.0);
    assert_eq!(delay_ms(10, 1.0, None), retry::BACKOFF_CAP_MS);
    assert_eq!(delay_ms(40, 0.0, None), retry::BACKOFF_CAP_MS / 2.0);
    assert_eq!(delay_ms(1, f64::NAN, None), 187.5);
}

#[test]
fn retry_after_wins_when_longer_and_is_capped() {
    assert_eq!(delay_ms(1, 0.0, Some(2_000.0)), 2_000.0);
    assert_eq!(delay_ms(1, 0.0, Some(10.0)), 125.0);
    assert_eq!(
        delay_ms(1, 0.0, Some(3_600_000.0)),
        retry::RETRY_AFTER_CAP_MS
    );
    assert_eq!(parse_retry_after("2", 0.0), Some(2_000.0));
    assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0.0));
    assert_eq!(parse_retry_after("-1", 0.0), None);
    assert_eq!(parse_retry_after("soon", 0.0), None);
    let at = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
    assert_eq!(at, 784_111_777_000.0);
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 3_000.0),
        Some(3_000.0)
    );
    assert_eq!(
        parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 3_000.0),
        Some(0.0)
    );
    for bad in [
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad}");
    }
    assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0.0));
    assert_eq!(
        parse_http_date("Tue, 29 Feb 2028 12:00:00 GMT"),
        Some(1_835_438_400_000.0)
    );
}

#[test]
fn a_503_with_retry_after_waits_as_asked() {
    let c = config_with(|_| {});
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    call.begin_attempt(0.0).unwrap();
    let r = Reply {
        status: 503,
        body: b"",
        signature: None,
        retry_after: Some("1"),
    };
    match call.handle_reply(&c, 0.0, 0.0, &r) {
        Next::Retry { delay_ms, error } => {
            assert_eq!((delay_ms, error.http_status), (1_000.0, Some(503)))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_deadline_cuts_attempts_short_and_refuses_waits_it_cannot_cover() {
    let c = config_with(|r| {
        r.deadline_ms = Input::Num(1_000.0);
        r.timeout_ms = Input::Num(800.0);
    });
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    assert_eq!(call.begin_attempt(0.0).unwrap(), 800);
    // The first attempt times out at 800 ms; a retry after 125 ms would have 75 ms left.
    assert!(
        matches!(call.handle_interrupted(&c, 800.0, 0.0, Interrupted::Timeout), Next::Retry { delay_ms, .. } if delay_ms == 125.0)
    );
    assert_eq!(call.begin_attempt(925.0).unwrap(), 75);
    match call.handle_interrupted(&c, 1_000.0, 0.0, Interrupted::Timeout) {
        Next::Done(Err(e)) => {
            assert_eq!((e.kind, e.attempts), (ErrorKind::Timeout, 2));
            assert!(e.message.contains("deadlineMs (1000 ms)"), "{}", e.message);
        }
        other => panic!("{other:?}"),
    }
    let mut waiting = Call::close_order(&c, &Input::Missing, &Input::Missing).unwrap();
    assert!(waiting.check_wait(0.0, 500.0).is_ok());
    assert_eq!(
        waiting.check_wait(0.0, 1_500.0).unwrap_err().kind,
        ErrorKind::Timeout
    );
}

#[test]
fn a_backoff_longer_than_the_deadline_ends_with_the_real_failure() {
    let c = config_with(|r| r.deadline_ms = Input::Num(100.0));
    let (delays, end) = drive(&c, &[Ok(reply(503, ""))]);
    let err = end.unwrap_err();
    assert_eq!(
        (err.kind, err.http_status, delays.len()),
        (ErrorKind::Http, Some(503), 0)
    );
}

#[test]
fn per_call_options_override_the_client_defaults() {
    let c = config_with(|_| {});
    let policy = RawCallOptions {
        timeout_ms: Input::Num(50.0),
        deadline_ms: Input::Missing,
        max_retries: Input::Num(0.0),
    }
    .apply(c.policy)
    .unwrap();
    assert_eq!(
        (policy.timeout_ms, policy.deadline_ms, policy.max_retries),
        (50, None, 0)
    );
    let err = RawCallOptions {
        max_retries: Input::Num(1.5),
        ..Default::default()
    }
    .apply(c.policy)
    .unwrap_err();
    assert!(err.message.starts_with("maxRetries: "));
    let err = RawCallOptions {
        deadline_ms: Input::Num(-1.0),
        ..Default::default()
    }
    .apply(c.policy)
    .unwrap_err();
    assert!(err.message.starts_with("deadlineMs: "));
}

#[test]
fn new_client_options_are_validated() {
    let bad = |patch: fn(&mut RawClientOptions)| raw_with(patch).validate().unwrap_err().message;
    assert!(bad(|r| r.max_retries = Input::Num(11.0)).starts_with("maxRetries: "));
    assert!(bad(|r| r.rate_limit_per_second = Input::Num(0.0)).starts_with("rateLimitPerSecond: "));
    assert!(
        bad(|r| r.verify_responses = Input::Str("always".into())).starts_with("verifyResponses: ")
    );
    assert!(bad(|r| r.max_response_bytes = Input::Num(0.0)).starts_with("maxResponseBytes: "));
    let c = config_with(|r| r.rate_limit_per_second = Input::Other("null"));
    assert_eq!(c.rate_limit_per_second, None);
    let c = config_with(|_| {});
    assert_eq!(
        (
            c.rate_limit_per_second,
            c.verify,
            c.max_response_bytes,
            c.policy.max_retries
        ),
        (Some(5.0), VerifyMode::Auto, 1 << 20, 2)
    );
}

// ---- reply verification ----

fn reply_vectors() -> Vec<J> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/ttpay/vectors.json");
    let doc: J = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v: Vec<J> = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["kind"] == "response")
        .cloned()
        .collect();
    assert!(v.len() >= 3);
    v
}

fn s<'a>(v: &'a J, k: &str) -> &'a str {
    v[k].as_str().unwrap()
}

fn vector_parts(v: &J) -> (AppSecret, ReplySignature, String, f64) {
    let sig = ReplySignature {
        timestamp: s(v, "ttpay_timestamp").into(),
        nonce: s(v, "ttpay_nonce").into(),
        signature: s(v, "signature").into(),
    };
    let now: f64 = s(v, "ttpay_timestamp").parse().unwrap();
    (
        AppSecret::new(s(v, "app_secret")).unwrap(),
        sig,
        s(v, "body").to_string(),
        now,
    )
}

#[test]
fn every_reply_vector_verifies() {
    for v in reply_vectors() {
        let (secret, sig, body, now) = vector_parts(&v);
        let parsed = json::parse(&body).unwrap();
        verify::verify(&secret, &sig, &body, Some(&parsed), now + 1_000.0)
            .unwrap_or_else(|e| panic!("{}: {e}", v["name"]));
    }
}

#[test]
fn tampering_with_any_part_of_a_signed_reply_is_a_signature_error() {
    for v in reply_vectors() {
        let (secret, sig, body, now) = vector_parts(&v);
        let parsed = json::parse(&body).unwrap();
        let check = |sig: &ReplySignature, body: &str, now: f64| {
            let parsed = json::parse(body).ok();
            verify::verify(&secret, sig, body, parsed.as_ref(), now)
        };
        let name = s(&v, "name");
        // Change something the signature covers (for data-only signatures, inside `data`).
        let other_body = if body.contains("CLOSED") {
            body.replace("CLOSED", "NOTPAY")
        } else {
            body.replace("\"code\":0", "\"code\":1")
        };
        assert_eq!(
            check(&sig, &other_body, now).unwrap_err().kind,
            ErrorKind::Signature,
            "{name}: body"
        );
        let mut s2 = sig.clone();
        s2.timestamp = (now as u64 + 1).to_string();
        assert!(check(&s2, &body, now).is_err(), "{name}: timestamp");
        let mut s3 = sig.clone();
        s3.nonce.replace_range(0..1, "f");
        assert!(check(&s3, &body, now).is_err(), "{name}: nonce");
        let mut s4 = sig.clone();
        s4.signature = s4.signature.replace('A', "B");
        assert!(check(&s4, &body, now).is_err(), "{name}: signature bytes");
        let mut s5 = sig.clone();
        s5.signature = "not base64!".into();
        assert!(check(&s5, &body, now).is_err(), "{name}: not base64");
        assert!(
            check(&sig, &body, now + 5.0 * 60_000.0 + 1.0)
                .unwrap_err()
                .message
                .contains("old"),
            "{name}: stale"
        );
        let wrong = AppSecret::new("x".repeat(32).as_str()).unwrap();
        assert!(
            verify::verify(&wrong, &sig, &body, Some(&parsed), now).is_err(),
            "{name}: secret"
        );
    }
}

#[test]
fn verify_modes_decide_what_an_unsigned_reply_means() {
    let secret = AppSecret::new(SECRET).unwrap();
    assert_eq!(
        verify::check(VerifyMode::Auto, &secret, None, OK, None, 0.0),
        Ok(false)
    );
    assert_eq!(
        verify::check(VerifyMode::Off, &secret, None, OK, None, 0.0),
        Ok(false)
    );
    let err = verify::check(VerifyMode::Require, &secret, None, OK, None, 0.0).unwrap_err();
    assert!(err.message.contains("missing"));
    let forged = ReplySignature {
        timestamp: "1767225600000".into(),
        nonce: "n".into(),
        signature: "AAAA".into(),
    };
    assert!(verify::check(VerifyMode::Off, &secret, Some(&forged), OK, None, 0.0).is_ok());
    assert!(verify::check(
        VerifyMode::Auto,
        &secret,
        Some(&forged),
        OK,
        None,
        1_767_225_600_000.0
    )
    .is_err());
}

#[test]
fn a_forged_reply_ends_the_call_with_a_signature_error_not_a_retry() {
    let v = &reply_vectors()[0];
    let (_, mut sig, body, now) = vector_parts(v);
    sig.signature = sig.signature.replace('A', "C");
    let c = config_with(|_| {});
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    call.begin_attempt(now).unwrap();
    let r = Reply {
        status: 200,
        body: body.as_bytes(),
        signature: Some(&sig),
        retry_after: None,
    };
    match call.handle_reply(&c, now, 0.0, &r) {
        Next::Done(Err(e)) => assert_eq!(
            (e.kind, e.http_status, e.attempts),
            (ErrorKind::Signature, Some(200), 1)
        ),
        other => panic!("{other:?}"),
    }
}

// ---- rate limiting ----

#[test]
fn the_token_bucket_allows_a_burst_then_spaces_requests() {
    let mut b = TokenBucket::new(5.0, 0.0);
    let waits: Vec<f64> = (0..7).map(|_| b.take(5.0, 0.0)).collect();
    assert_eq!(waits, [0.0, 0.0, 0.0, 0.0, 0.0, 200.0, 400.0]);
    // One second later, five tokens have come back, less the two already owed.
    assert_eq!(b.take(5.0, 1_000.0), 0.0);
    b.refund();
    assert_eq!(b.take(5.0, 1_000.0), 0.0);
}
