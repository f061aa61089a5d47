//! The issuer role: institutions, achievements, offers, the OpenID4VCI 1.0 steps and bulk
//! import. [`service`] holds the state, and each concern its own file of `impl IssuerService`:
//! [`institutions`], [`achievements`], [`offers`], [`protocol`], [`bulk`]. [`http`] maps them
//! to routes, `pages` renders the learner's claim page, `records` are its storage rows.

pub mod achievements;
pub mod bulk;
pub mod http;
pub mod institutions;
pub mod offers;
pub(crate) mod pages;
pub mod protocol;
pub(crate) mod records;
pub mod service;
pub mod tokens;

pub use achievements::{AchievementInput, Criteria};
pub use institutions::{CreatedInstitution, InstitutionDisplay, NewInstitution};
pub use offers::{CreatedOffer, NewOffer, Recipient, ReissueInput};
pub use service::{IssuerService, JWT_VC_JSON, LDP_VC, Page, PageRequest};
