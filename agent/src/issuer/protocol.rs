//! The OpenID4VCI 1.0 steps (metadata, offer, token, nonce, credential, notification) and
//! the sweep of used nonces.

use std::sync::Arc;

use rand::rngs::OsRng;
use rosette_storage::{Record, WriteBatch};
use serde_json::{Value, json};

use super::records::{
    AccessTokenRow, AchievementRow, CodeRow, IssuanceRow, NotificationRow, OfferRow, OfferTokenRow,
    ReissueLink, UsedNonceRow,
};
use super::service::{CAS_ATTEMPTS, IssuerContext, IssuerService, JWT_VC_JSON, LDP_VC};
use crate::directory::records::{InstitutionRow, scoped_key};
use crate::error::ProtocolError;
use rosette_oid4vci::{
    AuthorizationServerMetadata, BatchCredentialIssuance, BearerError, CredentialConfiguration,
    CredentialDisplay, CredentialIssuerMetadata, CredentialOffer, CredentialRequest,
    CredentialResponse, GrantType, IssuerDisplay, KeyProofExpectations, NonceError, NonceResponse,
    NotificationError, NotificationRequest, OfferToken, SecretHash, TokenError, TokenRequest,
    TokenResponse, TokenSettings, check_distinct_keys, issue_sealed_nonce, open_sealed_nonce,
    redeem, unverified_proof_nonce, validate_credential_request, validate_jwt_proof,
};
use rosette_proof::CredentialFormat;
use std::collections::BTreeMap;

impl IssuerService {
    /// Drops used-nonce rows whose nonce has expired, looking at up to `limit` rows from where
    /// the last sweep stopped (wrapping around), and returns how many it dropped. An expired
    /// nonce is refused by its own seal before its row is ever consulted, so the row guards
    /// nothing any more; without this the table would grow by one row per issuance forever.
    /// The server runs it every minute.
    pub fn sweep_used_nonces(&self, limit: usize) -> Result<usize, rosette_storage::StorageError> {
        let now = self.now().unix();
        let mut after = self.nonce_sweep_after.lock().map_err(|_| {
            rosette_storage::StorageError::EngineBug {
                reason: "nonce sweep cursor poisoned".into(),
            }
        })?;
        let rows = self
            .repo::<UsedNonceRow>()
            .scan(b"", after.as_deref(), limit)?;
        *after = if rows.len() < limit {
            None
        } else {
            rows.last().map(|(key, _)| key.clone())
        };
        let mut batch = WriteBatch::new();
        let mut dropped = 0;
        for (key, row) in &rows {
            if row.expires_at < now {
                batch.delete::<UsedNonceRow>(key.clone());
                dropped += 1;
            }
        }
        if dropped > 0 {
            self.store().apply(batch)?;
        }
        Ok(dropped)
    }

    /// The institution's protocol context, from the cache or built from storage. The row is
    /// read every time, since another agent on the same database may have changed it; the
    /// cache saves rebuilding the metadata, and is used only while the row is unchanged.
    pub(super) fn issuer_context(&self, slug: &str) -> Result<Arc<IssuerContext>, ProtocolError> {
        let inst = self.institution(slug)?.ok_or(ProtocolError::NotFound)?;
        if let Ok(cache) = self.issuers.lock()
            && let Some(ctx) = cache.get(slug)
            && ctx.inst == inst
        {
            return Ok(Arc::clone(ctx));
        }
        let ctx = Arc::new(IssuerContext {
            issuer_id: self.issuer_id(&inst.slug),
            metadata: self.metadata_for(&inst),
            inst,
        });
        if let Ok(mut cache) = self.issuers.lock() {
            cache.insert(slug.to_owned(), Arc::clone(&ctx));
        }
        Ok(ctx)
    }

    // ---------------------------------------------------------------- metadata

    /// Credential Issuer Metadata of an institution.
    pub fn issuer_metadata(&self, slug: &str) -> Result<CredentialIssuerMetadata, ProtocolError> {
        Ok(self.issuer_context(slug)?.metadata.clone())
    }

