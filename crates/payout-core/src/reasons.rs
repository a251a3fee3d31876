//! Payout reasons (打款原因, SPEC §11.1): the shop's list, its defaults, the buyer-message
//! template and the validation of a reason as the reasons page and `POST/PUT /api/reasons` accept it.

use serde::{Deserialize, Serialize};

use crate::facts::PayoutType;

/// The longest buyer message, internal note or template, in characters (R-F14).
pub const MAX_TEXT_CHARS: usize = 200;
/// The longest reason name, in characters.
pub const MAX_NAME_CHARS: usize = 30;
/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 3] = ["{order_no}", "{amount}", "{shop_name}"];

/// One of the shop's reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    pub id: i64,
    pub name_zh: String,
    #[serde(default)]
    pub name_en: Option<String>,
    /// Choosing the reason sets the payout type.
    pub payout_type: PayoutType,
    /// The buyer message it fills in; may use `{order_no}`, `{amount}`, `{shop_name}`.
    #[serde(default)]
    pub buyer_message_template: Option<String>,
    pub active: bool,
    /// 1-based place in the shop's list.
    pub position: u32,
}

impl Reason {
    /// The name in the given language, falling back to zh-CN when there is no English name.
    pub fn name(&self, en: bool) -> &str {
        match (&self.name_en, en) {
            (Some(name), true) => name,
            _ => &self.name_zh,
        }
    }
}

/// `GET /api/reasons`, in the shop's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonList {
    pub items: Vec<Reason>,
}

/// `POST /api/reasons` and `PUT /api/reasons/{id}`: a reason as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonInput {
    pub name_zh: String,
    #[serde(default)]
    pub name_en: Option<String>,
    /// `shipping`, `price_difference`, `product_issue` or `other`.
    pub payout_type: String,
    #[serde(default)]
    pub buyer_message_template: Option<String>,
    /// Default: active.
    #[serde(default)]
    pub active: Option<bool>,
    /// Where to put it in the list (1-based); default: last (new) or unchanged (edit).
    #[serde(default)]
    pub position: Option<u32>,
}

/// A reason input that passed [`validate_reason`]: trimmed, empty texts as `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidReason {
    pub name_zh: String,
    pub name_en: Option<String>,
    pub payout_type: PayoutType,
    pub buyer_message_template: Option<String>,
    pub active: Option<bool>,
    pub position: Option<u32>,
}

/// A problem with one field of a reason, in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReasonError {
    /// `name_zh`, `name_en`, `payout_type`, `buyer_message_template` or `position`.
    pub field: &'static str,
    pub message_zh: String,
    pub message_en: String,
}

