//! The call state machine natively: retries and their limits, backoff, Retry-After, deadlines,
//! reply verification (every reply vector), and the token bucket.

use serde_json::Value as J;
use ttpay_wasm::core::limiter::{FailurePolicy, Line, Rule, Spacing};
use ttpay_wasm::core::options::{Input, RawCallOptions, RawClientOptions};
use ttpay_wasm::core::replay::{Refused, ReplyKeys, SeenNonces};
use ttpay_wasm::core::retry::{self, delay_ms, parse_http_date, parse_retry_after};
use ttpay_wasm::core::secret::AppSecret;
use ttpay_wasm::core::skew::ClockSkew;
use ttpay_wasm::core::verify::{self, Expected, ReplySignature, SignatureHeaders, VerifyMode};
use ttpay_wasm::core::{wire, Call, ClientConfig, Error, ErrorKind, Interrupted, Next, Reply};

/// A body as the client parses it.
fn parse(text: &str) -> Result<J, String> {
    wire::parse(text.as_bytes()).map(|(_, v)| v)
}

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
        signature: SignatureHeaders::default(),
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
            Ok(reply) => call.handle_reply(config, now, 0.0, reply, &mut SeenNonces::new()),
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
        call.handle_reply(&c, 2.0, 0.3, &reply(500, ""), &mut SeenNonces::new()),
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
        signature: SignatureHeaders::default(),
        retry_after: Some("1"),
    };
    match call.handle_reply(&c, 0.0, 0.0, &r, &mut SeenNonces::new()) {
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
    let mut waiting = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    assert!(waiting.check_wait(0.0, 500.0, false).is_ok());
    assert_eq!(
        waiting.check_wait(0.0, 1_500.0, true).unwrap_err().kind,
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
    for bad_rate in [5e-324, 0.05, 1e308, f64::NAN, -5.0] {
        let mut r = raw_with(|_| {});
        r.rate_limit_per_second = Input::Num(bad_rate);
        let message = r.validate().unwrap_err().message;
        assert!(
            message.starts_with("rateLimitPerSecond: "),
            "{bad_rate}: {message}"
        );
    }
    assert!(bad(|r| r.rate_limit_margin_ms = Input::Num(-1.0)).starts_with("rateLimitMarginMs: "));
    assert!(bad(|r| r.rate_limit_margin_ms = Input::Num(5000.0)).starts_with("rateLimitMarginMs: "));
    let c = config_with(|r| r.rate_limit_per_second = Input::Other("null"));
    assert_eq!(c.rate_limit, None);
    let c = config_with(|_| {});
    assert_eq!(
        (
            c.rate_limit,
            c.verify,
            c.max_response_bytes,
            c.policy.max_retries
        ),
        (
            Some(Rule { interval_ms: 210.0 }),
            VerifyMode::Auto,
            1 << 20,
            2
        )
    );
}

// ---- reply verification ----

fn vectors_of(kind: &str) -> Vec<J> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/ttpay/vectors.json");
    let doc: J = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let v: Vec<J> = doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["kind"] == kind)
        .cloned()
        .collect();
    assert!(!v.is_empty(), "no {kind} vectors");
    v
}

fn reply_vectors() -> Vec<J> {
    let v = vectors_of("response");
    assert!(v.len() >= 3);
    v
}

fn s<'a>(v: &'a J, k: &str) -> &'a str {
    v[k].as_str().unwrap()
}

fn vector_parts(v: &J) -> (AppSecret, ReplySignature<'_>, String, f64) {
    let sig = ReplySignature {
        timestamp: s(v, "ttpay_timestamp"),
        nonce: s(v, "ttpay_nonce"),
        signature: s(v, "signature"),
    };
    let now: f64 = s(v, "ttpay_timestamp").parse().unwrap();
    (
        AppSecret::new(s(v, "app_secret")).unwrap(),
        sig,
        s(v, "body").to_string(),
        now,
    )
}

fn headers<'a>(sig: &ReplySignature<'a>) -> SignatureHeaders<'a> {
    SignatureHeaders {
        timestamp: Some(sig.timestamp),
        nonce: Some(sig.nonce),
        signature: Some(sig.signature),
    }
}

