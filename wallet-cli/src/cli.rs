//! Command-line arguments (clap derive; each doc comment is the help text).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Rosette wallet: keep, check and share your Open Badges.
#[derive(Debug, Parser)]
#[command(name = "rosette-wallet", version)]
pub(crate) struct Cli {
    /// Wallet directory (default $XDG_DATA_HOME/rosette-wallet or ~/.local/share/rosette-wallet).
    #[arg(long, global = true, env = "ROSETTE_WALLET_DIR")]
    pub(crate) wallet_dir: Option<PathBuf>,
    /// Print JSON on stdout instead of text (errors too, as {"error": …}).
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// Development only: accept plain http (not https) on this computer (127.0.0.1, ::1,
    /// localhost) for every fetch: issuers (claim, share), verifiers (present), status lists
    /// (verify, list --status, show --status, import) and did:web. Needed for the demo agent,
    /// which listens on plain http. Also env ROSETTE_WALLET_ALLOW_HTTP=1.
    #[arg(
        long,
        global = true,
        env = "ROSETTE_WALLET_ALLOW_HTTP",
        alias = "allow-http-did-web",
        value_parser = clap::builder::BoolishValueParser::new(),
        action = clap::ArgAction::SetTrue,
    )]
    pub(crate) allow_http: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create the wallet: a holder key and an encrypted store.
    ///
    /// The passphrase is asked on the terminal, or read from ROSETTE_WALLET_PASSPHRASE.
    Init(InitArgs),
    /// Claim the badges of an OpenID4VCI credential offer.
    ///
    /// A badge the wallet already holds (same credential id and issuer) is kept once: a copy
    /// with a later validFrom (a re-issue) replaces the stored one under the same wallet id;
    /// an older or equal copy is not stored.
    Claim(ClaimArgs),
    /// List stored badges: one row per award (the formats of one claim together), with the
    /// status of the last revocation check ("valid (checked 2 min ago)", "revoked", "not
    /// checked"). --status asks the issuers' status lists again first.
    List(ListArgs),
    /// Show a stored badge (id or unique id prefix): achievement, criteria, skills, evidence,
    /// issuer, learner, dates, status (with when it was last checked) and proof.
    Show(ShowArgs),
    /// Verify stored badges (by id) or credential files (JSON with a Data Integrity proof, or
    /// a VC-JWT). Without arguments, every stored badge.
    ///
    /// Exits 0 only when everything verifies.
    Verify(VerifyArgs),
    /// Import a credential: a JSON or VC-JWT file, or a baked PNG/SVG badge image (detected
    /// by content). It is verified first; a credential that does not verify is refused unless
    /// --unverified is given (an expired credential fails the validity window check). A copy
    /// of a stored badge is kept as `claim` does: the later validFrom wins.
    Import(ImportArgs),
    /// Export a stored badge: the credential as issued (json/jwt), or baked into a PNG/SVG
    /// badge image (OB 3.0 baking; the achievement's embedded image, else a generated one).
    Export(ExportArgs),
    /// Delete a stored badge.
    Delete(IdArg),
    /// Links to share a badge: LinkedIn add-to-profile, and the public badge page if any.
    ///
    /// --publish creates a public page at the issuing agent (proving with a signed
    /// presentation that you hold the badge); --withdraw removes it (same proof).
    Share(ShareArgs),
    /// Answer a verifier's OpenID4VP request with matching badges (asks before sharing).
    ///
    /// Exits 0 when the verifier accepted, 3 when no badge matches (nothing is sent), 4 when
    /// sharing was declined.
    Present(PresentArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Holder key type.
    #[arg(long, value_enum, default_value_t = KeyTypeArg::Ed25519)]
    pub(crate) key_type: KeyTypeArg,
    /// Minimal Argon2 costs (tests only: the passphrase becomes cheap to guess).
    #[arg(long, hide = true)]
    pub(crate) insecure_fast_kdf: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum KeyTypeArg {
    /// Ed25519 did:key.
    Ed25519,
    /// P-256 did:key.
    P256,
}

#[derive(Debug, Args)]
pub(crate) struct ClaimArgs {
    /// The offer: an openid-credential-offer:// URL or an https link carrying one.
    #[arg(required_unless_present = "qr")]
    pub(crate) offer: Option<String>,
    /// Read the offer from a QR code image (PNG or JPEG).
    #[arg(long, value_name = "IMAGE", conflicts_with = "offer")]
    pub(crate) qr: Option<PathBuf>,
    /// The transaction code (PIN) for scripts; otherwise it is asked on the terminal.
    #[arg(long)]
    pub(crate) tx_code: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct IdArg {
    /// Badge id (or a unique prefix of it).
    pub(crate) id: String,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// Check each badge's revocation / suspension status with its issuer's status list first
    /// (network; add --allow-http for a development agent on plain http).
    #[arg(long)]
    pub(crate) status: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Badge id (or a unique prefix of it).
    pub(crate) id: String,
    /// Check the badge's revocation / suspension status with its issuer first (network; add
    /// --allow-http for a development agent on plain http).
    #[arg(long)]
    pub(crate) status: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ShareArgs {
    /// Badge id (or a unique prefix of it).
    pub(crate) id: String,
    /// Publish a public page for the badge at its issuer.
    #[arg(long, conflicts_with = "withdraw")]
    pub(crate) publish: bool,
    /// The name to show on the public page (nothing else personal is shown).
    #[arg(long, requires = "publish")]
    pub(crate) name: Option<String>,
    /// Withdraw the badge's public page.
    #[arg(long)]
    pub(crate) withdraw: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Badge ids or credential files.
    pub(crate) items: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The credential file or baked image.
    pub(crate) file: PathBuf,
    /// Keep the badge even if its proof does not verify; it is listed as "unverified", with
    /// the reason, and never counts as verified.
    #[arg(long)]
    pub(crate) unverified: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Badge id (or a unique prefix of it).
    pub(crate) id: String,
    /// Output format: json/jwt must match how the badge was issued; png/svg bake either.
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub(crate) format: ExportFormat,
    /// Write to this file instead of stdout (required for png on a terminal).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// The JSON-LD credential.
    Json,
    /// The VC-JWT.
    Jwt,
    /// A baked PNG.
    Png,
    /// A baked SVG.
    Svg,
}

impl ExportFormat {
    /// The name used on the command line.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Jwt => "jwt",
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct PresentArgs {
    /// The request: an openid4vp:// URL or an https link carrying one.
    #[arg(required_unless_present = "qr")]
    pub(crate) request: Option<String>,
    /// Read the request from a QR code image (PNG or JPEG).
    #[arg(long, value_name = "IMAGE", conflicts_with = "request")]
    pub(crate) qr: Option<PathBuf>,
    /// Share without asking (scripts).
    #[arg(long)]
    pub(crate) yes: bool,
}