fn trimmed(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// Checks every field and returns every problem: a zh name of 1 to 30 characters, an en name of
/// at most 30, a known payout type, a template of at most 200 characters using only the known
/// placeholders, a position from 1.
pub fn validate_reason(input: &ReasonInput) -> Result<ValidReason, Vec<ReasonError>> {
    let mut errors = Vec::new();
    let mut error = |field, zh: String, en: String| {
        errors.push(ReasonError { field, message_zh: zh, message_en: en });
    };
    let name_zh = input.name_zh.trim().to_owned();
    let has_control = |text: &str| text.chars().any(char::is_control);
    if has_control(&input.name_zh) || input.name_en.as_deref().is_some_and(has_control) {
        let field = if has_control(&input.name_zh) { "name_zh" } else { "name_en" };
        error(
            field,
            "名称不能包含换行、制表符或其他控制字符".into(),
            "A name cannot contain line breaks, tabs or other control characters".into(),
        );
    } else if name_zh.is_empty() {
        error("name_zh", "请填写原因名称".into(), "Enter the reason's name".into());
    } else if name_zh.chars().count() > MAX_NAME_CHARS {
        error(
            "name_zh",
            format!("名称不能超过 {MAX_NAME_CHARS} 个字符"),
            format!("The name cannot be longer than {MAX_NAME_CHARS} characters"),
        );
    }
    let name_en = trimmed(input.name_en.as_deref());
    if !has_control(input.name_en.as_deref().unwrap_or(""))
        && name_en.as_ref().is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        error(
            "name_en",
            format!("英文名称不能超过 {MAX_NAME_CHARS} 个字符"),
            format!("The English name cannot be longer than {MAX_NAME_CHARS} characters"),
        );
    }
    let payout_type = PayoutType::parse(&input.payout_type);
    if payout_type.is_none() {
        error(
            "payout_type",
            "请选择打款类型：运费补偿、差价补偿、商品问题补偿或其他补偿".into(),
            "Choose a payout type: shipping fee, price difference, product issue or other".into(),
        );
    }
    let template = trimmed(input.buyer_message_template.as_deref());
    if let Some(t) = &template {
        if t.chars().any(char::is_control) {
            error(
                "buyer_message_template",
                "买家留言模板不能包含换行、制表符或其他控制字符".into(),
                "The buyer message template cannot contain line breaks, tabs or other control characters"
                    .into(),
            );
        } else if t.chars().count() > MAX_TEXT_CHARS {
            error(
                "buyer_message_template",
                format!("买家留言模板不能超过 {MAX_TEXT_CHARS} 个字符"),
                format!("The buyer message template cannot be longer than {MAX_TEXT_CHARS} characters"),
            );
        }
        if let Some(unknown) = unknown_placeholder(t) {
            error(
                "buyer_message_template",
                format!("模板中的 {unknown} 无法识别，可用：{{order_no}}、{{amount}}、{{shop_name}}"),
                format!(
                    "{unknown} is not a known placeholder; use {{order_no}}, {{amount}} or {{shop_name}}"
                ),
            );
        }
    }
    if input.position == Some(0) {
        error("position", "位置从 1 开始".into(), "Positions start at 1".into());
    }
    match payout_type {
        Some(payout_type) if errors.is_empty() => Ok(ValidReason {
            name_zh,
            name_en,
            payout_type,
            buyer_message_template: template,
            active: input.active,
            position: input.position,
        }),
        _ => Err(errors),
    }
}

/// The first `{…}` in `template` that is not a known placeholder.
fn unknown_placeholder(template: &str) -> Option<&str> {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let tail = &rest[start..];
        let end = tail.find('}').map_or(tail.len(), |e| e + 1);
        let candidate = &tail[..end];
        if !PLACEHOLDERS.contains(&candidate) {
            return Some(candidate);
        }
        rest = &tail[end..];
    }
    None
}

/// The buyer message a template gives for this payout. `amount` is shown as given (the dialog
/// passes the amount as parsed, `12.50`).
pub fn fill_template(template: &str, order_no: &str, amount: &str, shop_name: &str) -> String {
    template.replace("{order_no}", order_no).replace("{amount}", amount).replace("{shop_name}", shop_name)
}

