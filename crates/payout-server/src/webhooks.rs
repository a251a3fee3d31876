//! Sending webhooks (SPEC §12.6): signed as the Standard Webhooks specification says, over HTTPS,
//! only to addresses allowed, by a worker in every server.
//!
//! Signature: `webhook-signature: v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">`
//! keyed with the Base64 after the secret's `whsec_`. Where it may go: the URL's host is resolved,
//! every address checked (no loopback, private, link-local, unspecified, … unless the server runs
//! with `--allow-insecure-webhooks`), and the request goes to that checked address, so a second
//! lookup (DNS rebinding) cannot move it. A 10 s timeout, no redirects, and at most 1 KB of any
//! answer is read: a receiver that never answers, answers slowly or sends 10 MB holds one slot of
//! its own endpoint, not the others' and not memory.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use payout_core::webhooks::retry_after_seconds;
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::store::{Attempt, DueDelivery, Store};

/// How long one attempt may take, all of it: the lookup, the connection, the answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// A taken delivery is not taken again before this (a server that died mid-attempt). Longer than
/// an attempt can last, with room to record it, so a live server's attempt is never doubled.
const LEASE_SECONDS: i64 = 20;
/// Attempts one endpoint may have out at once: a slow one holds only these.
const PER_ENDPOINT: usize = 8;
/// Attempts one server has out at once.
const IN_FLIGHT: usize = 128;
const TIMED_OUT: &str = "timed out after 10 s";
/// What is kept of an answer's body.
const RESPONSE_BYTES: usize = 1024;

/// A new signing secret: `whsec_` and 32 random bytes in Base64 (the specification's form).
pub fn new_secret() -> String {
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>()))
}

/// The `webhook-signature` of a message (Standard Webhooks, `v1`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// May a webhook be sent to this address? Not to this machine, a private network, a link-local
/// or unspecified address (nor the like in IPv6, nor IPv4 inside IPv6).
pub fn address_allowed(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return address_allowed(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Why a URL's host may not be sent to.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("cannot resolve {0}")]
    Unresolved(String),
    #[error("{host} resolves to {ip}, an address webhooks may not reach (loopback, private, link-local…)")]
    Address { host: String, ip: IpAddr },
}

/// Resolves `host`, refusing it if any address is not allowed; the address to connect to.
pub async fn checked_address(host: &str, port: u16, allow_insecure: bool) -> Result<SocketAddr, Refused> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| Refused::Unresolved(host.to_owned()))?
        .collect();
    if addresses.is_empty() {
        return Err(Refused::Unresolved(host.to_owned()));
    }
    if !allow_insecure {
        if let Some(bad) = addresses.iter().find(|a| !address_allowed(a.ip())) {
            return Err(Refused::Address { host: host.to_owned(), ip: bad.ip() });
        }
    }
    Ok(addresses[0])
}

/// HTTP clients by host and checked address, so a receiver's connections are kept alive from one
/// delivery to the next, and each client reaches only the address that was checked for it.
#[derive(Clone, Default)]
pub struct Clients(Arc<Mutex<HashMap<(String, SocketAddr), reqwest::Client>>>);

impl Clients {
    /// At most this many are kept; past it the cache starts again (addresses change rarely).
    const KEPT: usize = 256;

    fn to(&self, host: &str, address: SocketAddr) -> Result<reqwest::Client, String> {
        let mut clients = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&(host.to_owned(), address)) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .resolve(host, address)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        if clients.len() >= Self::KEPT {
            clients.clear();
        }
        clients.insert((host.to_owned(), address), client.clone());
        Ok(client)
    }
}

/// Sends one delivery and says what it came to.
pub async fn attempt(d: &DueDelivery, allow_insecure: bool, now_seconds: i64, clients: &Clients) -> Attempt {
    let sent = tokio::time::timeout(TIMEOUT, send(d, allow_insecure, now_seconds, clients)).await;
    match sent.unwrap_or_else(|_| Err(TIMED_OUT.to_owned())) {
        Ok((status, response)) if (200..300).contains(&status) => Attempt {
            delivered: true,
            status: Some(status),
            response: Some(response),
            error: None,
            retry_at: None,
        },
        Ok((status, response)) => Attempt {
            delivered: false,
            status: Some(status),
            response: Some(response),
            error: Some(format!("HTTP {status}")),
            retry_at: None,
        },
        Err(error) => {
            Attempt { delivered: false, status: None, response: None, error: Some(error), retry_at: None }
        }
    }
}

