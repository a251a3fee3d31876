//! Webhooks (SPEC §12.6): the events a merchant's systems may hear about, the endpoints the main
//! account registers, and their deliveries, as the API 设置 page sends and lists them.

use serde::{Deserialize, Serialize};

use crate::people::SecretText;
use crate::time::Time;

/// What happened to a payout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventType {
    #[serde(rename = "payout.created")]
    Created,
    #[serde(rename = "payout.awaiting_approval")]
    AwaitingApproval,
    #[serde(rename = "payout.approved")]
    Approved,
    #[serde(rename = "payout.rejected")]
    Rejected,
    #[serde(rename = "payout.succeeded")]
    Succeeded,
    #[serde(rename = "payout.failed")]
    Failed,
    #[serde(rename = "payout.stuck")]
    Stuck,
    /// Sent by "send a test event" only.
    #[serde(rename = "webhook.test")]
    Test,
}

impl EventType {
    /// The events an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 7] = [
        EventType::Created,
        EventType::AwaitingApproval,
        EventType::Approved,
        EventType::Rejected,
        EventType::Succeeded,
        EventType::Failed,
        EventType::Stuck,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Created => "payout.created",
            EventType::AwaitingApproval => "payout.awaiting_approval",
            EventType::Approved => "payout.approved",
            EventType::Rejected => "payout.rejected",
            EventType::Succeeded => "payout.succeeded",
            EventType::Failed => "payout.failed",
            EventType::Stuck => "payout.stuck",
            EventType::Test => "webhook.test",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::SUBSCRIBABLE.into_iter().chain([EventType::Test]).find(|e| e.as_str() == text.trim())
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EventType::Created => "打款已创建",
            EventType::AwaitingApproval => "打款待审核",
            EventType::Approved => "打款已审核通过",
            EventType::Rejected => "打款已驳回",
            EventType::Succeeded => "打款成功",
            EventType::Failed => "打款失败",
            EventType::Stuck => "打款状态确认中",
            EventType::Test => "测试事件",
        }
    }
}

/// The longest endpoint URL accepted.
pub const MAX_URL_CHARS: usize = 2_000;

/// `POST /api/webhooks`, `PUT /api/webhooks/{id}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointInput {
    pub url: String,
    /// Event names, e.g. `payout.succeeded`.
    pub events: Vec<String>,
    /// `PUT` only: switch the endpoint off or on (default: on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// An endpoint input that passed [`validate_endpoint`]: the URL's parts the server checks further
/// (its host's addresses) and the events, sorted, without repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidEndpoint {
    pub url: String,
    pub https: bool,
    pub host: String,
    pub port: u16,
    pub events: Vec<EventType>,
}

/// Checks an endpoint as typed: an absolute `https://` URL with a host (or `http://` when the
/// server allows insecure webhooks), at most 2,000 characters, no user or password in it, and at
/// least one known event.
pub fn validate_endpoint(
    input: &EndpointInput,
    allow_insecure: bool,
) -> Result<ValidEndpoint, (String, String)> {
    let url = input.url.trim();
    if url.chars().count() > MAX_URL_CHARS {
        return Err((
            format!("地址不能超过 {MAX_URL_CHARS} 个字符"),
            format!("The URL is longer than {MAX_URL_CHARS} characters"),
        ));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| ("请填写完整的 https:// 地址".to_owned(), "Enter a full https:// URL".to_owned()))?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" if allow_insecure => false,
        "http" => {
            return Err((
                "地址必须是 https://（http 仅在服务端开启 --allow-insecure-webhooks 时可用于本地测试）".into(),
                "The URL must be https:// (http only when the server runs with --allow-insecure-webhooks, for local testing)".into(),
            ))
        }
        other => return Err((format!("不支持 {other}:// 地址，请使用 https://"), format!("{other}:// is not supported; use https://"))),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err((
            "地址中不能包含用户名或密码".into(),
            "The URL cannot hold a user name or password".into(),
        ));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') && host.ends_with(']') => {
            match port.parse::<u16>() {
                Ok(port) => (host, port),
                Err(_) if authority.starts_with('[') && !host.ends_with(']') => {
                    (authority, if https { 443 } else { 80 })
                }
                Err(_) => return Err(("端口号不正确".into(), "The port is not a number".into())),
            }
        }
        _ => (authority, if https { 443 } else { 80 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(("地址缺少主机名".into(), "The URL has no host".into()));
    }
    let mut events = Vec::new();
    for name in &input.events {
        let Some(event) = EventType::parse(name).filter(|e| *e != EventType::Test) else {
            return Err((
                format!("未知的事件 {name:?}；可选：payout.created、payout.awaiting_approval、payout.approved、payout.rejected、payout.succeeded、payout.failed、payout.stuck"),
                format!("Unknown event {name:?}; choose from the payout.* events"),
            ));
        };
        if !events.contains(&event) {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Err(("请至少选择一个事件".into(), "Choose at least one event".into()));
    }
    events.sort();
    Ok(ValidEndpoint { url: url.to_owned(), https, host, port, events })
}

/// An endpoint as the API 设置 page lists it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointView {
    pub id: i64,
    pub url: String,
    pub events: Vec<EventType>,
    pub active: bool,
    pub created_at: Time,
    /// Deliveries not yet delivered nor given up.
    pub pending: u64,
    /// Deliveries given up after every retry.
    pub failed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointList {
    pub items: Vec<EndpointView>,
}

/// `POST /api/webhooks` → `201`: the signing secret (`whsec_…`), shown this once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointCreated {
    pub id: i64,
    pub secret: SecretText,
    pub endpoint: EndpointView,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Every retry of SPEC §12.6's schedule failed; it may be resent.
    Failed,
}

