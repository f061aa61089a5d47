//! Command-line arguments (clap derive; each doc comment is the help text).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Rosette issuer agent: issue and verify Open Badges 3.0 credentials.
#[derive(Debug, Parser)]
#[command(name = "rosette-agent", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Sign credentials offline.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Sign a demo badge in both formats with a fresh key and verify it.
    Demo(DemoArgs),
    /// Run the issuer agent server (OpenID4VCI 1.0 issuer and admin API).
    Serve(ServeArgs),
    /// Manage the data store.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Manage institutions (the first step after `serve` without `--demo`).
    #[command(subcommand)]
    Institution(InstitutionCommand),
    /// The configuration file (`serve --config FILE`).
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Create offers from a CSV file (name,email,achievement_id[,pin]) on a running agent.
    ///
    /// Exit code 0: every row became an offer; 2: some rows were refused (listed); 1: error.
    ImportOffers(ImportArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print a commented example configuration file (every key, with its default).
    Example,
}

#[derive(Debug, Subcommand)]
pub(crate) enum InstitutionCommand {
    /// Create an institution and print its admin token (for the console's sign-in).
    ///
    /// With --agent, through the running agent (authenticated with the operator token of
    /// --data, or ROSETTE_OPERATOR_TOKEN); without it, directly in the data directory of a
    /// stopped agent.
    Create(InstitutionCreateArgs),
}

