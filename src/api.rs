//! The JSON API client (SPEC §8). Every call returns `Result<T, ApiError>`: an `ErrorBody` from the
//! server and a network failure both become an [`ApiError`] that views show the same way.
//!
//! The CSRF token of the session is kept here and sent on every state-changing request. A `401` on
//! any call but the session's own tells the app (through [`on_unauthorized`]) that the session ended.

use std::cell::RefCell;
use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use payout_core::api::{
    ErrorBody, LoginRequest, OperatorList, PayoutContext, PayoutDetail, PayoutDraft, PayoutList,
    PayoutSettings, PayoutView, PermissionsUpdate, QuotaList, QuotaUpdate, QuotaView, SessionInfo,
    SettingsUpdate, TopUpRequest, TopUpView,
};
use payout_core::approval::RejectRequest;
use payout_core::people::{
    OneTimePassword, PasswordChange, RecoveryCodes, SubAccountCreate, SubAccountCreated, SubAccountList,
    SubAccountUpdate, SubAccountView, TwoFactorConfirm, TwoFactorOff, TwoFactorSetup,
};
use payout_core::reasons::{Reason, ReasonInput, ReasonList};
use payout_core::statement::{Overview, Statement};
use payout_core::Violation;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::i18n::Lang;

/// What went wrong with a call, ready to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status; `0` when the request never got an answer (network failure).
    pub status: u16,
    /// The `code` of the error body (`NETWORK` and `BAD_RESPONSE` for failures on our side).
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
    pub violations: Vec<Violation>,
}

impl ApiError {
    /// No definite answer: the request may or may not have been carried out (no answer at all,
    /// a timeout, or a gateway's 502/503/504). A retry must reuse the idempotency key.
    pub fn is_ambiguous(&self) -> bool {
        matches!(self.status, 0 | 408 | 500..=599)
    }

    fn network() -> ApiError {
        ApiError {
            status: 0,
            code: "NETWORK".into(),
            message_zh: "网络异常，请检查网络后重试".into(),
            message_en: "Network problem; check your connection and try again".into(),
            violations: vec![],
        }
    }

    fn bad_response(status: u16) -> ApiError {
        ApiError {
            status,
            code: "BAD_RESPONSE".into(),
            message_zh: format!("服务暂时不可用（{status}），请稍后重试"),
            message_en: format!("The service is unavailable ({status}); try again later"),
            violations: vec![],
        }
    }

    /// Said before asking the server: the text is not a 19-digit order number.
    pub fn invalid_order_no() -> ApiError {
        ApiError {
            status: 400,
            code: "INVALID_ORDER_NO".into(),
            message_zh: "订单号应为 19 位数字，请检查后重新输入".into(),
            message_en: "An order number is 19 digits; check it and try again".into(),
            violations: vec![],
        }
    }

    /// The request may or may not have reached the server: retrying must reuse the same attempt.
    pub fn is_network(&self) -> bool {
        self.status == 0
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.message_zh, &self.message_en)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message_en)
    }
}

impl std::error::Error for ApiError {}

thread_local! {
    static CSRF: RefCell<Option<String>> = const { RefCell::new(None) };
    static ON_UNAUTHORIZED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
    static ON_PASSWORD_CHANGE_REQUIRED: RefCell<Option<Box<dyn Fn()>>> = const { RefCell::new(None) };
}

