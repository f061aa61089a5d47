//! Offers and issuance records survive a restart (RedbStore in a tempdir, app rebuilt).

use std::sync::Arc;

use rosette_storage::{RedbStore, Store};

use crate::common::*;

#[tokio::test]
async fn offers_and_issuance_records_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = fixed_clock();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(dir.path().join("store.redb")).unwrap());
    let server = start_with(store, clock.clone()).await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let claimed = server
        .offer("acme", &admin, &achievement, serde_json::json!({}))
        .await;
    let pending = server
        .offer("acme", &admin, &achievement, serde_json::json!({}))
        .await;
    let access = server.access_token("acme", &claimed).await;
    let nonce = server.nonce("acme").await;
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    assert_eq!(
        server
            .credential_request("acme", &access, request(JWT, vec![jwt]))
            .await
            .0,
        200
    );
    server.app.directory.flush().unwrap();
    server.stop().await;

    // Reopen (the old store must be dropped first: the store file is locked).
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(dir.path().join("store.redb")).unwrap());
    let server = start_with(store, clock).await;
    let (status, records) = server
        .get_json("/issuers/acme/admin/credentials", &admin)
        .await;
    assert_eq!(status, 200, "the admin token survives too");
    assert_eq!(records["items"].as_array().unwrap().len(), 1);
    assert_eq!(records["items"][0]["offer_id"], claimed["id"]);
    let (_, offers) = server
        .get_json("/issuers/acme/admin/offers?state=claimed", &admin)
        .await;
    assert_eq!(offers["items"].as_array().unwrap().len(), 1);
    // The pending offer's URL and PIN still work after the restart (on the new port the
    // issuer URL differs, so follow the path under the new base).
    let old_base = pending["offer_url"].as_str().unwrap().to_owned();
    let token = old_base.rsplit("%2F").next().unwrap();
    let r = server
        .http
        .get(format!("{}/offers/{token}", server.issuer("acme")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let offer: serde_json::Value = r.json().await.unwrap();
    let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"].as_str().unwrap();
    let (status, body) = server
        .token_request("acme", code, pending["tx_code"].as_str())
        .await;
    assert_eq!(status, 200, "{body}");
    // And the used code stays used.
    server.stop().await;
}
