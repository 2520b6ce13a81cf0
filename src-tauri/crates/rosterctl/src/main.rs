//! `rosterctl`: Roster from the command line, over the same application layer as the desktop app, with no
//! window and no display. Output is plain text, or JSON with `--json`. Exit status: 0 on success, 1 on an
//! error (one line on stderr saying what to do), 3 when a sync run was held for approval.

use clap::{Parser, Subcommand};

/// `println!` that stops quietly when the reader has gone (`| head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?;
    }};
}

mod scim_cmd;
mod serve;

/// The same allocator as the desktop app (see `src-tauri/main.rs`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use roster_api::spec;
use roster_api::{json, ApiError, Caller, Options, Roster, RunMode};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "rosterctl",
    version,
    about = "Roster directory sync, from the command line"
)]
struct Cli {
    /// Where Roster keeps its tenants (default: $ROSTER_DATA_DIR, else the OS app-data directory).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// The tenant to work on (name or id; default: the one opened last).
    #[arg(long, global = true)]
    tenant: Option<String>,
    /// Act as this operator of the tenant (their email) instead of its Owner: what they may do is what
    /// their role allows.
    #[arg(long = "as", global = true, value_name = "EMAIL")]
    as_operator: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tenants: one per customer.
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Directory syncs.
    #[command(subcommand)]
    Directory(DirectoryCmd),
    /// Connections to source directories.
    #[command(subcommand)]
    Connection(ConnectionCmd),
    /// Run syncs.
    #[command(subcommand)]
    Sync(SyncCmd),
    /// Users.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Groups.
    #[command(subcommand)]
    Groups(ListCmd),
    /// Administrators.
    #[command(subcommand)]
    Admins(ListCmd),
    /// The trash.
    #[command(subcommand)]
    Trash(TrashCmd),
    /// Sync history.
    #[command(subcommand)]
    Runs(RunsCmd),
    /// Tenant settings.
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Serve Roster's HTTP front doors (127.0.0.1:8742 unless told otherwise) and run scheduled syncs,
    /// without a window, until Ctrl+C.
    Serve(serve::ServeArgs),
    /// The offline demo of the cloud directories.
    #[command(subcommand)]
    Demo(DemoCmd),
    /// The tenant's operators: its administrators, with Duo's roles or custom roles.
    #[command(subcommand)]
    Operator(OperatorCmd),
    /// Custom roles.
    #[command(subcommand)]
    Role(RoleCmd),
    /// SCIM integrations: Okta or any SCIM 2.0 client pushes users and groups to Roster.
    #[command(subcommand)]
    Scim(scim_cmd::ScimCmd),
}

#[derive(Subcommand)]
enum OperatorCmd {
    /// Add an operator by hand.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// One of Duo's roles (Owner, Administrator, User Manager, Help Desk, Read-only, …) or a custom role.
        #[arg(long)]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// List operators.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Give an operator added by hand another role.
    SetRole { email: String, role: String },
    /// Activate or disable an operator added by hand (a disabled operator cannot act with --as).
    SetStatus {
        email: String,
        #[arg(value_enum)]
        status: OperatorStatusArg,
    },
    /// Remove an operator added by hand.
    Remove { email: String },
}

