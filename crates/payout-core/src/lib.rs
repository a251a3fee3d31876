//! Pure payout logic shared by the SPA and the server: [`Money`] and its parser (SPEC §5), the
//! [`Policy`] (§3), the business day, the rule engine (§4), the meters and the JSON contract (§8).
//! No I/O and no clock reads: callers pass the facts and "now", so the dialog's verdict in the
//! browser is exactly the server's.

pub mod api;
pub mod approval;
pub mod facts;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
#[cfg(feature = "import")]
pub mod import;
pub mod keys;
pub mod meters;
pub mod money;
pub mod movements;
pub mod notification;
pub mod orders;
pub mod people;
pub mod policy;
pub mod quota;
pub mod reasons;
pub mod rules;
pub mod statement;
pub mod time;
pub mod top_up;
pub mod violation;
pub mod webhooks;

pub use facts::{AccountKind, Facts, PayoutType, Qualification, Role, ShopStatus};
pub use meters::{meters, Meters};
pub use money::{Money, MoneyError};
pub use policy::Policy;
pub use rules::{check_draft, check_payout, Draft};
pub use time::Time;
pub use violation::{Code, Field, Violation};