/// One event's delivery to one endpoint, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` header of every attempt.
    pub event_id: String,
    pub event_type: EventType,
    pub status: DeliveryStatus,
    pub attempts: u32,
    /// The last answer's HTTP status, if one came.
    pub last_status: Option<u16>,
    /// The first 1 KB of the last answer's body.
    pub last_response: Option<String>,
    /// Why the last attempt failed (a timeout, a refused connection, an address not allowed).
    pub last_error: Option<String>,
    pub next_attempt_at: Option<Time>,
    pub created_at: Time,
    pub delivered_at: Option<Time>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

/// The pause before each retry (SPEC §12.6): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; after the
/// last, the delivery is failed. `None` once `attempts` have all been made.
pub fn retry_after_seconds(attempts: u32) -> Option<i64> {
    const SCHEDULE: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
    attempts.checked_sub(1).and_then(|i| SCHEDULE.get(i as usize).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str, events: &[&str]) -> EndpointInput {
        EndpointInput {
            url: url.into(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            active: None,
        }
    }

    #[test]
    fn an_endpoint_is_an_https_url_with_a_host_and_known_events() {
        let ok = validate_endpoint(
            &input(
                " https://erp.example.com:8443/hooks?x=1 ",
                &["payout.succeeded", "payout.created", "payout.created"],
            ),
            false,
        )
        .unwrap();
        assert_eq!((ok.host.as_str(), ok.port, ok.https), ("erp.example.com", 8443, true));
        assert_eq!(ok.events, [EventType::Created, EventType::Succeeded]);
        for (url, events) in [
            ("ftp://example.com/x", &["payout.created"][..]),
            ("https:///path", &["payout.created"][..]),
            ("https://", &["payout.created"][..]),
            ("example.com/hook", &["payout.created"][..]),
            ("http://example.com/hook", &["payout.created"][..]),
            ("https://user:pw@example.com/", &["payout.created"][..]),
            ("https://example.com/hook", &["payout.exploded"][..]),
            ("https://example.com/hook", &[][..]),
            ("https://example.com/hook", &["webhook.test"][..]),
        ] {
            assert!(validate_endpoint(&input(url, events), false).is_err(), "{url} {events:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(3_000));
        assert!(validate_endpoint(&input(&long, &["payout.created"]), false).is_err());
        let local =
            validate_endpoint(&input("http://127.0.0.1:9000/hook", &["payout.created"]), true).unwrap();
        assert_eq!((local.host.as_str(), local.port, local.https), ("127.0.0.1", 9000, false));
        let v6 = validate_endpoint(&input("https://[::1]:8443/x", &["payout.created"]), false).unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 8443));
    }

    #[test]
    fn retries_follow_the_schedule_then_stop() {
        let pauses: Vec<_> = (1..=8).map(retry_after_seconds).collect();
        assert_eq!(
            pauses,
            [Some(5), Some(300), Some(1_800), Some(7_200), Some(18_000), Some(36_000), Some(36_000), None]
        );
    }
}