#[derive(Subcommand)]
enum RoleCmd {
    /// Create a custom role with the seed's two directory permissions.
    Create {
        name: String,
        /// External directory configuration.
        #[arg(long, value_enum)]
        directory_config: DirectoryConfigArg,
        /// Run user directory syncs.
        #[arg(long, value_enum)]
        run_syncs: RunSyncsArg,
        #[arg(long)]
        json: bool,
    },
    /// List custom roles.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum OperatorStatusArg {
    Active,
    Disabled,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DirectoryConfigArg {
    All,
    None,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RunSyncsArg {
    All,
    Individual,
    None,
}

#[derive(Subcommand)]
enum DemoCmd {
    /// Start local emulators of Entra ID (Microsoft Graph), Google Workspace and Okta on 127.0.0.1 and print
    /// the spec files that point at them (one JSON object, keyed by connection kind), until Ctrl+C.
    Serve {
        /// People in each emulated organisation.
        #[arg(long, default_value_t = 300)]
        users: usize,
        /// Groups in each (at least the organisation's own, about 30).
        #[arg(long)]
        groups: Option<usize>,
    },
}

/// How to show a cloud sign-in page.
#[derive(clap::Args, Clone, Copy)]
struct ConsentArgs {
    /// Do not open a browser: print the sign-in URL alone on the first line of stdout, then wait.
    #[arg(long)]
    no_browser: bool,
    /// Seconds to wait for the sign-in to be approved.
    #[arg(long, default_value_t = 300)]
    consent_timeout: u64,
}

/// Shows the sign-in page: prints its URL (`--no-browser`) or opens the system browser.
struct Prompt {
    no_browser: bool,
}

impl roster_api::ConsentPrompt for Prompt {
    fn present(&self, vendor: &str, url: &str) -> Result<(), String> {
        use std::io::Write;
        if self.no_browser {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{url}").map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            eprintln!("Open the link above in a browser and approve Roster's access to {vendor}. Waiting…");
            return Ok(());
        }
        eprintln!(
            "Opening {vendor}'s sign-in page in your browser. If it does not open, visit:\n{url}"
        );
        open::that_detached(url).map_err(|e| e.to_string())
    }
}

#[derive(Subcommand)]
enum TenantCmd {
    /// Create a tenant. You are its Owner (by default without an email; give yours to be known by it).
    Create {
        name: String,
        #[arg(long)]
        owner_email: Option<String>,
        #[arg(long)]
        owner_name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Open a tenant and remember it as the default.
    Switch { name: String },
    /// Rename a tenant.
    Rename { tenant: String, name: String },
    /// Delete a tenant that is not open.
    Delete { tenant: String },
    /// Print the open tenant's configuration as JSON (never secrets, never users).
    Export,
    /// Create a tenant from an exported configuration.
    Import { name: String, file: PathBuf },
}

#[derive(Subcommand)]
enum DirectoryCmd {
    /// Add a directory sync from a JSON spec file (see the README). A new Entra ID, Google Workspace or
    /// Okta connection signs in first, in the browser.
    Add {
        #[arg(long)]
        spec: PathBuf,
        #[command(flatten)]
        consent: ConsentArgs,
    },
    /// List directory syncs.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Pause scheduled syncs.
    Pause { key: String },
    /// Resume scheduled syncs.
    Resume { key: String },
    /// Change settings.
    Set {
        key: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        interval_minutes: Option<u32>,
        #[arg(long)]
        deletion_threshold_percent: Option<u32>,
        /// Place in the order of precedence among the syncs of its type (1 first): what two syncs both
        /// find belongs to the one that comes first.
        #[arg(long)]
        precedence: Option<usize>,
    },
    /// Delete a directory sync (its users stay, unmanaged).
    Delete { key: String },
}

#[derive(Subcommand)]
enum ConnectionCmd {
    /// List connections.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Delete a connection no directory sync uses.
    Delete { id: String },
    /// Enter a connection's secret again (an LDAP bind password, a Google client secret), after a tenant
    /// import or when it was lost. Read from the terminal without echo, or from the first line of standard
    /// input; it goes to the secret store only.
    SetSecret { id: String },
    /// Sign in again to a cloud connection whose consent was revoked or expired (its syncs are kept).
    Reauthorize {
        id: String,
        #[command(flatten)]
        consent: ConsentArgs,
    },
    /// Test a connection step by step (name resolution, TCP, TLS certificate, bind, base DN).
    Test {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Find groups by name (the group picker).
    Groups {
        id: String,
        #[arg(default_value = "")]
        query: String,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SyncCmd {
    /// Run a full sync now.
    Run {
        key: String,
        /// Show what would change; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Apply a run that was held by the safety threshold.
        #[arg(long)]
        approve: bool,
        #[arg(long)]
        json: bool,
    },
    /// Sync one user (user syncs) or administrator by email (admin syncs) now.
    User {
        key: String,
        username: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum ListCmd {
    /// List (all pages).
    List {
        /// Only entries whose name, username or email contains this text.
        #[arg(long, default_value = "")]
        query: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum UsersCmd {
    /// List (all pages).
    List {
        /// Only users whose username, name or email contains this text.
        #[arg(long, default_value = "")]
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Add a user by hand.
    Add {
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        realname: Option<String>,
    },
    /// Edit a user. Fields a directory sync manages are refused: change them in the source directory.
    Update {
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        realname: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// active, bypass or disabled.
        #[arg(long)]
        status: Option<String>,
    },
    /// Move a user to the trash.
    Trash { username: String },
}

#[derive(Subcommand)]
enum TrashCmd {
    /// Users in the trash.
    List {
        #[arg(long, default_value = "")]
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete for good the users whose time in the trash has run out.
    Purge,
    /// Restore a user from the trash.
    Restore { username: String },
}

#[derive(Subcommand)]
enum RunsCmd {
    /// Runs of one directory sync, newest first.
    List {
        key: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// One run with its first per-object changes.
    Show {
        run_id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Every per-object change of a run, page by page.
    Changes {
        run_id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SettingsCmd {
    /// Days users stay in the trash before deletion (default 7).
    Retention { days: u32 },
}

enum Failure {
    Api(ApiError),
    Held(String),
    RunFailed(String),
    /// Whoever read the output stopped (`rosterctl … | head`): not an error.
    Closed,
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Api(ApiError::new(
                roster_api::Code::Unknown,
                format!("The output could not be written: {e}."),
            ))
        }
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        match e.io_error_kind() {
            Some(kind) => std::io::Error::from(kind).into(),
            None => Failure::Api(ApiError::new(roster_api::Code::Unknown, e.to_string())),
        }
    }
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Writes a whole list, page by page after the last key (each page costs the same, and only one page is
/// ever in memory): as a JSON array, one element per line, or as text lines.
fn stream<T: serde::Serialize>(
    mut page: impl FnMut(Option<&str>) -> roster_api::Result<json::Page<T>>,
    as_json: bool,
    mut line: impl FnMut(&T) -> String,
) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut after: Option<String> = None;
    let mut first = true;
    if as_json {
        out.write_all(b"[")?;
    }
    loop {
        let p = page(after.as_deref())?;
        for row in &p.rows {
            if as_json {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut out, row)?;
            } else {
                writeln!(out, "{}", line(row))?;
            }
            first = false;
        }
        match p.next {
            Some(k) => after = Some(k),
            None => break,
        }
    }
    if as_json {
        out.write_all(b"\n]\n")?;
    }
    out.flush()?;
    Ok(())
}

fn read(path: &PathBuf) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| {
        Failure::Api(ApiError::validation(format!(
            "Cannot read {}: {e}. Check the path.",
            path.display()
        )))
    })
}

/// The first page of a list, or the page after `after`.
fn at(after: Option<&str>) -> roster_api::PageAt<'_> {
    match after {
        Some(k) => roster_api::PageAt::After(k),
        None => roster_api::PageAt::After(""),
    }
}

fn report(r: &json::RunReport, as_json: bool) -> Result<(), Failure> {
    if as_json {
        print_json(r)?;
    } else {
        say!(
            "{} ({}): {}",
            r.directory_name,
            r.outcome,
            r.message.as_deref().unwrap_or("")
        );
        for c in r.changes.iter().take(200) {
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {} -> {}",
                        f.field,
                        f.before.as_deref().unwrap_or("(none)"),
                        f.after.as_deref().unwrap_or("(none)")
                    )
                })
                .collect();
            say!(
                "  {:<6} {:<10} {}  {}",
                c.object.as_str(),
                c.action,
                c.key,
                fields.join("; ")
            );
        }
        let shown = r.changes.len().min(200) as u64;
        if r.changes_total > shown {
            match r.run_id {
                Some(id) => say!(
                    "  … and {} more changes (all of them: rosterctl runs changes {id})",
                    r.changes_total - shown
                ),
                None => say!("  … and {} more changes", r.changes_total - shown),
            }
        }
        for e in &r.errors {
            match &e.name {
                Some(name) => say!("  skipped {} ({name}): {}", e.key, e.message),
                None => say!("  skipped {}: {}", e.key, e.message),
            }
        }
        for c in &r.conflicts {
            say!(
                "  {} {} also found by \"{}\": {}",
                c.object.as_str(),
                c.key,
                c.other_name,
                if c.kept { "kept here" } else { "left to it" }
            );
        }
    }
    match r.outcome {
        json::RunOutcome::Held => Err(Failure::Held(format!(
            "{} To apply it, run: rosterctl sync run {} --approve",
            r.held_reason.as_deref().unwrap_or("The run was held."),
            r.directory_key
        ))),
        json::RunOutcome::Failed => {
            Err(Failure::RunFailed(r.message.clone().unwrap_or_else(|| {
                "The sync failed; nothing was changed.".into()
            })))
        }
        json::RunOutcome::Running
        | json::RunOutcome::Succeeded
        | json::RunOutcome::Approved
        | json::RunOutcome::Preview
        | json::RunOutcome::Interrupted
        | json::RunOutcome::Discarded => Ok(()),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let data_dir = roster_api::data_dir(cli.data_dir.as_deref())?;
    let secrets = roster_secrets::from_env(
        std::env::var(roster_secrets::STORE_ENV).ok().as_deref(),
        std::env::var(roster_secrets::PASSPHRASE_ENV).ok(),
        &data_dir.join("secrets.enc.json"),
    )
    .map_err(ApiError::from)?;
    let secrets: Arc<dyn roster_api::SecretStore> = Arc::from(secrets);
    let roster = Arc::new(Roster::new(Options {
        data_dir,
        secrets: secrets.clone(),
        clock: Arc::new(roster_api::SystemClock),
        events: Arc::new(roster_api::NoEvents),
    })?);
    let caller = match &cli.as_operator {
        Some(email) => Caller::As(email.clone()),
        None => Caller::Local,
    };
    // The tenant named with --tenant, else the one the app showed last, else the first.
    let tenant_id = |r: &Roster| -> Result<String, Failure> {
        Ok(match &cli.tenant {
            Some(t) => r.tenant(t)?.id().to_string(),
            None => r.default_tenant(false)?.id,
        })
    };

    match cli.command {
        Command::Tenant(cmd) => match cmd {
            TenantCmd::Create {
                name,
                owner_email,
                owner_name,
                json,
            } => {
                let owner = match (owner_email, owner_name) {
                    (Some(email), name) => Some(roster_api::NewTenantOwner {
                        name: name.unwrap_or_else(|| email.clone()),
                        email,
                    }),
                    (None, Some(_)) => {
                        return Err(ApiError::validation(
                            "Give the Owner's email (--owner-email) with their name.",
                        )
                        .into())
                    }
                    (None, None) => None,
                };
                let t = roster.create_tenant(&name, owner.as_ref())?;
                if json {
                    print_json(&t)?
                } else {
                    say!("Created tenant \"{}\" ({}).", t.name, t.id)
                }
            }
            TenantCmd::List { json } => {
                let all = roster.list_tenants()?;
                if json {
                    print_json(&all)?
                } else {
                    for t in all {
                        say!(
                            "{} {:<30} {}",
                            if t.current { "*" } else { " " },
                            t.name,
                            t.id
                        );
                    }
                }
            }
            TenantCmd::Switch { name } => {
                let t = roster.remember_tenant(&name)?;
                say!("Opened tenant \"{}\".", t.name);
            }
            TenantCmd::Rename { tenant, name } => {
                let t = roster.session(&tenant, &caller)?.rename_tenant(&name)?;
                say!("Renamed tenant {} to \"{}\".", t.id, t.name);
            }
            TenantCmd::Delete { tenant } => {
                roster.session(&tenant, &caller)?.delete_tenant()?;
                say!("Deleted tenant \"{tenant}\".");
            }
            TenantCmd::Export => {
                let id = tenant_id(&roster)?;
                let s = roster.session(&id, &caller)?;
                print_json(&s.export_tenant()?)?;
            }
            TenantCmd::Import { name, file } => {
                let export = serde_json::from_str(&read(&file)?).map_err(|e| {
                    ApiError::validation(format!(
                        "{} is not a Roster tenant export: {e}.",
                        file.display()
                    ))
                })?;
                let t = roster.import_tenant(&name, &export)?;
                say!(
                    "Created tenant \"{}\" ({}) from {}.",
                    t.name,
                    t.id,
                    file.display()
                );
            }
        },
        Command::Directory(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                DirectoryCmd::Add {
                    spec: path,
                    consent,
                } => {
                    let mut spec = spec::parse(&read(&path)?)?;
                    spec.read_files()?;
                    let added = s
                        .add_directory_signed_in(
                            spec,
                            &Prompt {
                                no_browser: consent.no_browser,
                            },
                            std::time::Duration::from_secs(consent.consent_timeout),
                        )
                        .await?;
                    for c in &added.conflicts {
                        eprintln!("rosterctl: note: {c}");
                    }
                    print_json(&added)?;
                }
                DirectoryCmd::List { json } => {
                    let all = s.list_directories()?;
                    if json {
                        print_json(&all)?
                    } else {
                        for d in all {
                            say!(
                                "{}  {:<28} {:<5} #{} {:<9} last full sync: {}  status: {}{}",
                                d.directory_key,
                                d.name,
                                d.sync_type.as_str(),
                                d.precedence,
                                d.schedule,
                                d.last_full_sync.as_deref().unwrap_or("never"),
                                d.status,
                                if d.conflicts > 0 {
                                    format!("  conflicts with other syncs: {}", d.conflicts)
                                } else {
                                    String::new()
                                }
                            );
                        }
                    }
                }
                DirectoryCmd::Pause { key } => {
                    s.set_paused(&key, true)?;
                    say!("Scheduled syncs of {key} are paused.");
                }
                DirectoryCmd::Resume { key } => {
                    s.set_paused(&key, false)?;
                    say!("Scheduled syncs of {key} are resumed.");
                }
                DirectoryCmd::Set {
                    key,
                    name,
                    interval_minutes,
                    deletion_threshold_percent,
                    precedence,
                } => {
                    let d = s.update_directory(
                        &key,
                        roster_api::DirectoryPatch {
                            name,
                            interval_minutes,
                            deletion_threshold_percent,
                            precedence,
                            ..Default::default()
                        },
                    )?;
                    print_json(&d)?;
                }
                DirectoryCmd::Delete { key } => {
                    s.delete_directory(&key)?;
                    say!("Deleted directory sync {key}. Its users stay, no longer managed by a sync.");
                }
            }
        }
        Command::Connection(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                ConnectionCmd::List { json } => {
                    let all = s.list_connections()?;
                    if json {
                        print_json(&all)?
                    } else {
                        for c in all {
                            say!(
                                "{}  {:<16} {:<30} used by: {}",
                                c.id,
                                c.kind.as_str(),
                                c.name,
                                c.used_by.join(", ")
                            );
                        }
                    }
                }
                ConnectionCmd::Delete { id } => {
                    s.delete_connection(&id)?;
                    say!("Deleted connection {id}.");
                }
                ConnectionCmd::SetSecret { id } => {
                    let secret = read_secret(&id)?;
                    let c = s.set_connection_secret(&id, secret)?;
                    say!(
                        "The secret of the connection \"{}\" is saved ({}).",
                        c.name,
                        c.status
                    );
                }
                ConnectionCmd::Reauthorize { id, consent } => {
                    let c = s
                        .reauthorize_connection(
                            &id,
                            &Prompt {
                                no_browser: consent.no_browser,
                            },
                            std::time::Duration::from_secs(consent.consent_timeout),
                        )
                        .await?;
                    print_json(&c)?;
                }
                ConnectionCmd::Test { id, json } => {
                    let checks = s.test_connection(&id).await?;
                    if json {
                        print_json(&checks)?;
                    } else {
                        for c in &checks {
                            say!(
                                "{} {:<8} {}  {}",
                                if c.ok { "ok  " } else { "FAIL" },
                                c.step,
                                c.server,
                                c.detail
                            );
                        }
                    }
                    let passed = checks.last().is_some_and(|c| c.ok);
                    if !passed {
                        let why = checks
                            .iter()
                            .rev()
                            .find(|c| !c.ok)
                            .map(|c| format!("{} failed: {}", c.step, c.detail));
                        return Err(ApiError::new(
                            roster_api::Code::SourceUnreachable,
                            format!("The connection test failed. {}", why.unwrap_or_default()),
                        )
                        .into());
                    }
                }
                ConnectionCmd::Groups {
                    id,
                    query,
                    limit,
                    json,
                } => {
                    let groups = s.search_groups(&id, &query, limit).await?;
                    if json {
                        print_json(&groups)?;
                    } else {
                        for g in groups {
                            say!(
                                "{:<30} {:>6} members  {}",
                                g.name,
                                g.member_count.map(|n| n.to_string()).unwrap_or_default(),
                                g.external_id
                            );
                        }
                    }
                }
            }
        }
        Command::Sync(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                SyncCmd::Run {
                    key,
                    dry_run,
                    approve,
                    json,
                } => {
                    if dry_run && approve {
                        return Err(ApiError::validation("--dry-run and --approve cannot be used together: a preview never applies anything.").into());
                    }
                    let mode = if dry_run {
                        RunMode::Preview
                    } else {
                        RunMode::Full { approve }
                    };
                    let r = s.run_sync(&key, mode, roster_api::Trigger::Manual).await?;
                    report(&r, json)?;
                }
                SyncCmd::User {
                    key,
                    username,
                    json,
                } => {
                    let r = s
                        .run_sync(
                            &key,
                            RunMode::Individual(username),
                            roster_api::Trigger::Manual,
                        )
                        .await?;
                    report(&r, json)?;
                }
            }
        }
        Command::Users(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                UsersCmd::List { query, json } => stream(
                    |after| s.users_page(&query, at(after), 1000),
                    json,
                    |u| {
                        format!(
                            "{:<32} {:<36} {:<16} {}",
                            u.username,
                            u.email.as_deref().unwrap_or_default(),
                            u.status,
                            u.groups.join(", ")
                        )
                    },
                )?,
                UsersCmd::Add {
                    username,
                    email,
                    realname,
                } => {
                    print_json(&s.add_user(roster_api::NewUser {
                        username,
                        email,
                        realname,
                    })?)?;
                }
                UsersCmd::Update {
                    username,
                    email,
                    realname,
                    notes,
                    status,
                } => {
                    let edit = roster_api::UserEdit {
                        email,
                        realname,
                        notes,
                        status,
                        ..Default::default()
                    };
                    print_json(&s.update_user(&username, edit)?)?;
                }
                UsersCmd::Trash { username } => {
                    s.trash_user(&username)?;
                    say!("Moved {username} to the trash.");
                }
            }
        }
        Command::Groups(ListCmd::List { query, json }) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            stream(
                |after| s.groups_page(&query, at(after), 1000),
                json,
                |g| {
                    format!(
                        "{:<32} {:>6} members  {}",
                        g.name,
                        g.member_count,
                        g.managed_by.as_deref().unwrap_or_default()
                    )
                },
            )?;
        }
        Command::Admins(ListCmd::List { query, json }) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            stream(
                |after| s.admins_page(&query, at(after), 1000),
                json,
                |a| {
                    format!(
                        "{:<36} {:<28} {:<20} {}",
                        a.email,
                        a.name,
                        a.role.as_str(),
                        a.status.as_str()
                    )
                },
            )?;
        }
        Command::Trash(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                TrashCmd::List { query, json } => stream(
                    |after| s.trash_page(&query, at(after), 1000),
                    json,
                    |u| {
                        format!(
                            "{:<32} deleted for good on {}",
                            u.username,
                            u.purge_at.as_deref().unwrap_or_default()
                        )
                    },
                )?,
                TrashCmd::Purge => say!("Deleted {} users for good.", s.purge_trash()?),
                TrashCmd::Restore { username } => {
                    s.restore_user(&username)?;
                    say!("Restored {username} from the trash.");
                }
            }
        }
        Command::Runs(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                RunsCmd::List { key, limit, json } => {
                    let runs = s.list_runs(Some(&key), limit)?;
                    if json {
                        print_json(&runs)?
                    } else {
                        for r in runs {
                            say!(
                                "{:>6}  {}  {:<10} {:<11} {}",
                                r.run_id,
                                r.started_at,
                                r.trigger,
                                r.outcome,
                                r.message.unwrap_or_default()
                            );
                        }
                    }
                }
                RunsCmd::Show { run_id, json } => {
                    let r = s.run_detail(run_id)?;
                    if json {
                        print_json(&r)?
                    } else {
                        // A held or failed run, shown later, is not this command failing.
                        if let Err(Failure::Closed) = report(&r, false) {
                            return Err(Failure::Closed);
                        }
                    }
                }
                RunsCmd::Changes { run_id, json } => {
                    use std::io::Write;
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let mut from = Some(0u64);
                    let mut first = true;
                    if json {
                        out.write_all(b"[")?;
                    }
                    while let Some(f) = from {
                        let page = s.run_changes(run_id, f, 1000)?;
                        for c in &page.changes {
                            if json {
                                out.write_all(if first { b"\n" } else { b",\n" })?;
                                serde_json::to_writer(&mut out, c)?;
                            } else {
                                writeln!(
                                    out,
                                    "{:<6} {:<10} {}  {}",
                                    c.object.as_str(),
                                    c.action,
                                    c.key,
                                    c.reason
                                )?;
                            }
                            first = false;
                        }
                        from = page.next;
                    }
                    if json {
                        out.write_all(b"\n]\n")?;
                    }
                    out.flush()?;
                }
            }
        }
        Command::Settings(SettingsCmd::Retention { days }) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            s.set_retention_days(days)?;
            say!("Users now stay {days} days in the trash.");
        }
        Command::Serve(args) => serve::serve(roster, secrets, args).await?,
        Command::Scim(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            scim_cmd::run(&s, roster.data_dir(), cmd)?;
        }
        Command::Operator(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                OperatorCmd::Add {
                    email,
                    name,
                    role,
                    json,
                } => {
                    let o = s.add_operator(&email, &name, &role)?;
                    if json {
                        print_json(&o)?
                    } else {
                        say!("Added {} ({}) as {}.", o.name, o.email, o.role_name());
                    }
                }
                OperatorCmd::List { json } => {
                    let all = s.list_operators()?;
                    if json {
                        print_json(&all)?
                    } else {
                        for o in all {
                            say!(
                                "{:<36} {:<28} {:<28} {}{}",
                                o.email,
                                o.name,
                                o.role_name(),
                                o.status.as_str(),
                                o.managed_by
                                    .map(|m| format!("  (synced by {m})"))
                                    .unwrap_or_default()
                            );
                        }
                    }
                }
                OperatorCmd::SetRole { email, role } => {
                    let o = s.set_operator_role(&email, &role)?;
                    say!("{} is now {}.", o.email, o.role_name());
                }
                OperatorCmd::SetStatus { email, status } => {
                    let o = s.set_operator_status(
                        &email,
                        match status {
                            OperatorStatusArg::Active => roster_api::AdminStatus::Active,
                            OperatorStatusArg::Disabled => roster_api::AdminStatus::Disabled,
                        },
                    )?;
                    say!("{} is now {}.", o.email, o.status.as_str());
                }
                OperatorCmd::Remove { email } => {
                    s.remove_operator(&email)?;
                    say!("Removed {email}.");
                }
            }
        }
        Command::Role(cmd) => {
            let id = tenant_id(&roster)?;
            let s = roster.session(&id, &caller)?;
            match cmd {
                RoleCmd::Create {
                    name,
                    directory_config,
                    run_syncs,
                    json,
                } => {
                    let r = s.create_role(
                        &name,
                        match directory_config {
                            DirectoryConfigArg::All => roster_api::DirectoryConfig::All,
                            DirectoryConfigArg::None => roster_api::DirectoryConfig::None,
                        },
                        match run_syncs {
                            RunSyncsArg::All => roster_api::RunSyncs::All,
                            RunSyncsArg::Individual => roster_api::RunSyncs::Individual,
                            RunSyncsArg::None => roster_api::RunSyncs::None,
                        },
                    )?;
                    if json {
                        print_json(&r)?
                    } else {
                        say!("Created the custom role \"{}\".", r.name);
                    }
                }
                RoleCmd::List { json } => {
                    let all = s.list_roles()?;
                    if json {
                        print_json(&all)?
                    } else {
                        for r in all {
                            say!(
                                "{:<30} directory configuration: {:?}  run syncs: {:?}",
                                r.name,
                                r.directory_config,
                                r.run_syncs
                            );
                        }
                    }
                }
            }
        }
        Command::Demo(DemoCmd::Serve { users, groups }) => {
            let mut specs = serde_json::Map::new();
            let mut running = Vec::new();
            for vendor in roster_emulator::Vendor::ALL {
                let mut o = roster_emulator::Options::demo(vendor);
                o.users = users;
                o.groups = groups;
                let server = roster_emulator::serve(vendor, o).await.map_err(|e| {
                    ApiError::new(
                        roster_api::Code::Unknown,
                        format!("The {} emulator could not start: {e}", vendor.kind()),
                    )
                })?;
                let mut connection = server.connection_spec();
                let name = connection
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("Demo")
                    .to_string();
                if let Some(o) = connection.as_object_mut() {
                    o.remove("name");
                }
                specs.insert(
                    vendor.kind().into(),
                    serde_json::json!({
                        "name": name,
                        "type": "user",
                        "connection": connection,
                        "groups": ["All Staff"],
                    }),
                );
                running.push(server);
            }
            print_json(&specs)?;
            use std::io::Write;
            let _ = std::io::stdout().flush();
            eprintln!("The Entra ID, Google Workspace and Okta emulators are serving on 127.0.0.1 (spec files above). Press Ctrl+C to stop.");
            tokio::signal::ctrl_c().await.map_err(|e| {
                ApiError::new(
                    roster_api::Code::Unknown,
                    format!("Cannot wait for Ctrl+C: {e}"),
                )
            })?;
            for s in running {
                s.stop().await;
            }
        }
    }
    Ok(())
}

/// A secret typed at the terminal (not echoed), or the first line of standard input.
fn read_secret(id: &str) -> Result<roster_secrets::Sensitive<String>, Failure> {
    use std::io::IsTerminal;
    let text = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Secret for the connection {id}: "))?
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line
    };
    Ok(roster_secrets::Sensitive(
        text.trim_end_matches(['\r', '\n']).to_string(),
    ))
}

fn main() -> ExitCode {
    // Errors reach the admin as one plain line each (below); libraries' own log lines (ldap3 warns on
    // every dropped connection) are off unless asked for with ROSTER_LOG, and never in colour codes.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROSTER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rosterctl: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Api(e)) => {
            eprintln!("rosterctl: {}", e.message);
            ExitCode::from(1)
        }
        Err(Failure::RunFailed(m)) => {
            eprintln!("rosterctl: {m}");
            ExitCode::from(1)
        }
        Err(Failure::Held(m)) => {
            eprintln!("rosterctl: held: {m}");
            ExitCode::from(3)
        }
        Err(Failure::Closed) => ExitCode::SUCCESS,
    }
}
