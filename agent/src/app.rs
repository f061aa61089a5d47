//! The one application state: every role's service, built once at start-up and handed to
//! every router. Handlers take the part they need (`State<Arc<IssuerService>>`, …) through
//! [`FromRef`].

use std::sync::Arc;

use axum::extract::FromRef;
use rosette_core::Clock;
use rosette_storage::Store;

use crate::config::Settings;
use crate::directory::Directory;
use crate::error::AdminError;
use crate::issuer::IssuerService;
use crate::issuer::bulk::BulkJobs;
use crate::public::PublicService;
use crate::status::StatusService;
use crate::verifier::VerifierService;

/// Every role's service, each built once.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Institutions, the store, clock and settings.
    pub directory: Arc<Directory>,
    /// Status lists.
    pub status: Arc<StatusService>,
    /// Institutions, achievements, offers and OpenID4VCI.
    pub issuer: Arc<IssuerService>,
    /// Bulk issue jobs (in memory).
    pub bulk: Arc<BulkJobs>,
    /// OpenID4VP presentation requests and verdicts.
    pub verifier: Arc<VerifierService>,
    /// Public badge pages and `/verify`.
    pub public: Arc<PublicService>,
}

impl AppState {
    /// The agent over `store`; creates the server secret on first use.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Result<Self, AdminError> {
        let directory = Arc::new(Directory::new(store, clock, settings));
        let status = Arc::new(StatusService::new(Arc::clone(&directory)));
        let issuer = Arc::new(IssuerService::new(
            Arc::clone(&directory),
            Arc::clone(&status),
        )?);
        let bulk = Arc::new(BulkJobs::new(Arc::clone(&issuer)));
        let verifier = Arc::new(VerifierService::new(
            Arc::clone(&directory),
            Arc::clone(&issuer),
            &status,
        ));
        let public = Arc::new(PublicService::new(Arc::clone(&directory), &status));
        Ok(Self {
            directory,
            status,
            issuer,
            bulk,
            verifier,
            public,
        })
    }
}

impl FromRef<AppState> for Arc<Directory> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.directory)
    }
}

impl FromRef<AppState> for Arc<StatusService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.status)
    }
}

impl FromRef<AppState> for Arc<IssuerService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.issuer)
    }
}

impl FromRef<AppState> for Arc<BulkJobs> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.bulk)
    }
}

impl FromRef<AppState> for Arc<VerifierService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.verifier)
    }
}

impl FromRef<AppState> for Arc<PublicService> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.public)
    }
}