/// Called whenever an API call answers `401` (the session expired or was signed out elsewhere).
pub fn on_unauthorized(f: impl Fn() + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

/// Called whenever an API call answers `403 PASSWORD_CHANGE_REQUIRED` (the session was signed in
/// with a one-time password: the app shows the change form).
pub fn on_password_change_required(f: impl Fn() + 'static) {
    ON_PASSWORD_CHANGE_REQUIRED.with(|h| *h.borrow_mut() = Some(Box::new(f)));
}

fn remember(session: &SessionInfo) {
    CSRF.with(|c| *c.borrow_mut() = Some(session.csrf_token.clone()));
}

/// Adds the CSRF header (state-changing requests).
fn csrf(req: RequestBuilder) -> RequestBuilder {
    match CSRF.with(|c| c.borrow().clone()) {
        Some(token) => req.header("X-CSRF-Token", &token),
        None => req,
    }
}

async fn answer(res: Result<Response, gloo_net::Error>, session_call: bool) -> Result<Response, ApiError> {
    let res = res.map_err(|_| ApiError::network())?;
    if res.ok() {
        return Ok(res);
    }
    let status = res.status();
    let error = match json::<ErrorBody>(res).await {
        Ok(body) => ApiError {
            status,
            code: body.error.code,
            message_zh: body.error.message_zh,
            message_en: body.error.message_en,
            violations: body.error.violations.unwrap_or_default(),
        },
        Err(e) => e,
    };
    // A wrong two-step code (turning it on or off) is a refused guess, not an ended session.
    if status == 401 && !session_call && error.code != "TWO_FACTOR_INVALID" {
        forget_session_marker();
        call(&ON_UNAUTHORIZED);
    }
    if status == 403 && !session_call && error.code == "PASSWORD_CHANGE_REQUIRED" {
        call(&ON_PASSWORD_CHANGE_REQUIRED);
    }
    Err(error)
}

type Hook = std::thread::LocalKey<RefCell<Option<Box<dyn Fn()>>>>;

fn call(hook: &'static Hook) {
    hook.with(|h| {
        if let Some(h) = h.borrow().as_ref() {
            h()
        }
    });
}

/// The answer's body as `T`: parsed by the browser (`Response.json()`), read by `serde-wasm-bindgen`.
async fn json<T: DeserializeOwned>(res: Response) -> Result<T, ApiError> {
    let status = res.status();
    let bad = |_| ApiError::bad_response(status);
    let promise = web_sys::Response::from(res).json().map_err(bad)?;
    let value = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(bad)?;
    serde_wasm_bindgen::from_value(value).map_err(|_| ApiError::bad_response(status))
}

// JSON goes through the browser's own `JSON.parse` / `JSON.stringify`, and `serde-wasm-bindgen`
// moves it between JavaScript values and Rust types: the wasm carries no JSON parser or printer
// of its own (issue 22: serde_json's reader and writer per API type were ≈ 11 % of the wasm).

/// `text` (JSON) as `T`; `None` if it is not JSON or not a `T`.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok()
}

/// `value` as JSON text, as serde_json would write it (objects for maps, numbers for integers).
pub fn to_json<T: Serialize>(value: &T) -> Option<String> {
    let value = value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).ok()?;
    js_sys::JSON::stringify(&value).ok()?.as_string()
}

/// A request with `body` as its JSON body.
fn with_json<B: Serialize>(req: RequestBuilder, body: &B) -> Result<gloo_net::http::Request, ApiError> {
    let text = to_json(body).ok_or_else(ApiError::network)?;
    req.header("Content-Type", "application/json").body(text).map_err(|_| ApiError::network())
}

/// The body of a `POST` that carries nothing: `{}`.
#[derive(Serialize)]
struct Empty {}

async fn get<T: DeserializeOwned>(req: RequestBuilder) -> Result<T, ApiError> {
    json(answer(req.send().await, false).await?).await
}

async fn send<B: Serialize, T: DeserializeOwned>(req: RequestBuilder, body: &B) -> Result<T, ApiError> {
    let req = with_json(csrf(req), body)?;
    json(answer(req.send().await, false).await?).await
}

/// A path segment, percent-encoded.
fn seg(text: &str) -> String {
    String::from(js_sys::encode_uri_component(text))
}

// --- session ---------------------------------------------------------------------------------

/// The cookie the server sets beside the (`HttpOnly`) session cookie to say that a session was
/// started in this browser (`__Host-…` over HTTPS). It holds no secret.
const MARKERS: [&str; 2] = ["payout_signed_in", "__Host-payout_signed_in"];

fn document_cookie() -> String {
    let document = leptos::prelude::document();
    js_sys::Reflect::get(&document, &"cookie".into()).ok().and_then(|c| c.as_string()).unwrap_or_default()
}

/// Whether this browser may hold a session: without the marker nobody is signed in here.
pub fn may_be_signed_in() -> bool {
    document_cookie()
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .any(|(k, v)| MARKERS.contains(&k) && !v.is_empty())
}

/// Drops the marker (the session it stood for has ended: expired, or signed out elsewhere).
pub fn forget_session_marker() {
    let document = leptos::prelude::document();
    for (name, secure) in [(MARKERS[0], ""), (MARKERS[1], "; Secure")] {
        let expired = format!("{name}=; Max-Age=0; Path=/; SameSite=Strict{secure}");
        let _ = js_sys::Reflect::set(&document, &"cookie".into(), &expired.into());
    }
}

