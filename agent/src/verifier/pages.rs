//! HTML pages of the verifier role. All interpolated text is escaped; the verdict is rendered
//! on the server, and the page only polls for a status change and reloads.

use serde_json::Value;

use super::service::PollAnswer;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1f2937}\
.qr{width:300px;height:300px;display:block;margin:1rem auto}.note{background:#f3f4f6;border-radius:.5rem;padding:.75rem}\
.ok{color:#166534}.bad{color:#991b1b}.skip{color:#6b7280}.card{border:1px solid #e5e7eb;border-radius:.75rem;padding:1rem;margin:1rem 0}\
table{border-collapse:collapse;width:100%}td{padding:.25rem .5rem;border-top:1px solid #f3f4f6;vertical-align:top}\
label{display:block;margin:.6rem 0 .2rem}input[type=text],input[type=password],textarea{width:100%;box-sizing:border-box;padding:.4rem}\
button{background:#1e40af;color:#fff;padding:.6rem 1.2rem;border:0;border-radius:.5rem;margin-top:1rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(title)
    )
}

/// Page for an unknown, expired or foreign transaction.
pub(crate) fn not_found() -> String {
    page(
        "Not found",
        "<h1>Not found</h1><p class=\"note\">This presentation request does not exist or has expired.</p>",
    )
}

/// The form that creates a presentation request through the admin API (token typed in; it
/// stays in the browser and goes only to this server in the `Authorization` header).
pub(crate) fn new_request(slug: &str, institution: &str) -> String {
    let api = format!("/verifiers/{slug}/admin/presentation-requests");
    let body = format!(
        "<h1>Ask for a badge</h1><p>{inst} asks a holder to present an Open Badge.</p>\
<form id=\"f\"><label>Admin token<input type=\"password\" name=\"token\" required></label>\
<label>Achievement id (optional)<input type=\"text\" name=\"achievement_id\"></label>\
<label>Achievement name (optional)<input type=\"text\" name=\"achievement_name\"></label>\
<label>Trusted issuer DIDs, one per line (empty: any issuer)<textarea name=\"trusted\" rows=\"3\"></textarea></label>\
<label><input type=\"checkbox\" name=\"ldp_vc\" checked> ldp_vc (Data Integrity)</label>\
<label><input type=\"checkbox\" name=\"jwt_vc_json\" checked> jwt_vc_json (VC-JWT)</label>\
<label>Delivery<select name=\"mode\"><option value=\"signed\">signed request_uri</option>\
<option value=\"signed_by_value\">signed, by value</option><option value=\"redirect_uri\">unsigned (redirect_uri)</option></select></label>\
<button type=\"submit\">Create request</button></form><p id=\"err\" class=\"bad\"></p>\
<script>document.getElementById('f').addEventListener('submit',async(e)=>{{e.preventDefault();const f=e.target;\
const formats=['ldp_vc','jwt_vc_json'].filter(n=>f[n].checked);\
const trusted=f.trusted.value.split('\\n').map(s=>s.trim()).filter(Boolean);\
const body={{formats,trusted_issuers:trusted,mode:f.mode.value}};\
if(f.achievement_id.value)body.achievement_id=f.achievement_id.value;if(f.achievement_name.value)body.achievement_name=f.achievement_name.value;\
const r=await fetch('{api}',{{method:'POST',headers:{{'authorization':'Bearer '+f.token.value,'content-type':'application/json'}},body:JSON.stringify(body)}});\
const j=await r.json();if(r.ok){{location.href=j.page}}else{{document.getElementById('err').textContent=j.error_description||j.error}}}});</script>",
        inst = esc(institution),
        api = esc(&api),
    );
    page("Ask for a badge", &body)
}

fn outcome_class(outcome: &str) -> &'static str {
    match outcome {
        "passed" => "ok",
        "failed" => "bad",
        _ => "skip",
    }
}

fn checks_table(checks: &[Value]) -> String {
    let mut rows = String::new();
    for c in checks {
        let outcome = c["outcome"].as_str().unwrap_or("");
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(c["name"].as_str().unwrap_or("")),
            outcome_class(outcome),
            esc(outcome),
            esc(c["detail"].as_str().unwrap_or(""))
        ));
    }
    format!("<table>{rows}</table>")
}

fn verdict(result: &Value) -> String {
    let accepted = result["accepted"] == Value::Bool(true);
    let mut out = if accepted {
        "<h2 class=\"ok\">Accepted</h2>".to_owned()
    } else {
        format!(
            "<h2 class=\"bad\">Rejected</h2><p class=\"note\">{} ({})</p>",
            esc(result["error"]["error_description"].as_str().unwrap_or("")),
            esc(result["error"]["error"].as_str().unwrap_or(""))
        )
    };
    for p in result["presentations"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "<div class=\"card\"><strong>Presentation</strong> by {}<br>{}",
            esc(p["holder"].as_str().unwrap_or("unknown holder")),
            checks_table(
                p["presentation"]["checks"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
            )
        ));
        for c in p["credentials"].as_array().into_iter().flatten() {
            let v = &c["verdict"];
            let issuer = match (v["issuer_name"].as_str(), v["issuer"].as_str()) {
                (Some(name), Some(id)) => format!("{} ({})", esc(name), esc(id)),
                (None, Some(id)) => esc(id),
                _ => "unknown issuer".to_owned(),
            };
            out.push_str(&format!(
                "<div class=\"card\"><strong>{}</strong><br>issued by {} to {}<br>\
<span class=\"{}\">trusted issuer: {}</span>{}</div>",
                esc(v["achievement"].as_str().unwrap_or("a credential")),
                issuer,
                esc(v["subject"].as_str().unwrap_or("unknown subject")),
                outcome_class(c["trusted_issuer"]["outcome"].as_str().unwrap_or("")),
                esc(c["trusted_issuer"]["detail"].as_str().unwrap_or("")),
                checks_table(
                    v["checks"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                )
            ));
        }
        out.push_str("</div>");
    }
    if let Some(detail) = result["query"]["detail"].as_str() {
        out.push_str(&format!(
            "<p class=\"{}\">DCQL query: {}</p>",
            outcome_class(result["query"]["outcome"].as_str().unwrap_or("")),
            esc(detail)
        ));
    }
    out
}

/// The request page: the QR code while pending (polling for a change), then the verdict.
pub(crate) fn present(
    slug: &str,
    transaction_id: &str,
    institution: &str,
    answer: &PollAnswer,
) -> String {
    let base = format!("/verifiers/{slug}/present/{transaction_id}");
    let poll = format!("/verifiers/{slug}/transactions/{transaction_id}");
    let body = match (answer.status, &answer.result) {
        ("pending", _) => format!(
            "<h1>Present your badge</h1><p>{inst} asks for an Open Badge. Scan with your wallet.</p>\
<img class=\"qr\" src=\"{base}/qr.svg\" alt=\"QR code of the presentation request\">\
<p class=\"note\">Waiting for the wallet… (expires {exp})</p>\
<script>setInterval(async()=>{{const r=await fetch('{poll}');if(!r.ok)return;const j=await r.json();if(j.status!=='pending')location.reload()}},2000);</script>",
            inst = esc(institution),
            base = esc(&base),
            exp = esc(&answer.expires_at),
            poll = esc(&poll),
        ),
        (_, Some(result)) => format!("<h1>Presentation result</h1>{}", verdict(result)),
        _ => "<h1>Expired</h1><p class=\"note\">No wallet answered this request in time.</p>"
            .to_owned(),
    };
    page("Present your badge", &body)
}
