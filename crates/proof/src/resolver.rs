//! The key resolver Rosette's tools use by default: did:key offline, did:web over HTTPS.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rosette_core::Clock;
use rosette_did::DidResolver;
use rosette_did::did_web::{DidWebError, DidWebOptions, DidWebResolver};
use rosette_did::resolve::DidKeyResolver;

/// did:key (`did:key:X#X` only) and did:web with `options`; `clock` ages the did:web cache.
pub fn standard_resolver(
    options: DidWebOptions,
    clock: Arc<dyn Clock>,
) -> Result<DidResolver, DidWebError> {
    let web = DidWebResolver::new(options)?;
    let now = Arc::new(move || {
        let seconds = u64::try_from(clock.now().unix()).unwrap_or(0);
        UNIX_EPOCH + Duration::from_secs(seconds)
    }) as Arc<dyn Fn() -> SystemTime + Send + Sync>;
    Ok(DidResolver::with_did_web(DidKeyResolver::new(), web, now))
}

/// did:key only: no network at all.
pub fn offline_resolver() -> DidResolver {
    DidResolver::did_key_only(DidKeyResolver::new())
}