    pub(super) fn metadata_for(&self, inst: &InstitutionRow) -> CredentialIssuerMetadata {
        let issuer = self.issuer_id(&inst.slug);
        let mut display = CredentialDisplay::new(format!("{} Open Badge", inst.name), Some("en"));
        display.description = Some(format!(
            "An Open Badges 3.0 achievement credential from {}",
            inst.name
        ));
        display.background_color = Some("#1e40af".into());
        display.text_color = Some("#ffffff".into());
        let logo = inst.logo.as_ref().and_then(|uri| {
            serde_json::from_value(json!({"uri": uri, "alt_text": inst.name})).ok()
        });
        display.logo = logo.clone();
        let algs = vec!["EdDSA".to_owned(), "ES256".to_owned()];
        let types = vec![
            "VerifiableCredential".to_owned(),
            "OpenBadgeCredential".to_owned(),
        ];
        let mut configs = BTreeMap::new();
        configs.insert(
            LDP_VC.to_owned(),
            CredentialConfiguration::ldp_vc(
                vec![
                    "https://www.w3.org/ns/credentials/v2".into(),
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json".into(),
                ],
                types.clone(),
                algs.clone(),
                display.clone(),
            ),
        );
        configs.insert(
            JWT_VC_JSON.to_owned(),
            CredentialConfiguration::jwt_vc_json(types, vec!["EdDSA".into()], algs, display),
        );
        let mut metadata = CredentialIssuerMetadata::new(&issuer, configs);
        metadata.batch_credential_issuance = (self.settings().batch_size >= 2)
            .then(|| BatchCredentialIssuance::new(self.settings().batch_size));
        let issuer_display: Option<IssuerDisplay> = serde_json::from_value(json!({"name": inst.name, "locale": "en", "logo": inst.logo.as_ref().map(|uri| json!({"uri": uri, "alt_text": inst.name}))})).ok();
        metadata.display = issuer_display.map(|d| vec![d]);
        metadata
    }

    /// OAuth AS metadata of an institution.
    pub fn as_metadata(&self, slug: &str) -> Result<AuthorizationServerMetadata, ProtocolError> {
        let _ = self.issuer_context(slug)?;
        Ok(AuthorizationServerMetadata::pre_authorized_only(
            &self.issuer_id(slug),
            true,
        ))
    }

    // ---------------------------------------------------------------- OpenID4VCI

    /// `GET B/offers/<token>`: the Credential Offer object.
    pub fn offer_by_token(
        &self,
        slug: &str,
        token: &str,
    ) -> Result<CredentialOffer, ProtocolError> {
        if token.len() > 128 {
            return Err(ProtocolError::NotFound);
        }
        let hash = OfferToken::from_presented(token).hash().to_hex();
        let index = self
            .repo::<OfferTokenRow>()
            .get(hash.as_bytes())?
            .ok_or(ProtocolError::NotFound)?;
        if index.slug != slug {
            return Err(ProtocolError::NotFound);
        }
        let offer = self
            .repo::<OfferRow>()
            .get(&scoped_key(slug, &index.offer_id))?
            .ok_or(ProtocolError::NotFound)?;
        match self.offer_state(&offer, self.now()) {
            "offered" => Ok(self.credential_offer(&offer)),
            gone => Err(ProtocolError::OfferGone(gone)),
        }
    }

    pub(super) fn token_settings(&self) -> TokenSettings {
        TokenSettings {
            access_token_lifetime: self.settings().access_token_lifetime,
            max_tx_code_attempts: self.settings().max_tx_code_attempts,
            anonymous_access: true,
            // The draft-13 c_nonce of the token response is a sealed one (see `token`).
            c_nonce_in_token_response: None,
        }
    }