/// `GET /api/session`: `Ok(None)` when nobody is signed in. Without the marker cookie the server
/// is not asked: its answer would be a `401`, which browsers log as an error on every signed-out
/// page load.
pub async fn session() -> Result<Option<SessionInfo>, ApiError> {
    if !may_be_signed_in() {
        return Ok(None);
    }
    match answer(Request::get("/api/session").send().await, true).await {
        Ok(res) => {
            let info: SessionInfo = json(res).await?;
            remember(&info);
            Ok(Some(info))
        }
        Err(e) if e.status == 401 => {
            forget_session_marker();
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

pub async fn sign_in(login: &LoginRequest) -> Result<SessionInfo, ApiError> {
    let req = with_json(Request::post("/api/session"), login)?;
    let info: SessionInfo = json(answer(req.send().await, true).await?).await?;
    remember(&info);
    Ok(info)
}

pub async fn sign_out() -> Result<(), ApiError> {
    let result = answer(csrf(Request::delete("/api/session")).send().await, true).await;
    if result.is_ok() || result.as_ref().is_err_and(|e| e.status == 401) {
        // The server cleared it with the session; a session that had already ended leaves it.
        forget_session_marker();
    }
    result?;
    CSRF.with(|c| *c.borrow_mut() = None);
    Ok(())
}

/// `PUT /api/session/password`: the session as it is after the change (no longer required to
/// change it).
pub async fn change_password(change: &PasswordChange) -> Result<SessionInfo, ApiError> {
    let info: SessionInfo = send(Request::put("/api/session/password"), change).await?;
    remember(&info);
    Ok(info)
}

/// `POST /api/session/two-factor`: a new secret and its QR code; not on until confirmed.
pub async fn two_factor_begin() -> Result<TwoFactorSetup, ApiError> {
    send(Request::post("/api/session/two-factor"), &Empty {}).await
}

/// `POST /api/session/two-factor/confirm`: on, and the 10 recovery codes (shown once).
pub async fn two_factor_confirm(confirm: &TwoFactorConfirm) -> Result<RecoveryCodes, ApiError> {
    send(Request::post("/api/session/two-factor/confirm"), confirm).await
}

/// `DELETE /api/session/two-factor` with the password and a code.
pub async fn two_factor_off(off: &TwoFactorOff) -> Result<(), ApiError> {
    let req = with_json(csrf(Request::delete("/api/session/two-factor")), off)?;
    answer(req.send().await, false).await?;
    Ok(())
}

// --- sub-accounts (SPEC §12.2) ---------------------------------------------------------------

pub async fn sub_accounts() -> Result<SubAccountList, ApiError> {
    get(Request::get("/api/sub-accounts")).await
}

/// `POST /api/sub-accounts`: the new account and its one-time password, shown once.
pub async fn create_sub_account(create: &SubAccountCreate) -> Result<SubAccountCreated, ApiError> {
    send(Request::post("/api/sub-accounts"), create).await
}

/// `PUT /api/sub-accounts/{id}`: rename, deactivate or reactivate.
pub async fn update_sub_account(id: i64, update: &SubAccountUpdate) -> Result<SubAccountView, ApiError> {
    send(Request::put(&format!("/api/sub-accounts/{id}")), update).await
}

/// `POST /api/sub-accounts/{id}/password-reset`: a new one-time password, shown once.
pub async fn reset_sub_account_password(id: i64) -> Result<OneTimePassword, ApiError> {
    send(Request::post(&format!("/api/sub-accounts/{id}/password-reset")), &Empty {}).await
}

// --- payouts ---------------------------------------------------------------------------------

pub async fn payout_context(order_no: &str) -> Result<PayoutContext, ApiError> {
    get(Request::get(&format!("/api/orders/{}/payout-context", seg(order_no)))).await
}

/// How long a payout submission may take before the browser gives up on it (the answer is then
/// ambiguous: the payout may have been created).
pub const CREATE_TIMEOUT_MS: u32 = 20_000;

/// `POST /api/payouts`: the same `idempotency_key` for a retry of the same attempt. Gives up after
/// [`CREATE_TIMEOUT_MS`] with a network error (ambiguous, see [`ApiError::is_ambiguous`]).
pub async fn create_payout(draft: &PayoutDraft, idempotency_key: &str) -> Result<PayoutView, ApiError> {
    let timeout = web_sys::AbortSignal::timeout_with_u32(CREATE_TIMEOUT_MS);
    let req =
        Request::post("/api/payouts").header("Idempotency-Key", idempotency_key).abort_signal(Some(&timeout));
    send(req, draft).await
}

/// Filters of the records list and its CSV export, as URL query pairs (empty ones left out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PayoutFilter {
    pub order_no: String,
    pub status: String,
    pub payout_type: String,
    pub operator_id: String,
    pub from: String,
    pub to: String,
    /// The page's number, for the pager (with a cursor the server only echoes it).
    pub page: u32,
    /// The `next_cursor` / `prev_cursor` this page was reached by: empty on the first page.
    pub cursor: String,
}

impl PayoutFilter {
    pub const PER_PAGE: u32 = 20;

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> = [
            ("order_no", self.order_no.trim()),
            ("status", &self.status),
            ("payout_type", &self.payout_type),
            ("operator_id", &self.operator_id),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
            if !self.cursor.is_empty() {
                pairs.push(("cursor", self.cursor.clone()));
            }
        }
        pairs
    }

    /// `?a=1&b=2` (or empty), percent-encoded.
    pub fn query_string(&self) -> String {
        let pairs = self.pairs();
        if pairs.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", seg(v))).collect();
        format!("?{}", parts.join("&"))
    }

    /// Where the CSV of all rows matching the filter (every page) downloads from.
    pub fn export_url(&self) -> String {
        let filter = PayoutFilter { page: 0, cursor: String::new(), ..self.clone() };
        format!("/api/payouts/export.csv{}", filter.query_string())
    }
}

pub async fn payouts(filter: &PayoutFilter) -> Result<PayoutList, ApiError> {
    let mut pairs = filter.pairs();
    pairs.push(("per_page", PayoutFilter::PER_PAGE.to_string()));
    get(Request::get("/api/payouts").query(pairs.iter().map(|(k, v)| (*k, v.as_str())))).await
}

pub async fn payout(id: i64) -> Result<PayoutDetail, ApiError> {
    get(Request::get(&format!("/api/payouts/{id}"))).await
}

pub async fn operators() -> Result<OperatorList, ApiError> {
    get(Request::get("/api/operators")).await
}

// --- quotas and settings ---------------------------------------------------------------------

pub async fn quotas() -> Result<QuotaList, ApiError> {
    get(Request::get("/api/quotas")).await
}

pub async fn update_quota(sub_account_id: i64, update: &QuotaUpdate) -> Result<QuotaView, ApiError> {
    send(Request::put(&format!("/api/quotas/{sub_account_id}")), update).await
}

/// `PUT /api/sub-accounts/{id}/permissions` (main account only, D6): payout permission and the
/// quota-manager role.
pub async fn update_permissions(
    sub_account_id: i64,
    update: &PermissionsUpdate,
) -> Result<QuotaView, ApiError> {
    send(Request::put(&format!("/api/sub-accounts/{sub_account_id}/permissions")), update).await
}

pub async fn settings() -> Result<PayoutSettings, ApiError> {
    get(Request::get("/api/payout-settings")).await
}

pub async fn update_settings(update: &SettingsUpdate) -> Result<PayoutSettings, ApiError> {
    send(Request::put("/api/payout-settings"), update).await
}

/// `POST /api/custody/top-ups`: the same `idempotency_key` for a retry of the same top-up (D8).
pub async fn top_up(request: &TopUpRequest, idempotency_key: &str) -> Result<TopUpView, ApiError> {
    send(Request::post("/api/custody/top-ups").header("Idempotency-Key", idempotency_key), request).await
}

// --- reasons, approvals, statements (SPEC §11.6) ---------------------------------------------

/// `GET /api/reasons`: every reason of the shop, inactive ones too, in its order.
pub async fn reasons() -> Result<ReasonList, ApiError> {
    get(Request::get("/api/reasons")).await
}

pub async fn create_reason(input: &ReasonInput) -> Result<Reason, ApiError> {
    send(Request::post("/api/reasons"), input).await
}

/// `PUT /api/reasons/{id}`: a `position` moves the reason (the others shift).
pub async fn update_reason(id: i64, input: &ReasonInput) -> Result<Reason, ApiError> {
    send(Request::put(&format!("/api/reasons/{id}")), input).await
}

/// `GET /api/approvals`: payouts awaiting approval, oldest first.
pub async fn approvals(page: u32) -> Result<PayoutList, ApiError> {
    let page = page.max(1).to_string();
    let per_page = PayoutFilter::PER_PAGE.to_string();
    get(Request::get("/api/approvals").query([("page", page.as_str()), ("per_page", per_page.as_str())]))
        .await
}

/// A decision on a payout awaiting approval: `None` approves, `Some(reason)` rejects.
pub async fn decide(id: i64, reject: Option<&RejectRequest>) -> Result<PayoutView, ApiError> {
    match reject {
        None => send(Request::post(&format!("/api/payouts/{id}/approve")), &Empty {}).await,
        Some(body) => send(Request::post(&format!("/api/payouts/{id}/reject")), body).await,
    }
}

/// `POST /api/payouts/{id}/status-query`: asks the payment rail again about a stuck payout.
pub async fn status_query(id: i64) -> Result<PayoutView, ApiError> {
    send(Request::post(&format!("/api/payouts/{id}/status-query")), &Empty {}).await
}

/// `GET /api/statements/{date}` (`YYYY-MM-DD`, a business day).
pub async fn statement(date: &str) -> Result<Statement, ApiError> {
    get(Request::get(&format!("/api/statements/{}", seg(date)))).await
}

/// Where the statement of `date` downloads as CSV.
pub fn statement_csv_url(date: &str) -> String {
    format!("/api/statements/{}.csv", seg(date))
}

pub async fn overview(days: u32) -> Result<Overview, ApiError> {
    get(Request::get(&format!("/api/overview?days={days}"))).await
}

/// A fresh idempotency key for one payout attempt: a random UUID (v4). `getRandomValues` works on
/// plain-HTTP origins too, unlike `randomUUID`.
pub fn new_idempotency_key() -> String {
    let mut b = [0u8; 16];
    if let Ok(crypto) = leptos::prelude::window().crypto() {
        let _ = crypto.get_random_values_with_u8_array(&mut b);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

// --- data in, events out (SPEC §12.3–§12.6) --------------------------------------------------

/// The session's CSRF token, for a request that is not made with `gloo-net` (the order file's
/// upload goes through `XMLHttpRequest` for its progress events).
pub fn csrf_token() -> Option<String> {
    CSRF.with(|c| c.borrow().clone())
}

/// The error an answer with `status` and `body` (the text of an error body, or anything else)
/// stands for, for a request not made with `gloo-net`. A `401` ends the session as for every call.
pub fn error_of(status: u16, body: &str) -> ApiError {
    if status == 0 {
        return ApiError::network();
    }
    if status == 401 {
        forget_session_marker();
        ON_UNAUTHORIZED.with(|h| {
            if let Some(h) = h.borrow().as_ref() {
                h()
            }
        });
    }
    match from_json::<ErrorBody>(body) {
        Some(body) => ApiError {
            status,
            code: body.error.code,
            message_zh: body.error.message_zh,
            message_en: body.error.message_en,
            violations: body.error.violations.unwrap_or_default(),
        },
        None => ApiError::bad_response(status),
    }
}

pub async fn api_keys() -> Result<payout_core::keys::ApiKeyList, ApiError> {
    get(Request::get("/api/api-keys")).await
}

/// `POST /api/api-keys`: the answer holds the key, which is never shown again.
pub async fn create_api_key(
    input: &payout_core::keys::ApiKeyCreate,
) -> Result<payout_core::keys::ApiKeyCreated, ApiError> {
    send(Request::post("/api/api-keys"), input).await
}

pub async fn revoke_api_key(id: i64) -> Result<payout_core::keys::ApiKeyView, ApiError> {
    json(answer(csrf(Request::delete(&format!("/api/api-keys/{id}"))).send().await, false).await?).await
}

pub async fn webhooks() -> Result<payout_core::webhooks::EndpointList, ApiError> {
    get(Request::get("/api/webhooks")).await
}

/// `POST /api/webhooks`: the answer holds the signing secret, which is never shown again.
pub async fn create_webhook(
    input: &payout_core::webhooks::EndpointInput,
) -> Result<payout_core::webhooks::EndpointCreated, ApiError> {
    send(Request::post("/api/webhooks"), input).await
}

pub async fn update_webhook(
    id: i64,
    input: &payout_core::webhooks::EndpointInput,
) -> Result<payout_core::webhooks::EndpointView, ApiError> {
    send(Request::put(&format!("/api/webhooks/{id}")), input).await
}

pub async fn test_webhook(id: i64) -> Result<payout_core::webhooks::DeliveryView, ApiError> {
    send(Request::post(&format!("/api/webhooks/{id}/test")), &Empty {}).await
}

pub async fn webhook_deliveries(id: i64) -> Result<payout_core::webhooks::DeliveryList, ApiError> {
    get(Request::get(&format!("/api/webhooks/{id}/deliveries"))).await
}

pub async fn resend_delivery(id: i64) -> Result<payout_core::webhooks::DeliveryView, ApiError> {
    send(Request::post(&format!("/api/webhook-deliveries/{id}/resend")), &Empty {}).await
}