#[derive(Debug, Args)]
pub(crate) struct InstitutionCreateArgs {
    /// The agent's data directory.
    #[arg(long, env = "ROSETTE_DATA", default_value = "./rosette-data")]
    pub(crate) data: PathBuf,
    /// The running agent's address, e.g. http://127.0.0.1:8080 (printed when it starts).
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// Short name in URLs: lowercase letters, digits and dashes, e.g. harbour-college.
    #[arg(long)]
    pub(crate) slug: String,
    /// Display name, e.g. "Harbour College".
    #[arg(long)]
    pub(crate) name: String,
    /// The institution's home page.
    #[arg(long)]
    pub(crate) homepage: Option<String>,
    /// Print the result as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The agent's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub(crate) url: String,
    /// The institution's slug.
    #[arg(long)]
    pub(crate) institution: String,
    /// File holding the admin token [default: the ROSETTE_ADMIN_TOKEN environment variable].
    #[arg(long)]
    pub(crate) token_file: Option<PathBuf>,
    /// Print one JSON object (the job's final report) on stdout instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// The CSV file: header name,email,achievement_id[,pin], one offer per row.
    pub(crate) file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// TOML configuration file (`rosette-agent config example` prints a commented one).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Listen address (port 0: any free port) [default: 127.0.0.1:8080].
    #[arg(long, env = "ROSETTE_LISTEN")]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// Data directory [default: ./rosette-data].
    #[arg(long, env = "ROSETTE_DATA")]
    pub(crate) data: Option<PathBuf>,
    /// Public base URL, the address phones and employers reach the agent at (usually https,
    /// e.g. a reverse proxy); it goes into QR codes, offers and credentials [default:
    /// http://<bound address>, which only this computer reaches].
    #[arg(long, env = "ROSETTE_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Create a demo institution, achievement and offer (if absent) and print the offer.
    #[arg(long)]
    pub(crate) demo: bool,
    /// Request-handling threads [default: 8 per CPU core, at least 16]. Issuance steps run on
    /// them and wait for their storage writes (fsynced); more threads than cores lets concurrent
    /// writes be committed together, one fsync per group.
    #[arg(long, env = "ROSETTE_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub(crate) workers: Option<u16>,
    /// Seconds after which a storage call that has not returned is logged as stuck and
    /// /health/ready answers 503 [default: 5].
    #[arg(long, env = "ROSETTE_STORAGE_STALL_SECONDS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub(crate) storage_stall_seconds: Option<u64>,
    /// When storage writes reach the disk: every-write (fsync per group of concurrent writes;
    /// survives a killed process and power loss) or flush (survives a killed process at once,
    /// a power loss after the next flush, at most 500 ms later; for slow or shared disks)
    /// [default: every-write].
    #[arg(long, env = "ROSETTE_STORAGE_DURABILITY", value_enum)]
    pub(crate) storage_durability: Option<DurabilityArg>,
    /// PostgreSQL database (postgres://user:password@host:port/db[?sslmode=require]) shared by
    /// several agents, instead of the embedded store in the data directory. Prefer the
    /// environment variable: the URL may hold a password.
    #[arg(long, env = "ROSETTE_DATABASE_URL", hide_env_values = true)]
    pub(crate) database_url: Option<String>,
    /// Log format on stderr: text (for people) or json (one JSON object per line, for log
    /// collectors; the start-up notes become log events too).
    #[arg(long, env = "ROSETTE_LOG_FORMAT", value_enum, default_value = "text")]
    pub(crate) log_format: LogFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormatArg {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: timestamp, level, message, fields, target.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum DurabilityArg {
    /// Every write is on disk when it returns.
    EveryWrite,
    /// Writes are on disk after the next flush (at most 500 ms).
    Flush,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StoreCommand {
    /// Move a data directory's sled store (`DATA/db`, written by versions before redb) into a
    /// new redb store (`DATA/store.redb`), verified table by table; the sled files are kept as
    /// `DATA/db.sled-migrated`. Needs a build with `--features sled-migrate`. Stop the agent
    /// first.
    Migrate(MigrateArgs),
    /// Copy every record of a stopped agent's store into an empty one, then check that every
    /// table's entry count and digest match: a data directory into PostgreSQL, or back.
    /// Credentials issued before the move still verify and can still be revoked after it
    /// (keep the public URL and the key-encryption key). The target must be empty.
    Copy(CopyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// The source: a data directory, or a postgres:// URL.
    #[arg(long)]
    pub(crate) from: String,
    /// The target: a data directory (its store is created), or a postgres:// URL (an empty
    /// database; the schema is created).
    #[arg(long)]
    pub(crate) to: String,
}

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    /// The agent's data directory.
    #[arg(long)]
    pub(crate) data: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Generate a key pair, write its private JWK to FILE (mode 0600) and print its did:key.
    Generate(GenerateArgs),
    /// Replace the key-encryption key: re-seal every signing key and the server secret of a
    /// stopped agent's store under a new KEK.
    ///
    /// The current KEK comes from ROSETTE_KEK or <data>/kek. The new one is written to
    /// <data>/kek (the old one kept as <data>/kek.old until you delete it), or, when the
    /// current one came from ROSETTE_KEK, printed once for you to store.
    ///
    /// With --database-url (agents keep serving; see docs/deploy.md), the store is re-sealed
    /// under the key in --to, opening values with ROSETTE_KEK and ROSETTE_KEK_OTHER.
    RotateKek(RotateKekArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RotateKekArgs {
    /// The agent's data directory (the agent must be stopped).
    #[arg(long, default_value = "./rosette-data")]
    pub(crate) data: PathBuf,
    /// A PostgreSQL database shared by running agents, instead of a data directory.
    #[arg(
        long,
        env = "ROSETTE_DATABASE_URL",
        hide_env_values = true,
        requires = "to"
    )]
    pub(crate) database_url: Option<String>,
    /// The file holding the new KEK (with --database-url): every agent must already open
    /// values sealed under it (ROSETTE_KEK_OTHER or kek_other_file).
    #[arg(long)]
    pub(crate) to: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum KeyTypeArg {
    /// Ed25519 (EdDSA; required for eddsa-rdfc-2022 proofs).
    Ed25519,
    /// NIST P-256 (ES256; VC-JWT only).
    P256,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// Key type.
    #[arg(long = "type", value_enum, default_value = "ed25519")]
    pub(crate) key_type: KeyTypeArg,
    /// Where to write the private key (JWK). An existing file is never overwritten.
    #[arg(long)]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum CredentialCommand {
    /// Sign an unsigned Open Badges 3.0 credential; the signed credential goes to stdout.
    ///
    /// Missing `id`, `issuer.id` and `validFrom` are filled in (a urn:uuid, the key's DID, now).
    Sign(SignArgs),
    /// Print an unsigned Open Badges 3.0 credential to start from: edit it, then `sign` it.
    ///
    /// It has no `id`, `issuer.id` or `validFrom` (`sign` fills them in); each one names a new
    /// did:key learner.
    Example(ExampleArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExampleArgs {
    /// Print this many credentials, one per line (the input of `sign --ndjson`).
    #[arg(long, value_name = "COUNT", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) ndjson: Option<u32>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
    /// JSON-LD with a Data Integrity eddsa-rdfc-2022 proof.
    #[value(name = "ldp_vc")]
    LdpVc,
    /// VC-JWT (EdDSA or ES256, after the key).
    #[value(name = "jwt_vc_json")]
    JwtVcJson,
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The private key (JWK) written by `keys generate`.
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// Output format.
    #[arg(long, value_enum)]
    pub(crate) format: FormatArg,
    /// The unsigned credential (JSON); stdin when absent.
    #[arg(long = "in")]
    pub(crate) input: Option<PathBuf>,
    /// Stream a cohort: one unsigned credential per input line, one signed per output line.
    #[arg(long)]
    pub(crate) ndjson: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Write the demo badge (both formats) and its key into this folder instead of printing.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
}
