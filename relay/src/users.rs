//! Users, their roles and their tokens. Tokens are 256-bit random secrets
//! shown once at creation; only their SHA-256 is stored (a slow password
//! hash adds nothing for secrets of that strength).

use anyhow::{Context, Result, bail};
use domain::Role;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role it acts in.
    pub role: Role,
    /// SHA-256 of the token, hex.
    pub token_sha256: String,
}

/// The accounts of a relay (`users.toml` in the data directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Users {
    /// Accounts.
    #[serde(default)]
    pub users: Vec<User>,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison so a wrong token takes as long as a near miss.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Parses a role name as used on the command line.
pub fn parse_role(s: &str) -> Result<Role> {
    Ok(match s {
        "commander" => Role::Commander,
        "duty-officer" => Role::DutyOfficer,
        "observer" => Role::Observer,
        "field-gateway" => Role::FieldGateway,
        "drill-director" => Role::DrillDirector,
        "admin" => Role::Admin,
        other => bail!(
            "unknown role {other:?}: commander, duty-officer, observer, field-gateway, drill-director, admin"
        ),
    })
}

impl Users {
    /// Reads `users.toml` from `data` (empty if absent).
    pub fn load(data: &Path) -> Result<Users> {
        let path = data.join("users.toml");
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("{}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Users::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes `users.toml` atomically.
    pub fn save(&self, data: &Path) -> Result<()> {
        std::fs::create_dir_all(data)?;
        let path = data.join("users.toml");
        let tmp = data.join("users.toml.tmp");
        std::fs::write(&tmp, toml::to_string(self)?)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// Adds (or replaces) a user and returns the new token, to be shown once.
    pub fn add(&mut self, name: &str, role: Role) -> Result<String> {
        if name.is_empty() || name.chars().any(char::is_control) {
            bail!("user name must be non-empty printable text");
        }
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let token = hex::encode(secret);
        self.users.retain(|u| u.name != name);
        self.users.push(User {
            name: name.into(),
            role,
            token_sha256: hash(&token),
        });
        Ok(token)
    }

    /// The user whose name and token match.
    pub fn authenticate(&self, name: &str, token: &str) -> Option<&User> {
        let h = hash(token);
        self.users
            .iter()
            .find(|u| u.name == name && same(u.token_sha256.as_bytes(), h.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_authenticates_only_its_own_user() {
        let mut users = Users::default();
        let t1 = users.add("wang", Role::DutyOfficer).expect("added");
        let t2 = users.add("bridge", Role::FieldGateway).expect("added");
        assert_eq!(
            users.authenticate("wang", &t1).map(|u| u.role),
            Some(Role::DutyOfficer)
        );
        assert!(users.authenticate("wang", &t2).is_none());
        assert!(users.authenticate("nobody", &t1).is_none());
        assert!(!toml::to_string(&users).expect("serializes").contains(&t1));
    }
}
