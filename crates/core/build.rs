//! Rebuilds the crate when a migration is added: `sqlx::migrate!` embeds the migration folders at
//! compile time, but cargo cannot see a new file in them without being told (sqlx's own advice).

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