/// A close of `tx` whose one attempt gets `body` with `sig`'s three headers, HTTP 200.
fn one_signed_reply(
    c: &ClientConfig,
    tx: &str,
    body: &str,
    sig: &ReplySignature,
    now: f64,
) -> Next {
    let mut call = Call::close_order(c, &Input::Str(tx.into()), &Input::Missing).unwrap();
    call.begin_attempt(now).unwrap();
    let r = Reply {
        status: 200,
        body: body.as_bytes(),
        signature: headers(sig),
        retry_after: None,
    };
    call.handle_reply(c, now, 0.0, &r, &mut SeenNonces::new())
}

const NO_EXPECTATION: Expected<'static> = Expected {
    transaction_id: None,
    sent_ms: None,
    clock: ClockSkew::new(),
};

/// Asks about `transaction_id`, with no request time to check.
fn about(transaction_id: Option<&str>) -> Expected<'_> {
    Expected {
        transaction_id,
        ..NO_EXPECTATION
    }
}

#[test]
fn every_reply_vector_verifies() {
    for v in reply_vectors() {
        let (secret, sig, body, now) = vector_parts(&v);
        let parsed = parse(&body).unwrap();
        // A whole-body signature whatever order the request named, or none; a data-only one
        // for the order its data names, which must be the requested one.
        let orders = match parsed
            .get("data")
            .and_then(|d| d.get("transaction_id"))
            .and_then(J::as_str)
        {
            Some(own) => vec![Some(own)],
            None => vec![None, Some("any-order")],
        };
        for transaction_id in orders {
            let expected = about(transaction_id);
            verify::verify(&secret, &sig, &body, Some(&parsed), expected, now + 1_000.0)
                .unwrap_or_else(|e| panic!("{}: {e}", v["name"]));
        }
    }
}

#[test]
fn every_forged_response_vector_is_refused_for_its_request() {
    for v in vectors_of("forged-response") {
        let (secret, sig, body, now) = vector_parts(&v);
        let parsed = parse(&body).unwrap();
        let expected = about(Some(s(&v, "request_transaction_id")));
        let name = s(&v, "name");
        // The signature itself is genuine: it decrypts to what the vector says was signed.
        let plain =
            secret.decrypt(&ttpay_wasm::core::sign::decode_signature(sig.signature).unwrap());
        assert!(
            String::from_utf8(plain.unwrap())
                .unwrap()
                .ends_with(s(&v, "signed_text")),
            "{name}: genuinely signed"
        );
        let err = verify::verify(&secret, &sig, &body, Some(&parsed), expected, now).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Signature, "{name}");
        // Through the whole call, under every mode that verifies: a signature error, not code 0.
        for mode in ["auto", "require"] {
            let c = config_with(|r| {
                r.app_secret = Input::Str(s(&v, "app_secret").into());
                r.verify_responses = Input::Str(mode.into());
            });
            match one_signed_reply(&c, s(&v, "request_transaction_id"), &body, &sig, now) {
                Next::Done(Err(e)) => assert_eq!(e.kind, ErrorKind::Signature, "{name} {mode}"),
                other => panic!("{name} {mode}: {other:?}"),
            }
        }
    }
}

#[test]
fn a_data_only_signature_counts_only_for_a_data_member_about_the_requested_order() {
    let v = reply_vectors()
        .into_iter()
        .find(|v| v["name"] == "reply-data-only")
        .unwrap();
    let (secret, sig, body, now) = vector_parts(&v);
    let parsed = parse(&body).unwrap();
    let ours = parsed
        .get("data")
        .and_then(|d| d.get("transaction_id"))
        .and_then(J::as_str)
        .unwrap()
        .to_string();
    let check =
        |tx: Option<&str>| verify::verify(&secret, &sig, &body, Some(&parsed), about(tx), now);
    assert!(check(Some(&ours)).is_ok());
    // Issue 18: a data-only success vouches for code 0 only about the order the request named.
    let err = check(None).unwrap_err();
    assert!(
        err.message.contains("names no requested order"),
        "{}",
        err.message
    );
    let err = check(Some("another-order")).unwrap_err();
    assert!(err.message.contains("another order"), "{}", err.message);
}