    /// `POST B/token`: redeems a pre-authorized code. Single use and the wrong-PIN counter are
    /// enforced with compare-and-swap on the stored code state.
    pub fn token(&self, slug: &str, body: &[u8]) -> Result<TokenResponse, ProtocolError> {
        let request = TokenRequest::from_form(body)?;
        match &request.grant_type {
            None => return Err(TokenError::MissingGrantType.into()),
            Some(GrantType::PreAuthorizedCode) => {}
            Some(other) => {
                return Err(TokenError::UnsupportedGrantType(other.as_str().to_owned()).into());
            }
        }
        let code = request
            .pre_authorized_code
            .as_deref()
            .ok_or(TokenError::MissingPreAuthorizedCode)?;
        let key = SecretHash::of(code).to_hex().into_bytes();
        // Looked up before the code is spent, so nothing can fail after that but the write.
        let ctx = self.issuer_context(slug)?;
        let codes = self.repo::<CodeRow>();
        let settings = self.token_settings();
        for _ in 0..CAS_ATTEMPTS {
            let stored = codes.load(&key)?.ok_or(TokenError::UnknownCode)?;
            // A code of one institution presented at another is unknown here.
            if stored.slug != slug {
                return Err(TokenError::UnknownCode.into());
            }
            let mut state = stored.state.clone();
            let now = self.now();
            let mut keyed = request.clone();
            if stored.keyed_pin {
                keyed.tx_code = request
                    .tx_code
                    .as_deref()
                    .map(|pin| self.keyed_pin(&stored.offer_id, pin));
            }
            let result = redeem(&mut state, &keyed, &settings, now, &mut OsRng);
            if state == stored.state {
                // Nothing changed (refused before any state change): nothing to persist.
                return match result {
                    Ok(_) => Err(ProtocolError::Issuance(
                        "redeem succeeded without state change".into(),
                    )),
                    Err(e) => Err(e.into()),
                };
            }
            let mut batch = WriteBatch::new();
            batch.require_unchanged::<CodeRow>(key.clone(), &stored);
            // This wrong PIN was the last one allowed: the offer shows as locked from now on.
            let limit = settings.max_tx_code_attempts;
            if state.failed_tx_code_attempts >= limit
                && stored.state.failed_tx_code_attempts < limit
            {
                let offer_key = scoped_key(slug, &stored.offer_id);
                if let Some(offer) = self.repo::<OfferRow>().load(&offer_key)? {
                    let mut locked = (*offer).clone();
                    locked.locked_at = Some(now.unix());
                    batch.require_unchanged::<OfferRow>(offer_key, &offer);
                    batch.put(&locked)?;
                }
            }
            batch.put(&CodeRow {
                slug: stored.slug.clone(),
                offer_id: stored.offer_id.clone(),
                state,
                keyed_pin: stored.keyed_pin,
            })?;
            if let Ok(grant) = &result {
                batch.put(&AccessTokenRow {
                    slug: slug.to_owned(),
                    offer_id: stored.offer_id.clone(),
                    record: grant.record.clone(),
                })?;
            }
            if self.store().apply_checked(batch)?.is_err() {
                // Another request changed the state first (redeemed it, or counted a wrong
                // PIN): decide again on the fresh state.
                continue;
            }
            return match result {
                Ok(grant) => {
                    tracing::debug!(slug, offer = %stored.offer_id, "pre-authorized code redeemed");
                    let mut response = grant.response();
                    // Draft 13-14 wallets take their first c_nonce from here.
                    let nonce = issue_sealed_nonce(
                        &self.nonce_key,
                        &ctx.issuer_id,
                        &mut OsRng,
                        now,
                        self.settings().nonce_lifetime,
                    );
                    response.c_nonce = Some(nonce.expose_secret().to_owned());
                    response.c_nonce_expires_in =
                        Some(u64::try_from(self.settings().nonce_lifetime).unwrap_or(0));
                    Ok(response)
                }
                Err(e) => Err(e.into()),
            };
        }
        Err(TokenError::CodeAlreadyUsed.into())
    }

    /// `POST B/nonce`: a sealed c_nonce (HMAC over random bits, the expiry and the
    /// Credential Issuer Identifier); nothing is stored until it is used.
    pub fn nonce(&self, slug: &str) -> Result<NonceResponse, ProtocolError> {
        let ctx = self.issuer_context(slug)?;
        let nonce = issue_sealed_nonce(
            &self.nonce_key,
            &ctx.issuer_id,
            &mut OsRng,
            self.now(),
            self.settings().nonce_lifetime,
        );
        Ok(NonceResponse::new(&nonce))
    }

    pub(super) fn access_token(
        &self,
        slug: &str,
        authorization: Option<&str>,
    ) -> Result<AccessTokenRow, ProtocolError> {
        let presented = rosette_oid4vci::bearer_token(authorization)?;
        let row = self
            .repo::<AccessTokenRow>()
            .get(SecretHash::of(presented).to_hex().as_bytes())?
            .ok_or(BearerError::UnknownToken)?;
        // A token of one institution is unknown at another.
        if row.slug != slug {
            return Err(BearerError::UnknownToken.into());
        }
        row.record.authorize(presented, self.now())?;
        Ok(row)
    }