async fn send(
    d: &DueDelivery,
    allow_insecure: bool,
    now_seconds: i64,
    clients: &Clients,
) -> Result<(u16, String), String> {
    let url = reqwest::Url::parse(&d.url).map_err(|e| format!("bad URL: {e}"))?;
    let host =
        url.host_str().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']').to_owned();
    if url.scheme() != "https" && !allow_insecure {
        return Err("only https:// is sent to".into());
    }
    let port = url.port_or_known_default().ok_or("the URL has no port")?;
    let address = checked_address(&host, port, allow_insecure).await.map_err(|e| e.to_string())?;
    let client = clients.to(&host, address)?;
    let signature = sign(&d.secret, &d.event_id, now_seconds, &d.payload)
        .ok_or("the endpoint's secret is not valid Base64")?;
    let mut response = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "payout-console-webhooks/1")
        .header("webhook-id", &d.event_id)
        .header("webhook-timestamp", now_seconds.to_string())
        .header("webhook-signature", signature)
        .body(d.payload.clone())
        .send()
        .await
        .map_err(|e| if e.is_timeout() { TIMED_OUT.to_owned() } else { format!("cannot send: {e}") })?;
    let status = response.status().as_u16();
    // The first 1 KB of the answer is kept; the rest is never read (the connection is dropped).
    let mut body = Vec::with_capacity(RESPONSE_BYTES);
    while body.len() < RESPONSE_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(RESPONSE_BYTES - body.len())]),
            _ => break,
        }
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Delivers the webhook outbox: takes due deliveries under a lease, each attempt in a task of its
/// own (at most [`PER_ENDPOINT`] per endpoint), records the outcomes in batches.
pub struct WebhookWorker {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub interval: Duration,
    pub allow_insecure: bool,
    pub clients: Clients,
}

impl WebhookWorker {
    pub async fn run(self, stop: CancellationToken) {
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<(DueDelivery, Attempt)>();
        let mut in_flight: HashMap<i64, usize> = HashMap::new();
        let mut tick = tokio::time::interval(self.interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                Some(first) = done_rx.recv() => {
                    let mut batch = vec![first];
                    while let Ok(more) = done_rx.try_recv() {
                        batch.push(more);
                    }
                    self.record(&mut in_flight, batch).await;
                    // Room was freed: fill it now rather than at the next tick.
                    self.dispatch(&mut in_flight, &done_tx).await;
                }
                _ = tick.tick() => self.dispatch(&mut in_flight, &done_tx).await,
            }
        }
        // Attempts still out are left to their lease: another server (or the next start) sends
        // them again with the same webhook-id.
    }

    async fn record(&self, in_flight: &mut HashMap<i64, usize>, mut batch: Vec<(DueDelivery, Attempt)>) {
        let now = self.clock.now();
        for (d, a) in &mut batch {
            if let Some(n) = in_flight.get_mut(&d.endpoint_id) {
                *n = n.saturating_sub(1);
            }
            if !a.delivered {
                a.retry_at = retry_after_seconds(d.attempts).map(|s| now.plus_seconds(s));
                tracing::warn!(
                    delivery = d.id,
                    endpoint = d.endpoint_id,
                    attempts = d.attempts,
                    error = a.error.as_deref().unwrap_or(""),
                    given_up = a.retry_at.is_none(),
                    "webhook not delivered"
                );
            }
            let outcome = if a.delivered {
                "delivered"
            } else if a.retry_at.is_some() {
                "retry"
            } else {
                "failed"
            };
            metrics::counter!("webhook_attempts_total", "outcome" => outcome).increment(1);
        }
        in_flight.retain(|_, n| *n > 0);
        if let Err(e) = self.store.webhook_record(&batch, now).await {
            // The leases end and the rows are taken again: at least once, never lost.
            tracing::warn!(error = %e, "webhooks: cannot record outcomes");
        }
    }

    async fn dispatch(
        &self,
        in_flight: &mut HashMap<i64, usize>,
        done: &mpsc::UnboundedSender<(DueDelivery, Attempt)>,
    ) {
        let out: usize = in_flight.values().sum();
        let free = IN_FLIGHT.saturating_sub(out);
        if free == 0 {
            return;
        }
        let now = self.clock.now();
        let room =
            |endpoint: i64| PER_ENDPOINT.saturating_sub(in_flight.get(&endpoint).copied().unwrap_or(0));
        let lease_until = now.plus_seconds(LEASE_SECONDS);
        let taken = self.store.webhook_take(now, lease_until, free as u32, PER_ENDPOINT as u32, &room).await;
        let due = match taken {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "webhooks: cannot take due deliveries");
                return;
            }
        };
        for d in due {
            *in_flight.entry(d.endpoint_id).or_default() += 1;
            let (done, allow_insecure, clock, clients) =
                (done.clone(), self.allow_insecure, self.clock.clone(), self.clients.clone());
            tokio::spawn(async move {
                let attempt = attempt(&d, allow_insecure, clock.now().unix_seconds(), &clients).await;
                let _ = done.send((d, attempt));
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        // From the Standard Webhooks specification (spec/standard-webhooks.md, "Verifying").
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signature.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        assert!(new_secret().starts_with("whsec_"));
    }

    #[test]
    fn webhooks_reach_only_public_addresses() {
        for blocked in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.9",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!address_allowed(blocked.parse().unwrap()), "{blocked}");
        }
        for allowed in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(address_allowed(allowed.parse().unwrap()), "{allowed}");
        }
    }
}
