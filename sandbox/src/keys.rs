//! The sandbox's fixed key material, generated once with `openssl` and
//! committed under `src/keys/` (see `src/keys/README.md`).
//!
//! These are PUBLIC TEST KEYS, not secrets: anyone can read them in this
//! repository, so nothing they sign or encrypt is protected. They exist so that
//! tokens and TLS look real to clients without key generation at run time.

use std::io;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::digest;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};

/// The self-signed TLS certificate (CN and SAN `127.0.0.1`, SAN `localhost` and `::1`).
pub(crate) const TLS_CERT_PEM: &str = include_str!("keys/tls-cert.pem");
pub(crate) const TLS_CERT_DER: &[u8] = include_bytes!("keys/tls-cert.der");
/// The TLS certificate's ECDSA P-256 private key, PKCS#8 DER.
pub(crate) const TLS_KEY_PKCS8_DER: &[u8] = include_bytes!("keys/tls-key.pk8.der");

/// The realm's 2048-bit RSA signing key, PKCS#8 DER.
const REALM_KEY_PKCS8_DER: &[u8] = include_bytes!("keys/realm-key.pk8.der");
/// The realm's public key, SubjectPublicKeyInfo DER.
pub(crate) const REALM_PUBLIC_SPKI_DER: &[u8] = include_bytes!("keys/realm-public.spki.der");
/// The realm's public key, SubjectPublicKeyInfo PEM.
pub(crate) const REALM_PUBLIC_PEM: &str = include_str!("keys/realm-public.pem");

/// The realm key, ready to sign and verify RS256 tokens.
pub(crate) struct RealmKey {
    pair: RsaKeyPair,
    rng: SystemRandom,
    /// The JWT `kid`: base64url SHA-256 of the SPKI DER.
    pub(crate) kid: String,
}

impl RealmKey {
    pub(crate) fn load() -> io::Result<Self> {
        let pair = RsaKeyPair::from_pkcs8(REALM_KEY_PKCS8_DER)
            .map_err(|e| io::Error::other(format!("realm key: {e}")))?;
        let kid = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, REALM_PUBLIC_SPKI_DER));
        Ok(RealmKey {
            pair,
            rng: SystemRandom::new(),
            kid,
        })
    }

    /// The RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        // Signing only fails on a wrong buffer length or an RNG failure; the
        // buffer is sized from the key, and a sandbox without an RNG is broken.
        if self
            .pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &self.rng,
                message,
                &mut signature,
            )
            .is_err()
        {
            signature.clear();
        }
        signature
    }

    /// Whether `signature` is this key's RS256 signature of `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            self.pair.public().as_ref(),
        )
        .verify(message, signature)
        .is_ok()
    }

    /// The key as a JSON Web Key, for the realm's `certs` endpoint.
    pub(crate) fn jwk(&self) -> serde_json::Value {
        let components = self.pair.public().into();
        let ring::rsa::PublicKeyComponents::<Vec<u8>> { n, e } = components;
        serde_json::json!({
            "kid": self.kid,
            "kty": "RSA",
            "alg": "RS256",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(n),
            "e": URL_SAFE_NO_PAD.encode(e),
        })
    }

    /// Random bytes formatted as a version 4 UUID.
    pub(crate) fn random_uuid(&self) -> String {
        let mut bytes = [0u8; 16];
        if ring::rand::SecureRandom::fill(&self.rng, &mut bytes).is_err() {
            // Uniqueness within one test run is all that matters here.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            bytes = nanos.to_le_bytes();
        }
        uuid_from(bytes)
    }
}

/// Formats 16 bytes as a version 4 (random) UUID, lower-case and hyphenated.
pub(crate) fn uuid_from(bytes: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A UUID that is the same for the same `name` in every sandbox (the user `sub`).
pub(crate) fn stable_uuid(name: &str) -> String {
    let digest = digest::digest(&digest::SHA256, name.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest.as_ref()[..16]);
    uuid_from(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_4_and_stable_by_name() {
        assert_eq!(
            uuid_from([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(uuid_from([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(stable_uuid("alice"), stable_uuid("alice"));
        assert_ne!(stable_uuid("alice"), stable_uuid("bob"));
        let parsed = uuid::Uuid::parse_str(&stable_uuid("alice")).expect("a UUID");
        assert_eq!(parsed.get_version_num(), 4);
    }
}