#[test]
fn a_whole_body_signature_over_another_orders_success_is_refused() {
    // Genuinely signed by TTPay for order A, answered to a close of order B by a man in the
    // middle in another process (so the nonce table has not seen it).
    let v = &reply_vectors()[0];
    let (secret, _, _, now) = vector_parts(v);
    let body = r#"{"code":0,"msg":"ok","request_id":"r","data":{"transaction_id":"order-a","trade_state":"CLOSED"}}"#;
    let (ts, nonce) = (s(v, "ttpay_timestamp"), "0123456789ABCDEF0123456789ABCDEF");
    let plain = format!("{ts}\n{nonce}\n{body}");
    let signature = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(secret.encrypt(plain.as_bytes()))
    };
    let sig = ReplySignature {
        timestamp: ts,
        nonce,
        signature: &signature,
    };
    let parsed = parse(body).unwrap();
    let check = |tx: &str| verify::verify(&secret, &sig, body, Some(&parsed), about(Some(tx)), now);
    assert!(check("order-a").is_ok(), "its own order verifies");
    let err = check("order-b").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Signature);
    assert!(err.message.contains("another order"), "{}", err.message);
    let c = config_with(|r| {
        r.app_secret = Input::Str(s(v, "app_secret").into());
        r.verify_responses = Input::Str("require".into());
    });
    match one_signed_reply(&c, "order-b", body, &sig, now) {
        Next::Done(Err(e)) => assert_eq!(e.kind, ErrorKind::Signature),
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_or_two_signature_headers_are_a_signature_error_never_unsigned() {
    let secret = AppSecret::new(SECRET).unwrap();
    let (ts, nonce, sig) = (Some("1767225600000"), Some("n"), Some("AAAA"));
    let partial = [
        (ts, None, None),
        (None, nonce, None),
        (None, None, sig),
        (ts, nonce, None),
        (ts, None, sig),
        (None, nonce, sig),
    ];
    for (timestamp, nonce, signature) in partial {
        let h = SignatureHeaders {
            timestamp,
            nonce,
            signature,
        };
        for mode in [VerifyMode::Auto, VerifyMode::Require] {
            let err = verify::check(
                mode,
                &secret,
                &h,
                200,
                OK,
                None,
                NO_EXPECTATION,
                0.0,
                &mut SeenNonces::new(),
            )
            .unwrap_err();
            assert_eq!(err.kind, ErrorKind::Signature);
            assert!(err.message.contains("incomplete"), "{}", err.message);
        }
    }
}

#[test]
fn a_replayed_reply_nonce_is_refused_inside_the_window() {
    let v = &reply_vectors()[0];
    let (secret, sig, body, now) = vector_parts(v);
    let parsed = parse(&body).unwrap();
    let mut seen = SeenNonces::new();
    let check = |seen: &mut SeenNonces, at: f64| {
        verify::check(
            VerifyMode::Auto,
            &secret,
            &headers(&sig),
            200,
            &body,
            Some(&parsed),
            NO_EXPECTATION,
            at,
            seen,
        )
    };
    assert_eq!(check(&mut seen, now), Ok(true));
    let err = check(&mut seen, now + 1_000.0).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Signature);
    assert!(err.message.contains("seen before"), "{}", err.message);
    // A failed verification records nothing: the genuine reply still verifies afterwards.
    let mut fresh = SeenNonces::new();
    let bad_body = body.replace("success", "succes");
    let bad = verify::check(
        VerifyMode::Auto,
        &secret,
        &headers(&sig),
        200,
        &bad_body,
        parse(&bad_body).ok().as_ref(),
        NO_EXPECTATION,
        now,
        &mut fresh,
    );
    assert!(bad.is_err());
    assert_eq!(check(&mut fresh, now), Ok(true));
}

