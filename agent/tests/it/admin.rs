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
    assert_eq!(offers["items"].as_array().unwrap().len(), 2);
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
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
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

#[tokio::test]
async fn listings_page_with_limit_and_cursor() {
    let server = start().await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let mut created = std::collections::BTreeSet::new();
    for i in 0..7 {
        let offer = server
            .offer(
                "acme",
                &admin,
                &achievement,
                json!({"recipient": {"name": format!("R{i}")}, "pin": false}),
            )
            .await;
        created.insert(offer["id"].as_str().unwrap().to_owned());
    }
    // Default: one page holds all 7.
    let (status, all) = server.get_json("/issuers/acme/admin/offers", &admin).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["items"].as_array().unwrap().len(), 7);
    assert!(all["next_cursor"].is_null());
    // Pages of 3: 3 + 3 + 1, every offer once, the last page without a cursor.
    let mut seen = Vec::new();
    let mut path = "/issuers/acme/admin/offers?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = server.get_json(&path, &admin).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                assert_eq!(items.len(), 3, "only the last page is short");
                path = format!("/issuers/acme/admin/offers?limit=3&cursor={cursor}");
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen.iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        created
    );
    // A full last page has no cursor either: exactly 7 with limit 7.
    let (_, exact) = server
        .get_json("/issuers/acme/admin/offers?limit=7", &admin)
        .await;
    assert!(exact["next_cursor"].is_null(), "{exact}");
    // A state filter pages too.
    let (_, offered) = server
        .get_json("/issuers/acme/admin/offers?state=offered&limit=5", &admin)
        .await;
    assert_eq!(offered["items"].as_array().unwrap().len(), 5);
    assert!(offered["next_cursor"].is_string());
    // Limits outside 1..=1000 and junk cursors are client errors.
    for bad in ["limit=0", "limit=1001", "limit=x", "cursor=%21%21"] {
        let (status, body) = server
            .get_json(&format!("/issuers/acme/admin/offers?{bad}"), &admin)
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let (status, _) = server
        .get_json("/issuers/acme/admin/offers?limit=1000", &admin)
        .await;
    assert_eq!(status, 200);
    // Credentials and institutions answer the same shape.
    let (status, creds) = server
        .get_json("/issuers/acme/admin/credentials?limit=2", &admin)
        .await;
    assert_eq!(status, 200);
    assert_eq!(creds["items"].as_array().unwrap().len(), 0);
    assert!(creds["next_cursor"].is_null());
    server.institution("beta").await;
    let (_, first) = server
        .get_json("/admin/institutions?limit=1", OPERATOR)
        .await;
    assert_eq!(first["items"][0]["slug"], "acme");
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = server
        .get_json(
            &format!("/admin/institutions?limit=1&cursor={cursor}"),
            OPERATOR,
        )
        .await;
    assert_eq!(second["items"][0]["slug"], "beta");
    assert!(second["next_cursor"].is_null());
}