/// The reasons a new shop starts with (SPEC §11.1): (zh, en, type, template).
pub const DEFAULT_REASONS: [(&str, &str, PayoutType, &str); 4] = [
    (
        "退货运费补偿",
        "Return shipping refund",
        PayoutType::Shipping,
        "您好，订单 {order_no} 的退货运费 ¥{amount} 已补偿给您，感谢您对{shop_name}的支持。",
    ),
    (
        "降价补差",
        "Price drop difference",
        PayoutType::PriceDifference,
        "您好，订单 {order_no} 的商品已降价，差价 ¥{amount} 已补给您，感谢您对{shop_name}的支持。",
    ),
    (
        "商品轻微瑕疵",
        "Minor product flaw",
        PayoutType::ProductIssue,
        "您好，很抱歉订单 {order_no} 的商品有轻微瑕疵，{shop_name}补偿您 ¥{amount}，请查收。",
    ),
    ("其他", "Other", PayoutType::Other, ""),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(name: &str, ty: &str, template: Option<&str>) -> ReasonInput {
        ReasonInput {
            name_zh: name.into(),
            payout_type: ty.into(),
            buyer_message_template: template.map(Into::into),
            ..ReasonInput::default()
        }
    }

    fn fields(r: Result<ValidReason, Vec<ReasonError>>) -> Vec<&'static str> {
        r.err().unwrap_or_default().iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_reason_needs_a_name_and_a_known_type() {
        assert_eq!(fields(validate_reason(&input("  ", "shipping", None))), ["name_zh"]);
        assert_eq!(fields(validate_reason(&input("运费", "postage", None))), ["payout_type"]);
        let ok = validate_reason(&input(" 运费 ", "shipping", Some("  "))).unwrap();
        assert_eq!(
            (ok.name_zh.as_str(), ok.payout_type, ok.buyer_message_template),
            ("运费", PayoutType::Shipping, None)
        );
    }

    #[test]
    fn r_f14_names_and_templates_have_a_length_limit_at_its_edge() {
        let name30 = "名".repeat(MAX_NAME_CHARS);
        assert!(validate_reason(&input(&name30, "other", None)).is_ok());
        assert_eq!(fields(validate_reason(&input(&format!("{name30}名"), "other", None))), ["name_zh"]);
        let t200 = "字".repeat(MAX_TEXT_CHARS);
        assert!(validate_reason(&input("x", "other", Some(&t200))).is_ok());
        let t201 = format!("{t200}字");
        assert_eq!(fields(validate_reason(&input("x", "other", Some(&t201)))), ["buyer_message_template"]);
    }

    #[test]
    fn names_and_templates_refuse_control_characters_and_ansi_escapes() {
        // Found in review: a name with an ANSI escape or a NUL reached the records and the CSV.
        for name in ["红\u{1b}[31m色", "a\u{0}b", "两\n行", "tab\there"] {
            assert_eq!(fields(validate_reason(&input(name, "other", None))), ["name_zh"], "{name:?}");
        }
        let en = ReasonInput { name_en: Some("Red\u{1b}[0m".into()), ..input("红", "other", None) };
        assert_eq!(fields(validate_reason(&en)), ["name_en"]);
        assert_eq!(
            fields(validate_reason(&input("x", "other", Some("line\nbreak")))),
            ["buyer_message_template"]
        );
        assert!(
            validate_reason(&input(" 运费 ", "shipping", None)).is_ok(),
            "surrounding spaces are trimmed"
        );
    }

    #[test]
    fn templates_may_use_only_the_known_placeholders() {
        assert!(validate_reason(&input("x", "other", Some("{order_no} {amount} {shop_name}"))).is_ok());
        assert_eq!(
            fields(validate_reason(&input("x", "other", Some("{buyer}")))),
            ["buyer_message_template"]
        );
        assert_eq!(
            fields(validate_reason(&input("x", "other", Some("open { brace")))),
            ["buyer_message_template"]
        );
        assert_eq!(unknown_placeholder("¥{amount} {amont}"), Some("{amont}"));
    }

    #[test]
    fn default_templates_are_valid_and_fill_every_placeholder() {
        for (zh, en, ty, template) in DEFAULT_REASONS {
            let i = ReasonInput {
                name_zh: zh.into(),
                name_en: Some(en.into()),
                payout_type: ty.as_str().into(),
                buyer_message_template: Some(template.into()),
                ..ReasonInput::default()
            };
            assert!(validate_reason(&i).is_ok(), "{zh}");
            assert!(!fill_template(template, "6920241100000000002", "12.50", "林记").contains('{'));
        }
        assert_eq!(
            fill_template("订单 {order_no} 补 ¥{amount}，{shop_name}", "1", "2.00", "林记"),
            "订单 1 补 ¥2.00，林记"
        );
    }

    proptest! {
        #[test]
        fn validating_a_reason_never_panics(name in "\\PC{0,40}", ty in "\\PC{0,20}", t in "\\PC{0,60}") {
            let _ = validate_reason(&input(&name, &ty, Some(&t)));
        }
    }
}
