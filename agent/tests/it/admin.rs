//! Admin API: CSV import, tenant isolation, OpenAPI.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn csv_with_bad_rows_reports_line_numbers_and_keeps_valid_rows() {
    let server = start().await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let csv = format!(
        "name,email,achievement_id,pin\n\
         Ada Lovelace,ada@example.org,{achievement},true\n\
         Bad Achievement,b@example.org,no-such-id,true\n\
         \"Hopper, Grace\",grace@example.org,{achievement},false\n\
         ,nobody@example.org,{achievement},true\n\
         Too,Many,Fields,true,extra\n\
         Alan Turing,not-an-email,{achievement},\n"
    );
    let r = server
        .http
        .post(format!("{}/issuers/acme/admin/offers/bulk", server.url))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!(status, 200, "{body}");
    let created = body["created"].as_array().unwrap();
    assert_eq!(created.len(), 2, "{body}");
    assert!(created[0]["tx_code"].is_string());
    assert!(created[1].get("tx_code").is_none());
    let lines: Vec<u64> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 5, 6, 7], "{body}");
    let (_, offers) = server
        .get_json("/issuers/acme/admin/offers?state=offered", &admin)
        .await;
    assert_eq!(offers["offers"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn institution_tokens_cannot_touch_another_institution() {
    let server = start().await;
    let (acme, offer) = server.setup("acme").await;
    let other = server.institution("other").await;
    for path in [
        "/issuers/acme/admin/offers",
        "/issuers/acme/admin/achievements",
        "/issuers/acme/admin/credentials",
    ] {
        let (status, body) = server.get_json(path, &other).await;
        assert_eq!((status, error_code(&body)), (403, "forbidden"), "{path}");
    }
    let (status, _) = server
        .post_json(
            "/issuers/acme/admin/offers",
            &other,
            json!({"achievement_id": "x", "recipient": {"name": "Eve"}}),
        )
        .await;
    assert_eq!(status, 403);
    // Acme's achievement id is unknown under Other.
    let (_, list) = server
        .get_json("/issuers/acme/admin/achievements", &acme)
        .await;
    let achievement = list["achievements"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .post_json(
            "/issuers/other/admin/offers",
            &other,
            json!({"achievement_id": achievement, "recipient": {"name": "Eve"}}),
        )
        .await;
    assert_eq!(status, 404);
    // Institution admins cannot create or list institutions.
    let (status, _) = server
        .post_json(
            "/admin/institutions",
            &acme,
            json!({"slug": "evil", "name": "Evil"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = server.get_json("/admin/institutions", &acme).await;
    assert_eq!(status, 403);
    // No token, wrong token.
    let (status, _) = server.get_json("/issuers/acme/admin/offers", "wrong").await;
    assert_eq!(status, 401);
    // The claim page is per institution.
    let wrong = offer["claim_page"]
        .as_str()
        .unwrap()
        .replace("/issuers/acme/", "/issuers/other/");
    assert_eq!(server.http.get(wrong).send().await.unwrap().status(), 404);
    // The operator may act everywhere.
    let (status, _) = server
        .get_json("/issuers/acme/admin/offers", OPERATOR)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn institution_rules() {
    let server = start().await;
    server.institution("acme").await;
    let (status, _) = server
        .post_json(
            "/admin/institutions",
            OPERATOR,
            json!({"slug": "acme", "name": "Again"}),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = server
        .post_json(
            "/admin/institutions",
            OPERATOR,
            json!({"slug": "Bad Slug", "name": "X"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body) = server
        .post_json(
            "/admin/institutions",
            OPERATOR,
            json!({"slug": "webby", "name": "Webby", "did_method": "web"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let host = server.url.trim_start_matches("http://").replace(':', "%3A");
    assert_eq!(body["did"], format!("did:web:{host}:issuers:webby"));
    let (status, doc) = server.get_json("/issuers/webby/did.json", "").await;
    assert_eq!(status, 200);
    assert_eq!(doc["id"], body["did"]);
    let (status, _) = server.get_json("/issuers/acme/did.json", "").await;
    assert_eq!(status, 404);
    let (status, list) = server.get_json("/admin/institutions", OPERATOR).await;
    assert_eq!(status, 200);
    assert_eq!(list["institutions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn achievements_update_and_archive() {
    let server = start().await;
    let admin = server.institution("acme").await;
    let id = server.achievement("acme", &admin).await;
    let r = server
        .http
        .put(format!(
            "{}/issuers/acme/admin/achievements/{id}",
            server.url
        ))
        .bearer_auth(&admin)
        .json(&json!({"name": "Renamed", "description": "d", "criteria": {"narrative": "n"}}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!((status, body["name"].as_str()), (200, Some("Renamed")));
    let (status, body) = server
        .post_json(
            &format!("/issuers/acme/admin/achievements/{id}/archive"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!((status, &body["archived"]), (200, &json!(true)));
    let (status, _) = server
        .post_json(
            "/issuers/acme/admin/offers",
            &admin,
            json!({"achievement_id": id, "recipient": {"name": "Ada"}}),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn openapi_document_is_served() {
    let server = start().await;
    let (status, doc) = server.get_json("/admin/openapi.json", "").await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/issuers/{slug}/admin/offers/bulk"].is_object());
}