/// The keys of a reply with `nonce` whose signed text names it, so no two share a key.
fn keys(nonce: &str) -> ReplyKeys {
    ReplyKeys::new("1767225600000", nonce, &format!(r#"{{"nonce":"{nonce}"}}"#))
}

#[test]
fn the_nonce_table_forgets_only_what_has_expired_and_stays_bounded() {
    let mut seen = SeenNonces::new();
    let window = verify::REPLY_WINDOW_MS;
    // As many replies as 5 requests per second for a whole window: each one is still refused
    // as a replay at the end of it.
    let n = 1_500;
    for i in 0..n {
        assert!(seen
            .insert(&keys(&format!("{i:032X}")), 0.0, i as f64 * 200.0)
            .is_ok());
    }
    let end = (n - 1) as f64 * 200.0;
    for i in 0..n {
        assert_eq!(
            seen.insert(&keys(&format!("{i:032X}")), 0.0, end),
            Err(Refused::Seen),
            "{i}"
        );
    }
    // Nothing live was evicted: an unseen reply as old as all of them is still taken.
    assert!(seen.insert(&keys("unseen"), 0.0, end).is_ok());
    // Once the window has passed, the timestamp check refuses a replay; the table lets go.
    assert!(seen
        .insert(&keys(&format!("{:032X}", 0)), end + window, end + window)
        .is_ok());
}

#[test]
fn past_its_size_the_nonce_table_fails_closed_but_keeps_taking_replies_in_time_order() {
    let mut seen = SeenNonces::new();
    // Replies a millisecond apart, far more than the table holds (three keys each), all inside
    // one window.
    let count = 3 * ttpay_wasm::core::replay::SLOTS;
    for i in 0..count {
        let t = i as f64;
        assert!(
            seen.insert(&keys(&format!("n-{i}")), t, t).is_ok(),
            "reply {i} in time order"
        );
    }
    let now = count as f64;
    // Every early reply played back: a replay, or one too old to be told from one.
    for i in 0..count / 2 {
        let again = seen.insert(&keys(&format!("n-{i}")), i as f64, now);
        assert!(again.is_err(), "replay of reply {i} accepted");
    }
    // The newest replies are still remembered as such.
    assert_eq!(
        seen.insert(&keys(&format!("n-{}", count - 1)), (count - 1) as f64, now),
        Err(Refused::Seen)
    );
    assert!(seen.insert(&keys("fresh"), now, now).is_ok());
}

#[test]
fn tampering_with_any_part_of_a_signed_reply_is_a_signature_error() {
    for v in reply_vectors() {
        let (secret, sig, body, now) = vector_parts(&v);
        let parsed = parse(&body).unwrap();
        let check = |sig: &ReplySignature, body: &str, now: f64| {
            let parsed = parse(body).ok();
            verify::verify(&secret, sig, body, parsed.as_ref(), NO_EXPECTATION, now)
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
        let later = (now as u64 + 1).to_string();
        assert!(
            check(
                &ReplySignature {
                    timestamp: &later,
                    ..sig
                },
                &body,
                now
            )
            .is_err(),
            "{name}: timestamp"
        );
        let other_nonce = format!("f{}", &sig.nonce[1..]);
        assert!(
            check(
                &ReplySignature {
                    nonce: &other_nonce,
                    ..sig
                },
                &body,
                now
            )
            .is_err(),
            "{name}: nonce"
        );
        let flipped = sig.signature.replace('A', "B");
        assert!(
            check(
                &ReplySignature {
                    signature: &flipped,
                    ..sig
                },
                &body,
                now
            )
            .is_err(),
            "{name}: signature bytes"
        );
        assert!(
            check(
                &ReplySignature {
                    signature: "not base64!",
                    ..sig
                },
                &body,
                now
            )
            .is_err(),
            "{name}: not base64"
        );
        assert!(
            check(&sig, &body, now + 5.0 * 60_000.0 + 1.0)
                .unwrap_err()
                .message
                .contains("old"),
            "{name}: stale"
        );
        let wrong = AppSecret::new("x".repeat(32).as_str()).unwrap();
        let err = verify::verify(&wrong, &sig, &body, Some(&parsed), NO_EXPECTATION, now);
        assert!(
            err.unwrap_err().message.contains("check appSecret"),
            "{name}: secret"
        );
    }
}

#[test]
fn verify_modes_decide_what_an_unsigned_reply_means() {
    let secret = AppSecret::new(SECRET).unwrap();
    let none = SignatureHeaders::default();
    let check = |mode, h: &SignatureHeaders, status, now| {
        let body = parse(OK).ok();
        let seen = &mut SeenNonces::new();
        verify::check(
            mode,
            &secret,
            h,
            status,
            OK,
            body.as_ref(),
            NO_EXPECTATION,
            now,
            seen,
        )
    };
    assert_eq!(check(VerifyMode::Auto, &none, 200, 0.0), Ok(false));
    assert_eq!(check(VerifyMode::Off, &none, 200, 0.0), Ok(false));
    let err = check(VerifyMode::Require, &none, 200, 0.0).unwrap_err();
    assert!(err.message.contains("missing"));
    // A proxy's unsigned 502 under 'require' is left to be the http error it is.
    assert_eq!(check(VerifyMode::Require, &none, 502, 0.0), Ok(false));
    let forged = SignatureHeaders {
        timestamp: Some("1767225600000"),
        nonce: Some("n"),
        signature: Some("AAAA"),
    };
    assert!(check(VerifyMode::Off, &forged, 200, 0.0).is_ok());
    assert!(check(VerifyMode::Auto, &forged, 200, 1_767_225_600_000.0).is_err());
}

#[test]
fn a_refused_reply_keeps_ttpays_code_and_says_what_to_check_first() {
    let c = config_with(|r| r.verify_responses = Input::Str("require".into()));
    let body = r#"{"code":103,"msg":"sign error\nFAKE LOG LINE","request_id":"r-103"}"#;
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    call.begin_attempt(0.0).unwrap();
    let next = call.handle_reply(&c, 0.0, 0.0, &reply(200, body), &mut SeenNonces::new());
    let Next::Done(Err(e)) = next else {
        panic!("{next:?}")
    };
    assert_eq!(e.kind, ErrorKind::Signature);
    assert_eq!(
        (e.code, e.msg.as_deref()),
        (Some(103), Some("sign error\nFAKE LOG LINE"))
    );
    assert_eq!(e.request_id.as_deref(), Some("r-103"));
    assert!(
        e.message
            .starts_with("TTPay refused the request: code 103 (invalid signature; check appSecret"),
        "{}",
        e.message
    );
    assert!(
        !e.message.contains('\n'),
        "control characters are escaped: {}",
        e.message
    );
    assert!(e.message.contains("unverified"), "{}", e.message);
}

#[test]
fn a_forged_reply_ends_the_call_with_a_signature_error_not_a_retry() {
    let v = &reply_vectors()[0];
    let (_, sig, body, now) = vector_parts(v);
    let flipped = sig.signature.replace('A', "C");
    let sig = ReplySignature {
        signature: &flipped,
        ..sig
    };
    match one_signed_reply(&config_with(|_| {}), "tx", &body, &sig, now) {
        Next::Done(Err(e)) => assert_eq!(
            (e.kind, e.http_status, e.attempts),
            (ErrorKind::Signature, Some(200), 1)
        ),
        other => panic!("{other:?}"),
    }
}

// ---- a reply answers the request it follows (issue 18) ----

const T0: f64 = 1_767_225_600_000.0;

/// TTPay's whole-body signature over `body`, timestamped `ts` (ms), with `nonce`.
fn signed_whole(ts: f64, nonce: &str, body: &str) -> (String, String) {
    let ts = format!("{ts}");
    let secret = AppSecret::new(SECRET).unwrap();
    let signature = ttpay_wasm::core::sign::signature(&secret, &format!("{ts}\n{nonce}\n{body}"));
    (ts, signature)
}

/// A close of `tx` signed at `sent_ms`, answered at `received_ms` by a success TTPay signed at
/// `ts` under `nonce`, through the whole call.
fn answered(seen: &mut SeenNonces, sent_ms: f64, ts: f64, nonce: &str, received_ms: f64) -> Next {
    let c = config_with(|r| r.verify_responses = Input::Str("require".into()));
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    call.begin_attempt(sent_ms).unwrap();
    let _ = call.sign(&c, sent_ms, &[1; 16]);
    let body = format!(r#"{{"code":0,"msg":"success","request_id":"{nonce}"}}"#);
    reply_signed(&mut call, &c, &body, (ts, nonce), received_ms, seen)
}

/// `body` as a 200 reply signed over the whole body at `ts` under `nonce`, handed to `call` at
/// `received_ms`.
fn reply_signed(
    call: &mut Call,
    c: &ClientConfig,
    body: &str,
    (ts, nonce): (f64, &str),
    received_ms: f64,
    seen: &mut SeenNonces,
) -> Next {
    let (ts, signature) = signed_whole(ts, nonce, body);
    let sig = ReplySignature {
        timestamp: &ts,
        nonce,
        signature: &signature,
    };
    let r = Reply {
        status: 200,
        body: body.as_bytes(),
        signature: headers(&sig),
        retry_after: None,
    };
    call.handle_reply(c, received_ms, 0.0, &r, seen)
}

fn nonce(i: usize) -> String {
    format!("{i:032X}")
}

fn verified(next: &Next) -> Result<bool, String> {
    match next {
        Next::Done(Ok(s)) => Ok(s.verified),
        Next::Done(Err(e)) => Err(format!("{:?}: {}", e.kind, e.message)),
        other => Err(format!("{other:?}")),
    }
}

#[test]
fn a_reply_timestamped_before_its_request_was_sent_is_refused_beyond_the_skew_allowance() {
    let allowance = ttpay_wasm::core::skew::SKEW_ALLOWANCE_MS;
    for (i, (before, accepted)) in [
        (-200.0, true),
        (0.0, true),
        (allowance - 1.0, true),
        (allowance + 1_000.0, false),
        (120_000.0, false),
    ]
    .into_iter()
    .enumerate()
    {
        let next = answered(
            &mut SeenNonces::new(),
            T0,
            T0 - before,
            &nonce(i),
            T0 + 50.0,
        );
        match verified(&next) {
            Ok(v) => assert!(accepted && v, "{before} ms before"),
            Err(e) => {
                assert!(!accepted, "{before} ms before: {e}");
                assert!(e.starts_with("Signature"), "{e}");
                let by = format!("predates its request by {:.1} s", before / 1000.0);
                assert!(e.contains(&by), "{e}");
            }
        }
    }
}

#[test]
fn each_attempt_is_answered_in_its_own_time() {
    // A retry signed a minute after the first attempt: a reply from the first attempt's time
    // does not answer it.
    let c = config_with(|r| r.verify_responses = Input::Str("require".into()));
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    call.begin_attempt(T0).unwrap();
    let _ = call.sign(&c, T0, &[1; 16]);
    let next = call.handle_interrupted(&c, T0 + 10.0, 0.0, Interrupted::Timeout);
    assert!(matches!(next, Next::Retry { .. }), "{next:?}");
    let retry_at = T0 + 60_000.0;
    call.begin_attempt(retry_at).unwrap();
    let _ = call.sign(&c, retry_at, &[2; 16]);
    let n = nonce(1);
    let seen = &mut SeenNonces::new();
    let next = reply_signed(&mut call, &c, OK, (T0 + 20.0, &n), retry_at + 50.0, seen);
    let e = verified(&next).unwrap_err();
    assert!(e.contains("predates its request by 60.0 s"), "{e}");
}

#[test]
fn the_clock_offset_is_learned_from_verified_replies_only() {
    // TTPay's clock runs 20 s behind this machine's: each genuine reply is timestamped 20 s
    // before this machine reads its request as sent, which the allowance covers from the start.
    let mut seen = SeenNonces::new();
    let mut sent = T0;
    for i in 0..40 {
        let next = answered(
            &mut seen,
            sent,
            sent - 20_000.0 + 10.0,
            &nonce(i),
            sent + 50.0,
        );
        assert_eq!(verified(&next), Ok(true), "reply {i}");
        sent += 1_000.0;
    }
    assert_eq!(seen.clock().offset_ms(), -20_040.0);
    // So a reply 51 s old on this machine's clock is 31 s old on TTPay's: refused, and it
    // teaches nothing; one 45 s old is 25 s old on TTPay's: accepted.
    let next = answered(&mut seen, sent, sent - 51_000.0, &nonce(100), sent + 50.0);
    let e = verified(&next).unwrap_err();
    assert!(
        e.contains("by 31.0 s") && e.contains("offset of -20.0 s"),
        "{e}"
    );
    assert_eq!(seen.clock().offset_ms(), -20_040.0);
    let next = answered(&mut seen, sent, sent - 45_000.0, &nonce(101), sent + 50.0);
    assert_eq!(verified(&next), Ok(true));
    // A replay is refused and teaches nothing either.
    let learned = seen.clock();
    let next = answered(&mut seen, sent, sent - 45_000.0, &nonce(101), sent + 50.0);
    assert!(verified(&next).unwrap_err().contains("seen before"));
    assert_eq!(seen.clock(), learned);
}

#[test]
fn replies_that_verify_cannot_pull_the_offset_past_the_remaining_window() {
    use ttpay_wasm::core::skew::{
        MAX_LEARNED_LAG_MS, REMAINING_REPLAY_WINDOW_S, SKEW_ALLOWANCE_MS,
    };
    // Genuine replies played back each as old as the allowance lets them be, one after another:
    // each pulls the offset down, but no further than its bound.
    let mut seen = SeenNonces::new();
    for i in 0..200 {
        let sent = T0 + i as f64 * 1_000.0;
        let oldest = sent + seen.clock().offset_ms() - SKEW_ALLOWANCE_MS;
        let next = answered(&mut seen, sent, oldest, &nonce(i), sent + 50.0);
        assert_eq!(verified(&next), Ok(true), "reply {i}");
    }
    assert_eq!(seen.clock().offset_ms(), -MAX_LEARNED_LAG_MS);
    let window = f64::from(REMAINING_REPLAY_WINDOW_S) * 1000.0;
    let sent = T0 + 300_000.0;
    let next = answered(
        &mut seen,
        sent,
        sent - window - 1.0,
        &nonce(1_000),
        sent + 50.0,
    );
    assert!(verified(&next).is_err(), "older than the remaining window");
    let next = answered(
        &mut seen,
        sent,
        sent - window + 1.0,
        &nonce(1_001),
        sent + 50.0,
    );
    assert_eq!(verified(&next), Ok(true));
}

#[test]
fn a_data_only_signature_vouches_for_the_code_only_as_far_as_its_data_does() {
    let secret = AppSecret::new(SECRET).unwrap();
    let ts = "1767225600000";
    let cases = [
        (0, Some("CLOSED"), Ok(())),
        (0, Some("SUCCESS"), Err("does not say the order is CLOSED")),
        (0, Some("NOTPAY"), Err("does not say the order is CLOSED")),
        (0, None, Err("does not say the order is CLOSED")),
        (
            20005,
            Some("CLOSED"),
            Err("says the order is CLOSED, beside code 20005"),
        ),
        (20005, Some("SUCCESS"), Ok(())),
    ];
    for (i, (code, state, outcome)) in cases.into_iter().enumerate() {
        let mut data = serde_json::json!({"transaction_id": "tx"});
        if let Some(state) = state {
            data["trade_state"] = J::from(state);
        }
        let body = serde_json::json!({"code": code, "msg": "m", "request_id": "r", "data": data})
            .to_string();
        let n = nonce(i);
        let signature = ttpay_wasm::core::sign::signature(&secret, &format!("{ts}\n{n}\n{data}"));
        let sig = ReplySignature {
            timestamp: ts,
            nonce: &n,
            signature: &signature,
        };
        let parsed = parse(&body).unwrap();
        let got = verify::verify(&secret, &sig, &body, Some(&parsed), about(Some("tx")), T0);
        match (outcome, got) {
            (Ok(()), Ok(_)) => {}
            (Err(why), Err(e)) => {
                assert_eq!(e.kind, ErrorKind::Signature);
                assert!(e.message.contains(why), "{code} {state:?}: {}", e.message);
            }
            (want, got) => panic!("{code} {state:?}: wanted {want:?}, got {got:?}"),
        }
    }
}

#[test]
fn a_reply_repeating_what_a_splice_cannot_change_is_refused_under_any_nonce() {
    let mut seen = SeenNonces::new();
    let (ts, text) = (
        "1767225600000",
        r#"{"code":0,"msg":"success","request_id":"r"}"#,
    );
    let first = "A1AC7061FCCAB6BF3E254DCF98995B01";
    assert!(seen
        .insert(&ReplyKeys::new(ts, first, text), T0, T0)
        .is_ok());
    // The same timestamp and signed text under a wholly new nonce.
    let other = "0123456789ABCDEF0123456789ABCDEF";
    assert_eq!(
        seen.insert(&ReplyKeys::new(ts, other, text), T0, T0),
        Err(Refused::Spliced)
    );
    // Another timestamp and text, but the first nonce's last block (its 14 last characters).
    let spliced = "FFFFFFFFFFFFFFFFFF254DCF98995B01";
    let later = "1767225601000";
    let text2 = r#"{"code":0,"msg":"success","request_id":"s"}"#;
    assert_eq!(
        seen.insert(&ReplyKeys::new(later, spliced, text2), T0, T0),
        Err(Refused::Spliced)
    );
    // The same text at another time under a new nonce is another reply.
    assert!(seen
        .insert(&ReplyKeys::new(later, other, text), T0, T0)
        .is_ok());
}

// ---- rate limiting ----

#[test]
fn six_callers_at_once_are_spaced_210_ms_apart_and_idle_time_banks_nothing() {
    let rule = Rule::new(5.0, 50.0);
    let mut spacing = Spacing::new();
    assert_eq!(spacing.try_send(rule, 1_000.0), Ok(()));
    assert_eq!(spacing.try_send(rule, 1_000.0), Err(210.0));
    // After a quiet spell: one at once, the next an interval later.
    assert_eq!(spacing.try_send(rule, 10_000.0), Ok(()));
    assert_eq!(spacing.try_send(rule, 10_000.0), Err(210.0));
}

#[test]
fn sends_the_shared_limiter_granted_count_when_pacing_takes_over() {
    let rule = Rule::new(5.0, 50.0);
    let mut spacing = Spacing::new();
    spacing.record(400.0, 0.0);
    // The store failed: the local rule knows of its last grant.
    assert_eq!(spacing.try_send(rule, 500.0), Err(110.0));
    // An earlier grant never moves it back.
    spacing.record(0.0, 0.0);
    assert_eq!(spacing.try_send(rule, 610.0), Ok(()));
}

#[test]
fn fifty_callers_who_leave_the_line_leave_nothing_behind() {
    let mut line = Line::new();
    let tickets: Vec<u64> = (0..50).map(|_| line.join()).collect();
    for &t in tickets.iter().rev() {
        let _ = line.leave(t);
    }
    let next = line.join();
    assert!(line.is_first(next), "the next caller is first at once");
}

#[test]
fn a_shared_limiter_needs_a_rate_and_a_known_failure_policy() {
    let bad = |patch: fn(&mut RawClientOptions)| raw_with(patch).validate().unwrap_err().message;
    assert!(bad(|r| {
        r.shared_limiter = true;
        r.rate_limit_per_second = Input::Other("null");
    })
    .starts_with("rateLimiter: "));
    assert!(
        bad(|r| r.on_rate_limiter_error = Input::Str("retry".into()))
            .starts_with("onRateLimiterError: ")
    );
    assert!(
        bad(|r| r.rate_limiter_timeout_ms = Input::Num(0.0)).starts_with("rateLimiterTimeoutMs: ")
    );
    let c = config_with(|r| r.on_rate_limiter_error = Input::Str("fail".into()));
    assert_eq!(c.shared_limiter.on_error, FailurePolicy::Fail);
    assert_eq!(c.shared_limiter.timeout_ms, 1_000);
}

#[test]
fn the_deadline_bounds_what_a_shared_limiter_may_make_a_call_wait() {
    let c = config_with(|r| r.deadline_ms = Input::Num(1_000.0));
    let mut call = Call::close_order(&c, &Input::Str("tx".into()), &Input::Missing).unwrap();
    assert_eq!(call.max_wait_ms(5_000.0), Some(999.0));
    assert_eq!(call.max_wait_ms(5_600.0), Some(399.0));
    assert!(call
        .no_slot_in_time()
        .message
        .contains("deadlineMs (1000 ms)"));
    let open = config_with(|_| {});
    let mut call = Call::close_order(&open, &Input::Str("tx".into()), &Input::Missing).unwrap();
    assert_eq!(call.max_wait_ms(0.0), None);
    // Without a deadline a `false` is the limiter's own refusal: no deadline is named.
    let refused = call.no_slot_in_time();
    assert_eq!(refused.kind, ErrorKind::Timeout);
    assert!(
        !refused.message.contains("deadlineMs"),
        "{}",
        refused.message
    );
    assert!(
        refused.message.contains("answered false"),
        "{}",
        refused.message
    );
}