    /// `POST B/credential`: checks the bearer token, the request and every key proof, then
    /// signs one credential per proof key and records, in one checked batch, the issuance,
    /// the use of the c_nonce(s) (precondition: not used yet, so a replayed nonce issues
    /// nothing) and, on the offer, the claim time, the configuration and the holder: one
    /// credential request per configuration per offer, all from the first holder key.
    pub fn credential(
        &self,
        slug: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<CredentialResponse, ProtocolError> {
        let token = self.access_token(slug, authorization)?;
        let ctx = self.issuer_context(slug)?;
        let (inst, metadata, issuer_id) = (&ctx.inst, &ctx.metadata, ctx.issuer_id.as_str());
        let request = CredentialRequest::from_json(body)?;
        let valid = validate_credential_request(&request, metadata, &token.record)?;
        let config_id = valid.credential_configuration_id.clone();
        let format = if config_id == LDP_VC {
            CredentialFormat::LdpVc
        } else {
            CredentialFormat::JwtVcJson
        };
        let algs = metadata
            .credential_configurations_supported
            .get(&config_id)
            .and_then(|c| c.jwt_proof_algs())
            .unwrap_or_default();
        let now = self.now();
        let used_nonces = self.repo::<UsedNonceRow>();
        let mut keys = Vec::with_capacity(valid.jwt_proofs.len());
        // Distinct nonces of this request (a batch usually shares one), by hash.
        let mut nonces: BTreeMap<String, UsedNonceRow> = BTreeMap::new();
        for jwt in &valid.jwt_proofs {
            let nonce = unverified_proof_nonce(jwt)?;
            let sealed = open_sealed_nonce(&self.nonce_key, issuer_id, &nonce, now)?;
            let hash = sealed.id.to_hex();
            // Refused early so that a replay costs no signature; the batch below re-checks.
            if !nonces.contains_key(&hash) && used_nonces.load(hash.as_bytes())?.is_some() {
                return Err(NonceError::AlreadyUsed.into());
            }
            let mut expect = KeyProofExpectations::new(issuer_id, Some(&nonce), now, algs);
            expect.client_id = token.record.client_id.as_deref();
            keys.push(validate_jwt_proof(jwt, &expect)?);
            nonces.insert(
                hash,
                UsedNonceRow {
                    hash: sealed.id,
                    slug: slug.to_owned(),
                    expires_at: sealed.expires_at.unix(),
                },
            );
        }
        check_distinct_keys(&keys)?;

        let offers = self.repo::<OfferRow>();
        let offer_key = scoped_key(slug, &token.offer_id);
        let mut offer = offers.load(&offer_key)?.ok_or(ProtocolError::NotFound)?;
        let holder = keys.first().map(|k| k.did.clone()).unwrap_or_default();
        // Refused before signing anything; checked again on the row the write depends on.
        may_issue(&offer, &config_id, &holder)?;
        let achievement = self
            .repo::<AchievementRow>()
            .get(&scoped_key(slug, &offer.achievement_id))?
            .ok_or(ProtocolError::Issuance("achievement missing".into()))?;
        // A re-issuance carries one credential id, so it issues exactly one credential.
        let reissue_of = match &offer.reissue_of {
            Some(id) => {
                if keys.len() != 1 {
                    return Err(ProtocolError::ReissueBatch);
                }
                let earlier = self
                    .repo::<IssuanceRow>()
                    .get(&scoped_key(slug, id))?
                    .ok_or(ProtocolError::Issuance(
                        "re-issued credential missing".into(),
                    ))?;
                Some(ReissueLink {
                    credential_id: id.clone(),
                    offer_id: earlier.offer_id.clone(),
                    issued_at: earlier.issued_at,
                })
            }
            None => None,
        };
        let signer = self.signer(inst)?;
        let notification_id = uuid::Uuid::new_v4().to_string();
        let mut credentials = Vec::with_capacity(keys.len());
        let mut issued = Vec::with_capacity(keys.len());
        let mut status_rows = Vec::with_capacity(keys.len());
        for key in &keys {
            let unsigned = self.unsigned_credential(
                &achievement,
                &key.did,
                &offer.recipient_name,
                offer.email_hash.as_deref(),
                &offer.email_salt,
                &inst.did,
                &inst.name,
                inst.url.as_deref(),
                now,
            );
            let mut unsigned = unsigned;
            if let (Some(link), Some(obj)) = (&reissue_of, unsigned.as_object_mut()) {
                obj.insert("id".into(), json!(link.credential_id));
            }
            let uuid = uuid::Uuid::new_v4().to_string();
            let prepared = rosette_openbadges::prepare_for_issuance(
                unsigned,
                &inst.did,
                &now.to_rfc3339(),
                || uuid.clone(),
                rosette_openbadges::SchemaVariant::Strict,
            )
            .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
            let mut prepared = serde_json::to_value(prepared)
                .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
            let credential_id = prepared
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let (entry, status_row) = self.status.entry_for(
                slug,
                &credential_id,
                &offer.id,
                offer.reissue_of.is_some(),
            )?;
            prepared["credentialStatus"] = entry;
            status_rows.push(status_row);
            let signed = signer
                .sign(&prepared, format, now)
                .map_err(|e| ProtocolError::Issuance(e.to_string()))?;
            credentials.push(match signed {
                rosette_proof::SignedCredential::Json(v) => v,
                rosette_proof::SignedCredential::Jwt(jwt) => Value::String(jwt),
            });
            issued.push(IssuanceRow {
                slug: slug.to_owned(),
                credential_id,
                offer_id: offer.id.clone(),
                achievement_id: achievement.id.clone(),
                configuration_id: config_id.clone(),
                format: format.as_str().to_owned(),
                subject_did: key.did.clone(),
                issued_at: now.unix(),
                notification_id: notification_id.clone(),
                reissue_of: reissue_of.clone(),
            });
        }
        let notification = NotificationRow {
            id: notification_id.clone(),
            slug: slug.to_owned(),
            offer_id: offer.id.clone(),
            events: Vec::new(),
        };
        for _ in 0..CAS_ATTEMPTS {
            let mut batch = WriteBatch::new();
            for (hash, used) in &nonces {
                batch.require_no_record::<UsedNonceRow>(hash.clone().into_bytes());
                batch.put(used)?;
            }
            for row in &issued {
                batch.put(row)?;
            }
            for row in &status_rows {
                batch.put(row)?;
                if let Some(member) = row.award_member() {
                    batch.put(&member)?;
                }
            }
            batch.put(&notification)?;
            // Every issuance records its configuration and holder on the offer, in the same
            // write and on the row as read: of two concurrent requests for one configuration,
            // or from two holders, exactly one is written. The first also marks it claimed.
            may_issue(&offer, &config_id, &holder)?;
            batch.require_unchanged::<OfferRow>(offer_key.clone(), &offer);
            let mut claimed = (*offer).clone();
            claimed.claimed_at.get_or_insert(now.unix());
            claimed.holder.get_or_insert_with(|| holder.clone());
            claimed.issued_configurations.push(config_id.clone());
            batch.put(&claimed)?;
            match self.store().apply_checked(batch)? {
                Ok(()) => {
                    tracing::debug!(slug, offer = %offer.id, count = credentials.len(), format = format.as_str(), "credentials issued");
                    // Named in crate::web::metrics (which role logic does not use).
                    metrics::counter!("rosette_credentials_issued_total", "format" => format.as_str())
                        .increment(credentials.len() as u64);
                    return Ok(CredentialResponse::issued(
                        credentials,
                        Some(notification_id),
                        valid.dialect,
                    ));
                }
                // Another request of the same offer changed it first: look again.
                Err(failed) if failed.table == OfferRow::TABLE => {
                    offer = offers.load(&offer_key)?.ok_or(ProtocolError::NotFound)?;
                }
                // A concurrent request used the nonce first.
                Err(_) => return Err(NonceError::AlreadyUsed.into()),
            }
        }
        Err(ProtocolError::Issuance(
            "the offer kept changing while recording the issuance".into(),
        ))
    }

    /// `POST B/notification`.
    pub fn notification(
        &self,
        slug: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<(), ProtocolError> {
        let token = self.access_token(slug, authorization)?;
        let request = NotificationRequest::from_json(body)?;
        let repo = self.repo::<NotificationRow>();
        let known = repo
            .get(request.notification_id.as_bytes())?
            .is_some_and(|r| r.slug == slug && r.offer_id == token.offer_id);
        if !known {
            return Err(NotificationError::UnknownNotificationId.into());
        }
        let event = request.event.as_str().to_owned();
        repo.update(request.notification_id.as_bytes(), |row| {
            row.map(|mut r| {
                if !r.events.contains(&event) {
                    r.events.push(event.clone());
                }
                r
            })
        })?;
        Ok(())
    }
}

/// Whether `offer` may still issue `configuration` to `holder` (the DID of the request's first
/// key proof): once per configuration, only to the holder it was first claimed by, and a
/// re-issuance offer (one credential id) only once in all.
fn may_issue(offer: &OfferRow, configuration: &str, holder: &str) -> Result<(), ProtocolError> {
    if offer
        .issued_configurations
        .iter()
        .any(|c| c == configuration)
    {
        return Err(ProtocolError::AlreadyIssued(
            "this offer already issued this credential",
        ));
    }
    if offer.reissue_of.is_some() && !offer.issued_configurations.is_empty() {
        return Err(ProtocolError::AlreadyIssued(
            "a re-issuance offer issues one credential",
        ));
    }
    if offer.holder.as_deref().is_some_and(|h| h != holder) {
        return Err(ProtocolError::AlreadyIssued(
            "this offer was claimed with another holder key",
        ));
    }
    Ok(())
}
