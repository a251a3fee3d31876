//! The buyer's notification of a payout that succeeded (SPEC §11.3).

use crate::money::Money;

/// What the buyer receives: the platform's sentence with the amount, then the shop's message.
pub fn buyer_notification(shop_name: &str, amount: Money, buyer_message: Option<&str>) -> String {
    let head = format!("您收到商家 {shop_name} 的小额打款 ¥{amount}，已到账抖音零钱");
    match buyer_message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(message) => format!("{head}。商家留言：{message}"),
        None => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::m;

    #[test]
    fn the_notification_names_the_shop_and_amount_and_carries_the_buyer_message() {
        assert_eq!(
            buyer_notification("林记家居旗舰店", m("150"), None),
            "您收到商家 林记家居旗舰店 的小额打款 ¥150.00，已到账抖音零钱"
        );
        assert_eq!(
            buyer_notification("林记", m("8"), Some(" 抱歉 ")),
            "您收到商家 林记 的小额打款 ¥8.00，已到账抖音零钱。商家留言：抱歉"
        );
    }
}
