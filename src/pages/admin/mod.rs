//! The main account's screens (SPEC §6.5, §6.6 and §11), in the full bundle (`dist/admin/`) only:
//! an agent never downloads them.
pub mod api_settings;
pub mod approvals;
pub mod order_import;
pub mod overview;
pub mod quotas;
pub mod reasons;
pub mod settings;
pub mod statements;
pub mod sub_accounts;

pub use api_settings::ApiSettings;
pub use approvals::Approvals;
pub use order_import::OrderImport;
pub use overview::Overview;
pub use quotas::Quotas;
pub use reasons::Reasons;
pub use settings::Settings;
pub use statements::Statements;
pub use sub_accounts::SubAccounts;
